"""Phrase trends: how much space each query gets per year (or per region), and when it appears.

A query means what it means in search (``parse_query``, ``match``, the same filters): a
paragraph counts when it is a hit, and its occurrences are the matches search would mark in
it (``snippets.match_spans``). Rates are per 10,000 characters of all the bucket's documents,
so a long report and a short one compare fairly.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict

from indexer.errors import QueryError
from indexer.search.query import parse_query
from indexer.analysis import literal_text

BY = ("year", "region")
MAX_QUERIES = 6
PER = 10_000
NO_REGION = "（未注明地区）"


def trends(engine, queries: list[str], mode: str = "words", by: str = "year",
           doc: str | None = None, year_from: int | None = None,
           year_to: int | None = None) -> dict:
    """The object of ``policy-search trends --json``: per-bucket counts of each query."""
    started = time.perf_counter()
    queries = list(dict.fromkeys(q.strip() for q in queries if q and q.strip()))
    if not queries:
        raise QueryError("empty query: type a word or phrase to search for")
    if len(queries) > MAX_QUERIES:
        raise QueryError(f"too many queries: compare at most {MAX_QUERIES} side by side")
    if by not in BY:
        raise QueryError(f"unknown grouping {by!r}: use 'year' or 'region'")
    parsed_queries = [parse_query(q, mode) for q in queries]
    records = {r["doc_id"]: r for r in engine.documents()
               if _in_scope(r, doc, year_from, year_to) and _bucket(r, by) is not None}
    buckets = _buckets(records.values(), by)
    series = [_series(engine.hit_paragraphs(parsed, doc, year_from, year_to), q, parsed,
                      records, by, buckets)
              for q, parsed in zip(queries, parsed_queries)]
    return {"queries": queries, "mode": mode, "by": by,
            "filters": {"doc": doc, "year_from": year_from, "year_to": year_to},
            "buckets": buckets, "series": series,
            "took_ms": round((time.perf_counter() - started) * 1000, 2)}


def _in_scope(record: dict, doc, year_from, year_to) -> bool:
    year = record.get("year")
    if doc and record["doc_id"] != doc:
        return False
    if year_from is not None and (year is None or year < year_from):
        return False
    return year_to is None or (year is not None and year <= year_to)


def _bucket(record: dict, by: str):
    return record.get("year") if by == "year" else (record.get("region") or NO_REGION)


def _buckets(records, by: str) -> list[dict]:
    totals: dict = defaultdict(lambda: {"documents": 0, "chars": 0, "doc_ids": []})
    for record in records:
        bucket = totals[_bucket(record, by)]
        bucket["documents"] += 1
        bucket["chars"] += record.get("chars") or 0
        bucket["doc_ids"].append(record["doc_id"])
    return [{"key": key, **totals[key]} for key in sorted(totals)]


def _series(hits, query, parsed, records, by, buckets) -> dict:
    counts = {b["key"]: {"documents": set(), "paragraphs": 0, "occurrences": 0}
              for b in buckets}
    first = last = None
    for doc_id, para, text in hits:
        record = records.get(doc_id)
        if record is None:  # a document without a year, when grouping by year
            continue
        count = counts[_bucket(record, by)]
        count["documents"].add(record["doc_id"])
        count["paragraphs"] += 1
        count["occurrences"] += count_occurrences(text, parsed)
        place = _place(record, para)
        if record.get("year") is not None:
            if first is None or place["order"] < first["order"]:
                first = place
            # Latest: the latest year, and in it the earliest paragraph again.
            if last is None or place["year"] > last["year"] \
                    or (place["year"] == last["year"] and place["order"] < last["order"]):
                last = place
    rows = []
    for bucket in buckets:
        count = counts[bucket["key"]]
        rows.append({"key": bucket["key"], "documents": len(count["documents"]),
                     "paragraphs": count["paragraphs"], "occurrences": count["occurrences"],
                     "per_10k": _rate(count["occurrences"], bucket["chars"])})
    total = sum(r["occurrences"] for r in rows)
    return {
        "query": query, "tokens": parsed.tokens,
        "documents": sum(r["documents"] for r in rows),
        "paragraphs": sum(r["paragraphs"] for r in rows), "occurrences": total,
        "per_10k": _rate(total, sum(b["chars"] for b in buckets)),
        "first": _public(first), "last": _public(last), "rows": rows,
    }


def count_occurrences(text: str, parsed) -> int:
    """How often a hit paragraph contains the query's terms: each term's literal occurrences
    (non-overlapping), or 1 for a term it matched only through its segmented words."""
    comparable = literal_text(text)
    return sum(comparable.count(term.literal) or 1 for term in parsed.terms)


def _place(record: dict, para: int) -> dict:
    # Earliest: by year, then the document's title, then the paragraph.
    order = (record["year"], record["title"], record["doc_id"], para)
    return {"year": record.get("year"), "doc_id": record["doc_id"], "title": record["title"],
            "para": para, "order": order}


def _public(place: dict | None) -> dict | None:
    return None if place is None else {k: v for k, v in place.items() if k != "order"}


def _rate(occurrences: int, chars: int) -> float:
    return round(occurrences * PER / chars, 2) if chars else 0.0


CSV_COLUMNS = ("query", "documents", "paragraphs", "occurrences", "per_10k", "bucket_documents",
               "bucket_chars")


def trends_csv(result: dict) -> str:
    """The trends as CSV: one row per query and year (or region), with the bucket's size."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((result["by"],) + CSV_COLUMNS)
    for series in result["series"]:
        for row, bucket in zip(series["rows"], result["buckets"]):
            writer.writerow((row["key"], series["query"], row["documents"], row["paragraphs"],
                             row["occurrences"], row["per_10k"], bucket["documents"],
                             bucket["chars"]))
    return out.getvalue()
