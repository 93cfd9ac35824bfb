"""Matching and ranking on posting arrays: exact hit sets, counts, facets and top-k scores.

Whoosh's matchers walk postings one at a time in Python (~1.5 µs a posting, several seconds
for 的 over 380 k paragraphs). Here posting lists are read a block at a time into NumPy arrays
and combined with sorted-array set algebra, the same way ``query.py`` defines a match:

    term   = literal(term) ∪ ⋂ words(term)          (a quoted or exact term: literal only)
    group  = ⋃ alternatives
    query  = ⋂ groups − ⋃ literal(excluded) [∩ filter]

and every matching paragraph is scored with Whoosh's own BM25F formula (the same numbers its
``BM25F`` weighting gives with these B and K1; a test compares them), plus the occurrences its
words miss inside longer dictionary words (``_literal_tf``). That word score then takes two
priors measured on the relevance benchmark: × (1 + LEAD_LIFT) where the terms stand in the
paragraph's first LEAD_CHARS characters (its topic sentence), × HEADING_PRIOR on a heading line
(``_best``). ``LITERAL_BONUS`` per term the paragraph contains literally comes on top, so
literal matches rank first. Phrases longer than two characters are verified with
Whoosh's phrase matcher on the candidates the bigram arrays leave.

This reads the posting-block and column internals of Whoosh's W3 codec (``whoosh-reloaded``
is pinned to the version these were written against).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from indexer.analysis import literal_grams
from indexer.embedded.arrays import ARRAY_FIELDS, SegmentArrays, arrays_path
from indexer.errors import IndexVersionError
from indexer.search.query import LITERAL_BONUS, SECTION_BOOST, TITLE_BOOST, ParsedQuery

B, K1 = 0.1, 1.2  # b far below Whoosh's 0.75: long, substantive paragraphs are not pushed down (tests/bench/relevance)
# A term within the first 20 characters of a paragraph that goes on (30 words or more) is
# usually in its topic sentence, "推动乡村建设提质升级。…": +20 % word score. A bare heading line
# keeps half its word score, so the paragraphs under it rank first. Both measured on
# tests/bench/relevance (README, "Relevance").
LEAD_LIFT, LEAD_CHARS, LEAD_MIN_LENGTH = 0.2, 20, 30
HEADING_PRIOR = 0.5
SCORED_FIELDS = (("text", 1.0), ("title", TITLE_BOOST), ("section", SECTION_BOOST))
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
EMPTY = np.empty(0, dtype=np.int64)
CACHED_POSTINGS = 4_000_000  # posting entries kept for the process (≤ 48 MB): repeats are free


@dataclass
class Matches:
    """The paragraphs a query matched, and what ranking needs to know about them."""

    ids: np.ndarray                 # sorted document numbers
    literal_counts: np.ndarray      # per id: how many positive terms it contains literally
    literals: tuple = ()            # per positive term (parsed.terms order): the sorted numbers
                                    # of the paragraphs containing it literally (matching or not)


def match(searcher, parsed: ParsedQuery, filter_query: wq.Query | None = None,
          within: np.ndarray | None = None) -> Matches:
    """Every paragraph matching ``parsed`` (and ``filter_query``), exactly.

    ``within`` (sorted document numbers, e.g. one document's paragraphs) restricts the
    answer to those, reading only the part of each posting list in their range.
    """
    postings = Postings.of(searcher)
    words_mode = parsed.mode == "words"
    matched = None
    literals = []
    for alternatives in parsed.groups:
        group = EMPTY
        for term in alternatives:
            literal = postings.literal(term.literal, within)
            literals.append(literal)
            group = _union(group, literal)
            if words_mode and not term.phrase and term.words \
                    and list(term.words) != [term.literal]:
                group = _union(group, postings.all_words(term.words, within))
        matched = group if matched is None else np.intersect1d(matched, group, assume_unique=True)
    if within is not None:
        matched = np.intersect1d(matched, within, assume_unique=True)
    for term in parsed.excluded:
        matched = np.setdiff1d(matched, postings.literal(term.literal, within),
                               assume_unique=True)
    if filter_query is not None and len(matched):
        matched = np.intersect1d(matched, postings.query(filter_query, searcher),
                                 assume_unique=True)
    counts = np.zeros(len(matched), dtype=np.int64)
    for literal in literals:
        counts += np.isin(matched, literal, assume_unique=True)
    return Matches(matched, counts, tuple(literals))


def rank(searcher, parsed: ParsedQuery, matches: Matches, limit: int,
         newest_first: bool = False) -> list[tuple[int, float]]:
    """The best ``limit`` (document number, score) pairs, best first (newest first if asked)."""
    if not len(matches.ids) or limit < 1:
        return []
    postings = Postings.of(searcher)
    bonus = matches.literal_counts * LITERAL_BONUS
    relevance = _bm25f(postings, parsed, matches.ids) + _literal_tf(postings, parsed, matches.ids)
    years = postings.years()[matches.ids] if newest_first else np.zeros(len(bonus), dtype=np.int64)
    reach = _in_reach(postings, parsed, matches.ids, bonus, relevance, years, limit)
    ids = matches.ids[reach]
    order, scores = _best(postings, ids, bonus[reach],
                          relevance[reach] * _lead(postings, parsed, ids), years[reach], limit)
    return [(int(ids[i]), float(scores[i])) for i in order]


def _lead(postings: "Postings", parsed: ParsedQuery, ids: np.ndarray) -> np.ndarray:
    """Per id: 1 + LEAD_LIFT × the share of terms occurring within its first LEAD_CHARS
    characters (none in paragraphs shorter than LEAD_MIN_LENGTH words)."""
    terms = list(dict.fromkeys(parsed.terms))
    share = np.zeros(len(ids), dtype=np.float64)
    for term in terms:
        share += postings.literal_firsts(term.literal, ids) < LEAD_CHARS
    share[postings.lengths("text")[ids] < LEAD_MIN_LENGTH] = 0
    return 1 + LEAD_LIFT * (share / max(len(terms), 1))  # never above 1 + LEAD_LIFT (_in_reach)


def _in_reach(postings: "Postings", parsed: ParsedQuery, ids: np.ndarray, bonus: np.ndarray,
              relevance: np.ndarray, years: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the paragraphs that can still reach the best ``limit`` once the priors
    apply: the priors (the lead needs each paragraph's term positions) are worked out for
    the best ``limit`` without them, whose lowest result is a floor the limit-th place cannot
    fall below; a paragraph whose score lifted by the whole LEAD_LIFT stays under it is out.
    """
    if len(ids) <= limit:
        return np.arange(len(ids))
    scores = bonus + relevance
    sample = np.lexsort((-scores, -years))[:limit]
    lifted = relevance[sample] * _lead(postings, parsed, ids[sample])
    final = bonus[sample] + np.where(postings.headings(ids[sample]), HEADING_PRIOR * lifted, lifted)
    last = np.lexsort((-final, -years[sample]))[-1]
    year, floor = years[sample][last], final[last]
    highest = bonus + relevance * (1 + LEAD_LIFT)
    return np.flatnonzero((years > year) | ((years == year) & (highest >= floor)))


def _best(postings: "Postings", ids: np.ndarray, bonus: np.ndarray, relevance: np.ndarray,
          years: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``ids`` of the best ``limit``, best first; every score), heading lines'
    word score × HEADING_PRIOR; ordered by year (all 0 for relevance order), then score, ties
    to the lower document number."""
    scores = bonus + np.where(postings.headings(ids), HEADING_PRIOR, 1.0) * relevance
    return np.lexsort((ids, -scores, -years))[:limit], scores


def facet_counts(searcher, matches: Matches) -> dict[str, int]:
    """How many matching paragraphs each document has."""
    postings = Postings.of(searcher)
    codes, names = postings.doc_codes()
    counts = np.bincount(codes[matches.ids], minlength=len(names))
    return {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}


def without_documents(searcher, matches: Matches, doc_ids: frozenset) -> Matches:
    """``matches`` without the paragraphs of ``doc_ids`` (the hidden copies of duplicate
    groups): hits, totals and facets then count each group once."""
    if not doc_ids or not len(matches.ids):
        return matches
    codes, names = Postings.of(searcher).doc_codes()
    hidden = np.fromiter((name in doc_ids for name in names), dtype=bool, count=len(names))
    keep = ~hidden[codes[matches.ids]]
    return Matches(matches.ids[keep], matches.literal_counts[keep], matches.literals)


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
            if not boost:
                continue
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


def _frequencies_of(term_ids: np.ndarray, frequencies: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Per id: its frequency in a posting list (0 where absent)."""
    tf = np.zeros(len(ids), dtype=np.float64)
    if len(term_ids):
        where = np.minimum(np.searchsorted(term_ids, ids), len(term_ids) - 1)
        present = term_ids[where] == ids
        tf[present] = frequencies[where[present]]
    return tf


def _saturation(tf: np.ndarray, norm: np.ndarray) -> np.ndarray:
    return tf * (K1 + 1) / (tf + K1 * norm)


def _literal_tf(postings: "Postings", parsed: ParsedQuery, ids: np.ndarray) -> np.ndarray:
    """What BM25F misses where a term's words are swallowed by a longer dictionary word.

    For each positive term: the text field's BM25 with tf = the literal occurrences of the term
    in the paragraph (df = the paragraphs containing it literally), minus the same with the
    term's word tf (the fewest occurrences of any of its words), where that is less. A paragraph
    whose words count every occurrence gets nothing here; 和美乡村建设 counts for 乡村建设.
    """
    scores = np.zeros(len(ids), dtype=np.float64)
    if not len(ids):
        return scores
    norm = (1 - B) + B * postings.lengths("text")[ids] / postings.average_length("text")
    for term in dict.fromkeys(parsed.terms):
        literal_tf = postings.literal_frequencies(term.literal, ids)
        if not literal_tf.any():
            continue
        word_tf = None
        for word in dict.fromkeys(term.words or (term.literal,)):
            tf = _frequencies_of(*postings.frequencies("text", word), ids)
            word_tf = tf if word_tf is None else np.minimum(word_tf, tf)
        missed = literal_tf > word_tf
        if not missed.any():
            continue
        df = len(postings.literal(term.literal))
        idf = math.log(postings.size / (df + 1)) + 1
        scores[missed] += idf * (_saturation(literal_tf[missed], norm[missed])
                                 - _saturation(word_tf[missed], norm[missed]))
    return scores


class Postings:
    """Posting arrays and per-document columns of one index version, shared by every thread.

    The arrays are the memory-mapped ``.arrays`` files of the version's segments (see
    ``arrays.py``); whole-list reads and phrase results are kept in one bounded cache for the
    process. Whoosh is still asked (under a lock, on a reader of its own) for the per-document
    columns and the scoring statistics, read once.
    """

    _versions: "OrderedDict[tuple, Postings]" = OrderedDict()
    _versions_lock = threading.Lock()
    KEPT_VERSIONS = 2  # the live version and the one a build just replaced

    def __init__(self, searcher):
        reader = searcher.reader()
        self.folder = _folder(reader)
        self._ix = whoosh_index.open_dir(self.folder)
        self._searcher = self._ix.searcher()  # private: Whoosh objects are not thread-safe
        self._lock = threading.RLock()
        self.segments = []  # (arrays, first document number, deleted local ids or None)
        for leaf, offset in self._searcher.leaf_searchers():
            leaf_reader = leaf.reader()
            path = arrays_path(self.folder, leaf_reader.segment())
            if not path.exists():
                raise IndexVersionError("the index was built by an older version without "
                                        "posting arrays: rebuild it with 'policy-search index "
                                        "--full'")
            deleted = None
            if leaf_reader.has_deletions():
                deleted = np.array(sorted(leaf_reader.segment().deleted_docs()), dtype=np.int64)
            self.segments.append((SegmentArrays(path), offset, deleted))
        self.size = self._searcher.doc_count_all()
        self._average_lengths = {field: self._searcher.avg_field_length(field) or 1.0
                                 for field, _ in SCORED_FIELDS}
        self._cache = _BoundedCache(CACHED_POSTINGS)
        self._columns: dict[str, object] = {}

    @classmethod
    def of(cls, searcher) -> "Postings":
        """The shared arrays of the index version ``searcher`` reads."""
        reader = searcher.reader()
        key = (_folder(reader), reader.generation())
        with cls._versions_lock:
            postings = cls._versions.get(key)
            if postings is None:
                postings = cls._versions[key] = cls(searcher)
                while len(cls._versions) > cls.KEPT_VERSIONS:
                    # not closed here: a request may still be reading it; the garbage
                    # collector closes its files and mappings when the last one lets go
                    cls._versions.popitem(last=False)
            else:
                cls._versions.move_to_end(key)
        return postings

    # ---------------------------------------------------------------- document number sets

    def term(self, field: str, text: str, within: np.ndarray | None = None) -> np.ndarray:
        """Sorted document numbers containing ``text`` in ``field`` (deletions removed).

        With ``within`` (sorted document numbers), only those inside its range are read.
        """
        if within is not None:
            return self._read(field, text, within)[0]
        key = ("term", field, text)
        ids = self._cache.get(key)
        if ids is None:
            ids = self._cache.put(key, self._read(field, text)[0])
        return ids

    def literal(self, literal: str, within: np.ndarray | None = None) -> np.ndarray:
        """Paragraphs whose normalised text contains ``literal``."""
        grams = literal_grams(literal)
        if len(grams) == 1:
            return self.term("grams", grams[0], within)
        if within is None:
            return self._phrase(literal)[0]
        candidates = self._candidates(grams, within)
        return self._adjacent(grams, candidates) if len(candidates) else EMPTY

    def _candidates(self, grams: list[str], within: np.ndarray | None) -> np.ndarray:
        """The paragraphs holding every gram of a phrase (rarest first)."""
        term_ids = {gram: self.term("grams", gram, within) for gram in set(grams)}
        candidates = None
        for gram in sorted(term_ids, key=lambda g: len(term_ids[g])):
            ids = term_ids[gram]
            candidates = ids if candidates is None else \
                np.intersect1d(candidates, ids, assume_unique=True)
            if not len(candidates):
                return EMPTY
        return candidates

    def _phrase(self, literal: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(paragraphs containing a phrase of 3+ characters, occurrences in each, first
        position in each), from one pass over the positions; cached for the index version
        (ranking asks for the counts and first positions of every hit on every call)."""
        # The hits of a literal in this index version, whatever the mode that asked: words
        # and exact mode share the entry (a benchmark's first calls must not repeat a text).
        key = ("phrase", literal)
        cached = self._cache.get(key)
        if cached is None:
            grams = literal_grams(literal)
            candidates = self._candidates(grams, None)
            starts = self._starts(grams, candidates) if len(candidates) else EMPTY
            owners, first_index, counts = np.unique(starts // _STRIDE, return_index=True,
                                                    return_counts=True)
            cached = self._cache.put(key, (candidates[owners], counts.astype(np.float64),
                                           starts[first_index] % _STRIDE))
        return cached

    def _adjacent(self, grams: list[str], candidates: np.ndarray) -> np.ndarray:
        """The candidates where the grams stand at consecutive positions (the phrase occurs).

        Bigrams at offsets 0, 2, 4, … and the last one cover every character of the phrase,
        so checking those is enough. Each (candidate, start position) pair is one integer
        ``candidate number × stride + start``; a phrase starts where every covering gram
        agrees on the start.
        """
        return candidates[np.unique(self._starts(grams, candidates) // _STRIDE)]

    def _starts(self, grams: list[str], candidates: np.ndarray) -> np.ndarray:
        """Every place the phrase starts, as ``candidate index × stride + position``."""
        starts = None
        for offset in sorted(set(range(0, len(grams), 2)) | {len(grams) - 1}):
            owner, positions = self.positions("grams", grams[offset], candidates)
            keys = np.unique(owner * _STRIDE + (positions - offset))
            starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
        return starts

    def literal_frequencies(self, literal: str, ids: np.ndarray) -> np.ndarray:
        """Per id (sorted document numbers): how often ``literal`` occurs in its normalised text."""
        counts = np.zeros(len(ids), dtype=np.float64)
        grams = literal_grams(literal)
        if not grams:
            return counts
        if len(grams) == 1:  # one gram: its term frequency is the count
            return _frequencies_of(*self.frequencies("grams", grams[0]), ids)
        return _frequencies_of(*self._phrase(literal)[:2], ids)

    def literal_firsts(self, literal: str, ids: np.ndarray) -> np.ndarray:
        """Per id (document numbers, in any order): where ``literal`` first occurs in its
        normalised text (``NOWHERE`` where it does not)."""
        firsts = np.full(len(ids), NOWHERE, dtype=np.int64)
        grams = literal_grams(literal)
        if not grams or not len(ids):
            return firsts
        if len(grams) > 1:
            found, _, first = self._phrase(literal)
            if len(found):
                where = np.minimum(np.searchsorted(found, ids), len(found) - 1)
                holds = found[where] == ids
                firsts[holds] = first[where[holds]]
            return firsts
        holders = self.term("grams", grams[0])
        inside = np.flatnonzero(_frequencies_of(holders, np.ones(len(holders)), ids))
        if len(inside):
            owners, positions = self.positions("grams", grams[0], ids[inside], first_only=True)
            firsts[inside[owners]] = positions
        return firsts

    def positions(self, field: str, text: str, candidates: np.ndarray, first_only: bool = False):
        """(candidate index, position) pairs, flat: every position of ``text`` in each
        candidate (candidates must contain it), or only the first with ``first_only``."""
        owners, found = [], []
        for arrays, offset, _ in self.segments:
            local = candidates - offset
            inside = np.flatnonzero((local >= 0) & (local < _MAX_LOCAL))
            if not len(inside):
                continue
            ids, weights, number = arrays.postings(field, text.encode("utf-8"))
            if not len(ids):
                continue
            where = np.searchsorted(ids, local[inside])
            where = np.minimum(where, len(ids) - 1)
            present = ids[where] == local[inside]
            inside, where = inside[present], where[present]
            counts = weights.astype(np.int64)
            ends = np.cumsum(counts) + int(arrays.fields[field]["position_starts"][number])
            lengths = counts[where]
            firsts = ends[where] - lengths
            if first_only:
                owners.append(inside)
                found.append(arrays.fields[field]["positions"][firsts].astype(np.int64))
                continue
            total = int(lengths.sum())
            flat = np.repeat(firsts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) \
                + np.arange(total)
            owners.append(np.repeat(inside, lengths))
            found.append(arrays.fields[field]["positions"][flat].astype(np.int64))
        if not owners:
            return EMPTY, EMPTY
        return np.concatenate(owners), np.concatenate(found)

    def all_words(self, words, within: np.ndarray | None = None) -> np.ndarray:
        """Paragraphs containing every one of ``words`` (text field)."""
        result = None
        for word in dict.fromkeys(words):
            ids = self.term("text", word, within)
            result = ids if result is None else np.intersect1d(result, ids, assume_unique=True)
            if not len(result):
                break
        return result

    def document_numbers(self, doc_id: str, kind: str) -> np.ndarray:
        """Sorted document numbers of the records of ``doc_id`` of one ``kind``."""
        records = self.term("doc_id", doc_id)
        if not len(records):
            return records
        return np.intersect1d(records, self.term("kind", kind, within=records),
                              assume_unique=True)

    def query(self, query: wq.Query, searcher) -> np.ndarray:
        """Sorted document numbers matching a Whoosh query (filters), read through ``searcher``."""
        if isinstance(query, wq.Term) and query.fieldname in ARRAY_FIELDS:
            return self.term(query.fieldname, query.text)
        if isinstance(query, wq.NumericRange) and query.fieldname == "year":
            years = self.years()
            keep = np.ones(len(years), dtype=bool)
            if query.start is not None:
                keep &= years >= query.start
            if query.end is not None:
                keep &= years <= query.end
            return np.flatnonzero(keep)
        if isinstance(query, wq.And):
            result = None
            for part in query.subqueries:
                ids = self.query(part, searcher)
                result = ids if result is None else \
                    np.intersect1d(result, ids, assume_unique=True)
            return result
        ids = np.fromiter(query.matcher(searcher).all_ids(), dtype=np.int64)
        return np.unique(ids)

    # ---------------------------------------------------------------- scoring statistics

    def frequencies(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, term frequencies) of ``text`` in ``field``."""
        key = ("frequencies", field, text)
        postings = self._cache.get(key)
        if postings is None:
            postings = self._cache.put(key, self._read(field, text))
        return postings

    def doc_frequency(self, field: str, text: str) -> int:
        """Postings of the term, deleted documents included (as Whoosh counts them)."""
        encoded = text.encode("utf-8")
        return sum(len(arrays.postings(field, encoded)[0]) for arrays, _, _ in self.segments)

    def idf(self, field: str, text: str) -> float:
        """Whoosh's inverse document frequency."""
        return math.log(self.size / (self.doc_frequency(field, text) + 1)) + 1

    def average_length(self, field: str) -> float:
        """Average length of ``field`` over all documents (as Whoosh computes it)."""
        return self._average_lengths[field]

    def lengths(self, field: str) -> np.ndarray:
        """Per document: the length of ``field`` as Whoosh's length column records it."""
        key = "len:" + field
        with self._lock:
            if key not in self._columns:
                parts = []
                for leaf, _ in self._searcher.leaf_searchers():
                    reader = leaf.reader()
                    raw = _length_bytes(reader, field, reader.doc_count_all())
                    parts.append(_LENGTH_OF_BYTE[np.frombuffer(raw, dtype=np.uint8)])
                self._columns[key] = np.concatenate(parts) if parts else np.zeros(0)
            return self._columns[key]

    def headings(self, numbers: np.ndarray) -> np.ndarray:
        """Per document number: whether it is a heading line (each segment's arrays list them)."""
        with self._lock:
            flags = self._columns.get("heading")
            if flags is None:
                flags = np.zeros(self.size, dtype=bool)
                for arrays, offset, _ in self.segments:
                    listed = arrays.fields.get("heading")
                    if listed is None:
                        raise IndexVersionError("the index was built by an older version without "
                                                "heading lists: rebuild it with 'policy-search "
                                                "index --full'")
                    flags[listed["ids"].astype(np.int64) + offset] = True
                self._columns["heading"] = flags
            return flags[numbers]

    def years(self) -> np.ndarray:
        """Per document: its year (0 when unknown)."""
        with self._lock:
            if "year" not in self._columns:
                self._columns["year"] = np.array([v or 0 for v in self._column("year", 0)],
                                                 dtype=np.int64)
            return self._columns["year"]

    def doc_codes(self) -> tuple[np.ndarray, list[str]]:
        """Per document: a small integer standing for its doc_id, and the ids in code order.

        Read from the doc_id postings (a few thousand terms), not from the stored column
        (one Python string per paragraph); records without a doc_id get the code of "".
        """
        with self._lock:
            if "doc" not in self._columns:
                names: dict[str, int] = {"": 0}
                codes = np.zeros(self.size, dtype=np.int64)
                for arrays, offset, _ in self.segments:
                    terms = arrays.terms("doc_id")
                    if not terms:
                        continue
                    columns = arrays.fields["doc_id"]
                    term_codes = np.array([names.setdefault(t.decode("utf-8"), len(names))
                                           for t in terms], dtype=np.int64)
                    per_posting = np.repeat(term_codes, np.diff(columns["starts"]))
                    codes[columns["ids"].astype(np.int64) + offset] = per_posting
                self._columns["doc"] = (codes, list(names))
            return self._columns["doc"]

    def _column(self, field: str, missing) -> list:
        # Per segment, padded: a segment without the column (the metadata record's) has none.
        values = []
        for leaf, offset in self._searcher.leaf_searchers():
            reader = leaf.reader()
            count = reader.doc_count_all()
            part = list(reader.column_reader(field)) if reader.has_column(field) else []
            values.extend(part[:count] + [missing] * (count - len(part)))
        return values

    # ---------------------------------------------------------------- reading postings

    def _read(self, field: str, text: str, within: np.ndarray | None = None):
        """(sorted document numbers, weights) of a term over every segment, deletions removed."""
        encoded = text.encode("utf-8")
        parts = []
        for arrays, offset, deleted in self.segments:
            ids, weights, _ = arrays.postings(field, encoded)
            if within is not None and len(ids):
                low, high = np.searchsorted(ids, (int(within[0]) - offset,
                                                  int(within[-1]) - offset + 1))
                ids, weights = ids[low:high], weights[low:high]
            if not len(ids):
                continue
            if deleted is not None:
                keep = ~np.isin(ids, deleted, assume_unique=True)
                ids, weights = ids[keep], weights[keep]
            parts.append((ids, weights, offset))
        # Each segment's mapped postings are copied once, straight into the answer's arrays
        # (widened and offset on the way): a common word's millions of postings cost one pass.
        total = sum(len(ids) for ids, _, _ in parts)
        all_ids, all_weights = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.float64)
        at = 0
        for ids, weights, offset in parts:
            np.add(ids, offset, out=all_ids[at:at + len(ids)], dtype=np.int64)
            all_weights[at:at + len(ids)] = weights
            at += len(ids)
        return all_ids, all_weights


_STRIDE = 1 << 32  # above any position: (candidate, position) pairs as one integer
NOWHERE = _STRIDE  # the first position of a literal a paragraph does not contain
_MAX_LOCAL = 1 << 31


def _folder(reader) -> str:
    """The generation folder a (multi-)reader reads from."""
    leaves = reader.leaf_readers()
    storage = leaves[0][0]._storage if leaves else reader._storage
    return str(getattr(storage, "folder", None) or storage._storage.folder)


class _BoundedCache:
    """Least-recently-used arrays, bounded by their total number of entries; thread-safe."""

    def __init__(self, budget: int):
        self.budget = budget
        self.entries: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value):
        size = len(value[0]) if isinstance(value, tuple) else len(value)
        with self.lock:
            if key not in self.entries:
                self.entries[key] = value
                self.size += size
            while self.size > self.budget and len(self.entries) > 1:
                _, old = self.entries.popitem(last=False)
                self.size -= len(old[0]) if isinstance(old, tuple) else len(old)
        return value


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
