"""Duplicate documents: copies of one text (a notice as a page and as its Word or PDF
attachment, a report from two sites) form a group, and search shows each group once.

Two documents are copies when they carry the same 文号 under titles naming the same document, or when their texts are the same but
for text added to one of them: folded and stripped of spaces and punctuation, at least COVER of
each text's 8-character shingles occur in the other, and at most one of the two has unmatched
text outside its first and last tenth (headers, page furniture, a photo caption or page numbers in one copy do not
matter; one article changed in a regulation leaves unmatched text in both versions — a
revision is a document of its own). Two documents dated more than VERSION_DAYS apart are never
copies: a regulation revised by inserting one sentence (计量法实施细则 of 2018 and of 2022) passes the
text test, but each revision is a document a reader must find. Candidates come from datasketch's MinHash LSH over the
documents' shingle signatures; every candidate is checked that way.

The best-formed copy of a group is shown: a text layer over OCR (a copy with recognised
paragraphs comes after every copy without), then Word over OFD over PDF over plain text over a web
page's extraction, then the cleanest (fewest repeated blocks, junk characters and characters
the other copies lack, i.e. page furniture), then the longest. The others are the group's
hidden copies: data any backend can apply (a set of doc_ids to leave out of hits and facets,
and each shown document's list of copies).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.analysis import normalize
from indexer.relations import fingerprints as fp_module
from indexer.relations.fingerprints import (DOCUMENT_SHINGLE, NUM_PERM, SCHEME, SEED,
                                            Fingerprints)

VERSION = 1
FILE = "echoes-duplicates.json"
COVER = 0.97  # true copies on ../shared score ≥ 0.98; a supplement adding two sentences 0.95
JOIN = DOCUMENT_SHINGLE - 1  # shingles spanning the place where one copy has text added
EDGE = 0.1  # the head and tail of a text, where copies differ by headers and furniture
VERSION_DAYS = 31  # a page published some days after the document it carries is still a copy
CANDIDATE_SIMILARITY = 0.5  # LSH threshold on the document signatures (copies are far above)
FORMATS = {  # suffix → (preference, what a reader calls it); lower is better
    ".docx": (0, "Word"), ".doc": (0, "Word"), ".wps": (0, "WPS"), ".ofd": (1, "OFD"),
    ".pdf": (2, "PDF"), ".txt": (3, "文本"), ".md": (3, "文本"), ".html": (4, "网页"),
    ".htm": (4, "网页"), ".shtml": (4, "网页"),
}
_SPACE = re.compile(r"\s+")


def format_of(source: str) -> tuple[int, str]:
    """(preference, name) of a document's file format, from its file name."""
    suffix = os.path.splitext(source or "")[1].lower()
    return FORMATS.get(suffix, (5, suffix.lstrip(".").upper() or "文件"))


def same_text(a: str, b: str) -> bool:
    """Whether two comparable texts are copies: at least COVER of each one's shingles occur in
    the other, and what differs is text added to one of them (furniture, a caption, page
    numbers), not text replaced in both (a changed article): at most one of the two has an
    unmatched stretch away from its ends longer than the JOIN shingles spanning an insertion."""
    (share_a, inner_a), (share_b, inner_b) = _unmatched(a, b), _unmatched(b, a)
    return share_a >= COVER and share_b >= COVER and min(inner_a, inner_b) <= JOIN


def _unmatched(text: str, other: str) -> tuple[float, int]:
    """(the share of ``text``'s shingles that occur in ``other``, the longest run of those that
    do not, outside the first and last EDGE of the text: headers and footers)."""
    mine = fp_module.shingle_sequence(text, DOCUMENT_SHINGLE)
    theirs = fp_module.shingle_sequence(other, DOCUMENT_SHINGLE)
    if not len(mine) or not len(theirs):
        return (1.0, 0) if text == other else (0.0, len(mine))
    found = np.isin(mine, theirs)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], found.astype(np.int8), [1]))))
    starts, ends = edges[::2], edges[1::2]  # runs of unmatched shingles
    inner = (starts > EDGE * len(mine)) & (ends < (1 - EDGE) * len(mine))
    longest = int((ends[inner] - starts[inner]).max()) if inner.any() else 0
    return float(found.mean()), longest


def find_groups(paragraphs_of, fingerprints: Fingerprints, records: dict[str, dict],
                recognised=None) -> list[dict]:
    """Every group of two or more copies: {"documents": best first, "why": {doc_id: reason}};
    texts are read with ``paragraphs_of`` (``fingerprints.compute_from``), from either backend;
    ``recognised(doc_ids)`` names those of ``doc_ids`` with paragraphs read by OCR."""
    doc_ids = fingerprints.doc_ids
    parent = list(range(len(doc_ids)))
    reasons: dict[tuple[int, int], str] = {}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int, why: str) -> None:
        reasons[(min(a, b), max(a, b))] = why
        parent[root(a)] = root(b)

    by_number: dict[str, list[int]] = {}
    for number, doc_id in enumerate(doc_ids):
        doc_number = _SPACE.sub("", normalize(records.get(doc_id, {}).get("doc_number") or ""))
        if not doc_number:
            continue
        # A 文号 read from a document's body can be one it cites (a 决定 listing what it
        # repeals): the same number makes copies only when the titles name the same document.
        for other in by_number.setdefault(doc_number, []):
            first, second = records.get(doc_ids[other], {}), records.get(doc_id, {})
            if _same_title(first, second) and not _dated_apart(first, second):
                join(other, number, "same_doc_number")
                break
        by_number[doc_number].append(number)
    texts: dict[int, str] = {}

    def text(number: int) -> str:
        if number not in texts:
            texts[number] = fp_module.document_text(paragraphs_of, doc_ids[number])
        return texts[number]

    extra = np.zeros(len(doc_ids), dtype=np.int64)  # characters the other copy lacks
    for a, b in _candidates(fingerprints):
        if (root(a) != root(b) and not _dated_apart(records.get(doc_ids[a], {}),
                                                    records.get(doc_ids[b], {}))
                and same_text(text(a), text(b))):
            join(a, b, "same_text")
            for one, other in ((a, b), (b, a)):
                share = _unmatched(text(one), text(other))[0]
                extra[one] = max(extra[one], round((1 - share) * len(text(one))))
    members: dict[int, list[int]] = {}
    for number in range(len(doc_ids)):
        members.setdefault(root(number), []).append(number)
    grouped = [held for held in members.values() if len(held) >= 2]
    by_ocr = set(recognised({doc_ids[n] for held in grouped for n in held})) \
        if recognised and grouped else set()
    groups = []
    for held in grouped:
        ranked = sorted(held, key=lambda n: _preference(fingerprints, records, extra, by_ocr, n))
        why = {}
        for n in ranked[1:]:
            found = [r for (x, y), r in reasons.items() if n in (x, y)]
            why[doc_ids[n]] = found[0] if found else "same_text"
        groups.append({"documents": [doc_ids[n] for n in ranked], "why": why,
                       "sources": {doc_ids[n]: records.get(doc_ids[n], {}).get("source", "")
                                   for n in ranked}})
    groups.sort(key=lambda g: g["documents"][0])
    return groups


def _candidates(fingerprints: Fingerprints) -> list[tuple[int, int]]:
    """Pairs of documents whose signatures are similar enough to be worth checking."""
    from datasketch import LeanMinHash, MinHashLSH  # build time only (scipy: slow to import)
    signatures = fingerprints.doc_signatures
    lsh = MinHashLSH(threshold=CANDIDATE_SIMILARITY, num_perm=NUM_PERM)
    sketches = [LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME) for values in signatures]
    with lsh.insertion_session() as session:
        for number, sketch in enumerate(sketches):
            if fingerprints.doc_lengths[number]:
                session.insert(number, sketch, check_duplication=False)
    pairs = []
    for number, sketch in enumerate(sketches):
        if fingerprints.doc_lengths[number]:
            pairs += [(number, other) for other in lsh.query(sketch) if other > number]
    return sorted(pairs)


def _preference(fingerprints: Fingerprints, records: dict[str, dict], extra: np.ndarray,
                by_ocr: set[str], number: int) -> tuple:
    """Sort key of a copy, best first: a text layer (not in ``by_ocr``), then format, then
    defects (repeated blocks, junk characters, text beyond the body the copies share: page
    furniture), then length."""
    doc_id = fingerprints.doc_ids[number]
    source = records.get(doc_id, {}).get("source", "")
    return (doc_id in by_ocr, format_of(source)[0], int(fingerprints.doc_defects[number]) + int(extra[number]),
            -int(fingerprints.doc_lengths[number]), source, doc_id)


def build(folder: Path, searcher, fingerprints: Fingerprints, records: dict[str, dict]
          ) -> list[dict]:
    """Find the groups of copies and store them in a build folder; returns them."""
    paragraphs_of = fp_module.whoosh_paragraphs(searcher)
    groups = find_groups(paragraphs_of, fingerprints, records,
                         lambda doc_ids: recognised_documents(searcher, doc_ids))
    temporary = Path(folder) / (".tmp-" + FILE)
    temporary.write_text(json.dumps({"version": VERSION, "groups": groups}, ensure_ascii=False),
                         encoding="utf-8")
    os.replace(temporary, Path(folder) / FILE)
    return groups


def recognised_documents(searcher, doc_ids: set[str]) -> set[str]:
    """Those of ``doc_ids`` with a paragraph read by OCR, in a Whoosh searcher."""
    return {doc_id for doc_id in doc_ids
            if any(stored.get("ocr") for stored in searcher.documents(doc_id=doc_id))}


def group_numbers(doc_ids: list[str], groups: list[dict]) -> np.ndarray:
    """Per document (in ``doc_ids`` order): a group number shared by copies, unique otherwise."""
    numbers = np.arange(len(doc_ids))
    index = {doc_id: number for number, doc_id in enumerate(doc_ids)}
    for group in groups:
        first = index[group["documents"][0]]
        for doc_id in group["documents"]:
            numbers[index[doc_id]] = first
    return numbers


@dataclass(frozen=True)
class Copies:
    """The duplicate groups of one generation, as search applies them."""

    groups: tuple = ()
    group_of: dict = field(default_factory=dict)  # doc_id → its group (a dict of the file)
    hidden: frozenset = frozenset()               # every copy but each group's best

    def others(self, doc_id: str) -> list[str]:
        """The other copies of ``doc_id``'s group, best first ([] when it has none)."""
        group = self.group_of.get(doc_id)
        return [d for d in group["documents"] if d != doc_id] if group else []


def copies_of(groups) -> Copies:
    """The ``Copies`` of a list of groups (as ``find_groups`` returns them)."""
    groups = tuple(groups)
    return Copies(groups, {d: g for g in groups for d in g["documents"]},
                  frozenset(d for g in groups for d in g["documents"][1:]))


_loaded: "OrderedDict[str, Copies]" = OrderedDict()
_loaded_lock = threading.Lock()


def load(generation: Path) -> Copies:
    """The duplicate groups of a generation (none if it was built without them); read once."""
    key = str(generation)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key]
    copies = Copies()
    path = Path(generation) / FILE
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("version") == VERSION:
            copies = copies_of(saved["groups"])
    with _loaded_lock:
        _loaded[key] = copies
        while len(_loaded) > 2:
            _loaded.popitem(last=False)
    return copies


def describe(copies: Copies, doc_ids: list[str], records: dict[str, dict]) -> list[dict]:
    """doc_id, title, format and source of each of ``doc_ids`` (for "另有 N 份相同文件")."""
    described = []
    for doc_id in doc_ids:
        source = copies.group_of[doc_id]["sources"].get(doc_id, "")
        described.append({"doc_id": doc_id, "title": records.get(doc_id, {}).get("title", ""),
                          "format": format_of(source)[1], "source": source})
    return described


def _same_title(a: dict, b: dict) -> bool:
    """Whether two documents' titles name the same document (folded; one may hold the other)."""
    first = _SPACE.sub("", normalize(a.get("title") or ""))
    second = _SPACE.sub("", normalize(b.get("title") or ""))
    return bool(first and second) and (first in second or second in first)


def _dated_apart(a: dict, b: dict) -> bool:
    """Whether two documents carry dates more than VERSION_DAYS apart (two versions)."""
    try:
        first, second = (_dt.date.fromisoformat(r.get("date") or "") for r in (a, b))
    except ValueError:
        return False  # an undated copy (a page without its date) may still be a copy
    return abs((first - second).days) > VERSION_DAYS
