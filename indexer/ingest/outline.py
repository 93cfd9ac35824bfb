"""Outline headings and section paths: which lines of a document are headings, and under which.

Chinese official documents number their outline in a fixed order of styles (第一编 › 第一章 ›
第一节 › 一、 › （一） › 1. › （1） › 一是…); ``heading_rank`` gives a line's place in it (smaller =
higher), and ``sectioned`` turns a document's lines into numbered paragraphs carrying the path of
headings above them (``section``), which ranking and the document page use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.cleanup import TERMINAL

SECTION_SEPARATOR = " › "
MAX_HEADING = 40


@dataclass(frozen=True)
class Paragraph:
    para: int
    text: str
    section: str
    heading: bool
    level: int
    ocr: bool = False  # recognised from an image, so it may hold misread characters
    confidence: float | None = None  # the recogniser's mean confidence for its lines (OCR only)


@dataclass
class Line:
    """One cleaned line of a document, with what the reader knew of it."""

    text: str
    markdown_depth: int = 0
    preamble: bool = False
    table: bool = False


_CN_NUM = "一二三四五六七八九十百千零〇两"
_HEADING_STYLES: list[tuple[int, re.Pattern]] = [
    (0, re.compile(r"^(?:附[件录]?\s*\d*[:：]?\s*)?(?:名词解释|注释|名词注释|附件\d*|附录)[:：]?$")),
    (1, re.compile(rf"^第[{_CN_NUM}\d]+编(?:\s|$)")),
    (2, re.compile(rf"^第[{_CN_NUM}\d]+章(?:\s|$)")),
    (3, re.compile(rf"^第[{_CN_NUM}\d]+节(?:\s|$)")),
    (4, re.compile(r"^(?:\d{4}年|“[^”]{2,8}”)[^。，；]{0,24}(?:回顾|安排|任务|成就|总结|要求|建议|部署|工作)$")),
    (5, re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|结束语$)")),
    (6, re.compile(r"^第[一二三四五六七八九十]{1,3}[、，,]")),
    (7, re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]")),
    (8, re.compile(r"^\d{1,2}[.．、](?!\d)[^:：]*$")),
    (9, re.compile(r"^[（(]\d{1,2}[）)]")),
    # "一是…" / "首先…" items are the lowest outline level; a bare "一是" is a broken line, not a title.
    (10, re.compile(r"^(?:[一二三四五六七八九十]{1,2}是|首先|其次|再次|最后)(?!是)[，,]?[^，,\s]{2}")),
]
_ARTICLE = re.compile(rf"^(第[{_CN_NUM}\d]+条(?:之[一二三四五六七八九十]+)?)(?:\s|$)")
# An outline item may be one sentence closed by 。 ("（三）着力扩大国内需求。", "四是…。"):
# numbered styles only, one sentence, and it must open a section (see _opens_section).
_CLOSABLE_RANKS = frozenset({5, 6, 7, 8, 9})
_ONE_SENTENCE = re.compile(r"^[^。！？!?；;：:…]+。$")
_ENUMERATED_ITEM = re.compile(r"^[一二三四五六七八九十]{1,2}是")
MAX_CLOSED_HEADING = 60  # a closed outline title is longer than a bare one ("（一）久久为功推动…城市群。")


def heading_rank(line: Line, following: Line | None = None,
                 preceding: Line | None = None) -> int | None:
    """Rank of a heading style (smaller = higher in the hierarchy), or None for body text.

    A line closed by 。 is a heading only given its neighbours: the line after it must be its
    body (not a sibling item of the same style) and the line before it must not leave a list
    open with ；.
    """
    if line.markdown_depth:
        return line.markdown_depth - 10
    text = line.text
    if line.table or _ARTICLE.match(text):
        return None
    if text.endswith("。") and len(text) <= MAX_CLOSED_HEADING and _ONE_SENTENCE.match(text):
        rank = _style_rank(text)
        closable = rank in _CLOSABLE_RANKS or (rank == 10 and _ENUMERATED_ITEM.match(text))
        return rank if closable and _opens_section(rank, following, preceding) else None
    if len(text) > MAX_HEADING or text[-1] in TERMINAL + "，," or "。" in text:
        return None
    return _style_rank(text)


def _style_rank(text: str) -> int | None:
    for rank, pattern in _HEADING_STYLES:
        if pattern.match(text):
            return rank
    return None


def _opens_section(rank: int, following: Line | None, preceding: Line | None) -> bool:
    # "一、节约能源…；/ 二、…；/ 三、…。" is a list, and so are short items in a row; a title has a body.
    if following is None or following.table or following.markdown_depth:
        return False
    if preceding is not None and (preceding.text[-1] in "；;" or _style_rank(preceding.text) == rank):
        return False
    return _style_rank(following.text) != rank


def _nests(rank: int, text: str, stack: list[tuple[int, str]]) -> bool:
    # A closed title ("三、…。") goes under the current heading, or follows one of its ancestors
    # as the next number; never above them all and never back in the count (in a report whose
    # parts are "六、…" › "第一、…", a following "三、…。" is an item of a list).
    if not stack or rank > stack[-1][0]:
        return True
    sibling = next((heading for r, heading in stack if r == rank), None)
    if sibling is None:
        return False
    before, number = _ordinal(sibling), _ordinal(text)
    return before is None or number is None or number == before + 1


_ORDINAL = re.compile(r"^(?:第|[（(])?([一二三四五六七八九十]{1,3}|\d{1,2})")


def _ordinal(text: str) -> int | None:
    match = _ORDINAL.match(text)
    if not match:
        return None
    numeral = match.group(1)
    return int(numeral) if numeral.isdigit() else cn_small(numeral)


def sectioned(lines: list[Line], title_index: int | None) -> list[Paragraph]:
    """Number the lines as paragraphs, each with the path of headings above it (its section);
    a law's article number (第十条) joins the path of the clauses under it."""
    stack: list[tuple[int, str]] = []
    article: str | None = None
    paragraphs: list[Paragraph] = []
    for index, line in enumerate(lines):
        number = len(paragraphs) + 1
        if index == title_index:
            paragraphs.append(Paragraph(number, line.text, "", True, 1))
            continue
        rank = None if line.preamble else heading_rank(
            line, lines[index + 1] if index + 1 < len(lines) else None,
            lines[index - 1] if index else None)
        if rank is not None and line.text.endswith("。") and not _nests(rank, line.text, stack):
            rank = None
        if rank is not None:
            while stack and stack[-1][0] >= rank:
                stack.pop()
            parent = SECTION_SEPARATOR.join(text for _, text in stack)
            stack.append((rank, line.text))
            article = None
            # Level 1 is the document title; section headings start at 2.
            paragraphs.append(Paragraph(number, line.text, parent, True, len(stack) + 1))
            continue
        path = [text for _, text in stack]
        match = None if line.table else _ARTICLE.match(line.text)
        if match:
            article = match.group(1)
        elif article:
            path.append(article)
        paragraphs.append(Paragraph(number, line.text, SECTION_SEPARATOR.join(path), False, 0))
    return paragraphs


def cn_small(numeral: str) -> int:
    """The value of a small Chinese numeral (一 … 九十九)."""
    digits = "零一二三四五六七八九"
    if "十" not in numeral:
        return digits.find(numeral)
    tens, _, units = numeral.partition("十")
    return (digits.find(tens) if tens else 1) * 10 + (digits.find(units) if units else 0)
