"""A faster Whoosh segment writer, and full builds written by several processes at once.

Profiled on the national reports (cProfile, one process), Whoosh's stock ``SegmentWriter``
spent a third of the build pickling every posting into external-sort run files and merging
them back, and another eighth re-reading each document's field length from the column file it
had just written, once per posting. ``FastSegmentWriter`` keeps postings grouped by term in
memory and remembers field lengths as it writes them; the segment files it produces are the
ordinary Whoosh ones, read by the ordinary Whoosh reader.
"""

from __future__ import annotations

import multiprocessing
import traceback
from array import array
from pathlib import Path
from typing import Callable

import numpy as np
from whoosh import index as whoosh_index
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import NO_MERGE, SegmentWriter

from indexer.embedded.arrays import ArrayWriter, arrays_path
from indexer.embedded.grams import gram_arrays

POSTINGS_PER_SEGMENT = 24_000_000  # pooled word postings + gram entries (2 a character) a segment holds
GRAM_SOURCE = "text"  # the stored field whose literal grams a segment's arrays hold
HEADING_SOURCE = "heading"  # the stored flag whose documents a segment's arrays list


class TermGroupedPool:
    """In-memory posting pool: per (field, term) an id array, a weight array and a value list.

    Ids and weights are C arrays (4 bytes each) and values are interned (a Frequency posting's
    value is one of a few short byte strings), so a posting costs 16 bytes, where Python lists
    holding a float and a bytes object made for each posting cost about 90: the pool, and so a
    build worker's peak memory, is several times smaller for the same segment.
    """

    def __init__(self):
        self.terms: dict[tuple[str, bytes], tuple[array, array, list]] = {}
        self.unsorted: set[tuple[str, bytes]] = set()
        self.fieldnames: set[str] = set()
        self.count = 0
        self.values: dict[bytes, bytes] = {}

    def postings(self, key: tuple[str, bytes]) -> tuple[array, array, list]:
        """The (ids, weights, values) of one (field, term), made empty on first use."""
        postings = self.terms.get(key)
        if postings is None:
            postings = self.terms[key] = (array("i"), array("f"), [])
            self.fieldnames.add(key[0])
        return postings

    def add(self, item) -> None:
        """Add one (fieldname, term bytes, docnum, weight, value bytes) posting."""
        fieldname, term, docnum, weight, value = item
        key = (fieldname, term)
        ids, weights, values = self.postings(key)
        if ids and docnum < ids[-1]:  # only merged segments add out of order
            self.unsorted.add(key)
        ids.append(docnum)
        weights.append(weight)
        values.append(self.values.setdefault(value, value))
        self.count += 1

    def sorted_terms(self):
        """(fieldname, term, ids, weights, values) in the order Whoosh's field writer wants."""
        for key in sorted(self.terms):
            ids, weights, values = self.terms[key]
            if key in self.unsorted:
                order = sorted(range(len(ids)), key=ids.__getitem__)
                ids = array("i", [ids[i] for i in order])
                weights = array("f", [weights[i] for i in order])
                values = [values[i] for i in order]
            yield key[0], key[1], ids, weights, values

    def iter_postings(self):
        """All postings in (field, term, docnum) order (Whoosh's pool interface)."""
        for fieldname, term, ids, weights, values in self.sorted_terms():
            for posting in zip(ids, weights, values):
                yield (fieldname, term) + posting

    def cleanup(self) -> None:
        """Drop everything."""
        self.terms = {}
        self.unsorted = set()
        self.values = {}
        self.count = 0


def write_postings(fieldwriter, schema, pool: TermGroupedPool, lengths,
                   arrays: ArrayWriter | None = None) -> None:
    """Write the pool through Whoosh's W3 field writer a whole block at a time.

    Whoosh's ``add_postings`` makes five Python calls and four type assertions per posting;
    here each block's id, weight and value lists are handed over as slices and its statistics
    (max weight, min/max field length) computed once. The bytes written are the same.
    ``arrays`` (if given) receives every term's postings too.
    """
    current = None
    for fieldname, term, ids, weights, values in pool.sorted_terms():
        if arrays is not None:
            arrays.add_term(fieldname, term, ids, weights)
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            field_lengths = lengths.by_field.get(fieldname, {})
        fieldwriter.start_term(term)
        writer = fieldwriter._postwriter
        limit = writer._blocklimit
        for start in range(0, len(ids), limit):
            if start:
                writer._write_block()
            block_ids = ids[start:start + limit]
            writer._ids = array("I", block_ids)
            writer._weights = array("f", weights[start:start + limit])
            writer._values = values[start:start + limit]
            writer._maxweight = max(writer._weights)
            block_lengths = [field_lengths.get(i, 0) for i in block_ids]
            nonzero = [length for length in block_lengths if length]
            writer._minlength = min(nonzero) if nonzero else None
            writer._maxlength = max(block_lengths)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


class _RecordedLengths:
    """Field lengths as the lengths column will return them (byte-quantised)."""

    def __init__(self):
        self.by_field: dict[str, dict[int, int]] = {}

    def record(self, fieldname: str, docnum: int, length: int) -> None:
        if length:
            self.by_field.setdefault(fieldname, {})[docnum] = byte_to_length(
                length_to_byte(length))

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return self.by_field.get(fieldname, {}).get(docnum, default)


class FastSegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` with an in-memory grouped pool and remembered field lengths, which
    also writes the segment's posting arrays, grams included."""

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        self.pool = TermGroupedPool()
        self._lengths = _RecordedLengths()
        self._gram_docnums: list[int] = []
        self._gram_texts: list[str] = []
        self._headings: list[int] = []
        add_field = self.perdocwriter.add_field

        # Every stored field passes here, from add_document and from a merge's add_reader alike.
        def add_field_recording(fieldname, fieldobj, value, length):
            self._lengths.record(fieldname, self.docnum, length)
            if fieldname == HEADING_SOURCE and value:
                self._headings.append(self.docnum)
            if fieldname == GRAM_SOURCE and value:
                self._gram_docnums.append(self.docnum)
                self._gram_texts.append(value)
                self.pool.count += 2 * len(value)
            add_field(fieldname, fieldobj, value, length)

        self.perdocwriter.add_field = add_field_recording

    def add_document(self, **fields):
        """Whoosh's ``add_document`` without boosts, vectors and spelling (our schema has none),
        adding postings straight into the pool's lists."""
        self._check_state()
        if any(name.startswith("_boost") or name.endswith("_boost") for name in fields):
            raise ValueError("boosts are not supported by FastSegmentWriter")
        schema, perdocwriter, docnum = self.schema, self.perdocwriter, self.docnum
        terms, fieldnames, interned = self.pool.terms, self.pool.fieldnames, self.pool.values
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdocwriter.start_doc(docnum)
        added = 0
        for fieldname in names:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldnames.add(fieldname)
                for term, frequency, weight, encoded in field.index(value):
                    if field.scorable:
                        length += frequency
                    postings = terms.get((fieldname, term))
                    if postings is None:
                        postings = terms[(fieldname, term)] = (array("i"), array("f"), [])
                    postings[0].append(docnum)
                    postings[1].append(weight)
                    postings[2].append(interned.setdefault(encoded, encoded))
                    added += 1
            stored = fields.get("_stored_" + fieldname, value)
            perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
            if field.column_type and stored is not None:
                perdocwriter.add_column_value(fieldname, field.column_type,
                                              field.to_column_value(stored))
        perdocwriter.finish_doc()
        self.pool.count += added
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        # What each step has used is dropped before the next: the pool before the grams are
        # made, the texts once they are, so a build worker's peak is one of them, not their sum.
        self.perdocwriter.close()
        arrays = ArrayWriter()
        write_postings(self.fieldwriter, self.schema, self.pool, self._lengths, arrays)
        self.fieldwriter.close()
        self.pool.cleanup()
        self._lengths = _RecordedLengths()
        # Every segment lists its heading lines, even none: ranking reads them for any hit.
        arrays.add_field("heading", {"ids": np.array(self._headings, dtype=np.int32)})
        grams = gram_arrays(self._gram_docnums, self._gram_texts)
        self._gram_docnums, self._gram_texts, self._headings = [], [], []
        if grams is not None:
            arrays.add_field("grams", grams)
        del grams
        arrays.write(arrays_path(self.storage.folder, self.newsegment))


def open_writer(ix) -> FastSegmentWriter:
    """A locked fast writer on ``ix`` (for incremental updates)."""
    return FastSegmentWriter(ix, timeout=5.0)


# ---------------------------------------------------------------- parallel full builds

def build_parallel(index_folder: Path, shards: list[list], add_shard: Callable,
                   on_message: Callable[[object], None], procs: int):
    """Write one shard of work per process into ``index_folder`` and return their segments.

    ``add_shard(writer_factory, shard, send)`` runs in each worker: it adds documents through
    writers from ``writer_factory()`` (starting a new one when a segment is full), and may
    ``send`` small messages (progress, skipped files) that reach ``on_message`` here.
    """
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    workers = [context.Process(target=_worker, args=(str(index_folder), number, shard, add_shard,
                                                      messages), daemon=True)
               for number, shard in enumerate(shard for shard in shards if shard)]
    for worker in workers:
        worker.start()
    by_worker, errors, finished = {}, [], 0
    try:
        while finished < len(workers):
            kind, payload = messages.get()
            if kind == "done":
                number, written = payload
                by_worker[number] = written
                finished += 1
            elif kind == "error":
                errors.append(payload)
                finished += 1
            else:
                on_message(payload)
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    if errors:
        raise RuntimeError("a build worker failed:\n" + errors[0])
    # In shard order, not in the order the workers finished: document numbers, and so the
    # order of equally scored hits, are the same in every build of the same files.
    return [segment for number in sorted(by_worker) for segment in by_worker[number]]


def _worker(index_folder, number, shard, add_shard, messages):
    try:
        ix = whoosh_index.open_dir(index_folder)
        segments = []
        writers = []  # the current one only: a finished writer is let go with its memory

        def writer_factory():
            if writers and writers[-1].pool.count < POSTINGS_PER_SEGMENT:
                return writers[-1]
            if writers:
                segments.append(_finish(writers.pop()))
            writers.append(FastSegmentWriter(ix, _lk=False))
            return writers[-1]

        add_shard(writer_factory, shard, lambda message: messages.put(("message", message)))
        if writers:
            segments.append(_finish(writers.pop()))
        messages.put(("done", (number, segments)))
    except BaseException:
        messages.put(("error", traceback.format_exc()))


def _finish(writer: FastSegmentWriter):
    # The temp folder is shared by every writer of the index: the parent removes it at commit.
    return writer._finalize_segment()


def commit_with_segments(writer: SegmentWriter, segments: list) -> None:
    """Commit ``writer`` (its own documents too) together with segments written elsewhere."""
    final = writer._merge_segments(NO_MERGE, False, False)
    final.extend(segments)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final)
    writer._finish()
