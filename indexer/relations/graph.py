"""The relations of a generation: written by the build, read once per generation by the engine.

``relations.json`` in a generation folder holds, per document, the references it makes
(resolved to document ids where the corpus has them) and what it states about force (its
effective date, expiry, the documents it repeals and amends). A build extracts these only
for documents whose content hash changed and copies the rest from the live generation; the
resolution against the whole corpus is redone every build (dictionary look-ups), so a
changed, added or removed document also updates the cited-by lists and statuses it appears in.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import threading
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.relations import validity
from indexer.relations.citations import Candidate, Reference, Resolver, excerpt, find_references

FILE_NAME = "relations.json"
FORMAT = 3  # raise when extraction changes: a build then re-reads every document
KIND_DOCUMENT, KIND_PARAGRAPH = "d", "p"  # as indexer.embedded.schema (not imported: no cycle)


# ---------------------------------------------------------------- writing (build side)

def write(folder: Path, previous: Path | None = None) -> dict:
    """Extract and resolve the relations of the index in ``folder`` into its relations.json,
    reusing ``previous`` (the live generation) for unchanged documents; returns counts."""
    folder = Path(folder)
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as searcher:
        records = {r["doc_id"]: r for r in searcher.documents(kind=KIND_DOCUMENT)}
        data, counts = compute(records, lambda fresh: _paragraphs(searcher, fresh),
                               _read_file(previous) if previous is not None else {})
    temporary = folder / (FILE_NAME + ".tmp")
    temporary.write_text(dumps(data), encoding="utf-8")
    os.replace(temporary, folder / FILE_NAME)
    return counts


def compute(records: dict[str, dict], paragraphs_of, previous: dict) -> tuple[dict, dict]:
    """The relations data (as relations.json holds it) of the documents ``records`` (doc id →
    document record) and counts; ``paragraphs_of(doc_ids)`` gives the (para, text) pairs of the
    documents whose content hash differs from their entry in ``previous`` (the last data), the
    others' entries are reused. Any backend supplies the records and paragraphs."""
    old_docs = previous.get("docs", {}) if previous.get("format") == FORMAT else {}
    fresh = {doc_id for doc_id, r in records.items()
             if old_docs.get(doc_id, {}).get("hash") != r.get("content_hash")}
    paragraphs = paragraphs_of(fresh) if fresh else {}
    docs = {}
    for doc_id, record in records.items():
        if doc_id in fresh:
            docs[doc_id] = extract(record, paragraphs.get(doc_id, []))
        else:
            docs[doc_id] = dict(old_docs[doc_id], title=record.get("title", ""),
                                date=_date(record), doc_number=record.get("doc_number"))
    counts = resolve(docs)
    counts["extracted"] = len(fresh)
    return {"format": FORMAT, "docs": docs}, counts


def dumps(data: dict) -> str:
    """Relations data as stored (compact JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> dict:
    """Stored relations data back ({} for none or unreadable)."""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def _paragraphs(searcher, doc_ids: set[str]) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    if not doc_ids:
        return found
    if len(doc_ids) > 50:  # one pass over every record beats a query per document
        stored_fields = (s for _, s in searcher.reader().iter_docs())
    else:
        stored_fields = (s for doc_id in doc_ids
                         for s in searcher.documents(doc_id=doc_id, kind=KIND_PARAGRAPH))
    for stored in stored_fields:
        if stored.get("kind") == KIND_PARAGRAPH and stored.get("doc_id") in doc_ids:
            found.setdefault(stored["doc_id"], []).append((stored["para"], stored.get("text", "")))
    for pairs in found.values():
        pairs.sort()
    return found


def _date(record: dict) -> str | None:
    value = record.get("published") or record.get("date")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        return value[:10]
    return None


def extract(record: dict, paragraphs: list[tuple[int, str]]) -> dict:
    """One document's references and statements (unresolved), as stored in relations.json."""
    title = record.get("title", "") or ""
    references = find_references(paragraphs, record.get("doc_number"))
    texts = dict(paragraphs)
    first = paragraphs[0][0] if paragraphs else 0
    if not paragraphs or texts.get(first, "").strip() != title.strip():
        # the title is not a paragraph of its own: what it names (关于修改《X》的决定) counts too,
        # placed in "paragraph 0", the title
        references = validity.title_references(title, 0) + references
    elif validity.title_amendment(title):
        references = validity.title_references(title, first)[-1:] + references
    statements = validity.read_statements(paragraphs, references, title)
    statements["amends"] = validity.title_statements(title, references) + [
        a for a in statements["amends"]
        if a["ref"] not in {t["ref"] for t in validity.title_statements(title, references)}]
    refs = []
    for reference in references:
        entry = reference.to_dict()
        entry["context"] = excerpt(texts.get(reference.para, title), reference.start, reference.end)
        refs.append(entry)
    return {"hash": record.get("content_hash"), "title": title, "date": _date(record),
            "adopted": _adopted(paragraphs), "doc_number": record.get("doc_number"),
            "refs": refs, **statements}


_HEAD_DATE = re.compile(r"^\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")


def _adopted(paragraphs: list[tuple[int, str]]) -> str | None:
    """The first date heading a document (2020年12月23日 …会议通过): when it was adopted."""
    for _, text in paragraphs[:6]:
        match = _HEAD_DATE.match(text)
        if match:
            return validity.parse_date(match.group(1))
    return None


def resolve(docs: dict[str, dict]) -> dict:
    """Resolve every document's references against the others; returns counts."""
    resolver = Resolver(Candidate(doc_id, d.get("title", ""), d.get("doc_number"))
                        for doc_id, d in docs.items())
    counts = {"documents": len(docs), "references": 0, "resolved": 0}
    for doc_id, doc in docs.items():
        for entry in doc["refs"]:
            reference = Reference.from_dict({k: v for k, v in entry.items() if k != "context"})
            resolver.resolve(reference, doc_id)
            entry["targets"], entry["resolution"] = reference.targets, reference.resolution
            counts["references"] += 1
            counts["resolved"] += bool(reference.targets)
    return counts


def _read_file(generation: Path | None) -> dict:
    if generation is None:
        return {}
    try:
        return json.loads((Path(generation) / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------- reading (engine side)

class RelationGraph:
    """The citations and statuses of one generation, read once."""

    def __init__(self, generation: Path | None = None, data: dict | None = None):
        """From a generation's relations.json, or from ``data`` (what ``compute`` made)."""
        data = _read_file(generation) if data is None else data
        self.docs: dict[str, dict] = data.get("docs", {}) if data.get("format") == FORMAT else {}
        self.available = bool(self.docs)
        self.cited_by: dict[str, list[tuple[str, int]]] = {}
        self.cites: dict[str, set[str]] = {}
        self.repealed_by: dict[str, list[tuple[str, dict]]] = {}
        self.amended_by: dict[str, list[tuple[str, dict]]] = {}
        for doc_id, doc in self.docs.items():
            for index, entry in enumerate(doc["refs"]):
                for target in entry["targets"]:
                    self.cited_by.setdefault(target, []).append((doc_id, index))
                    self.cites.setdefault(doc_id, set()).add(target)
            for kind, into in (("repeals", self.repealed_by), ("amends", self.amended_by)):
                for act in doc.get(kind, []):
                    for target in doc["refs"][act["ref"]]["targets"]:
                        if target != doc_id and not self._later(target, doc):
                            into.setdefault(target, []).append((doc_id, act))
        self._statuses: tuple[str, dict[str, dict]] = ("", {})
        self._lock = threading.Lock()

    def _later(self, target: str, actor: dict) -> bool:
        """Whether ``target`` was issued after ``actor``: then a repeal or amendment that names
        its title meant an earlier text of the same name (人民检察院刑事诉讼规则 1999 / 2019)."""
        issued = (self.docs.get(target) or {}).get("date")
        return bool(issued and actor.get("date") and issued > actor["date"])

    def cited_by_count(self, doc_id: str) -> int:
        """How many documents cite ``doc_id``."""
        return len({citing for citing, _ in self.cited_by.get(doc_id, [])})

    def status(self, doc_id: str, today: dt.date | None = None) -> dict:
        """The status of a document (with its evidence) on ``today`` (default: today)."""
        return self.statuses(today).get(doc_id) or validity.status({}, [], [], today or dt.date.today())

    def statuses(self, today: dt.date | None = None) -> dict[str, dict]:
        """Every document's status on ``today``, computed once a day."""
        today = today or dt.date.today()
        with self._lock:
            day, cached = self._statuses
            if day == today.isoformat():
                return cached
        computed = {doc_id: validity.status(doc, self._acts(self.repealed_by, doc_id),
                                            self._acts(self.amended_by, doc_id, amends=True),
                                            today)
                    for doc_id, doc in self.docs.items()}
        with self._lock:
            self._statuses = (today.isoformat(), computed)
        return computed

    def with_status(self, code: str, today: dt.date | None = None) -> list[str]:
        """Ids of the documents whose status is ``code`` (one of validity.STATUSES)."""
        return [doc_id for doc_id, s in self.statuses(today).items() if s["status"] == code]

    def _acts(self, acts: dict, doc_id: str, amends: bool = False) -> list[dict]:
        """The repeals (or amendments) of ``doc_id`` that concern this text of it."""
        found, seen = [], set()
        issued = self.docs[doc_id].get("date")
        for actor, act in acts.get(doc_id, []):
            if actor in seen:  # a title and its body both say it (关于修改《X》的决定: 将《X》…)
                continue
            seen.add(actor)
            doc = self.docs[actor]
            since = _act_date(doc)
            if issued and since and issued > since:
                continue  # this text came after the act: the act meant an earlier text
            if amends and actor in self.cites.get(doc_id, ()):
                continue  # the text lists the amendment (…《刑法修正案（十二）》修正): it holds it
            adopted = min(d for d in (doc.get("adopted"), doc.get("date"), since, "9999") if d)
            if amends and issued and issued >= adopted:
                continue  # a text of the day the amendment was adopted, or later, includes it
            found.append({"doc_id": actor, "title": doc.get("title", ""), "para": act["para"],
                          "text": act["text"], "from": since})
        return found

    def citations(self, doc_id: str, describe) -> dict | None:
        """What ``doc_id`` cites and what cites it; ``describe(doc_id)`` gives a document's
        title, date and year for the listing (None for an unknown id)."""
        doc = self.docs.get(doc_id)
        if doc is None:
            return None
        cites = []
        for entry in doc["refs"]:
            cites.append({
                "text": Reference.from_dict({k: v for k, v in entry.items()
                                             if k != "context"}).text,
                "title": entry["title"], "number": entry["number"], "via": entry["via"],
                "para": entry["para"], "context": entry["context"],
                "resolution": entry["resolution"],
                "targets": [{"doc_id": t, **describe(t)} for t in entry["targets"]]})
        cited_by = []
        for citing, index in self.cited_by.get(doc_id, []):
            entry = self.docs[citing]["refs"][index]
            cited_by.append({"doc_id": citing, **describe(citing), "para": entry["para"],
                             "context": entry["context"]})
        cited_by.sort(key=lambda c: (c.get("date") or str(c.get("year") or ""), c["doc_id"], -c["para"]),
                      reverse=True)
        # a copy: callers add to it (links on the web page), the cached statuses stay as computed
        return {"doc_id": doc_id, "status": copy.deepcopy(self.status(doc_id)), "cites": cites,
                "cited_by": cited_by,
                "counts": {"cites": len(cites),
                           "resolved": sum(1 for c in cites if c["targets"]),
                           "cited_by": self.cited_by_count(doc_id)}}


def _act_date(doc: dict) -> str | None:
    """When an act of ``doc`` (a repeal, an amendment) takes effect: its effective date, else
    the date it was issued."""
    effective = doc.get("effective") or {}
    return effective.get("date") or doc.get("date")


_GRAPHS: dict[Path, RelationGraph] = {}
_GRAPHS_LOCK = threading.Lock()


def for_generation(generation: Path) -> RelationGraph:
    """The relation graph of a generation, read once per process (and generation)."""
    generation = Path(generation)
    with _GRAPHS_LOCK:
        graph = _GRAPHS.get(generation)
    if graph is None:
        graph = RelationGraph(generation)
        with _GRAPHS_LOCK:
            _GRAPHS[generation] = graph
            while len(_GRAPHS) > 2:  # the live one, and the one requests begun before a swap hold
                del _GRAPHS[next(iter(_GRAPHS))]
    return graph


# ---------------------------------------------------------------- what search needs

def check_status(code: str) -> str:
    """``code`` if it is a status search can filter on, else a ValueError saying which are."""
    if code not in validity.STATUSES:
        raise ValueError(f"unknown status {str(code)[:40]!r}: use "
                         + ", ".join(validity.STATUSES))
    return code


def hit_fields(relations: RelationGraph, doc_id: str) -> dict:
    """The fields every hit carries: its document's status and how many documents cite it."""
    found = relations.status(doc_id)
    return {"status": found["status"], "status_label": found["label"],
            "cited_by": relations.cited_by_count(doc_id)}


def only_status(relations: RelationGraph, code: str, within: list[str] | None) -> list[str]:
    """The documents (of ``within``, when given) whose status is ``code``: the filter every
    backend applies as a set of allowed document ids."""
    allowed = relations.with_status(check_status(code))
    if within is None:
        return allowed
    keep = set(allowed)
    return [doc_id for doc_id in within if doc_id in keep]


def status_facet(relations: RelationGraph, doc_counts: dict[str, int]) -> list[dict]:
    """Hits and documents per status, in STATUSES order, for the documents of ``doc_counts``."""
    statuses = relations.statuses()
    hits, documents = {}, {}
    for doc_id, count in doc_counts.items():
        code = (statuses.get(doc_id) or {}).get("status", "unknown")
        hits[code] = hits.get(code, 0) + count
        documents[code] = documents.get(code, 0) + 1
    return [{"status": code, "label": validity.LABELS[code], "count": hits[code],
             "docs": documents[code]} for code in validity.STATUSES if code in hits]


def citations_answer(relations: RelationGraph, records: dict[str, dict], doc_id: str) -> dict:
    """What ``citations(doc_id)`` answers on every backend: the document's title, what it cites
    and what cites it (described from ``records`` by id), its status, and the counts."""
    def describe(other: str) -> dict:
        record = records.get(other, {})
        return {"title": record.get("title", other), "date": record.get("date"),
                "year": record.get("year")}

    found = relations.citations(doc_id, describe)
    if found is None:  # an index built before relations existed
        found = {"doc_id": doc_id, "status": relations.status(doc_id), "cites": [],
                 "cited_by": [], "counts": {"cites": 0, "resolved": 0, "cited_by": 0}}
    found["available"] = relations.available
    return {"title": records[doc_id].get("title", ""), **found}
