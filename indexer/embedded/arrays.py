"""Posting arrays beside each Whoosh segment: a memory-mapped copy of its postings, and the
only home of the literal character grams.

Whoosh stays the index of record for words, stored paragraphs and BM25F statistics. Reading its
postings costs Python work on every first use of a term (each 128-posting block is unpickled
and decompressed, ≈2,000 blocks for 的), so the writer that writes a segment also writes
``<segment id>.arrays`` next to it, in the same generation folder (so the atomic swap and the
hard-linked incremental copies carry it, and Whoosh's own clean-up deletes it with its
segment): the word and id fields copied from the segment's Whoosh postings, the ``grams``
field, computed from the segment's stored paragraph texts (``grams.py``; a merge recomputes
it from the texts it copies), and ``heading``: one ``ids`` array, the heading lines' local
numbers (ranking reads it for every hit). Per field, terms sorted as Whoosh sorts them (by bytes):

    terms            uint8   the term bytes, concatenated
    term_offsets     int64   n + 1: where each term's bytes start
    starts           int64   n + 1: where each term's postings start
    ids              int32   segment-local document numbers, ascending per term
    weights          float32 Whoosh's posting weight (the term frequency)
    position_starts  int64   n + 1: where each term's positions start (positioned fields)
    positions        int32   each posting's positions, in posting order

A posting's positions are the next ``weight`` entries (a gram's weight is its number of
positions). The file is a JSON header followed by the arrays, each 8-byte aligned; readers map
it once and share the views between threads. ``tests/test_arrays.py`` checks every word array
against Whoosh's own postings and every gram against ``analysis.gram_terms`` of the stored text.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from array import array
from pathlib import Path

import numpy as np

MAGIC = b"POLICY-SEARCH-ARRAYS-1\n"
EXTENSION = ".arrays"
# The fields searched through arrays: words and grams, and the ids documents are found by.
ARRAY_FIELDS = ("doc_id", "grams", "kind", "section", "text", "title")
POSITIONED_FIELDS = ("grams",)
REMEMBERED_TERMS = 100_000  # term numbers remembered per segment (a dict entry each)


class ArrayWriter:
    """Collects one segment's postings, field by field in Whoosh's order, then writes them."""

    def __init__(self):
        self.fields: dict[str, dict[str, array | bytearray | np.ndarray]] = {}

    def add_field(self, fieldname: str, columns: dict[str, np.ndarray]) -> None:
        """Add a whole field's arrays at once (the character grams, see ``grams.py``)."""
        self.fields[fieldname] = columns

    def add_term(self, fieldname: str, term: bytes, ids, weights) -> None:
        """Add one term's postings (ids ascending) of a field without positions."""
        if fieldname not in ARRAY_FIELDS:
            return
        columns = self.fields.get(fieldname)
        if columns is None:
            columns = self.fields[fieldname] = {
                "terms": bytearray(), "term_offsets": array("q", [0]),
                "starts": array("q", [0]), "ids": array("i"), "weights": array("f")}
        columns["terms"] += term
        columns["term_offsets"].append(len(columns["terms"]))
        columns["ids"].extend(ids)
        columns["weights"].extend(weights)
        columns["starts"].append(len(columns["ids"]))

    def write(self, path: Path) -> None:
        """Write the collected arrays to ``path`` (through a temporary name, then fsync'd).

        Each column is written from its own buffer: collecting padded copies first would hold
        the segment's arrays twice at the moment a build worker's memory peaks."""
        header: dict[str, dict[str, list]] = {}
        columns_in_order = []
        offset = 0
        for fieldname, columns in sorted(self.fields.items()):
            header[fieldname] = {}
            for name, column in columns.items():
                if isinstance(column, np.ndarray):
                    column = np.ascontiguousarray(column)
                    dtype, size = column.dtype.name, column.nbytes
                elif isinstance(column, bytearray):
                    dtype, size = "uint8", len(column)
                else:
                    dtype, size = _DTYPES[column.typecode], len(column) * column.itemsize
                header[fieldname][name] = [offset, dtype, size // np.dtype(dtype).itemsize]
                padding = -size % 8
                columns_in_order.append((column, padding))
                offset += size + padding
        encoded = json.dumps(header).encode("utf-8")
        encoded += b" " * (-(len(MAGIC) + 8 + len(encoded)) % 8)
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "wb") as out:
            out.write(MAGIC + struct.pack("<Q", len(encoded)) + encoded)
            for column, padding in columns_in_order:
                out.write(memoryview(column).cast("B"))
                out.write(bytes(padding))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)


_DTYPES = {"q": "int64", "i": "int32", "f": "float32"}


class SegmentArrays:
    """The mapped arrays of one segment; safe to share between threads (read only).

    The mapping closes when the last array viewing it is garbage-collected.
    """

    def __init__(self, path: Path):
        with open(path, "rb") as source:
            self._map = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:len(MAGIC)] != MAGIC:
            raise ValueError(f"{path} is not a posting array file")
        (length,) = struct.unpack_from("<Q", self._map, len(MAGIC))
        base = len(MAGIC) + 8 + length
        header = json.loads(self._map[len(MAGIC) + 8:base])
        buffer = memoryview(self._map)
        self.fields = {
            fieldname: {name: np.frombuffer(buffer, dtype=dtype, count=count,
                                            offset=base + offset)
                        for name, (offset, dtype, count) in columns.items()}
            for fieldname, columns in header.items()}
        self._terms_at = {fieldname: base + columns["terms"][0]
                          for fieldname, columns in header.items() if "terms" in columns}
        self._numbers: dict[tuple[str, bytes], int] = {}  # looked-up terms (bounded)

    def term_number(self, fieldname: str, term: bytes) -> int:
        """The term's index in its field, or -1 (a binary search over the mapped terms)."""
        key = (fieldname, term)
        number = self._numbers.get(key)
        if number is None:
            if len(self._numbers) >= REMEMBERED_TERMS:
                self._numbers.clear()
            number = self._numbers[key] = self._search(fieldname, term)
        return number

    def _search(self, fieldname: str, term: bytes) -> int:
        columns = self.fields.get(fieldname)
        if columns is None:
            return -1
        data, at, offsets = self._map, self._terms_at[fieldname], columns["term_offsets"]
        low, high = 0, len(offsets) - 1
        while low < high:
            middle = (low + high) // 2
            if data[at + int(offsets[middle]):at + int(offsets[middle + 1])] < term:
                low = middle + 1
            else:
                high = middle
        if low < len(offsets) - 1 and \
                data[at + int(offsets[low]):at + int(offsets[low + 1])] == term:
            return low
        return -1

    def terms(self, fieldname: str) -> list[bytes]:
        """Every term of a field, in order (for fields with few terms, such as doc_id)."""
        columns = self.fields.get(fieldname)
        if columns is None:
            return []
        data, at = self._map, self._terms_at[fieldname]
        offsets = columns["term_offsets"].tolist()
        return [data[at + offsets[i]:at + offsets[i + 1]] for i in range(len(offsets) - 1)]

    def postings(self, fieldname: str, term: bytes) -> tuple[np.ndarray, np.ndarray, int]:
        """(local ids, weights, index of the first posting) of a term; empty if absent."""
        number = self.term_number(fieldname, term)
        if number < 0:
            return _NO_IDS, _NO_WEIGHTS, 0
        columns = self.fields[fieldname]
        start, end = int(columns["starts"][number]), int(columns["starts"][number + 1])
        return columns["ids"][start:end], columns["weights"][start:end], number

    def positions(self, fieldname: str, number: int, which: np.ndarray) -> list[np.ndarray]:
        """Positions of the term's postings at indexes ``which`` (relative to the term)."""
        columns = self.fields[fieldname]
        start, end = int(columns["starts"][number]), int(columns["starts"][number + 1])
        counts = columns["weights"][start:end].astype(np.int64)
        ends = np.cumsum(counts) + int(columns["position_starts"][number])
        flat = columns["positions"]
        return [flat[ends[i] - counts[i]:ends[i]] for i in which.tolist()]


_NO_IDS = np.empty(0, dtype=np.int32)
_NO_WEIGHTS = np.empty(0, dtype=np.float32)


def arrays_path(folder, segment) -> Path:
    """Where a segment's arrays live in its generation folder."""
    return Path(folder) / segment.make_filename(EXTENSION)
