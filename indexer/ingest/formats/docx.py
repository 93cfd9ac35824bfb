"""Word .docx files → paragraphs, headings, table rows and footnotes in document order (python-docx).

Text comes from what Word shows: field results but not field codes (``w:instrText``), inserted
revisions but not deleted ones (``w:delText``), a text box once (not again from its
``mc:Fallback`` copy). A manual line break or a full-width indent inside one Word paragraph
starts a new paragraph: pasted web text often arrives as one paragraph holding a whole document.
"""

from __future__ import annotations

import io
import re

import docx
from docx.oxml.ns import qn
from lxml import etree

from indexer.ingest.formats import BODY, HEADING, TABLE_ROW, TITLE, Block, DocumentError, Extracted, open_zip
from indexer.ingest.formats.layout import ABOVE_TITLE, DOC_NUMBER, SENTENCE_END, join, starts_paragraph, tidy

_TEXT, _TAB, _BREAK, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PARAGRAPH, _TABLE = qn("w:p"), qn("w:tbl")
_SDT, _CUSTOM_XML = qn("w:sdt"), qn("w:customXml")

# "Heading 2", "heading 2", "标题 2" (Word's Chinese UI), "Title", "标题".
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|标题)$", re.IGNORECASE)
# A full-width indent inside one paragraph after a sentence, or before an outline number (一、
# after a heading that has no full stop, （一） after 一、…): the start of the next paragraph.
_INLINE_PARAGRAPH = re.compile(
    r"(?<=[。！？；：])[\u3000\u00a0 ]{2,}|[\u3000\u00a0 ]{2,}(?=[一二三四五六七八九十百]{1,3}[、．]"
    r"|[（(][一二三四五六七八九十百]{1,3}[）)]|第[一二三四五六七八九十百零〇\d]{1,4}[章节条])")
_MAX_TITLE_LINES = 3
_ROW = -1  # the level _body_blocks gives a table row


def read(data: bytes, source: str) -> Extracted:
    """Read a .docx into blocks; raise DocumentError for a file that is not a readable DOCX."""
    open_zip(data, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a missing part, broken XML, a ZIP of something else: all damage
        raise DocumentError(f"damaged DOCX file ({type(exc).__name__}: {exc})") from exc
    blocks = _body_blocks(document) + _footnote_blocks(document)
    if not blocks:
        raise DocumentError("DOCX has no text")
    meta = {}
    title = _sensible_title(document.core_properties.title or "", blocks)
    if title:
        meta["title"] = title
    return Extracted(blocks=blocks, meta=meta)


def _body_blocks(document) -> list[Block]:
    """Body paragraphs and table rows in order; the title block at the top joined from its lines."""
    items: list[tuple[list[str], int | None, bool]] = []  # lines, level (_ROW: a table's), centred
    styles = _StyleLevels(document)
    for element in _block_elements(document.element.body):
        if element.tag == _PARAGRAPH:
            lines = _paragraph_lines(element)
            if lines:
                items.append((lines, styles.level(element), _centred(element, styles)))
            elif items and items[-1][0]:
                items.append(([], None, False))  # an empty paragraph: ends a title
        elif element.tag == _TABLE:
            for row in _table_rows(element):
                items.append(([row], _ROW, False))
    return _to_blocks(items)


def _block_elements(parent):
    """Paragraphs and tables in order, also those inside content controls (w:sdt) and custom XML."""
    for element in parent.iterchildren():
        if element.tag in (_PARAGRAPH, _TABLE):
            yield element
        elif element.tag == _SDT:
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_elements(content)
        elif element.tag == _CUSTOM_XML:
            yield from _block_elements(element)


def _to_blocks(items: list[tuple[list[str], int | None, bool]]) -> list[Block]:
    """Blocks of the items; the title is the first centred (or Title/Heading 1) lines, at most three."""
    blocks: list[Block] = []
    title: list[str] = []
    title_at = 0  # where the title stands among the blocks
    title_open = True
    for lines, level, centred in items:
        if title_open:
            if not lines:  # an empty paragraph ends a title that has begun
                title_open = not title
                continue
            if not title and level != _ROW and ABOVE_TITLE.search(lines[0]):
                blocks.append(Block(lines[0]))  # 附件1： or the 文号 stands above a title
                lines = lines[1:]
                if not lines:
                    continue
            if level != _ROW and (centred or level in (0, 1)):
                rest = []
                for line in lines:
                    if (rest or len(title) == _MAX_TITLE_LINES or DOC_NUMBER.search(line)
                            or starts_paragraph(line)):
                        rest.append(line)
                    else:
                        title_at = title_at if title else len(blocks)
                        title.append(line)
                if not rest:
                    continue
                lines, level = rest, None
            title_open = False
        for line in lines:
            if level == _ROW:
                blocks.append(Block(line, TABLE_ROW))
            elif level:
                blocks.append(Block(line, HEADING, level))
            else:
                blocks.append(Block(line))
    if title:
        text = ""
        for line in title:
            text = join(text, line)
        blocks.insert(title_at, Block(text, TITLE))
    return blocks


def _paragraph_lines(p) -> list[str]:
    """A paragraph's visible text, split where a line break or a full-width indent starts a new one."""
    parts = []
    for element in p.iter(_TEXT, _TAB, _BREAK, _CR):
        if _in_fallback(element):
            continue
        if element.tag == _TEXT:
            parts.append(element.text or "")
        elif element.tag == _TAB:
            parts.append(" ")
        elif element.get(qn("w:type")) in (None, "textWrapping"):
            parts.append("\n")
    text = "".join(parts)
    lines = []
    for piece in text.split("\n"):
        for sentence_group in _INLINE_PARAGRAPH.split(piece):
            line = tidy(sentence_group)
            if line:
                lines.append(line)
    return _rejoin_wrapped(lines)


def _rejoin_wrapped(lines: list[str]) -> list[str]:
    """Lines a manual break split mid-sentence (text pasted from a PDF) go back together."""
    joined: list[str] = []
    for line in lines:
        if (joined and not joined[-1].endswith(SENTENCE_END) and len(joined[-1]) >= 30
                and not starts_paragraph(line)):
            joined[-1] = join(joined[-1], line)
        else:
            joined.append(line)
    return joined


def _in_fallback(element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag == _FALLBACK:
            return True
        parent = parent.getparent()
    return False


def _table_rows(table) -> list[str]:
    """Each row as its cells' text joined by " | " (a merged cell once); nested tables flattened."""
    rows = []
    for tr in table.iter(qn("w:tr")):
        cells = []
        for tc in tr.iterchildren(qn("w:tc")):
            text = " ".join(line for p in tc.iter(_PARAGRAPH) for line in _paragraph_lines(p)
                            if p.getparent() is tc)
            cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


class _StyleLevels:
    """Heading level of a paragraph from its style (name or outline level), following based-on."""

    def __init__(self, document):
        self._styles = {}
        for style in document.styles.element.iterchildren(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if style_id:
                self._styles[style_id] = style

    def level(self, p) -> int | None:
        """1–9 for a heading, 0 for a title, None for body text."""
        outline = p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if outline is not None:
            return _outline_level(outline)
        style_id = self._style_id(p)
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                return None
            name = style.find(qn("w:name"))
            name = name.get(qn("w:val")) if name is not None else ""
            if _TITLE_STYLE.match(name):
                return 0
            match = _HEADING_STYLE.match(name)
            if match:
                return int(match.group(1))
            outline = style.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
            if outline is not None:
                return _outline_level(outline)
            based_on = style.find(qn("w:basedOn"))
            style_id = based_on.get(qn("w:val")) if based_on is not None else None
        return None

    def alignment(self, p) -> str | None:
        jc = p.find(f"{qn('w:pPr')}/{qn('w:jc')}")
        if jc is not None:
            return jc.get(qn("w:val"))
        style = self._styles.get(self._style_id(p))
        jc = style.find(f"{qn('w:pPr')}/{qn('w:jc')}") if style is not None else None
        return jc.get(qn("w:val")) if jc is not None else None

    @staticmethod
    def _style_id(p) -> str | None:
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        return style.get(qn("w:val")) if style is not None else None


def _outline_level(element) -> int | None:
    value = element.get(qn("w:val"), "9")
    return int(value) + 1 if value.isdigit() and int(value) < 9 else None


def _centred(p, styles: _StyleLevels) -> bool:
    return styles.alignment(p) == "center"


def _footnote_blocks(document) -> list[Block]:
    """Footnotes and endnotes as paragraphs after the body (separators skipped)."""
    blocks = []
    for part in document.part.package.iter_parts():
        if str(part.partname) not in ("/word/footnotes.xml", "/word/endnotes.xml"):
            continue
        root = etree.fromstring(part.blob)
        for note in root:
            if note.get(qn("w:type")) in ("separator", "continuationSeparator",
                                          "continuationNotice"):
                continue
            for p in note.iter(_PARAGRAPH):
                blocks.extend(Block(line) for line in _paragraph_lines(p))
    return blocks


def _sensible_title(title: str, blocks: list[Block]) -> str | None:
    """core.xml's title when the document's opening text carries it (never a stale or personal field)."""
    title = tidy(title)
    if len(title) < 4 or starts_paragraph(title) or title.endswith(("：", ":")):
        return None
    opening = "".join(block.text for block in blocks[:6]).replace(" ", "")
    return title if title.replace(" ", "") in opening else None
