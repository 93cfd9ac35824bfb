"""MinHash fingerprints of a generation's paragraphs and documents, kept beside its index.

Hashing every character shingle is the costly part of finding similar passages and duplicate
documents, so it is done once per document content: an incremental build takes the
fingerprints of unchanged documents (same doc_id, same content hash) from the live generation
and hashes only the added and changed ones. Signatures are datasketch MinHash values
("affine32" scheme, NUM_PERM permutations of seed SEED) over shingle hashes computed here with
NumPy (stable across processes, unlike Python's ``hash``).
"""

from __future__ import annotations

import functools

import hashlib
import multiprocessing
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analysis import normalize
from indexer.embedded.schema import KIND_DOCUMENT, KIND_PARAGRAPH

VERSION = 1  # bump when shingling or normalising changes: old fingerprints are then not reused
FILE = "echoes-fingerprints.npz"
PART_PREFIX = "echoes-fingerprints-part-"  # build workers' files, merged into FILE
PART_PASSAGES = 50_000  # passages a part file holds (25 MB of signatures)
NUM_PERM, SEED, SCHEME = 128, 1, "affine32"
PASSAGE_SHINGLE = 4   # characters: short enough that a reworded clause still shares many
DOCUMENT_SHINGLE = 8  # characters: whole documents are compared for (near) identity only
DOCUMENT_SAMPLE = 8
MIN_PASSAGE_CHARS = 30  # comparable characters; shorter lines are headings and stock phrases
PROCESSES = 2  # as many as the build's workers (build.py)
PARALLEL_FROM = 8  # documents to hash; fewer are not worth starting processes for
_NOT_TEXT = re.compile(r"[\W_]+")
_JUNK = ("\ufffd", "<U+", "&nbsp;", "&#")
_CHUNK = 50_000  # shingles permuted at once (× NUM_PERM × 4 bytes ≈ 25 MB)


@functools.cache
def _minhash_parts():
    """(the permutations a, b, the scheme's input mixing) of datasketch (pinned). Imported on
    first use: datasketch imports scipy (≈ 1 s and 30 MB), which searching never needs."""
    from datasketch import MinHash
    from datasketch.minhash import _fmix
    return (*MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations, _fmix)


def comparable(text: str) -> str:
    """Text as similarity sees it: folded (NFKC, case, simplified), without spaces or punctuation."""
    # Punctuation goes first: full-width commas in every sentence would otherwise send nearly
    # every paragraph through the slow path of NFKC (only the quick check passes plain text).
    return _NOT_TEXT.sub("", normalize(_NOT_TEXT.sub("", text)))


def document_hashes(text: str) -> np.ndarray:
    """The shingle hashes a document's signature is made of: one in DOCUMENT_SAMPLE of them,
    chosen by value, so two copies keep the same ones (an unbiased Jaccard estimate at an
    eighth of the cost)."""
    hashes = shingle_sequence(text, DOCUMENT_SHINGLE)
    return hashes[hashes % DOCUMENT_SAMPLE == 0]


def passage_hashes(text: str) -> np.ndarray:
    """The shingle hashes a passage's signature is made of (repeats do not change a MinHash)."""
    return shingle_sequence(text, PASSAGE_SHINGLE)


def shingle_sequence(text: str, size: int) -> np.ndarray:
    """The 32-bit hash of the window starting at each position of ``text`` (empty when shorter)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return _window_hashes(codes, size)[:max(len(codes) - size + 1, 0)]


def _window_hashes(codes: np.ndarray, size: int) -> np.ndarray:
    """FNV-1a (kept to 32 bits) over the ``size`` code points starting at each position of
    ``codes``; the last ``size - 1`` values run past the end (callers drop them)."""
    padded = np.concatenate((codes.astype(np.uint32), np.zeros(size - 1, dtype=np.uint32)))
    count = len(codes)
    hashes = np.full(count, 2166136261, dtype=np.uint32)
    for offset in range(size):  # uint32 arithmetic wraps: the same values as masking 64-bit
        np.bitwise_xor(hashes, padded[offset:offset + count], out=hashes)
        np.multiply(hashes, np.uint32(16777619), out=hashes)
    return hashes


def passage_hash_runs(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the shingle hashes of many passages, one after the other; how many each has): what
    ``passage_hashes`` gives each, computed over their concatenation in one pass."""
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    hashes = _window_hashes(codes, PASSAGE_SHINGLE)
    sizes = np.maximum(lengths - PASSAGE_SHINGLE + 1, 0)
    # A window is a passage's when it starts at least PASSAGE_SHINGLE - 1 before its end.
    ends = np.cumsum(lengths)
    inside = np.ones(len(codes), dtype=bool)
    for back in range(1, PASSAGE_SHINGLE):
        inside[np.maximum(ends - back, 0)[lengths >= back]] = False
    return hashes[inside], sizes


def comparable_all(texts: list[str]) -> list[str]:
    """``comparable`` of many texts: one normalisation of their join (a line break changes
    nothing around it in NFKC, case folding or OpenCC's phrases, and comparable text has none)."""
    stripped = [_NOT_TEXT.sub("", text) for text in texts]
    folded = normalize("\n".join(stripped)).split("\n")
    if len(folded) != len(stripped):  # cannot happen (no character folds to a line break)
        return [comparable(text) for text in texts]
    return [_NOT_TEXT.sub("", text) for text in folded]


def signatures(hash_sets: list[np.ndarray]) -> np.ndarray:
    """The signatures of many shingle-hash sets at once, (len(hash_sets), NUM_PERM) uint32.

    The same values as datasketch's ``MinHash.update_batch`` with these permutations (a test
    compares them), computed as one NumPy reduction instead of a MinHash object per set: a
    document's few hundred paragraphs cost one pass instead of a few hundred.
    """
    sizes = np.array([len(hashes) for hashes in hash_sets], dtype=np.int64)
    joined = (np.concatenate(hash_sets) if hash_sets else np.empty(0)).astype(np.uint32)
    return signatures_of_runs(joined, sizes)


def signatures_of_runs(hashes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``signatures`` of the sets given as consecutive runs of ``hashes`` of ``sizes``."""
    result = np.full((len(sizes), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = np.flatnonzero(sizes)
    if not len(filled):
        return result
    a, b, fmix = _minhash_parts()
    sizes = sizes[filled]
    mixed = fmix(hashes.astype(np.uint32), 32)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for low in range(0, len(mixed), _CHUNK):  # bounded memory: a chunk × NUM_PERM at a time
        high = min(len(mixed), low + _CHUNK)
        permuted = np.multiply(a[:, None], mixed[None, low:high])  # NUM_PERM rows
        np.add(permuted, b[:, None], out=permuted)
        inside = np.flatnonzero((starts < high) & (starts + sizes > low))
        cuts = np.clip(starts[inside], low, high) - low
        reduced = np.minimum.reduceat(permuted, cuts, axis=1).T
        rows = filled[inside]
        result[rows] = np.minimum(result[rows], reduced)
    return result


@dataclass
class Fingerprints:
    """Per document and per passage (a paragraph long enough to compare) of one generation."""

    doc_ids: list[str]
    content_hashes: list[str]
    doc_signatures: np.ndarray   # (documents, NUM_PERM) uint32
    doc_lengths: np.ndarray      # comparable characters of the whole document
    doc_defects: np.ndarray      # repeated passages and junk characters: how unclean a copy is
    passage_docs: np.ndarray     # per passage: index into doc_ids (passages sorted by doc, para)
    passage_paras: np.ndarray    # per passage: its paragraph number
    passage_signatures: np.ndarray  # (passages, NUM_PERM) uint32
    passage_keys: np.ndarray     # per passage: a 64-bit key of its comparable text (exact copies)

    def doc_index(self) -> dict[str, int]:
        """doc_id → its index."""
        return {doc_id: number for number, doc_id in enumerate(self.doc_ids)}

    def passage_range(self, doc: int) -> tuple[int, int]:
        """The passages of document ``doc``: [start, end) into the passage arrays."""
        start, end = np.searchsorted(self.passage_docs, (doc, doc + 1))
        return int(start), int(end)

    def save(self, folder: Path, name: str = FILE) -> None:
        """Write them into a build folder (a new file: the folder's files may be hard links
        shared with the live generation, which must never change)."""
        temporary = Path(folder) / (".tmp-" + name)
        with open(temporary, "wb") as handle:
            np.savez(handle, version=VERSION, doc_ids=np.array(self.doc_ids, dtype=str),
                     content_hashes=np.array(self.content_hashes, dtype=str),
                     doc_signatures=self.doc_signatures, doc_lengths=self.doc_lengths,
                     doc_defects=self.doc_defects, passage_docs=self.passage_docs,
                     passage_paras=self.passage_paras,
                     passage_signatures=self.passage_signatures,
                     passage_keys=self.passage_keys)
        os.replace(temporary, Path(folder) / name)


class Collector:
    """The fingerprints of the documents one build process writes, hashed from the texts it
    already holds and saved as part files of the build folder: the echoes step then takes
    them (``load_parts``) instead of reading and hashing every paragraph again after the build,
    and the hashing runs in the build's parallel workers.

    Given the folder, a part file is written whenever PART_PASSAGES passages are held, so a
    worker's memory does not grow with the corpus (128 signatures a passage: 0.6 GB a worker
    at 10× the perf corpus had it kept them all to the end)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.parts = 0
        self._start_part()

    def _start_part(self) -> None:
        self.doc_ids: list[str] = []
        self.content_hashes: list[str] = []
        self.documents: list[tuple] = []
        self.passages = 0

    def add(self, doc_id: str, content_hash: str, paragraphs: list[tuple[int, str, bool]]) -> None:
        """Hash one document's (para, text, heading) paragraphs, in paragraph order."""
        self.doc_ids.append(doc_id)
        self.content_hashes.append(content_hash)
        self.documents.append(_fingerprint(paragraphs))
        self.passages += len(self.documents[-1][3])
        if self.folder is not None and self.passages >= PART_PASSAGES:
            self.save(self.folder)

    def save(self, folder: Path) -> None:
        """Write what is held as the next part file of the build folder (nothing if empty)."""
        if self.doc_ids:
            # pid, then a sequence number: sorted names keep each worker's documents in order
            _from_documents(self.doc_ids, self.content_hashes, self.documents).save(
                folder, PART_PREFIX + f"{os.getpid()}-{self.parts:05d}.npz")
            self.parts += 1
        self._start_part()


def load_parts(folder: Path) -> Fingerprints | None:
    """The part files build workers saved in a folder, as one ``Fingerprints`` in doc_id order
    (None: none), the order ``compute`` wants.

    The signatures are copied part by part into arrays made once, in their final order: held
    all at once, then joined, then reordered, they took three times their size (1.3 GB once at
    10× the perf corpus)."""
    paths = sorted(Path(folder).glob(PART_PREFIX + "*.npz"))
    heads = []  # (path, doc_ids, content_hashes, passage counts a document) of each valid part
    for path in paths:
        with np.load(path) as saved:
            if int(saved["version"]) == VERSION:
                doc_ids = saved["doc_ids"].tolist()
                heads.append((path, doc_ids, saved["content_hashes"].tolist(),
                              np.bincount(saved["passage_docs"], minlength=len(doc_ids))))
    if not heads:
        return None
    doc_ids = [d for _, ids, _, _ in heads for d in ids]
    order = sorted(range(len(doc_ids)), key=doc_ids.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))  # each document's place in doc_id order
    counts = np.concatenate([c for _, _, _, c in heads]).astype(np.int64)
    sorted_counts = counts[order]
    first_passage = np.cumsum(sorted_counts) - sorted_counts  # of each place
    total = int(counts.sum())
    hashes = [h for _, _, hs, _ in heads for h in hs]
    result = Fingerprints(
        [doc_ids[i] for i in order], [hashes[i] for i in order],
        np.empty((len(order), NUM_PERM), dtype=np.uint32), np.empty(len(order), dtype=np.int64),
        np.empty(len(order), dtype=np.int64),
        np.repeat(np.arange(len(order), dtype=np.int32), sorted_counts),
        np.empty(total, dtype=np.int32), np.empty((total, NUM_PERM), dtype=np.uint32),
        np.empty(total, dtype=np.uint64))
    document = 0
    for path, ids, _, part_counts in heads:
        places = rank[document:document + len(ids)]
        document += len(ids)
        # each passage of the part goes to its document's first passage + its rank within it
        targets = np.repeat(first_passage[places], part_counts) + (
            np.arange(int(part_counts.sum())) - np.repeat(np.cumsum(part_counts) - part_counts,
                                                          part_counts))
        with np.load(path) as saved:
            result.doc_signatures[places] = saved["doc_signatures"]
            result.doc_lengths[places] = saved["doc_lengths"]
            result.doc_defects[places] = saved["doc_defects"]
            result.passage_paras[targets] = saved["passage_paras"]
            result.passage_signatures[targets] = saved["passage_signatures"]
            result.passage_keys[targets] = saved["passage_keys"]
    return result


def remove_parts(folder: Path) -> None:
    """Delete the part files of a folder (once they are in its fingerprints)."""
    for path in Path(folder).glob(PART_PREFIX + "*.npz"):
        path.unlink()


def joined(prints: list[Fingerprints]) -> Fingerprints | None:
    """Several ``Fingerprints`` as one (documents one after the other; None: none given)."""
    if len(prints) < 2:
        return prints[0] if prints else None
    offsets = np.cumsum([0] + [len(p.doc_ids) for p in prints[:-1]])
    return Fingerprints(
        [d for p in prints for d in p.doc_ids], [h for p in prints for h in p.content_hashes],
        np.concatenate([p.doc_signatures for p in prints]),
        np.concatenate([p.doc_lengths for p in prints]),
        np.concatenate([p.doc_defects for p in prints]),
        np.concatenate([p.passage_docs + offset for p, offset in zip(prints, offsets)]),
        np.concatenate([p.passage_paras for p in prints]),
        np.concatenate([p.passage_signatures for p in prints]),
        np.concatenate([p.passage_keys for p in prints]))


def load(folder: Path | None) -> Fingerprints | None:
    """The fingerprints saved in a generation, or None (none there, or of another version);
    ``folder`` may also be the path of a part file."""
    path = None
    if folder:
        path = Path(folder) if Path(folder).suffix == ".npz" else Path(folder) / FILE
    if path is None or not path.exists():
        return None
    with np.load(path) as saved:
        if int(saved["version"]) != VERSION:
            return None
        return Fingerprints(
            saved["doc_ids"].tolist(), saved["content_hashes"].tolist(),
            saved["doc_signatures"], saved["doc_lengths"], saved["doc_defects"],
            saved["passage_docs"], saved["passage_paras"], saved["passage_signatures"],
            saved["passage_keys"])


def compute(searcher, previous: Fingerprints | None = None) -> Fingerprints:
    """Fingerprints of every document the searcher's index holds, reusing ``previous`` ones
    of documents whose content hash is unchanged."""
    return compute_from(searcher.documents(kind=KIND_DOCUMENT), whoosh_paragraphs(searcher),
                        previous)


def whoosh_paragraphs(searcher):
    """The paragraph source of a Whoosh searcher, as ``compute_from`` takes it."""
    return lambda doc_ids, every=False: _paragraph_texts(searcher, doc_ids, all_of_them=every)


def compute_from(records, paragraphs_of, previous: Fingerprints | None = None) -> Fingerprints:
    """Fingerprints of the documents of ``records`` (dicts with doc_id and content_hash), their
    texts read by ``paragraphs_of(doc_ids, every)`` → {doc_id: [(para, text, heading)]} in
    paragraph order (``every``: all documents are wanted) from whichever backend holds them.
    Documents ``previous`` holds with the same content hash are taken from it, not hashed."""
    records = sorted(records, key=lambda r: r["doc_id"])
    reusable = {}
    if previous is not None:
        reusable = {(doc_id, digest): number for number, (doc_id, digest)
                    in enumerate(zip(previous.doc_ids, previous.content_hashes))}
    fresh = sorted({r["doc_id"] for r in records
                    if (r["doc_id"], r.get("content_hash", "")) not in reusable})
    if fresh:
        texts = paragraphs_of(set(fresh), len(fresh) == len(records))
        hashed = _fingerprint_all({doc_id: texts.pop(doc_id, []) for doc_id in fresh})
        del texts
        content = {r["doc_id"]: r.get("content_hash", "") for r in records}
        new = _from_documents(fresh, [content[d] for d in fresh], [hashed[d] for d in fresh])
        del hashed
        reusable.update({(d, content[d]): number + (len(previous.doc_ids) if previous else 0)
                         for number, d in enumerate(fresh)})
        previous = joined([p for p in (previous, new) if p is not None])
    if previous is None:
        return _from_documents([], [], [])
    # One gather of the rows of every document, in doc_id order: a copy of the signatures,
    # never a Python object per passage.
    rows = np.array([reusable[(r["doc_id"], r.get("content_hash", ""))] for r in records],
                    dtype=np.int64)
    if len(rows) == len(previous.doc_ids) and np.array_equal(rows, np.arange(len(rows))):
        return previous  # already every document in doc_id order (a full build's parts)
    starts = np.searchsorted(previous.passage_docs, rows)
    ends = np.searchsorted(previous.passage_docs, rows, side="right")
    counts = ends - starts
    passages = np.repeat(starts - (np.cumsum(counts) - counts), counts) \
        + np.arange(int(counts.sum()))
    return Fingerprints(
        [r["doc_id"] for r in records], [r.get("content_hash", "") for r in records],
        previous.doc_signatures[rows].reshape(-1, NUM_PERM),
        previous.doc_lengths[rows].astype(np.int64), previous.doc_defects[rows].astype(np.int64),
        np.repeat(np.arange(len(records), dtype=np.int32), counts),
        previous.passage_paras[passages].astype(np.int32),
        previous.passage_signatures[passages].reshape(-1, NUM_PERM),
        previous.passage_keys[passages].astype(np.uint64))


def _from_documents(doc_ids: list[str], content_hashes: list[str], documents: list[tuple]
                    ) -> Fingerprints:
    """``Fingerprints`` of documents hashed by ``_fingerprint``, in the order given."""
    paras = [document[3] for document in documents]
    return Fingerprints(
        list(doc_ids), list(content_hashes),
        np.asarray([document[0] for document in documents], dtype=np.uint32).reshape(-1, NUM_PERM),
        np.asarray([document[1] for document in documents], dtype=np.int64),
        np.asarray([document[2] for document in documents], dtype=np.int64),
        np.repeat(np.arange(len(documents), dtype=np.int32), [len(p) for p in paras]),
        _joined([np.asarray(p, dtype=np.int32) for p in paras], np.int32),
        np.concatenate([np.asarray(document[4], dtype=np.uint32).reshape(-1, NUM_PERM)
                        for document in documents]) if documents
        else np.empty((0, NUM_PERM), dtype=np.uint32),
        _joined([np.asarray(document[5], dtype=np.uint64) for document in documents], np.uint64))


def document_text(paragraphs_of, doc_id: str) -> str:
    """A document's comparable text: its paragraphs in order, folded, without spaces or
    punctuation (``paragraphs_of`` as ``compute_from`` takes it)."""
    paragraphs = paragraphs_of({doc_id}, False).get(doc_id, [])
    return "".join(comparable(text) for _, text, _ in paragraphs)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)


def _paragraph_texts(searcher, doc_ids: set[str], all_of_them: bool
                     ) -> dict[str, list[tuple[int, str, bool]]]:
    """(para, text, heading) of each wanted document's paragraphs, in paragraph order."""
    found: dict[str, list[tuple[int, str, bool]]] = {}
    if all_of_them:  # one pass over every stored record beats a lookup per document
        stored = (s for s in searcher.reader().all_stored_fields()
                  if s.get("kind") == KIND_PARAGRAPH)
    else:  # one term's postings: with kind= too, Whoosh would walk every paragraph's posting
        stored = (s for doc_id in sorted(doc_ids) for s in searcher.documents(doc_id=doc_id))
    for record in stored:
        if record.get("doc_id") in doc_ids and record.get("kind") == KIND_PARAGRAPH:
            found.setdefault(record["doc_id"], []).append(
                (record["para"], record.get("text", ""), bool(record.get("heading"))))
    for paragraphs in found.values():
        paragraphs.sort()
    return found


def _fingerprint_all(texts: dict[str, list]) -> dict[str, tuple]:
    """``_fingerprint`` of every document, shared among PROCESSES forked processes when there
    are many: the build's own workers have finished by now, and this is most of its cost."""
    names = sorted(texts)
    processes = min(PROCESSES, os.cpu_count() or 1)
    if len(names) < PARALLEL_FROM or processes < 2 or multiprocessing.current_process().daemon:
        return {name: _fingerprint(texts[name]) for name in names}
    shards = [[(name, texts[name]) for name in names[i::processes]] for i in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return {name: found for part in pool.map(_fingerprint_shard, shards)
                for name, found in part}


def _fingerprint_shard(shard: list[tuple[str, list]]) -> list[tuple[str, tuple]]:
    return [(name, _fingerprint(paragraphs)) for name, paragraphs in shard]


def _fingerprint(paragraphs: list[tuple[int, str, bool]]):
    """(document signature, length, defects, passage paras, signatures, keys) of one document."""
    plains = comparable_all([text for _, text, _ in paragraphs])
    defects = sum(text.count(junk) for _, text, _ in paragraphs for junk in _JUNK
                  if junk[0] in text)
    seen, paras, passages = set(), [], []
    for (para, _, heading), plain in zip(paragraphs, plains):
        if heading or len(plain) < MIN_PASSAGE_CHARS:
            continue
        if plain in seen:  # a block repeated inside one document: scraping debris
            defects += 1
            continue
        seen.add(plain)
        paras.append(para)
        passages.append(plain)
    text = "".join(plains)
    hashes, sizes = passage_hash_runs(passages)
    whole = document_hashes(text)
    computed = signatures_of_runs(np.concatenate((hashes, whole)),
                                  np.append(sizes, len(whole)))
    return computed[-1], len(text), defects, paras, computed[:-1], [_key(p) for p in passages]


def _key(plain: str) -> int:
    return int.from_bytes(hashlib.blake2b(plain.encode("utf-8"), digest_size=8).digest(), "little")
