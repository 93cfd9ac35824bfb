"""Highlighting: which characters of a paragraph matched, and an escaped fragment around them.

A term is marked where it occurs literally (after normalisation). Only when a paragraph has
no literal occurrence of a term (it matched through segmented words) are that term's words
marked, at the word boundaries jieba found. Nothing else is ever marked.
"""

from __future__ import annotations

from html import escape

from indexer.analysis import literal_form, word_spans
from indexer.search.query import ParsedQuery

SNIPPET_CHARS = 160
CONTEXT_BEFORE = 24
ELLIPSIS = "…"


def match_spans(text: str, parsed: ParsedQuery, words: bool = True) -> list[tuple[int, int, int]]:
    """(start, end, term number) of every match in ``text``, sorted, overlaps merged.

    ``words=False`` marks literal occurrences only (for paragraphs that are not hits, whose
    scattered words would be noise).
    """
    normalised, origin = literal_form(text)
    spans: list[tuple[int, int, int]] = []
    words_needed: dict[str, int] = {}
    for number, term in enumerate(parsed.terms):
        found = _literal_spans(normalised, origin, term.literal, number)
        spans.extend(found)
        if words and not found and not term.phrase and parsed.mode == "words":
            for word in term.words:
                words_needed.setdefault(word, number)
    if words_needed:
        for word, _, start, end in word_spans(text, "index"):
            if word in words_needed:
                spans.append((start, end, words_needed[word]))
    return _merge(spans)


def _literal_spans(normalised, origin, literal, number):
    spans, start = [], normalised.find(literal)
    while start >= 0 and literal:
        end = start + len(literal) - 1
        spans.append((origin[start], origin[end] + 1, number))
        start = normalised.find(literal, start + 1)
    return spans


def _merge(spans):
    merged: list[tuple[int, int, int]] = []
    for start, end, number in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, number))
    return merged


def mark(text: str, spans, start: int = 0, end: int | None = None) -> str:
    """HTML of ``text[start:end]`` with every span wrapped in <mark>, everything escaped."""
    end = len(text) if end is None else end
    pieces, cursor = [], start
    for span_start, span_end, _ in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append("<mark>" + escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    return "".join(pieces)


def highlight(text: str, parsed: ParsedQuery | None, is_hit: bool = True) -> str:
    """The whole paragraph as HTML with its matches marked (for the document page)."""
    return mark(text, match_spans(text, parsed, words=is_hit) if parsed else [])


def snippet(text: str, parsed: ParsedQuery, size: int = SNIPPET_CHARS) -> str:
    """An escaped fragment of at most ``size`` characters around the best cluster of matches."""
    spans = match_spans(text, parsed)
    if len(text) <= size:
        return mark(text, spans)
    start = _best_window(spans, size, len(text))
    end = min(len(text), start + size)
    html = mark(text, spans, start, end)
    return (ELLIPSIS if start > 0 else "") + html + (ELLIPSIS if end < len(text) else "")


def _best_window(spans, size, length) -> int:
    best_start, best_key = 0, None
    for anchor, _, _ in spans:
        start = max(0, min(anchor - CONTEXT_BEFORE, length - size))
        inside = [s for s in spans if s[0] >= start and s[1] <= start + size]
        key = (len({s[2] for s in inside}), len(inside), -start)
        if best_key is None or key > best_key:
            best_start, best_key = start, key
    return best_start
