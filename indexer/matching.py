"""Matching and ranking on posting arrays: exact hit sets, counts, facets and top-k scores.

Whoosh's matchers walk postings one at a time in Python (~1.5 µs a posting, several seconds
for 的 over 380 k paragraphs). Here posting lists are read a block at a time into NumPy arrays
and combined with sorted-array set algebra, the same way ``query.py`` defines a match:

    term   = literal(term) ∪ ⋂ words(term)          (a quoted or exact term: literal only)
    group  = ⋃ alternatives
    query  = ⋂ groups − ⋃ literal(excluded) [∩ filter]

and every matching paragraph is scored with Whoosh's own BM25F formula (the same numbers its
``BM25F`` weighting gives; a test compares them) plus ``LITERAL_BONUS`` per term it contains
literally, so literal matches rank first. Phrases longer than two characters are verified with
Whoosh's phrase matcher on the candidates the bigram arrays leave.

This reads the posting-block and column internals of Whoosh's W3 codec (``whoosh-reloaded``
is pinned to the version these were written against).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from .analysis import literal_grams
from .query import LITERAL_BONUS, SECTION_BOOST, TITLE_BOOST, ParsedQuery

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
SCORED_FIELDS = (("text", 1.0), ("title", TITLE_BOOST), ("section", SECTION_BOOST))
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
EMPTY = np.empty(0, dtype=np.int64)
CACHED_POSTINGS = 2_000_000  # posting entries kept per searcher (16 MB): repeated terms are free


@dataclass
class Matches:
    """The paragraphs a query matched, and what ranking needs to know about them."""

    ids: np.ndarray                 # sorted document numbers
    literal_counts: np.ndarray      # per id: how many positive terms it contains literally


def match(searcher, parsed: ParsedQuery, filter_query: wq.Query | None = None) -> Matches:
    """Every paragraph matching ``parsed`` (and ``filter_query``), exactly."""
    postings = Postings.of(searcher)
    words_mode = parsed.mode == "words"
    matched = None
    literals = []
    for alternatives in parsed.groups:
        group = EMPTY
        for term in alternatives:
            literal = postings.literal(term.literal)
            literals.append(literal)
            group = _union(group, literal)
            if words_mode and not term.phrase and term.words \
                    and list(term.words) != [term.literal]:
                group = _union(group, postings.all_words(term.words))
        matched = group if matched is None else np.intersect1d(matched, group, assume_unique=True)
    for term in parsed.excluded:
        matched = np.setdiff1d(matched, postings.literal(term.literal), assume_unique=True)
    if filter_query is not None and len(matched):
        matched = np.intersect1d(matched, postings.query(filter_query), assume_unique=True)
    counts = np.zeros(len(matched), dtype=np.int64)
    for literal in literals:
        counts += np.isin(matched, literal, assume_unique=True)
    return Matches(matched, counts)


def rank(searcher, parsed: ParsedQuery, matches: Matches, limit: int,
         newest_first: bool = False) -> list[tuple[int, float]]:
    """The best ``limit`` (document number, score) pairs, best first (newest first if asked)."""
    if not len(matches.ids) or limit < 1:
        return []
    postings = Postings.of(searcher)
    scores = matches.literal_counts * LITERAL_BONUS + _bm25f(postings, parsed, matches.ids)
    if newest_first:
        order = np.lexsort((matches.ids, -scores, -postings.years()[matches.ids]))[:limit]
    else:
        top = np.arange(len(scores))
        if limit < len(scores):  # keep everything tied with the last place: pages stay stable
            threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            top = np.flatnonzero(scores >= threshold)
        order = top[np.lexsort((matches.ids[top], -scores[top]))][:limit]
    return [(int(matches.ids[i]), float(scores[i])) for i in order]


def facet_counts(searcher, matches: Matches) -> dict[str, int]:
    """How many matching paragraphs each document has."""
    postings = Postings.of(searcher)
    codes, names = postings.doc_codes()
    counts = np.bincount(codes[matches.ids], minlength=len(names))
    return {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union of two sorted unique arrays, sorted and unique."""
    if not len(a):
        return b
    if not len(b):
        return a
    merged = np.sort(np.concatenate((a, b)))
    return merged[np.concatenate(([True], merged[1:] != merged[:-1]))]


def _bm25f(postings: "Postings", parsed: ParsedQuery, ids: np.ndarray) -> np.ndarray:
    scores = np.zeros(len(ids), dtype=np.float64)
    for word in dict.fromkeys(parsed.tokens):
        for field, boost in SCORED_FIELDS:
            term_ids, frequencies = postings.frequencies(field, word)
            if not len(term_ids):
                continue
            where = np.searchsorted(term_ids, ids)
            where[where == len(term_ids)] = 0
            present = term_ids[where] == ids
            if not present.any():
                continue
            tf = frequencies[where[present]]
            lengths = postings.lengths(field)[ids[present]]
            norm = (1 - B) + B * lengths / postings.average_length(field)
            idf = postings.idf(field, word)
            scores[present] += boost * idf * (tf * (K1 + 1)) / (tf + K1 * norm)
    return scores


class Postings:
    """Posting arrays and per-document columns of one searcher, read once and cached."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.leaves = searcher.leaf_searchers()
        self.size = searcher.reader().doc_count_all()
        self._ids = _BoundedCache(CACHED_POSTINGS)
        self._frequencies = _BoundedCache(CACHED_POSTINGS)
        self._columns: dict[str, object] = {}
        self._decode_positions = _positions_decoder(searcher.schema["grams"].format)

    @classmethod
    def of(cls, searcher) -> "Postings":
        """The cache attached to ``searcher`` (each thread has its own searcher)."""
        cache = getattr(searcher, "_policy_postings", None)
        if cache is None:
            cache = searcher._policy_postings = cls(searcher)
        return cache

    # ---------------------------------------------------------------- document number sets

    def term(self, field: str, text: str) -> np.ndarray:
        """Sorted document numbers containing ``text`` in ``field`` (deletions removed)."""
        key = (field, text)
        ids = self._ids.get(key)
        if ids is None:
            ids = self._ids.put(key, self._read(field, text, with_frequencies=False)[0])
        return ids

    def literal(self, literal: str) -> np.ndarray:
        """Paragraphs whose normalised text contains ``literal``."""
        grams = literal_grams(literal)
        if len(grams) == 1:
            return self.term("grams", grams[0])
        cached = self._ids.get(("literal", literal))
        if cached is not None:
            return cached
        candidates = None
        for gram in sorted(set(grams), key=lambda g: len(self.term("grams", g))):
            ids = self.term("grams", gram)
            candidates = ids if candidates is None else \
                np.intersect1d(candidates, ids, assume_unique=True)
            if not len(candidates):
                return EMPTY
        return self._ids.put(("literal", literal), self._adjacent(grams, candidates))

    def _adjacent(self, grams: list[str], candidates: np.ndarray) -> np.ndarray:
        """The candidates where the grams stand at consecutive positions (the phrase occurs).

        Bigrams at offsets 0, 2, 4, … and the last one cover every character of the phrase,
        so checking those is enough; positions are decoded only for candidate paragraphs.
        """
        cover = sorted(set(range(0, len(grams), 2)) | {len(grams) - 1})
        positions = [self._positions(grams[offset], candidates) for offset in cover]
        keep = [docnum for i, docnum in enumerate(candidates.tolist())
                if any(all(start + offset in found[i] for offset, found in
                           zip(cover[1:], positions[1:])) for start in positions[0][i])]
        return np.array(keep, dtype=np.int64)

    def _positions(self, gram: str, candidates: np.ndarray) -> list[frozenset]:
        """For each candidate: the positions of ``gram`` in it (candidates must contain it)."""
        decode = self._decode_positions
        found: list[frozenset] = [frozenset()] * len(candidates)
        for leaf, offset in self.leaves:
            local = candidates - offset
            for ids, values in _blocks(leaf, "grams", gram, local):
                where = np.searchsorted(local, ids)
                inside = (where < len(local))
                hits = np.flatnonzero(inside & (local[np.minimum(where, len(local) - 1)] == ids))
                for k in hits.tolist():
                    found[int(where[k])] = decode(values[k])
        return found

    def all_words(self, words) -> np.ndarray:
        """Paragraphs containing every one of ``words`` (text field)."""
        result = None
        for word in dict.fromkeys(words):
            ids = self.term("text", word)
            result = ids if result is None else np.intersect1d(result, ids, assume_unique=True)
            if not len(result):
                break
        return result

    def query(self, query: wq.Query) -> np.ndarray:
        """Sorted document numbers matching a Whoosh query (used for phrases and filters)."""
        ids = np.fromiter(query.matcher(self.searcher).all_ids(), dtype=np.int64)
        return np.unique(ids)

    # ---------------------------------------------------------------- scoring statistics

    def frequencies(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, term frequencies) of ``text`` in ``field``."""
        key = (field, text)
        postings = self._frequencies.get(key)
        if postings is None:
            postings = self._frequencies.put(key, self._read(field, text, with_frequencies=True))
        return postings

    def idf(self, field: str, text: str) -> float:
        """Whoosh's inverse document frequency."""
        return math.log(self.searcher.doc_count_all()
                        / (self.searcher.doc_frequency(field, text) + 1)) + 1

    def average_length(self, field: str) -> float:
        """Average length of ``field`` over the documents that have it (as Whoosh computes it)."""
        return self.searcher.avg_field_length(field) or 1.0

    def lengths(self, field: str) -> np.ndarray:
        """Per document: the length of ``field`` as Whoosh's length column records it."""
        key = "len:" + field
        if key not in self._columns:
            parts = []
            for leaf, _ in self.leaves:
                reader = leaf.reader()
                count = reader.doc_count_all()
                raw = _length_bytes(reader, field, count)
                parts.append(_LENGTH_OF_BYTE[np.frombuffer(raw, dtype=np.uint8)])
            self._columns[key] = np.concatenate(parts) if parts else np.zeros(0)
        return self._columns[key]

    def years(self) -> np.ndarray:
        """Per document: its year (0 when unknown)."""
        if "year" not in self._columns:
            self._columns["year"] = np.array([v or 0 for v in self._column("year", 0)],
                                             dtype=np.int64)
        return self._columns["year"]

    def doc_codes(self) -> tuple[np.ndarray, list[str]]:
        """Per document: a small integer standing for its doc_id, and the ids in code order."""
        if "doc" not in self._columns:
            names: dict[str, int] = {}
            codes = np.array([names.setdefault(v or "", len(names))
                              for v in self._column("doc_id", "")], dtype=np.int64)
            self._columns["doc"] = (codes, list(names))
        return self._columns["doc"]

    def _column(self, field: str, missing) -> list:
        # Per segment, padded: a segment without the column (the metadata record's) has none.
        values = []
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            count = reader.doc_count_all()
            part = list(reader.column_reader(field)) if reader.has_column(field) else []
            values.extend(part[:count] + [missing] * (count - len(part)))
        return values

    # ---------------------------------------------------------------- reading postings

    def _read(self, field: str, text: str, with_frequencies: bool):
        id_parts, frequency_parts = [], []
        for leaf, offset in self.leaves:
            ids, frequencies = _leaf_postings(leaf, field, text, with_frequencies)
            if len(ids):
                id_parts.append(ids + offset)
                frequency_parts.append(frequencies)
        if not id_parts:
            return EMPTY, np.empty(0, dtype=np.float64)
        frequencies = np.concatenate(frequency_parts) if with_frequencies else None
        return np.concatenate(id_parts), frequencies


def _positions_decoder(format_):
    # Most grams occur once in a paragraph, so few distinct encodings recur: decode each once.
    @lru_cache(maxsize=65536)
    def decode(value: bytes) -> frozenset:
        return frozenset(format_.decode_positions(value))
    return decode


class _BoundedCache:
    """Least-recently-used arrays, bounded by their total number of entries."""

    def __init__(self, budget: int):
        self.budget = budget
        self.entries: OrderedDict = OrderedDict()
        self.size = 0

    def get(self, key):
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key, value):
        size = len(value[0]) if isinstance(value, tuple) else len(value)
        self.entries[key] = value
        self.size += size
        while self.size > self.budget and len(self.entries) > 1:
            _, old = self.entries.popitem(last=False)
            self.size -= len(old[0]) if isinstance(old, tuple) else len(old)
        return value


def _open(leaf, field, text):
    """(matcher without deletion filtering, deleted document numbers) or (None, None)."""
    try:
        matcher = leaf.postings(field, text)
    except Exception:  # the term is not in this segment
        return None, None
    if isinstance(matcher, FilterMatcher):  # the segment has deletions: Whoosh filters them
        return matcher.child, np.fromiter(matcher._ids, dtype=np.int64)
    return matcher, None


def _blocks(leaf, field, text, wanted=None):
    """Yield (ids array, values) per posting block, skipping blocks without a wanted id."""
    matcher, _ = _open(leaf, field, text)
    if matcher is None:
        return
    if not hasattr(matcher, "_read_ids"):  # postings not stored in W3 blocks
        items = list(matcher.all_items())
        yield np.array([i for i, _ in items], dtype=np.int64), [v for _, v in items]
        return
    while matcher.is_active():
        if wanted is not None:
            first = np.searchsorted(wanted, matcher.block_min_id())
            if first == len(wanted) or wanted[first] > matcher.block_max_id():
                matcher._next_block()
                continue
        matcher._read_values()
        yield np.array(matcher._ids, dtype=np.int64), matcher._values
        matcher._next_block()


def _leaf_postings(leaf, field, text, with_frequencies):
    matcher, deleted = _open(leaf, field, text)
    if matcher is None:
        return EMPTY, None
    ids, frequencies = [], []
    if not hasattr(matcher, "_read_ids"):  # postings not stored in W3 blocks
        while matcher.is_active():
            ids.append(matcher.id())
            frequencies.append(matcher.weight())
            matcher.next()
    else:
        while matcher.is_active():
            matcher._read_ids()
            ids.extend(matcher._ids)
            if with_frequencies:
                matcher._read_weights()
                frequencies.extend(matcher._weights)
            matcher._next_block()
    ids = np.array(ids, dtype=np.int64)
    frequencies = np.array(frequencies, dtype=np.float64) if with_frequencies else None
    if deleted is not None and len(deleted):
        keep = ~np.isin(ids, deleted)
        ids = ids[keep]
        frequencies = frequencies[keep] if with_frequencies else None
    return ids, frequencies


def _length_bytes(reader, field: str, count: int) -> bytes:
    # The length column is one byte a document (Whoosh's length_to_byte); absent = 0.
    perdoc = reader._perdoc
    column = perdoc._cached_reader("_%s_len" % field, _lengths_column())
    if column is None:
        return bytes(count)
    raw = column._dbfile.get(column._basepos, min(column._count, count))
    return raw + bytes(count - len(raw))


def _lengths_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN
    return LENGTHS_COLUMN
