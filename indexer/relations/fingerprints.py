"""MinHash fingerprints of a generation's paragraphs and documents, kept beside its index.

Hashing every character shingle is the costly part of finding similar passages and duplicate
documents, so it is done once per document content: an incremental build takes the
fingerprints of unchanged documents (same doc_id, same content hash) from the live generation
and hashes only the added and changed ones. Signatures are datasketch MinHash values
("affine32" scheme, NUM_PERM permutations of seed SEED) over shingle hashes computed here with
NumPy (stable across processes, unlike Python's ``hash``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import MinHash
from datasketch.minhash import _fmix  # the scheme's input mixing (datasketch is pinned)

from indexer.analysis import normalize
from indexer.embedded.schema import KIND_DOCUMENT, KIND_PARAGRAPH

VERSION = 1  # bump when shingling or normalising changes: old fingerprints are then not reused
FILE = "echoes-fingerprints.npz"
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
_PROTOTYPE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


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
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - size + 1
    if count < 1:
        return np.empty(0, dtype=np.uint32)
    hashes = np.full(count, 2166136261, dtype=np.uint64)
    for offset in range(size):  # FNV-1a over code points, kept to 32 bits
        hashes = ((hashes ^ codes[offset:offset + count]) * 16777619) & 0xFFFFFFFF
    return hashes.astype(np.uint32)


def signatures(hash_sets: list[np.ndarray]) -> np.ndarray:
    """The signatures of many shingle-hash sets at once, (len(hash_sets), NUM_PERM) uint32.

    The same values as datasketch's ``MinHash.update_batch`` with these permutations (a test
    compares them), computed as one NumPy reduction instead of a MinHash object per set: a
    document's few hundred paragraphs cost one pass instead of a few hundred.
    """
    result = np.full((len(hash_sets), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = [number for number, hashes in enumerate(hash_sets) if len(hashes)]
    if not filled:
        return result
    a, b = _PROTOTYPE.permutations
    sizes = np.array([len(hash_sets[number]) for number in filled])
    mixed = _fmix(np.concatenate([hash_sets[number] for number in filled]).astype(np.uint32), 32)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for low in range(0, len(mixed), _CHUNK):  # bounded memory: a chunk × NUM_PERM at a time
        high = min(len(mixed), low + _CHUNK)
        permuted = np.multiply(a[:, None], mixed[None, low:high])  # NUM_PERM rows
        np.add(permuted, b[:, None], out=permuted)
        inside = np.flatnonzero((starts < high) & (starts + sizes > low))
        cuts = np.clip(starts[inside], low, high) - low
        reduced = np.minimum.reduceat(permuted, cuts, axis=1).T
        rows = np.asarray(filled)[inside]
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

    def save(self, folder: Path) -> None:
        """Write them into a build folder (a new file: the folder's files may be hard links
        shared with the live generation, which must never change)."""
        temporary = Path(folder) / (".tmp-" + FILE)
        with open(temporary, "wb") as handle:
            np.savez(handle, version=VERSION, doc_ids=np.array(self.doc_ids, dtype=str),
                     content_hashes=np.array(self.content_hashes, dtype=str),
                     doc_signatures=self.doc_signatures, doc_lengths=self.doc_lengths,
                     doc_defects=self.doc_defects, passage_docs=self.passage_docs,
                     passage_paras=self.passage_paras,
                     passage_signatures=self.passage_signatures,
                     passage_keys=self.passage_keys)
        os.replace(temporary, Path(folder) / FILE)


def load(folder: Path | None) -> Fingerprints | None:
    """The fingerprints saved in a generation, or None (none there, or of another version)."""
    path = Path(folder) / FILE if folder else None
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
    paragraph order (``every``: all documents are wanted) from whichever backend holds them."""
    records = sorted(records, key=lambda r: r["doc_id"])
    reusable = {}
    if previous is not None:
        reusable = {(doc_id, digest): number for number, (doc_id, digest)
                    in enumerate(zip(previous.doc_ids, previous.content_hashes))}
    fresh = {r["doc_id"] for r in records
             if (r["doc_id"], r.get("content_hash", "")) not in reusable}
    texts = paragraphs_of(fresh, len(fresh) == len(records))
    doc_signatures, doc_lengths, doc_defects = [], [], []
    passage_docs, passage_paras, passage_signatures, passage_keys = [], [], [], []
    hashed = _fingerprint_all({doc_id: texts.get(doc_id, []) for doc_id in fresh})
    for number, record in enumerate(records):
        doc_id = record["doc_id"]
        if doc_id in fresh:
            document = hashed[doc_id]
        else:
            document = _reused(previous, reusable[(doc_id, record.get("content_hash", ""))])
        doc_signature, length, defects, paras, signatures, keys = document
        doc_signatures.append(doc_signature)
        doc_lengths.append(length)
        doc_defects.append(defects)
        passage_docs.append(np.full(len(paras), number, dtype=np.int32))
        passage_paras.append(np.asarray(paras, dtype=np.int32))
        passage_signatures.append(np.asarray(signatures, dtype=np.uint32).reshape(-1, NUM_PERM))
        passage_keys.append(np.asarray(keys, dtype=np.uint64))
    return Fingerprints(
        [r["doc_id"] for r in records], [r.get("content_hash", "") for r in records],
        np.asarray(doc_signatures, dtype=np.uint32).reshape(-1, NUM_PERM),
        np.asarray(doc_lengths, dtype=np.int64), np.asarray(doc_defects, dtype=np.int64),
        _joined(passage_docs, np.int32), _joined(passage_paras, np.int32),
        np.concatenate(passage_signatures) if passage_signatures
        else np.empty((0, NUM_PERM), dtype=np.uint32),
        _joined(passage_keys, np.uint64))


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
    else:
        stored = (s for doc_id in sorted(doc_ids)
                  for s in searcher.documents(doc_id=doc_id, kind=KIND_PARAGRAPH))
    for record in stored:
        if record.get("doc_id") in doc_ids:
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
    whole, seen, defects = [], set(), 0
    paras, hash_sets, keys = [], [], []
    for para, text, heading in paragraphs:
        plain = comparable(text)
        whole.append(plain)
        defects += sum(text.count(junk) for junk in _JUNK)
        if heading or len(plain) < MIN_PASSAGE_CHARS:
            continue
        if plain in seen:  # a block repeated inside one document: scraping debris
            defects += 1
            continue
        seen.add(plain)
        paras.append(para)
        hash_sets.append(passage_hashes(plain))
        keys.append(_key(plain))
    text = "".join(whole)
    hash_sets.append(document_hashes(text))
    computed = signatures(hash_sets)
    return computed[-1], len(text), defects, paras, computed[:-1], keys


def _reused(previous: Fingerprints, number: int):
    start, end = previous.passage_range(number)
    return (previous.doc_signatures[number], int(previous.doc_lengths[number]),
            int(previous.doc_defects[number]), previous.passage_paras[start:end],
            previous.passage_signatures[start:end], previous.passage_keys[start:end])


def _key(plain: str) -> int:
    return int.from_bytes(hashlib.blake2b(plain.encode("utf-8"), digest_size=8).digest(), "little")
