"""The facets of a hit list, built alike by every backend from its per-document hit counts."""

from __future__ import annotations

from collections import Counter

from indexer.embedded.schema import NO_YEAR
from indexer.relations import graph as relations_graph


def facets(doc_counts: dict[str, int], records: dict[str, dict], relations) -> dict:
    """Documents and years by hit count, and the validity statuses of the hits' documents."""
    docs = [{"doc_id": doc_id, "title": records.get(doc_id, {}).get("title", doc_id),
             "year": records.get(doc_id, {}).get("year") or None, "count": count}
            for doc_id, count in doc_counts.items() if doc_id]
    docs.sort(key=lambda d: (-d["count"], d["title"]))
    year_counts = Counter()
    for doc_id, count in doc_counts.items():
        year_counts[records.get(doc_id, {}).get("year") or NO_YEAR] += count
    years = [{"year": year, "count": count}
             for year, count in year_counts.items() if year != NO_YEAR]
    years.sort(key=lambda y: -y["year"])
    return {"docs": docs, "years": years,
            "status": relations_graph.status_facet(relations, doc_counts)}
