"""The literal character grams of a segment's paragraphs, as posting arrays, made with NumPy.

Literal search finds a string through the unigrams and bigrams of each paragraph's literal form
(``analysis.gram_terms`` defines them: a string of n ≥ 2 characters occurs at i exactly when its
bigrams stand at i..i+n-2). They are about 60% of all postings and, built one Python object
per posting through Whoosh, were 70% of a build's time; they live only in the segment's
``.arrays`` file (see ``arrays.py``) and are made here for a whole segment at once: every
character becomes a unigram key and a bigram key, one stable sort groups the keys, and the
boundaries of the sorted keys and paragraph numbers give terms, postings and positions.

A key packs a gram's code points so that key order is the UTF-8 byte order Whoosh and the
arrays' binary search use: ``first << 22 | (second + 1)``, with second = -1 for a unigram (a
unigram sorts before the bigrams it starts; UTF-8 preserves code point order and no character's
encoding is a prefix of another's).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from indexer.analysis import literal_text

_SHIFT = 22  # code points are < 2**21; the second one is stored plus one
_LOW = (1 << _SHIFT) - 1


def gram_arrays(docnums: Sequence[int], texts: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The ``grams`` field's arrays (terms, term_offsets, starts, ids, weights, position_starts,
    positions) for paragraphs ``texts`` numbered ``docnums`` (ascending); None if no text."""
    # A build worker's memory peaks here, at the end of each segment: every intermediate is
    # dropped as soon as the next is made (62 bytes a character at the peak, was 127).
    forms = [literal_text(text) for text in texts]
    lengths = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    total = int(lengths.sum())
    if not total:
        return None
    codes = np.frombuffer("".join(forms).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    del forms
    firsts = np.cumsum(lengths) - lengths
    last = (firsts + lengths - 1)[lengths > 0]  # each paragraph's last character

    # Per character its unigram, then its bigram (if any): the entries stay in (paragraph,
    # position) order, which the stable sort keeps within each gram.
    keys = np.empty(2 * total, dtype=np.int64)
    keys[0::2] = codes
    keys[0::2] <<= _SHIFT
    keys[1::2] = -1
    keys[1:-1:2] = codes[1:]
    keys[2 * last + 1] = -1
    present = np.ones(2 * total, dtype=bool)
    present[1::2] = keys[1::2] >= 0
    keys[1::2] += 1
    keys[1::2] |= keys[0::2]
    del codes
    keys = keys[present]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    owners = np.repeat(np.asarray(docnums, dtype=np.int32), lengths)
    owners = np.repeat(owners, 2)[present][order]
    positions = np.arange(total, dtype=np.int32)
    positions -= np.repeat(firsts.astype(np.int32), lengths)
    positions = np.repeat(positions, 2)[present][order]
    del order, present

    count = len(keys)
    term_first = np.ones(count, dtype=bool)
    term_first[1:] = keys[1:] != keys[:-1]
    posting_first = term_first.copy()
    posting_first[1:] |= owners[1:] != owners[:-1]
    term_at = np.flatnonzero(term_first)
    del term_first
    posting_at = np.flatnonzero(posting_first)
    del posting_first
    term_keys = keys[term_at]
    del keys
    return {
        **_term_bytes(term_keys >> _SHIFT, (term_keys & _LOW) - 1),
        "starts": np.append(np.searchsorted(posting_at, term_at), len(posting_at)),
        "ids": owners[posting_at],
        "weights": np.diff(np.append(posting_at, count)).astype(np.float32),
        "position_starts": np.append(term_at, count),
        "positions": positions,
    }


def _term_bytes(first: np.ndarray, second: np.ndarray) -> dict[str, np.ndarray]:
    """The terms' UTF-8 bytes, concatenated, and where each starts (``term_offsets``)."""
    pairs = np.stack((first, second), axis=1).ravel()
    chars = pairs[pairs >= 0].astype(np.uint32)
    encoded = chars.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass")
    sizes = _utf8_size(first) + np.where(second >= 0, _utf8_size(second), 0)
    return {"terms": np.frombuffer(encoded, dtype=np.uint8),
            "term_offsets": np.concatenate(([0], np.cumsum(sizes)))}


def _utf8_size(codes: np.ndarray) -> np.ndarray:
    return 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
