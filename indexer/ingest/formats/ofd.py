"""OFD files (GB/T 33190, a ZIP of XML pages) → paragraphs in reading order (ofdkit).

ofdkit places every text run on its page (millimetres, origin top left). Runs are grouped into
lines by their baseline, lines read top to bottom and left to right, and lines re-joined into
paragraphs: a line that stops short of the right margin, ends a sentence, or is followed by an
indented line or a numbered heading ends its paragraph. Page numbers (— 1 —) are dropped; the
lines set in the largest type above the body (a 公文's title under its red head) become the
title block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ofdkit

from indexer.ingest.formats import BODY, TITLE, Block, DocumentError, Extracted, open_zip
from indexer.ingest.formats.layout import SENTENCE_END, join, starts_paragraph, tidy

_PAGE_NUMBER = re.compile(r"^[-—–－\s]*\d{1,4}[-—–－\s]*$|^第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?$")
_MASTHEAD = re.compile(r"文件$")  # 某某局文件: the red head, not the title


@dataclass
class _Line:
    text: str
    left: float
    right: float
    y: float
    size: float


def read(data: bytes, source: str) -> Extracted:
    """Read an OFD file into blocks; DocumentError for a broken, oversized or text-less file."""
    open_zip(data, "OFD")
    try:
        with ofdkit.open(data) as document:
            pages = [_page_lines(page.runs) for page in document.pages]
    except ofdkit.OFDLimitError as exc:
        raise DocumentError(f"OFD file over a safety limit ({exc})") from exc
    except ofdkit.OFDError as exc:
        raise DocumentError(f"damaged OFD file ({exc})") from exc
    blocks: list[Block] = []
    for number, lines in enumerate(pages):
        blocks.extend(_paragraphs(lines, title_allowed=number == 0 and not blocks))
    if not blocks:
        raise DocumentError("OFD has no text (a scan without a text layer?)")
    return Extracted(blocks=blocks)


def _page_lines(runs) -> list[_Line]:
    runs = sorted((run for run in runs if run.text.strip()), key=lambda run: (run.y, run.x))
    grouped: list[list] = []
    for run in runs:
        if grouped and abs(run.y - grouped[-1][0].y) <= 0.4 * max(run.size, 1.0):
            grouped[-1].append(run)
        else:
            grouped.append([run])
    lines = []
    for group in grouped:
        group.sort(key=lambda run: run.x)
        text, end = "", None
        for run in group:
            # Runs that touch are one word ("202" + "3"); a gap between Latin words is a space.
            touching = end is not None and run.x - end < 0.3 * max(run.size, 1.0)
            text = text + run.text if touching else join(text, run.text)
            end = run.x + run.width
        text = tidy(text)
        if text and not _PAGE_NUMBER.match(text):
            lines.append(_Line(text, group[0].x, max(r.x + r.width for r in group), group[0].y,
                               max(r.size for r in group)))
    return lines


def _paragraphs(lines: list[_Line], title_allowed: bool) -> list[Block]:
    if not lines:
        return []
    body_size = sorted(line.size for line in lines)[len(lines) // 2]
    margin_left = min(line.left for line in lines if line.size <= body_size * 1.05)
    margin_right = max(line.right for line in lines if line.size <= body_size * 1.05)
    blocks: list[Block] = []
    current: _Line | None = None
    in_title = title_allowed

    def flush(kind=BODY):
        nonlocal current
        if current is not None:
            blocks.append(Block(current.text, kind))
            current = None

    for line in lines:
        large = line.size > body_size * 1.2 and not _MASTHEAD.search(line.text)
        if in_title and large:
            if current is not None and current.size > body_size * 1.2 and line.y - current.y < 2.5 * line.size:
                current.text = join(current.text, line.text)  # a title set over two lines
            else:
                flush()
                current = _Line(line.text, line.left, line.right, line.y, line.size)
            continue
        if current is not None and current.size > body_size * 1.2 and not _MASTHEAD.search(current.text):
            flush(TITLE)
            in_title = False
        if current is not None and _continues(current, line, margin_left, margin_right, body_size):
            current.text = join(current.text, line.text)
            current.right, current.y = line.right, line.y
            continue
        flush()
        current = _Line(line.text, line.left, line.right, line.y, line.size)
    flush(TITLE if current is not None and in_title and current.size > body_size * 1.2 else BODY)
    return blocks


def _continues(before: _Line, line: _Line, margin_left: float, margin_right: float,
               size: float) -> bool:
    """True when ``line`` carries on the paragraph of ``before`` (only the layout broke it)."""
    if abs(before.size - line.size) > 0.15 * size or line.y - before.y > 2.5 * size:
        return False
    if before.right < margin_right - 1.5 * size:  # stopped short: the paragraph ended there
        return False
    if before.text.endswith(SENTENCE_END[:4]) and line.left > margin_left + 0.8 * size:
        return False
    if line.left > margin_left + 1.5 * size or starts_paragraph(line.text):
        return False
    return True
