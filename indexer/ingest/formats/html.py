"""Saved web pages (.html .htm .shtml .xhtml) → the article body's paragraphs and the page's metadata.

The body is found by the content containers government portals use (gov.cn's ``#UCAP-CONTENT``,
TRS's ``.TRS_Editor``, Hanweb's ``<!--begin-->``/``<!--end-->`` markers, ``#zoom`` …), and by
readability-lxml on pages that have none. ``tests/bench/formats.py --extractors`` measures
this choice against trafilatura and readability alone (README, "Formats"). Text is decoded by
the declared charset (GB2312/GBK read as GB18030) or, when that is missing or wrong, detected
among UTF-8, GB18030 and Big5-HKSCS.
"""

from __future__ import annotations

import re

import lxml.html
from charset_normalizer import from_bytes
from lxml import etree
from readability import Document as Readability

from indexer.ingest.formats import BODY, HEADING, TABLE_ROW, Block, DocumentError, Extracted
from indexer.ingest.formats.layout import tidy

_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
                    "cp936": "gb18030", "big5": "big5hkscs", "big5-hkscs": "big5hkscs"}
_DETECTABLE = ["utf_8", "gb18030", "big5hkscs"]

# Content containers of the CMSs government portals run on, most specific first.
CONTENT_SELECTORS = (
    ("#UCAP-CONTENT", "//*[@id='UCAP-CONTENT']"),
    (".pages_content", "//*[contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')]"),
    (".TRS_Editor", "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]"),
    (".trs_editor_view", "//*[contains(concat(' ', normalize-space(@class), ' '), ' trs_editor_view ')]"),
    ("#zoom", "//*[@id='zoom']"),
)
# Hanweb (大汉) pages wrap the article in <!--<$[信息内容]>begin--> … <!--<$[信息内容]>end-->.
_MARKED_BODY = re.compile(r"<!--[^>]{0,40}(?:信息内容|content)[^>]{0,10}begin-->(.*?)<!--[^>]{0,40}"
                          r"(?:信息内容|content)[^>]{0,10}end-->", re.S | re.I)

_SKIPPED_TAGS = {"script", "style", "noscript", "iframe", "form", "nav", "header", "footer", "input",
                 "button", "select", "textarea", "svg", "object", "embed", "template", "head"}
_BLOCK_TAGS = {"p", "div", "section", "article", "li", "ul", "ol", "dl", "dt", "dd", "table", "tbody",
               "thead", "blockquote", "pre", "center", "address", "figure", "figcaption", "main",
               "body", "html", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "td", "th"}
_FURNITURE = re.compile(
    r"扫一扫在手机打开当前页|^【?\s*字号|^【?\s*(?:打印|关闭|打印本页|关闭窗口|收藏|分享到?)\s*】?$|"
    r"^\s*(?:上一篇|下一篇|相关链接|相关文件|责任编辑)\s*[:：]?|^(?:\s*[【\[]?(?:大|中|小|打印|关闭)[】\]]?\s*)+$")

# gov.cn's metadata table: label cell → META_KEYS name.
_TABLE_LABELS = {"发文机关": "issuer", "成文日期": "date", "标题": "title", "发文字号": "doc_number",
                 "发布日期": "published"}
_META_NAMES = {"articletitle": "title", "pubdate": "published", "contentsource": "source_name",
               "firstpublishedtime": "published"}
_TITLE_SUFFIX = re.compile(r"_{1,2}.*$|\s+[-|｜]\s+[^-|｜]+$")
_SOURCE_LINE = re.compile(r"(?:信息来源|来源)\s*[:：]\s*([^\s|｜]{2,30})")


def read(data: bytes, source: str) -> Extracted:
    """Read a saved web page into its article's blocks and declared metadata."""
    markup = decode(data)
    page = _parse(markup)
    meta = _page_meta(page)
    marked = _MARKED_BODY.search(markup)
    body = _content_element(page)
    if body is None and marked:
        body = _parse(f"<div>{marked.group(1)}</div>")
    if body is None:
        body = _readability_body(markup)
    blocks = [block for block in page_blocks(body) if not _FURNITURE.search(block.text)]
    if not blocks:
        raise DocumentError("web page has no article text")
    return Extracted(blocks=blocks, meta=meta)


def decode(data: bytes) -> str:
    """Page bytes as text: the declared charset when it decodes cleanly, else the detected one."""
    if not data.strip():
        raise DocumentError("empty file")
    declared = _DECLARED_CHARSET.search(data[:4096])
    candidates = []
    if data.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    if declared:
        name = declared.group(1).decode("ascii").lower()
        candidates.append(_CHARSET_ALIASES.get(name, name))
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data, cp_isolation=_DETECTABLE).best()
    if best is None:
        raise DocumentError("cannot decode the web page as UTF-8, GB18030 or Big5")
    return str(best)


def _parse(markup: str):
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)  # lxml refuses str input with an encoding declaration
    try:
        return lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as exc:
        raise DocumentError(f"unreadable web page ({exc})") from exc


def _content_element(page):
    for _, xpath in CONTENT_SELECTORS:
        for element in page.xpath(xpath):
            if len(tidy(element.text_content())) >= 20:
                return element
    return None


def _readability_body(markup: str):
    try:
        summary = Readability(markup).summary(html_partial=True)
    except Exception as exc:  # readability raises its own Unparseable and lxml errors
        raise DocumentError(f"web page has no article text ({type(exc).__name__})") from exc
    return _parse(summary)


def page_blocks(element) -> list[Block]:
    """Paragraphs, headings and table rows of an element, in document order."""
    blocks: list[Block] = []
    pieces: list[str] = []

    def flush(kind=BODY, level=0):
        text = tidy("".join(pieces))
        pieces.clear()
        if text:
            blocks.append(Block(text, kind, level))

    def walk(node):
        tag = node.tag if isinstance(node.tag, str) else None
        tag = tag.lower().rsplit("}", 1)[-1] if tag else None
        if tag is None or tag in _SKIPPED_TAGS:
            pass
        elif tag == "tr":
            flush()
            cells = [tidy(cell.text_content()) for cell in node if isinstance(cell.tag, str)
                     and cell.tag.lower() in ("td", "th")]
            cells = [cell for cell in cells if cell]
            if cells:
                blocks.append(Block(" | ".join(cells), TABLE_ROW if len(cells) > 1 else BODY))
        elif tag == "br":
            flush()
        elif tag in _BLOCK_TAGS:
            flush()
            pieces.append(node.text or "")
            for child in node:
                walk(child)
            if tag[0] == "h" and tag[1:].isdigit():
                flush(HEADING, int(tag[1:]))
            else:
                flush()
        else:
            pieces.append(node.text or "")
            for child in node:
                walk(child)
        if node.tail and node.getparent() is not None:
            pieces.append(node.tail)

    walk(element)
    flush()
    return blocks


def _page_meta(page) -> dict[str, str]:
    meta: dict[str, str] = {}
    title = page.findtext(".//title")
    if title and tidy(title):
        meta["title"] = _TITLE_SUFFIX.sub("", tidy(title)).strip() or tidy(title)
    for element in page.xpath("//meta[@name and @content]"):
        key = _META_NAMES.get(element.get("name").strip().lower())
        value = tidy(element.get("content"))
        if key and value and not (key == "published" and "published" in meta):
            meta[key] = value
    for cell in page.xpath("//td"):
        label = re.sub(r"[\s\u3000:：]", "", cell.text_content())
        key = _TABLE_LABELS.get(label)
        value_cell = cell.getnext()
        if key and value_cell is not None:
            value = tidy(value_cell.text_content())
            if value:
                meta[key] = value  # the gov.cn table is the most authoritative source
    if "source_name" not in meta:
        for text in page.xpath("//span/text() | //div/text() | //p/text()")[:400]:
            match = _SOURCE_LINE.search(text)
            if match:
                meta["source_name"] = match.group(1)
                break
    return meta
