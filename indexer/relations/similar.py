"""Similar passages (相似表述): paragraphs of other documents worded near-identically or as a
close paraphrase, found at build time with datasketch's MinHash LSH over character shingles.

Each build stores, with the index, every passage's neighbours whose estimated shingle
Jaccard similarity reaches THRESHOLD (chosen on the blind-judged sample in
tests/bench/similar; docs/echoes.md gives its precision). Asking for a paragraph's similar
passages, or for a document's echoes of earlier documents of other series, is then a lookup —
through the engine's ``similar_lookup()``, so the answers below serve both backends (the
embedded generation's arrays here, OpenSearch's records in indexer/opensearch/similar.py).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from datasketch import MinHashLSH

from indexer.embedded import store
from indexer.embedded.matching import Postings
from indexer.embedded.schema import KIND_PARAGRAPH
from indexer.features.series import series_key
from indexer.relations import fingerprints as fp_module
from indexer.relations.fingerprints import NUM_PERM, Fingerprints

VERSION = 1
FILE = "echoes-similar.npz"
THRESHOLD = 0.3  # estimated Jaccard of 4-character shingles: 92.6 % precision on the judged sample (docs/echoes.md)
LSH_MARGIN = 0.1  # the LSH bands are tuned this far below the floor, to miss fewer pairs
LISTED = 50  # neighbours listed with their text for one paragraph (all are counted)
CENTRAL = "全国"  # the region of national documents: echoing them is "跟进中央表述"


def find_pairs(fingerprints: Fingerprints, floor: float,
               same_group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(passage a, passage b, similarity) of every pair of passages of different documents with
    estimated similarity ≥ ``floor``, a < b. ``same_group[doc]`` (a group number per document)
    leaves out pairs between copies of one document."""
    keys = fingerprints.passage_keys
    if not len(keys):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    # Identical passages (stock paragraphs, copies) are one LSH entry, expanded afterwards.
    _, first, distinct_of = np.unique(keys, return_index=True, return_inverse=True)
    signatures = fingerprints.passage_signatures[first]
    distinct_a, distinct_b = candidate_pairs(signatures, max(floor - LSH_MARGIN, 0.05))
    distinct_s = np.empty(len(distinct_a))
    for low in range(0, len(distinct_a), 100_000):  # bounded memory
        high = low + 100_000
        distinct_s[low:high] = (signatures[distinct_a[low:high]]
                                == signatures[distinct_b[low:high]]).mean(axis=1)
    keep = distinct_s >= floor
    distinct_a, distinct_b, distinct_s = distinct_a[keep], distinct_b[keep], distinct_s[keep]
    return _expanded(fingerprints, distinct_of, distinct_a, distinct_b, distinct_s, same_group)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), a < b: every pair of signatures agreeing on all rows of at least one band of
    datasketch's MinHashLSH for ``threshold``.

    The bands (b, r) are the ones ``MinHashLSH`` chooses; its buckets are Python dicts filled
    one key at a time, which cost 2 s for 7,000 passages (≈ 100 s for the 369 k paragraphs of
    the whole corpus), so the same buckets are formed here by sorting each band's values."""
    bands = MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges
    found = []
    for start, end in bands:
        keys = np.zeros(len(signatures), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for column in range(start, end):  # one 64-bit key per band (FNV-style mixing)
                keys = (keys ^ signatures[:, column].astype(np.uint64)) * np.uint64(1099511628211)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate(([0], edges))
        sizes = np.diff(np.concatenate((starts, [len(keys)])))
        for first, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
            members = np.sort(order[first:first + size])
            left, right = np.triu_indices(size, 1)
            found.append(members[left] * len(signatures) + members[right])
    if not found:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pairs = np.unique(np.concatenate(found))
    return pairs // len(signatures), pairs % len(signatures)


def _expanded(fingerprints, distinct_of, distinct_a, distinct_b, distinct_s, same_group):
    """Pairs of distinct texts → pairs of passages (every holder of each text), across documents."""
    order = np.argsort(distinct_of, kind="stable")
    bounds = np.searchsorted(distinct_of[order], np.arange(distinct_of.max() + 2))
    members = [order[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
    pairs_a, pairs_b, sims = [], [], []
    for a, b, s in zip(distinct_a.tolist(), distinct_b.tolist(), distinct_s.tolist()):
        left, right = np.meshgrid(members[a], members[b], indexing="ij")
        pairs_a.append(left.ravel())
        pairs_b.append(right.ravel())
        sims.append(np.full(left.size, s))
    for held in members:  # one text in several documents: identical passages
        if len(held) > 1:
            left, right = np.triu_indices(len(held), 1)
            pairs_a.append(held[left])
            pairs_b.append(held[right])
            sims.append(np.ones(len(left)))
    if not pairs_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    a, b = np.concatenate(pairs_a), np.concatenate(pairs_b)
    similarity = np.concatenate(sims).astype(np.float32)
    a, b = np.minimum(a, b), np.maximum(a, b)
    docs = fingerprints.passage_docs
    keep = docs[a] != docs[b]
    if same_group is not None:
        keep &= same_group[docs[a]] != same_group[docs[b]]
    return a[keep], b[keep], similarity[keep]


# ---------------------------------------------------------------- stored per generation

def build(folder: Path, fingerprints: Fingerprints, records: dict[str, dict],
          same_group: np.ndarray) -> None:
    """Find and store every passage's neighbours (earliest document first) in a build folder."""
    offsets, neighbours, similarity = neighbour_lists(fingerprints, records, same_group)
    temporary = Path(folder) / (".tmp-" + FILE)
    with open(temporary, "wb") as handle:
        np.savez(handle, version=VERSION, threshold=THRESHOLD, offsets=offsets,
                 neighbours=neighbours, similarity=similarity)
    os.replace(temporary, Path(folder) / FILE)


def neighbour_lists(fingerprints: Fingerprints, records: dict[str, dict],
                    same_group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every passage's neighbours as CSR arrays (what every backend stores): passage i's are
    ``neighbours[offsets[i]:offsets[i + 1]]`` (passage numbers, earliest document first) with
    their ``similarity`` (rounded to 3 places)."""
    a, b, similarity = find_pairs(fingerprints, THRESHOLD, same_group)
    chronology = _chronology(fingerprints.doc_ids, records)
    owner = np.concatenate((a, b))
    other = np.concatenate((b, a))
    both = np.concatenate((similarity, similarity))
    order = np.lexsort((fingerprints.passage_paras[other], chronology[fingerprints.passage_docs[other]],
                        owner))
    owner, other, both = owner[order], other[order], both[order]
    offsets = np.searchsorted(owner, np.arange(len(fingerprints.passage_docs) + 1))
    return offsets.astype(np.int64), other.astype(np.int32), np.round(both, 3)


def _chronology(doc_ids: list[str], records: dict[str, dict]) -> np.ndarray:
    """Per document: its rank in time (year, then date, then title)."""
    keys = [_when(records.get(doc_id, {})) + (records.get(doc_id, {}).get("title", ""), doc_id)
            for doc_id in doc_ids]
    ranks = np.empty(len(doc_ids), dtype=np.int64)
    ranks[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return ranks


def _when(record: dict) -> tuple[int, str]:
    """(year, ISO date) of a document record; no year sorts last."""
    return (record.get("year") or 9999, record.get("date") or "")


@dataclass
class Neighbours:
    """The stored similar passages of one generation."""

    fingerprints: Fingerprints
    offsets: np.ndarray
    neighbours: np.ndarray
    similarity: np.ndarray
    doc_index: dict[str, int]

    def row(self, doc_id: str, para: int) -> int | None:
        """The passage number of a paragraph (None: unknown, or too short to compare)."""
        doc = self.doc_index.get(doc_id)
        if doc is None:
            return None
        start, end = self.fingerprints.passage_range(doc)
        paras = self.fingerprints.passage_paras[start:end]
        where = int(np.searchsorted(paras, para))
        return start + where if where < len(paras) and paras[where] == para else None

    def of(self, row: int) -> list[tuple[str, int, float]]:
        """(doc_id, para, similarity) of a passage's neighbours, earliest document first."""
        low, high = self.offsets[row], self.offsets[row + 1]
        f = self.fingerprints
        return [(f.doc_ids[f.passage_docs[n]], int(f.passage_paras[n]), float(s))
                for n, s in zip(self.neighbours[low:high], self.similarity[low:high])]

    def counts(self, doc_id: str) -> dict[int, int]:
        """para → how many similar passages, for the paragraphs of a document that have any."""
        doc = self.doc_index.get(doc_id)
        if doc is None:
            return {}
        start, end = self.fingerprints.passage_range(doc)
        counts = np.diff(self.offsets[start:end + 1])
        paras = self.fingerprints.passage_paras[start:end]
        return {int(p): int(c) for p, c in zip(paras, counts) if c}


_loaded: "OrderedDict[str, Neighbours | None]" = OrderedDict()
_loaded_lock = threading.Lock()


def load(generation: Path) -> Neighbours | None:
    """The similar passages of a generation (None if it was built without them); read once."""
    key = str(generation)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key]
    path = Path(generation) / FILE
    fingerprints = fp_module.load(generation)
    found = None
    if path.exists() and fingerprints is not None:
        with np.load(path) as saved:
            if int(saved["version"]) == VERSION:
                found = Neighbours(fingerprints, saved["offsets"], saved["neighbours"],
                                   saved["similarity"], fingerprints.doc_index())
    with _loaded_lock:
        _loaded[key] = found
        while len(_loaded) > 2:  # the live generation and the one it replaced
            _loaded.popitem(last=False)
    return found


# ---------------------------------------------------------------- lookups

Neighbour = tuple[str, int, float]  # (doc_id, para, similarity)


class PassageLookup(Protocol):
    """What the answers below read of the similar passages a backend stores; an engine's
    ``similar_lookup()`` gives one per request (embedded: ``GenerationLookup``; OpenSearch:
    ``indexer.opensearch.similar.ClusterLookup``)."""

    def neighbours(self, doc_id: str, para: int) -> list[Neighbour] | None:
        """A paragraph's similar passages, earliest document first (None: not compared)."""

    def compared(self, doc_id: str) -> list[tuple[int, list[Neighbour]]]:
        """Each compared paragraph of a document, in order, with its similar passages."""

    def counts(self, doc_id: str) -> dict[int, int]:
        """para → how many similar passages, for the paragraphs of a document that have any."""

    def texts(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The text of each wanted (doc_id, para) paragraph that exists."""


class GenerationLookup:
    """The similar passages stored in an embedded index's live generation."""

    def __init__(self, engine):
        self.searcher = engine.searcher()
        self.stored = load(store.require_generation(engine.index_dir))

    def neighbours(self, doc_id: str, para: int) -> list[Neighbour] | None:
        """A paragraph's similar passages, earliest document first (None: not compared)."""
        row = self.stored.row(doc_id, para) if self.stored is not None else None
        return self.stored.of(row) if row is not None else None

    def compared(self, doc_id: str) -> list[tuple[int, list[Neighbour]]]:
        """Each compared paragraph of a document, in order, with its similar passages."""
        if self.stored is None or doc_id not in self.stored.doc_index:
            return []
        prints = self.stored.fingerprints
        start, end = prints.passage_range(self.stored.doc_index[doc_id])
        return [(int(prints.passage_paras[row]), self.stored.of(row)) for row in range(start, end)]

    def counts(self, doc_id: str) -> dict[int, int]:
        """para → how many similar passages, for the paragraphs of a document that have any."""
        return self.stored.counts(doc_id) if self.stored is not None else {}

    def texts(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The text of each wanted (doc_id, para) paragraph that exists."""
        found = {}
        for doc_id, para in wanted:
            stored = _paragraph(self.searcher, doc_id, para)
            if stored and stored.get("doc_id") == doc_id:
                found[(doc_id, para)] = stored.get("text", "")
        return found


# ---------------------------------------------------------------- answers

def similar_passages(engine, doc_id: str, para: int) -> dict | None:
    """The object of ``policy-search similar DOC_ID PARA --json`` (None: no such paragraph),
    from either backend (its ``similar_lookup()``)."""
    if not isinstance(para, int):
        return None
    lookup = engine.similar_lookup()
    neighbours = lookup.neighbours(doc_id, para)
    found = neighbours or []
    # the paragraph's own text with the listed ones': one request on a cluster
    texts = lookup.texts([(doc_id, para)] + [(other_id, other_para)
                                             for other_id, other_para, _ in found[:LISTED]])
    if (doc_id, para) not in texts:
        return None
    records = {r["doc_id"]: r for r in engine.documents()}
    me = _passage(records.get(doc_id, {}), doc_id, para, texts[(doc_id, para)])
    listed = []
    for other_id, other_para, similarity in found[:LISTED]:
        listed.append({**_passage(records.get(other_id, {}), other_id, other_para,
                                  texts.get((other_id, other_para), "")),
                       "similarity": round(similarity, 2)})
    everyone = sorted([me] + listed, key=lambda p: _when(p) + (p["title"], p["doc_id"]))
    first = everyone[0] if listed else None
    for passage in listed:
        passage["first_appearance"] = passage is first
    return {**me, "compared": neighbours is not None, "threshold": THRESHOLD,
            "total": len(found), "first_appearance": me is first if first else None,
            "similar": listed}


def counts(engine, doc_id: str) -> dict[int, int]:
    """para → how many similar passages, for a document page's "相似表述 N" links."""
    return engine.similar_lookup().counts(doc_id)


def _paragraph(searcher, doc_id: str, para: int) -> dict:
    """The stored fields of one paragraph. A document's records are written in order (its own
    record, then its paragraphs), so the para-th after the first is usually the one; a key
    lookup (several ms on a many-segment index: each segment's term table is searched) is the
    fallback."""
    numbers = Postings.of(searcher).term("doc_id", doc_id)  # cached for the index version
    if 0 < para < len(numbers):
        stored = searcher.stored_fields(int(numbers[para]))
        if stored.get("para") == para and stored.get("doc_id") == doc_id \
                and stored.get("kind") == KIND_PARAGRAPH:
            return stored
    return searcher.document(key=f"{doc_id}:{para}") or {}


def _passage(record: dict, doc_id: str, para: int, text: str) -> dict:
    return {"doc_id": doc_id, "para": para, "title": record.get("title", ""),
            "year": record.get("year"), "date": record.get("date"),
            "region": record.get("region"), "text": text}


def echoes(engine, doc_id: str) -> dict | None:
    """Which paragraphs of a document echo earlier documents of other series: a list (each with
    the earliest such document) and their share of its compared paragraphs, and how many of
    them echo an earlier national document ("跟进中央表述", ``central``)."""
    records = {r["doc_id"]: r for r in engine.documents()}
    record = records.get(doc_id)
    if record is None:
        return None
    passages = engine.similar_lookup().compared(doc_id)
    answer = {"doc_id": doc_id, "title": record.get("title", ""), "compared": 0, "echoing": 0,
              "share": 0.0, "central": 0, "central_share": 0.0, "paragraphs": [], "sources": []}
    if not passages:
        return answer
    mine, my_series = _when(record), series_key(record)
    sources: dict[str, int] = {}
    for my_para, found in passages:
        earlier = [(other, para, s) for other, para, s in found
                   if _when(records.get(other, {})) < mine
                   and series_key(records.get(other, {})) != my_series]
        if not earlier:
            continue
        other, para, similarity = earlier[0]  # stored earliest first
        for source in dict.fromkeys(o for o, _, _ in earlier):
            sources[source] = sources.get(source, 0) + 1
        answer["paragraphs"].append({
            "para": my_para,
            "earliest": {**_passage(records.get(other, {}), other, para, ""),
                         "similarity": round(similarity, 2)},
            "documents": len({o for o, _, _ in earlier}),
            "central": any(records.get(o, {}).get("region") == CENTRAL for o, _, _ in earlier)})
    compared = answer["compared"] = len(passages)
    answer["echoing"] = len(answer["paragraphs"])
    answer["share"] = round(answer["echoing"] / compared, 3) if compared else 0.0
    answer["central"] = sum(p["central"] for p in answer["paragraphs"])
    answer["central_share"] = round(answer["central"] / compared, 3) if compared else 0.0
    answer["sources"] = sorted(
        ({"doc_id": d, "title": records[d].get("title", ""), "year": records[d].get("year"),
          "region": records[d].get("region"), "paragraphs": n} for d, n in sources.items()),
        key=lambda s: (-s["paragraphs"], s["title"]))
    for entry in answer["paragraphs"]:
        del entry["earliest"]["text"]
    return answer
