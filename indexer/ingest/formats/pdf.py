"""PDF files with a text layer → paragraphs in reading order (pypdfium2, PDFium's Apache-licensed build).

PDFium gives the text in pieces broken where it moves to a new line; a few character boxes place
each piece. Pieces are grouped into lines by their height on the page, running headers, footers and page numbers are dropped, and lines are joined back into
paragraphs by their geometry: a paragraph goes on while a line reaches the right margin and the
next one is not indented, set apart, in another font size or opening a numbered heading.

A page that is only an image (a scan, or a scanned page inside a text PDF) is rendered and
recognised (``indexer/ingest/ocr.py``); its recognised lines, placed by their boxes, go through
the same layout rules. Files whose text layer is garbage are refused.
"""

from __future__ import annotations

import re
import statistics
import threading
from collections import Counter
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from indexer.ingest import ocr
from indexer.ingest.patterns import DATE_TEXT
from indexer.ingest.formats import BODY, TITLE, Block, DocumentError, Extracted
from indexer.ingest.formats.layout import (ABOVE_TITLE, ORGANS_ONLY, SENTENCE_END, join,
                                           starts_paragraph, tidy)

# CPU per page: PDFium 3 ms with embedded fonts, 15 ms with a non-embedded CJK font; this reader
# adds ~3 ms. A 2,000-page file of the slow kind takes 30 s and 210 MB; past this limit a file is
# refused with its page count instead of holding up a build for minutes.
MAX_PAGES = 3000

_FPDF_ERR_PASSWORD = 4
_PDFIUM_LOCK = threading.Lock()
_PIECE = re.compile(r"[^\r\n]+")

# Page furniture: "- 3 -", "— 3 —", "–– - 3 - ––", "第3页 共9页", "3/9", "Page 3 of 9".
_PAGE_NUMBER = re.compile(
    r"^[-—–―~·\s]*(?:第?\s*\d{1,4}\s*页?(?:\s*[/／,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[/／]\s*\d{1,4}"
    r"|[ivxlcIVXLC]{1,6}|page\s*\d+(?:\s*of\s*\d+)?)[-—–―~·\s]*$", re.IGNORECASE)
_HANZI = re.compile(r"[\u4e00-\u9fff]")
# An item whose next lines hang under its text: "a）…", "1. …", "（3）…".
_LIST_ITEM = re.compile(r"^(?:[a-zA-Z\d]{1,2}[）).、]|[（(][a-zA-Z\d一二三四五六七八九十]{1,3}[）)])")
# Set above the title in a larger font: a red head, a standard's cover line.
_MASTHEAD = re.compile(r"(?:文件|[国行地]\w标准|团体标准|企业标准)$")
# What a scanner app stamps on every page of a scan; it is not the document's text.
_SIGNATURE_DATE = re.compile(rf"^{DATE_TEXT}$")
_ONE_ORGAN = re.compile(r"^[\u4e00-\u9fff]{2,30}(?:院|委|会|府|厅|室|局|部|署|行|处|办|中心|中央|公司)$")
_SCANNER_MARK = re.compile(r"扫描全能王\s*创建|camscanner|由\s*扫描全能王\s*扫描创建", re.IGNORECASE)


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    height: float
    page: int
    indented_by_spaces: bool = False
    confidence: float | None = None  # a line recognised by OCR


def read(data: bytes, source: str) -> Extracted:
    """Read a PDF's text layer (and its image-only pages by OCR) into blocks; raise DocumentError
    for garbage, locks and damage."""
    tally = _Tally()
    pages = _lines_by_page(data, tally)
    _check_text_layer(pages, tally)
    extracted = Extracted(blocks=layout_blocks(pages, "PDF"))
    extracted.ocr_pages, extracted.ocr_cached, extracted.ocr_seconds = \
        tally.pages, tally.cached, round(tally.seconds, 2)
    return extracted


def layout_blocks(pages: list[list[_Line]], kind: str) -> list[Block]:
    """Paragraphs of a fixed-layout file's lines, page furniture dropped (the image reader's too)."""
    pages = _without_furniture(pages)
    lines = [line for page in pages for line in page]
    if not lines:
        raise DocumentError(f"{kind} has no text besides page numbers and running heads")
    return _paragraphs(lines)


@dataclass
class _Tally:
    """What OCR did for one file: pages recognised (cached ones among them) and in how long."""

    pages: int = 0
    cached: int = 0
    seconds: float = 0.0
    image_pages: int = 0
    scanner_marks: list[str] = field(default_factory=list)


def _open(data: bytes) -> pdfium.PdfDocument:
    if b"%PDF-" not in data[:1024]:
        raise DocumentError("not a PDF file (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError("truncated PDF (the file ends before its %%EOF end marker)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _FPDF_ERR_PASSWORD:
            raise DocumentError("encrypted PDF (needs a password to open)") from exc
        raise DocumentError(f"damaged PDF ({exc})") from exc


def _lines_by_page(data: bytes, tally: _Tally) -> list[list[_Line]]:
    with _PDFIUM_LOCK:  # PDFium is not thread-safe; builds read in processes, this guards threads
        return _read_lines(data, tally)


def _read_lines(data: bytes, tally: _Tally) -> list[list[_Line]]:
    pdf = _open(data)
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise DocumentError(f"PDF has {count:,} pages; files over {MAX_PAGES:,} are not read")
        pages, image_only = [], []
        for index in range(count):
            try:
                page = pdf[index]
                textpage = page.get_textpage()
            except pdfium.PdfiumError as exc:
                raise DocumentError(f"damaged PDF (page {index + 1} cannot be read)") from exc
            try:
                lines = _page_lines(textpage, index)
                if _image_only(page, lines):
                    image_only.append(index)
                pages.append(lines)
            finally:
                textpage.close()
                page.close()
        if image_only:
            tally.image_pages = len(image_only)
            tally.scanner_marks = [m for i in image_only for line in pages[i]
                                   for m in _SCANNER_MARK.findall(line.text)]
            if len(image_only) == count:
                ocr.check_allowed(count, "scanned PDF")
            else:
                # A text PDF with a few pages of images (figures, a scanned attachment) keeps its
                # text pages when OCR is off, and past the page limit only the first are read.
                image_only = image_only[:ocr.SETTINGS.max_pages] if ocr.SETTINGS.enabled else []
            digest = ocr.content_hash(data)
            if ocr.progress:
                ocr.progress(0, len(image_only))
            for done, index in enumerate(image_only):
                pages[index] = _recognised_page(pdf, index, digest, tally)
                if ocr.progress:
                    ocr.progress(done + 1, len(image_only))
        return pages
    finally:
        pdf.close()


def _image_only(page: pdfium.PdfPage, lines: list[_Line]) -> bool:
    """A page with (almost) no text but an image over a quarter of it or more: a scanned page."""
    text = _SCANNER_MARK.sub("", "".join(line.text for line in lines))
    if sum(c.isalnum() for c in text) >= 20:
        return False
    width, height = page.get_size()
    for obj in page.get_objects(max_depth=2):
        if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = obj.get_bounds()
            if (right - left) * (top - bottom) >= 0.25 * width * height:
                return True
    return False


def _recognised_page(pdf: pdfium.PdfDocument, index: int, digest: str,
                     tally: _Tally) -> list[_Line]:
    def render():
        page = pdf[index]
        try:
            return page.render(scale=ocr.RENDER_DPI / 72).to_pil()
        finally:
            page.close()

    recognised = ocr.page_text(digest, index, render)
    tally.pages += 1
    tally.cached += recognised.cached
    tally.seconds += recognised.seconds
    return ocr_lines(recognised, index, 72 / ocr.RENDER_DPI)


# Punctuation that a Chinese scan sets in a full cell, whatever width the recogniser prints
# (curly quotes are half a cell in the fonts of official documents).
_FULL_CELL = set("，。、；：？！（）《》【】,.;:?!()")
# What the recogniser prints as ASCII next to a hanzi is the full-width mark the page shows.
_FULL_WIDTH = dict(zip(",;:!?()", "，；：！？（）"))
_ASCII_PUNCTUATION = re.compile(r"(?<=[\u4e00-\u9fff）”])[,;:!?)]|[,;:!?(](?=[\u4e00-\u9fff（“])"
                                r"|(?<=[\u4e00-\u9fff])\(|\)(?=[\u4e00-\u9fff])")
# A page number as OCR reads "— 2 —": the dashes often come out as 一 or -.
_OCR_PAGE_NUMBER = re.compile(r"^[-—–―一~·_\s]*(\d{1,4})[-—–―一~·_\s]*$")


def ocr_lines(page: ocr.PageText, number_of_page: int, scale: float) -> list[_Line]:
    """A recognised page's lines as the layout rules see a PDF's: in points, y upwards.

    A line's size is its character pitch (its width over its characters), which tells a title's
    larger font from body text better than the height of a recogniser's box.
    """
    page_height = page.height * scale
    lines = []
    for row in ocr.rows(page.lines):
        pieces = [tidy(found.text) for found in row]
        text = pieces[0]
        for before, found, piece in zip(row, row[1:], pieces[1:]):
            gap = found.x0 - before.x1
            text += (" " if gap > 0.6 * (found.y1 - found.y0) else "") + piece
        text = _ASCII_PUNCTUATION.sub(lambda m: _FULL_WIDTH[m.group(0)], text.strip())
        number = _OCR_PAGE_NUMBER.match(text)
        if number:
            text = f"- {number.group(1)} -"
        if not any(c.isalnum() for c in text) or _SCANNER_MARK.search(text):
            continue
        x0, x1 = row[0].x0, row[-1].x1
        units = sum(0.5 if (c.isascii() and c not in _FULL_CELL) or c in "“”‘’" else 1.0
                    for c in text if not c.isspace())
        box_height = max(found.y1 - found.y0 for found in row) * scale
        size = (x1 - x0) * scale / units if units >= 4 and len(row) == 1 else 0.85 * box_height
        lines.append(_Line(text=text, x0=x0 * scale, x1=x1 * scale,
                           top=page_height - min(found.y0 for found in row) * scale,
                           bottom=page_height - max(found.y1 for found in row) * scale,
                           height=size, page=number_of_page, confidence=round(
                               statistics.fmean(found.confidence for found in row), 4)))
    lines.sort(key=lambda ln: -ln.top)
    return lines


def _page_lines(textpage: pdfium.PdfTextPage, page: int) -> list[_Line]:
    """Text of one page as lines, top to bottom, each placed by a few of its characters' boxes.

    PDFium's own text (``get_text_range``) breaks where the text moves to a new line; its pieces
    are placed by character boxes and pieces on one height merged. (Asking for the text inside
    each of PDFium's rectangles instead repeats characters that straddle two rectangles.)
    """
    text = textpage.get_text_range()
    runs = []
    for piece in _PIECE.finditer(text):
        box = _piece_box(textpage, text, piece.start(), piece.end() - 1)
        if box is not None:
            runs.append((*box[:4], piece.group(), box[4]))
    runs.sort(key=lambda run: -run[3])
    grouped: list[list[tuple]] = []
    for run in runs:
        for line in reversed(grouped[-4:]):
            if _same_line(line[0], run):
                line.append(run)
                break
        else:
            grouped.append([run])
    lines = []
    for line in grouped:
        line.sort(key=lambda run: run[0])
        height = max(run[5] for run in line)
        raw = line[0][4]
        for before, run in zip(line, line[1:]):
            gap = run[0] - before[2]
            raw += (" " if gap > 0.6 * height and not raw.endswith(" ") else "") + run[4]
        text = tidy(raw)
        if text:
            lines.append(_Line(
                text=text, x0=line[0][0], x1=max(run[2] for run in line),
                top=max(run[3] for run in line), bottom=min(run[1] for run in line),
                height=height, page=page,
                indented_by_spaces=raw[:2].isspace() or raw[:1] == "\u3000"))
    lines.sort(key=lambda ln: -ln.top)
    return lines


def _piece_box(textpage: pdfium.PdfTextPage, text: str, first: int, last: int) -> tuple | None:
    """(left, bottom, right, top, font size) of a piece of text, from a few of its characters."""
    step = max(1, (last - first) // 8)
    samples = sorted({first, last, *range(first, last, step)})
    boxes, sizes = [], []
    for text_index in samples:
        char_index = pdfium.raw.FPDFText_GetCharIndexFromTextIndex(textpage.raw, text_index)
        if char_index < 0:
            continue
        left, right, bottom, top = _charbox(textpage, char_index)
        if right > left or top > bottom:
            boxes.append((left, bottom, right, top))
            if _HANZI.match(text[text_index]):  # brackets stand taller, digits shorter
                sizes.append(top - bottom)
    if not boxes:
        return None
    tallest = max(top - bottom for _, bottom, _, top in boxes)
    solid = [box for box in boxes if box[3] - box[1] >= 0.5 * tallest]  # not a low 。or ，
    size = statistics.median(sizes or [box[3] - box[1] for box in solid])
    return (min(box[0] for box in boxes), min(box[1] for box in solid),
            max(box[2] for box in boxes), max(box[3] for box in solid), size)


def _charbox(textpage: pdfium.PdfTextPage, index: int) -> tuple[float, float, float, float]:
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    return left, right, bottom, top


def _same_line(anchor: tuple, run: tuple) -> bool:
    """Whether two pieces sit on one line: their middles closer than a third of the font size."""
    return abs((anchor[1] + anchor[3]) - (run[1] + run[3])) / 2 < 0.35 * max(anchor[5], run[5])


def _check_text_layer(pages: list[list[_Line]], tally: _Tally) -> None:
    """Refuse a file without text (a blank scan, a text layer of only the scanner's mark) and a
    text layer of garbage glyphs."""
    text = "".join(line.text for page in pages for line in page)
    marks = _SCANNER_MARK.findall(text) or tally.scanner_marks
    content = _SCANNER_MARK.sub("", text)
    letters = [c for c in content if c.isalnum()]
    if len(letters) < 20:
        if tally.image_pages:
            raise DocumentError(f"scanned PDF: OCR found no text on its {tally.image_pages} "
                                "page images")
        if marks:
            raise DocumentError(f"PDF without text: its text layer holds only the scanner's "
                                f"mark ({marks[0]}) and it has no page images")
        raise DocumentError("PDF without text (no text layer and no page images)")
    typeset = "".join(line.text for page in pages for line in page if line.confidence is None)
    typeset = _SCANNER_MARK.sub("", typeset)
    if typeset and ("(cid:" in typeset or _readable_share(typeset) < 0.9):
        raise DocumentError("PDF text layer is garbage (unmapped or private-use glyphs)")


def _readable_share(text: str) -> float:
    """Share of characters that belong in a Chinese document: common hanzi, Latin, digits, punctuation."""
    good = bad = 0
    for char in text:
        if char.isspace():
            continue
        if char.isascii():
            if char.isalnum() or char in ".,:;()%-/+'\"<>=[]&*#@_":
                good += 1
            else:
                bad += 1
        elif "\ue000" <= char <= "\uf8ff" or char == "\ufffd":
            bad += 1
        else:
            try:
                char.encode("gb2312")
                good += 1
            except UnicodeEncodeError:
                bad += not ("\u2000" <= char <= "\u206f" or "\uff00" <= char <= "\uffef")
    return good / max(good + bad, 1)


# How many lines at the top and at the bottom of a page may be running heads and page numbers.
_EDGE = 4


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _without_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers and lines repeated at the top or bottom of several pages."""
    edge_counts: Counter[str] = Counter()
    for page in pages:
        edges = {_furniture_key(line.text) for line in page[:_EDGE] + page[-_EDGE:]}
        edge_counts.update(edges)
    repeated = {key for key, count in edge_counts.items()
                if count >= 2 and count >= min(3, 0.4 * len(pages))}
    kept_pages = []
    for number, page in enumerate(pages):
        # On the first page only the very first and last lines may be a running head: further
        # in, a repeated line is the cover's own (a standard's number under its title).
        edge = _EDGE if number else 1
        edge_ids = {id(line) for line in page[:edge] + page[-edge:]}
        kept_pages.append([
            line for line in page
            if not (id(line) in edge_ids
                    and (_PAGE_NUMBER.match(line.text)
                         or (_furniture_key(line.text) in repeated
                             and not starts_paragraph(line.text))))
        ])
    return kept_pages


@dataclass
class _Measure:
    """The body text's geometry: character size, margins and the normal distance between lines."""

    em: float
    left: float
    right: float
    pitch: float


def _measure(lines: list[_Line]) -> _Measure:
    long_lines = [line for line in lines if len(line.text) >= 8] or lines
    em = statistics.median(line.height for line in long_lines)
    lefts = Counter(round(line.x0) for line in long_lines)
    left = min(x for x, n in lefts.items() if n >= max(2, 0.1 * len(long_lines))) \
        if any(n >= 2 for n in lefts.values()) else min(lefts)
    rights = sorted(line.x1 for line in long_lines)
    right = rights[int(0.9 * (len(rights) - 1))]
    pitches = [_pitch(a, b) for a, b in zip(lines, lines[1:])
               if a.page == b.page and 0 < _pitch(a, b) < 4 * em]
    pitch = statistics.median(pitches) if pitches else em * 1.5
    return _Measure(em=em, left=left, right=right, pitch=pitch)


def _pitch(above: _Line, below: _Line) -> float:
    return (above.top + above.bottom - below.top - below.bottom) / 2


def _paragraphs(lines: list[_Line]) -> list[Block]:
    """Join lines that only the layout broke; the title's lines (a larger font on page 1) as one."""
    measure = _measure(lines)
    title_lines = _title_lines(lines, measure)
    blocks: list[Block] = []
    current = ""
    confidences: list[float] = []
    for index, line in enumerate(lines):
        before = lines[index - 1] if index else None
        if before is not None and _continues(before, line, measure, title_lines):
            current = join(current, line.text)
        else:
            if current:
                blocks.append(_block(current, id(before) in title_lines, confidences))
            current, confidences = line.text, []
        if line.confidence is not None:
            confidences.append(line.confidence)
    if current:
        blocks.append(_block(current, id(lines[-1]) in title_lines, confidences))
    return _signature_joined(blocks)


def _signature_joined(blocks: list[Block]) -> list[Block]:
    """The signature's organ names and the date under them are one paragraph (财政部 农业农村部
    2024年5月10日), not a line of names standing alone."""
    for index in range(len(blocks) - 1, max(len(blocks) - 8, 0), -1):
        names, date = blocks[index - 1], blocks[index]
        if _SIGNATURE_DATE.match(date.text) and (ORGANS_ONLY.match(names.text)
                                                 or _ONE_ORGAN.match(names.text)):
            joined = Block(f"{names.text} {date.text}", BODY, confidence=names.confidence)
            return blocks[:index - 1] + [joined] + blocks[index + 1:]
    return blocks


def _block(text: str, title: bool, confidences: list[float]) -> Block:
    confidence = round(statistics.fmean(confidences), 3) if confidences else None
    return Block(text, TITLE if title else BODY, confidence=confidence)


def _title_lines(lines: list[_Line], measure: _Measure) -> set[int]:
    """The title: the run of 1–3 adjacent lines in the largest Chinese font on the first page,
    or else the centred lines it opens with.

    A 公文's red head (XX人民政府文件) and a standard's 中华人民共和国国家标准 stand above the
    title in an even larger font, so they are passed over.
    """
    first_page = [line for line in lines if line.page == lines[0].page]
    runs: list[list[_Line]] = []
    previous = None
    for line in first_page:
        large = (line.height >= 1.3 * measure.em and _HANZI.search(line.text)
                 and not _MASTHEAD.search(line.text))
        if large and runs and runs[-1][-1] is previous and _same_size(previous, line) \
                and len(runs[-1]) < 3 and previous.bottom - line.top < 1.2 * line.height:
            runs[-1].append(line)
        elif large:
            runs.append([line])
        previous = line
    runs = _with_issuers_line(runs, first_page)
    if runs:
        return {id(line) for line in max(runs, key=lambda run: run[0].height)}
    return _centred_opening(first_page, measure)


def _with_issuers_line(runs: list[list[_Line]], first_page: list[_Line]) -> list[list[_Line]]:
    """A joint document's title opens with its issuers' names (财政部 农业农村部), often a little
    larger or set apart: that line and the large lines right under it are one title."""
    merged: list[list[_Line]] = []
    for run in runs:
        if merged and len(merged[-1]) == 1 and ORGANS_ONLY.match(merged[-1][0].text):
            issuers = merged[-1][0]
            following = first_page.index(issuers) + 1
            if following < len(first_page) and first_page[following] is run[0] \
                    and issuers.bottom - run[0].top < 2.5 * run[0].height \
                    and run[0].height >= 0.75 * issuers.height:
                merged[-1] = [issuers] + run
                continue
        merged.append(run)
    return merged


def _centred_opening(first_page: list[_Line], measure: _Measure) -> set[int]:
    """Without a larger font: the centred lines the first page opens with (after 附件 or 文号 lines)."""
    title: list[_Line] = []
    for line in first_page:
        if not title and ABOVE_TITLE.search(line.text):
            continue
        left_gap, right_gap = line.x0 - measure.left, measure.right - line.x1
        centred = min(left_gap, right_gap) > 1.5 * measure.em \
            and abs(left_gap - right_gap) < 1.5 * measure.em
        if not centred or line.text.endswith(SENTENCE_END) or len(title) == 3 \
                or (title and (not _same_size(title[-1], line)
                               or _pitch(title[-1], line) > measure.pitch + 0.6 * measure.em)):
            break
        title.append(line)
    return {id(line) for line in title}


def _same_size(a: _Line, b: _Line) -> bool:
    return abs(a.height - b.height) <= 0.15 * max(a.height, b.height)


def _continues(before: _Line, line: _Line, measure: _Measure, title_lines: set[int]) -> bool:
    """Whether `line` goes on the paragraph that `before` is part of."""
    em = measure.em
    if (id(before) in title_lines) != (id(line) in title_lines):
        return False
    if id(line) in title_lines:
        return True
    if line.indented_by_spaces or starts_paragraph(line.text):
        return False
    if not _same_size(before, line):
        return False
    hanging = _LIST_ITEM.match(before.text) and line.x0 > before.x0 + 0.5 * em
    if (line.x0 > measure.left + 0.8 * em and not hanging) or before.x0 < measure.left - 0.8 * em:
        return False
    # A full line reaches the right margin; one that stops a character or two short still goes
    # on when it does not end a sentence (a ，or 。 may not start a line, so the character before
    # it moves down with it).
    # A recognised line's box ends where the ink does: a 。or ” sits in the left half of its cell.
    short_by = (measure.right - before.x1) / em
    sentence_end = 0.5 if before.confidence is None else 1.6
    if short_by > (sentence_end if before.text.endswith(SENTENCE_END) else 2.5):
        return False
    if before.page == line.page and _pitch(before, line) > measure.pitch + 0.6 * em:
        return False
    return True
