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
from typing import NamedTuple, Protocol

import numpy as np

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
_PAIRS_AT_ONCE = 2_000_000  # candidate or passage pairs made at once (× 8 bytes each array)
_ESTIMATED_AT_ONCE = 100_000  # pairs whose signatures are gathered at once (× 2 × 512 bytes)


BUCKET_CAP = 200  # distinct texts in one LSH bucket (or holders of one text) that still make pairs


class Pairs(NamedTuple):
    """Pairs of similar passages (a < b) and what the bucket cap left out.

    Each pair is one int64, sorted: (a · passages + b) << 8 | equal signature values (0–128,
    the similarity is that over NUM_PERM), 8 bytes a pair instead of 12 in three arrays."""

    packed: np.ndarray
    passages: int            # how many passages there are (a and b are below)
    capped_buckets: int      # LSH buckets (over all bands) of more than BUCKET_CAP distinct texts
    capped_texts: int        # distinct texts in them, summed over the bands
    capped_holders: int      # texts held by more than BUCKET_CAP passages (no identity pairs)

    @property
    def a(self) -> np.ndarray:
        """The first passage of each pair."""
        return ((self.packed >> 8) // self.passages).astype(np.int32)

    @property
    def b(self) -> np.ndarray:
        """The second passage of each pair."""
        return ((self.packed >> 8) % self.passages).astype(np.int32)

    @property
    def similarity(self) -> np.ndarray:
        """The estimated similarity of each pair."""
        return ((self.packed & 0xFF) / NUM_PERM).astype(np.float32)


def find_pairs(fingerprints: Fingerprints, floor: float,
               same_group: np.ndarray | None = None, cap: int | None = None) -> Pairs:
    """Every pair of passages of different documents with estimated similarity ≥ ``floor``,
    sorted by (a, b). ``same_group[doc]`` (a group number per document) leaves out pairs
    between copies of one document. A bucket of more than ``cap`` (BUCKET_CAP) distinct texts
    makes no pairs: such a bucket is a stock sentence or dateline shared by many passages, and
    would make pairs quadratic in their number; the pairs its members find in other bands stay.
    Memory is the signatures, one band's pairs at a time, and the pairs found."""
    cap = BUCKET_CAP if cap is None else cap
    keys = fingerprints.passage_keys
    if not len(keys):
        return Pairs(np.empty(0, dtype=np.int64), 0, 0, 0, 0)
    # Identical passages (stock paragraphs, copies) are one LSH entry, expanded afterwards.
    _, first, distinct_of = np.unique(keys, return_index=True, return_inverse=True)
    signatures = fingerprints.passage_signatures[first]
    codes, similarity, capped_buckets, capped_texts = _similar_distinct(
        signatures, max(floor - LSH_MARGIN, 0.05), floor, cap)
    count = np.int64(len(signatures))
    return _expanded(fingerprints, distinct_of.ravel(), codes // count, codes % count,
                     similarity, same_group, cap, capped_buckets, capped_texts)


def _band_keys(signatures: np.ndarray, threshold: float):
    """One 64-bit key per signature for each band of the banding ``MinHashLSH`` chooses for
    ``threshold`` (its Python dict buckets cost ≈ 100 s for 369 k passages; sorting these keys
    forms the same buckets)."""
    from datasketch import MinHashLSH  # build time only (scipy: slow to import)
    for start, end in MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges:
        keys = np.zeros(len(signatures), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for column in range(start, end):  # FNV-style mixing of the band's rows
                keys = (keys ^ signatures[:, column].astype(np.uint64)) * np.uint64(1099511628211)
        yield keys


def _band_pairs(keys: np.ndarray, cap: int):
    """(a generator of arrays of pair codes a·n + b, a < b, of one band's buckets of 2..cap
    members, at most _PAIRS_AT_ONCE at a time; the sizes of the buckets over the cap)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    sizes = np.diff(np.append(starts, len(keys)))
    over = sizes[sizes > cap]

    def pairs():
        count = np.int64(len(keys))
        for size in np.unique(sizes[(sizes > 1) & (sizes <= cap)]).tolist():
            left, right = np.triu_indices(size, 1)
            buckets = starts[sizes == size]
            step = max(1, _PAIRS_AT_ONCE // len(left))
            for low in range(0, len(buckets), step):
                members = np.sort(order[buckets[low:low + step, None] + np.arange(size)], axis=1)
                yield (members[:, left].astype(np.int64) * count + members[:, right]).ravel()
    return pairs(), over


def _similar_distinct(signatures, threshold, floor, cap):
    """(sorted pair codes, similarities) of the distinct texts with estimated similarity ≥
    ``floor`` among the LSH candidates, and (buckets, texts) over the cap."""
    found = np.empty(0, dtype=np.int64)  # sorted codes of the pairs kept so far
    kept_similarity = np.empty(0, dtype=np.float32)
    capped_buckets = capped_texts = 0
    count = np.int64(len(signatures))
    for keys in _band_keys(signatures, threshold):
        pairs, over = _band_pairs(keys, cap)
        capped_buckets += len(over)
        capped_texts += int(over.sum())
        new_codes, new_similarity = [], []
        for codes in pairs:
            codes = codes[~_among(codes, found)]
            similarity = _estimate(signatures, codes // count, codes % count)
            keep = similarity >= floor
            new_codes.append(codes[keep])
            new_similarity.append(similarity[keep])
        if new_codes:
            codes = np.concatenate([found] + new_codes)
            order = np.argsort(codes, kind="stable")
            found = codes[order]
            kept_similarity = np.concatenate([kept_similarity] + new_similarity)[order]
    return found, kept_similarity, capped_buckets, capped_texts


def _among(codes: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Whether each of ``codes`` is in the sorted array ``found`` (a binary search each: no
    sort of ``found`` per call, as ``np.isin`` would do)."""
    if not len(found):
        return np.zeros(len(codes), dtype=bool)
    at = np.minimum(np.searchsorted(found, codes), len(found) - 1)
    return found[at] == codes


def _estimate(signatures: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The MinHash estimate of each pair's similarity (the share of equal signature values)."""
    similarity = np.empty(len(a), dtype=np.float32)
    for low in range(0, len(a), _ESTIMATED_AT_ONCE):  # bounded memory: two gathered blocks
        high = low + _ESTIMATED_AT_ONCE
        similarity[low:high] = np.count_nonzero(
            signatures[a[low:high]] == signatures[b[low:high]], axis=1) / NUM_PERM
    return similarity


def _expanded(fingerprints, distinct_of, distinct_a, distinct_b, similarity, same_group, cap,
              capped_buckets, capped_texts) -> Pairs:
    """Pairs of distinct texts → pairs of passages (every holder of each text), across
    documents, sorted by (a, b); a text held by more than ``cap`` passages makes no pairs."""
    order = np.argsort(distinct_of, kind="stable")  # passages grouped by their text
    holders = np.bincount(distinct_of)
    bounds = np.concatenate(([0], np.cumsum(holders)))
    docs = fingerprints.passage_docs
    passages = np.int64(len(docs))
    if passages >= 1 << 27:  # a · passages + b must leave 8 bits of an int64 free
        raise ValueError("too many passages to pack a pair into 64 bits")
    found = []

    def keep(a, b, similarity):
        a, b = np.minimum(a, b), np.maximum(a, b)
        wanted = docs[a] != docs[b]
        if same_group is not None:
            wanted &= same_group[docs[a]] != same_group[docs[b]]
        equal = np.rint(np.broadcast_to(similarity, a.shape)[wanted] * NUM_PERM).astype(np.int64)
        found.append(((a[wanted].astype(np.int64) * passages + b[wanted]) << 8) | equal)

    # Pairs of distinct texts: every holder of one with every holder of the other.
    allowed = (holders[distinct_a] <= cap) & (holders[distinct_b] <= cap)
    distinct_a, distinct_b, similarity = distinct_a[allowed], distinct_b[allowed], similarity[allowed]
    sizes = holders[distinct_a] * holders[distinct_b]
    ends = np.cumsum(sizes)
    low = 0
    while low < len(sizes):  # chunks of about _PAIRS_AT_ONCE passage pairs
        high = max(low + 1, int(np.searchsorted(ends, (ends[low - 1] if low else 0)
                                                + _PAIRS_AT_ONCE, side="right")))
        pair = np.repeat(np.arange(low, high), sizes[low:high])
        within = np.arange(len(pair)) - np.repeat(ends[low:high] - sizes[low:high]
                                                  - (ends[low - 1] if low else 0), sizes[low:high])
        across = holders[distinct_b[pair]]
        keep(order[bounds[distinct_a[pair]] + within // across],
             order[bounds[distinct_b[pair]] + within % across], similarity[pair])
        low = high
    # One text held by several passages: identical passages, similarity 1.
    for size in np.unique(holders[(holders > 1) & (holders <= cap)]).tolist():
        left, right = np.triu_indices(size, 1)
        texts = np.flatnonzero(holders == size)
        step = max(1, _PAIRS_AT_ONCE // len(left))
        for start in range(0, len(texts), step):
            members = order[bounds[texts[start:start + step], None] + np.arange(size)]
            keep(members[:, left].ravel(), members[:, right].ravel(), 1.0)
    packed = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    found.clear()
    packed.sort()
    return Pairs(packed, int(passages), capped_buckets, capped_texts,
                 int(np.count_nonzero(holders > cap)))


# ---------------------------------------------------------------- stored per generation

def build(folder: Path, fingerprints: Fingerprints, records: dict[str, dict],
          same_group: np.ndarray) -> None:
    """Find and store every passage's neighbours (earliest document first) in a build folder."""
    lists = neighbour_lists(fingerprints, records, same_group)
    temporary = Path(folder) / (".tmp-" + FILE)
    with open(temporary, "wb") as handle:
        np.savez(handle, version=VERSION, threshold=THRESHOLD, offsets=lists.offsets,
                 neighbours=lists.neighbours, similarity=lists.similarity,
                 bucket_cap=BUCKET_CAP, capped_buckets=lists.capped_buckets,
                 capped_texts=lists.capped_texts, capped_holders=lists.capped_holders)
    os.replace(temporary, Path(folder) / FILE)


class NeighbourLists(NamedTuple):
    """Every passage's neighbours as CSR arrays (what every backend stores): passage i's are
    ``neighbours[offsets[i]:offsets[i + 1]]`` (passage numbers, earliest document first) with
    their ``similarity`` (rounded to 3 places); and what the bucket cap left out."""

    offsets: np.ndarray
    neighbours: np.ndarray
    similarity: np.ndarray
    capped_buckets: int
    capped_texts: int
    capped_holders: int


def neighbour_lists(fingerprints: Fingerprints, records: dict[str, dict],
                    same_group: np.ndarray) -> NeighbourLists:
    """Every passage's neighbours, earliest document first (``NeighbourLists``)."""
    pairs = find_pairs(fingerprints, THRESHOLD, same_group)
    count = pairs.passages or 1
    capped = (pairs.capped_buckets, pairs.capped_texts, pairs.capped_holders)
    chronology = _chronology(fingerprints.doc_ids, records)
    # Each passage's place in time (its document's, then its paragraph number): sorting each
    # passage's neighbours earliest first is then one sort of one int64 per (owner, neighbour),
    # (owner · passages + place of the neighbour) << 8 | equal values — 16 bytes a pair, made
    # in chunks beside the pairs' 8, and read out in chunks (3.6 GB for 115 M pairs).
    in_time = np.lexsort((fingerprints.passage_paras, chronology[fingerprints.passage_docs]))
    place = np.empty(len(in_time), dtype=np.int64)
    place[in_time] = np.arange(len(in_time))
    half = len(pairs.packed)
    entries = np.empty(2 * half, dtype=np.int64)
    packed = None
    for low in range(0, half, _PAIRS_AT_ONCE):
        packed = pairs.packed[low:low + _PAIRS_AT_ONCE]
        a, b = (packed >> 8) // count, (packed >> 8) % count
        equal = packed & 0xFF
        entries[low:low + len(packed)] = ((a * count + place[b]) << 8) | equal
        entries[half + low:half + low + len(packed)] = ((b * count + place[a]) << 8) | equal
    del pairs, packed
    entries.sort()
    offsets = np.searchsorted(entries, (np.arange(len(in_time) + 1, dtype=np.int64) * count) << 8)
    other = np.empty(len(entries), dtype=np.int32)
    both = np.empty(len(entries), dtype=np.float32)
    for low in range(0, len(entries), _PAIRS_AT_ONCE):
        chunk = entries[low:low + _PAIRS_AT_ONCE]
        other[low:low + len(chunk)] = in_time[(chunk >> 8) % count]
        both[low:low + len(chunk)] = np.round(((chunk & 0xFF) / NUM_PERM).astype(np.float32), 3)
    del entries
    return NeighbourLists(offsets.astype(np.int64), other, both, *capped)


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
