"""Corpus files → documents with metadata and sectioned paragraphs.

Reading order of a file: ``readers.choose_reader`` picks a reader by the bytes, then the name.
``.txt``/``.md``: bytes → decode_bytes (BOM, strict UTF-8, strict GB18030) → cleanup.clean_lines
(HTML leftovers, page furniture, broken lines, over-long lines). Other formats: a reader of
``indexer/ingest/formats`` (in a child process) → blocks and declared metadata → cleanup.clean_paragraphs.
Then, for every format: duplicate removal → headings and section paths (``outline``) → metadata (title, year,
date, region, and the official issuer, 文号, dates and source of ``officialmeta``).
"""

from __future__ import annotations

import codecs
import datetime as _dt
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from indexer.ingest import officialmeta, readers
from indexer.errors import DocumentError
from indexer.ingest.cleanup import (PREAMBLE_END, TABLE_ROW, TERMINAL, DELIVERY_LINE, Cleaned, clean_lines,
                             clean_paragraphs, nfkc_digits)
from indexer.ingest.formats import BODY, HEADING, TITLE, Block, Extracted
from indexer.ingest.outline import Line, Paragraph, cn_small, heading_rank, sectioned

USER_DICTIONARY = "userdict.txt"
ABBREVIATION_LIST = "abbreviations.txt"  # the corpus's own abbreviations (indexer/search/abbreviations.py)
MIN_DUPLICATE = 20


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    year: int | None
    date: str | None
    region: str | None
    source: str
    content_hash: str
    paragraphs: tuple[Paragraph, ...]
    issuer: str | None = None  # 发文机关
    doc_number: str | None = None  # 发文字号, with 〔〕 brackets
    published: str | None = None  # 发布日期 (ISO), where the page declares it
    source_name: str | None = None  # the page's ContentSource / 信息来源
    ocr_pages: int = 0  # pages of the file recognised by OCR (cached ones included)
    ocr_cached: int = 0  # of those, pages the OCR cache held
    ocr_seconds: float = 0.0  # time OCR took on the others


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


# ---------------------------------------------------------------- bytes and files


def decode_bytes(data: bytes) -> str:
    """Decode file bytes (BOM, then strict UTF-8, then strict GB18030) with "\\n" line ends."""
    if not data:
        raise DocumentError("empty file")
    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[3:], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16")
    elif b"\x00" in data:
        raise DocumentError("binary file (NUL bytes)")
    else:
        text = _strict(data, "utf-8")
        if text is None:
            text = _strict(data, "gb18030")
    if text is None:
        raise DocumentError("cannot decode as UTF-8, UTF-16 or GB18030")
    if "\x00" in text:
        raise DocumentError("binary file (NUL characters)")
    if not _looks_like_text(text):
        raise DocumentError("binary file (decodes to control, private-use or unassigned characters)")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise DocumentError("empty file (whitespace only)")
    return text


def _looks_like_text(text: str, sample: int = 100_000) -> bool:
    # UTF-16 and GB18030 decode almost any bytes; what comes out of a binary file is full of
    # characters no document uses.
    head = text[:sample]
    odd = sum(1 for c in head if unicodedata.category(c) in _ODD_CATEGORIES and c not in "\n\r\t\f")
    return odd <= max(2, len(head) // 200)


_ODD_CATEGORIES = {"Cc", "Co", "Cn", "Cs"}


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Yield every file below corpus_dir sorted by relative path, skipping hidden files, userdict.txt and abbreviations.txt.

    Files no reader takes are yielded too: reading them gives a Skipped with the reason.
    """
    corpus_dir = Path(corpus_dir)
    found: list[tuple[str, Path]] = []
    visited: set[str] = set()
    # Directory symlinks are followed (corpora are often assembled from links) but each
    # real directory is entered once, so a link loop ends instead of recursing forever.
    for root, dirnames, filenames in os.walk(corpus_dir, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        top_level = Path(root) == corpus_dir
        for name in filenames:
            if name.startswith("."):
                continue
            if top_level and name in (USER_DICTIONARY, ABBREVIATION_LIST):
                continue
            path = Path(root) / name
            found.append((path.relative_to(corpus_dir).as_posix(), path))
    found.sort(key=lambda item: item[0])
    for _, path in found:
        yield path


def make_doc_id(relative_path: str) -> str:
    """Stable URL-safe id: ASCII slug of the file stem plus 10 hex digits of sha1(relative path)."""
    digest = hashlib.sha1(relative_path.encode("utf-8")).hexdigest()[:10]
    stem = relative_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = "-".join(re.findall(r"[A-Za-z0-9]+", ascii_stem)).lower()[:40].strip("-")
    return f"{slug}-{digest}" if slug else digest


def read_document(path: Path, corpus_dir: Path, on_page=None) -> Document:
    """Read one corpus file into a Document; raises DocumentError when it cannot be used.

    ``on_page(done, total)`` hears of each page OCR recognises.
    """
    path, corpus_dir = Path(path), Path(corpus_dir)
    try:
        source = path.relative_to(corpus_dir).as_posix()
    except ValueError:
        source = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"unreadable: {exc.strerror or exc}") from exc
    content_hash = hashlib.sha256(data).hexdigest()
    reader = readers.choose_reader(data, path.name)
    if reader is None:
        raise DocumentError(readers.unsupported_reason(path.name))
    if reader == "text":
        return build_document(decode_bytes(data), source, content_hash)
    return build_from_extracted(readers.extract(reader, data, source, on_page), source,
                                content_hash)


def read_corpus(corpus_dir: Path) -> Iterator[Document | Skipped]:
    """Yield a Document or a Skipped (with its reason) for every corpus file; never raises for a bad file."""
    corpus_dir = Path(corpus_dir)
    for path in iter_corpus_files(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            yield read_document(path, corpus_dir)
        except DocumentError as exc:
            yield Skipped(source, exc.reason)
        except OSError as exc:
            yield Skipped(source, f"unreadable: {exc.strerror or exc}")
        except Exception as exc:  # one odd file must not stop a whole build
            yield Skipped(source, f"internal error: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------- document assembly


def build_document(text: str, source: str, content_hash: str) -> Document:
    """Assemble a Document from decoded text (exposed for tests and tools)."""
    cleaned = clean_lines(text)
    return _assemble(cleaned, source, content_hash, {}, cleaned.lines, from_text=True)


def build_from_extracted(extracted: Extracted, source: str, content_hash: str) -> Document:
    """Assemble a Document from a format reader's blocks and declared metadata."""
    declared = {key: value for key, value in extracted.meta.items() if value}
    blocks = _merge_title_block(extracted.blocks, declared.get("title"))
    # The signature date of a 公文 stands alone on its line, which cleanup files away as a
    # metadata line: the official metadata reads the blocks as the reader gave them.
    raw = [block.text for block in blocks]
    document = _assemble(clean_paragraphs([_encode(block) for block in blocks]), source,
                         content_hash, declared, raw, from_text=False)
    if not extracted.ocr_pages:
        return document
    return replace(document, paragraphs=_mark_recognised(document.paragraphs, blocks),
                   ocr_pages=extracted.ocr_pages, ocr_cached=extracted.ocr_cached,
                   ocr_seconds=extracted.ocr_seconds)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _mark_recognised(paragraphs: tuple[Paragraph, ...], blocks: list[Block]) -> tuple[Paragraph, ...]:
    # Cleanup may split, trim or merge a reader's blocks: a paragraph is recognised text when
    # it lies inside a recognised block (or one lies inside it), with that block's confidence.
    recognised = [(_compact(block.text), block.confidence) for block in blocks
                  if block.confidence is not None]
    marked = []
    for paragraph in paragraphs:
        text = _compact(paragraph.text)
        confidence = next((conf for block, conf in recognised
                           if text and (text in block or (len(block) >= 4 and block in text))),
                          None)
        marked.append(paragraph if confidence is None
                      else replace(paragraph, ocr=True, confidence=confidence))
    return tuple(marked)


def _encode(block: Block) -> str:
    # Readers' kinds travel through cleanup as the text pipeline's own markers.
    text = block.text.replace("\n", " ")
    if block.kind == TITLE:
        return f"# {text}"
    if block.kind == HEADING:
        return f"{'#' * min(6, max(2, block.level + 1))} {text}"
    if block.kind == BODY and text.startswith("#"):
        return "＃" + text[1:]  # a literal # is text, not a markdown heading
    return TABLE_ROW + text if block.kind != BODY else text


def _merge_title_block(blocks: list[Block], title: str | None) -> list[Block]:
    # A title set over two or three lines (gov.cn pages, OFD) is one title paragraph.
    if title:
        target = re.sub(r"\s+", "", title)
        for start in range(min(len(blocks), 10)):
            joined = ""
            for end in range(start, min(len(blocks), start + 5)):
                joined += re.sub(r"\s+", "", blocks[end].text)
                if joined == target:
                    return blocks[:start] + [Block(title, TITLE)] + blocks[end + 1:]
                if not target.startswith(joined):
                    break
    return list(blocks)


def _assemble(cleaned: Cleaned, source: str, content_hash: str, declared: dict[str, str],
              raw: list[str], from_text: bool) -> Document:
    lines = _structure(cleaned.lines)
    lines = _drop_duplicates(lines)
    if not lines:
        raise DocumentError("no text left after removing page furniture")
    # An opaque name (P020240705389876553645.pdf) says nothing: only text files' names are read.
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0] if from_text else ""
    title_index, title = _title(lines, stem, declared.get("title"), from_text)
    title = title or source.rsplit("/", 1)[-1]
    paragraphs = sectioned(lines, title_index)
    texts = [line.text for line in lines]
    official = officialmeta.from_text([t for t in raw if t != PREAMBLE_END], title)
    signed = parse_date(official.signed) if official.signed else None
    found = _find_date(lines, cleaned.meta_dates)
    published = parse_date(declared["published"]) if declared.get("published") else None
    date = (parse_date(declared.get("date", "")) or (found or signed if from_text else signed or found)
            or published)
    issuer = declared.get("issuer") or official.issuer
    doc_number = (officialmeta.canonical_doc_number(declared["doc_number"])
                  if declared.get("doc_number") else None) or official.doc_number
    return Document(
        doc_id=make_doc_id(source),
        title=title,
        year=_find_year(title, stem, parse_date(declared.get("date", "")) or signed or published,
                        doc_number, date),
        date=date,
        region=_find_region(title, _stem_title(stem) if stem else "",
                            ([issuer] if issuer else []) + texts[:15]),
        source=source,
        content_hash=content_hash,
        paragraphs=tuple(paragraphs),
        issuer=issuer,
        doc_number=doc_number,
        published=published,
        source_name=declared.get("source_name"),
    )


def _structure(raw: list[str]) -> list[Line]:
    has_preamble = PREAMBLE_END in raw
    in_preamble = has_preamble
    out: list[Line] = []
    for line in raw:
        if line == PREAMBLE_END:
            in_preamble = False
            continue
        table = line.startswith(TABLE_ROW)
        if table:
            line = line[len(TABLE_ROW):]
        depth = 0
        heading = re.match(r"^(#{1,6})\s+(.+?)\s*#*$", line)
        if heading:
            depth, line = len(heading.group(1)), heading.group(2).strip()
        if line:
            out.append(Line(line, depth, in_preamble, table))
    return out


def _drop_duplicates(lines: list[Line]) -> list[Line]:
    # Scraped pages repeat whole blocks: long repeats always go, short repeats (headings
    # inside a repeated block, a repeated page title) go when the block around them is a repeat.
    seen: set[str] = set()
    repeated = []
    for line in lines:
        repeated.append(line.text in seen)
        seen.add(line.text)
    keep = [True] * len(lines)
    next_long_repeated = False
    for i in range(len(lines) - 1, -1, -1):
        long = len(lines[i].text) >= MIN_DUPLICATE
        if long:
            keep[i] = not repeated[i]
            next_long_repeated = repeated[i]
        elif repeated[i] and next_long_repeated and not lines[i].markdown_depth:
            keep[i] = False
    return [line for line, k in zip(lines, keep) if k]


# ---------------------------------------------------------------- metadata

_DOC_TYPE = re.compile(
    r"(?:报告|法|条例|规定|决定|决议|办法|意见|通知|解释|纲要|规划|方案|公告|细则|批复|章程|规则|通告|白皮书|讲话|公报|修正案|标准|攻略)"
    r"(?:[（(][^）)]{1,12}[）)])?$"
)
_SALUTATION = re.compile(r"^(?:各位代表|同志们|各位委员)")
_YEAR = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})(?!\d)")
_STEM_DATE = re.compile(r"[（(]\d{4}-\d{2}-\d{2}[)）]$")


def _title(lines: list[Line], stem: str, declared: str | None, from_text: bool) -> tuple[int | None, str]:
    # Declared title > a reader's title block > a title-shaped line > the first short line >
    # the file name (only a text file's name: an opaque P0202407….pdf is no title).
    if declared:
        return next((i for i, line in enumerate(lines[:15]) if line.text == declared), None), declared
    if not from_text:
        index = next((i for i, line in enumerate(lines[:15]) if line.markdown_depth == 1), None)
        if index is not None:
            return index, lines[index].text
    index, title = _find_title(lines, stem)
    if title or from_text:
        return index, title
    for index, line in enumerate(lines[:5]):
        text = line.text
        if 4 <= len(text) <= 40 and text[-1] not in TERMINAL + "，," and not line.table:
            return index, text
    return None, ""


def _stem_title(stem: str) -> str:
    # "1954_1954年…报告" → "1954年…报告"; "2026_广东省_政府工作报告" → "2026年广东省政府工作报告".
    stem = _STEM_DATE.sub("", stem).strip()
    match = re.match(r"^(\d{4})[_\s-]+(.*)$", stem)
    if match:
        year, rest = match.groups()
        stem = rest if rest.startswith(year) else f"{year}年{rest}"
    return re.sub(r"[_\s]+", "", stem) or stem


def _find_title(lines: list[Line], stem: str) -> tuple[int | None, str]:
    stem_title = _stem_title(stem)
    index = _title_line(lines)
    if index is None:
        return None, stem_title or stem
    title = re.split(r"——", lines[index].text, maxsplit=1)[0].strip()
    bare = re.sub(r"^\d{4}年", "", title)
    # A generic title ("政府工作报告") is completed from a more specific file name.
    if stem_title != title and stem_title.endswith(bare) and len(stem_title) > len(title):
        title = stem_title
    return (index if lines[index].text == title or lines[index].markdown_depth == 1 else None), title


def _title_line(lines: list[Line]) -> int | None:
    if lines[0].markdown_depth == 1:
        return 0
    for index, line in enumerate(lines[:15]):
        text = line.text
        if _SALUTATION.match(text) or len(text) > 80 or (heading_rank(line) or 99) <= 9:
            return None
        head = re.split(r"——", text, maxsplit=1)[0].strip()
        if 4 <= len(head) <= 60 and head[-1] not in TERMINAL and _DOC_TYPE.search(head):
            return index
    return None


def parse_date(text: str) -> str | None:
    """First valid calendar date in text (2022-01-26, 2022年1月20日, 二〇二六年一月二十七日) as ISO, else None."""
    dates = parse_dates(text)
    return dates[0] if dates else None


def parse_dates(text: str) -> list[str]:
    """Every valid calendar date in text, in order of appearance, as ISO strings."""
    text = nfkc_digits(text)
    found: list[tuple[int, str]] = []
    for match in re.finditer(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text):
        iso = _iso(*map(int, match.groups()))
        if iso:
            found.append((match.start(), iso))
    for match in re.finditer(r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日", text):
        year = int("".join(str(max("〇一二三四五六七八九".find(c), 0)) for c in match.group(1)))
        iso = _iso(year, cn_small(match.group(2)), cn_small(match.group(3)))
        if iso:
            found.append((match.start(), iso))
    return [iso for _, iso in sorted(found)]


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat() if 1800 <= year <= 2100 else None
    except ValueError:
        return None


_ADOPTION = re.compile(r"(?:通过|公布|施行|发布|颁布|修正|修订|批准)")


def _find_date(lines: list[Line], meta_lines: list[str]) -> str | None:
    # The date a report was delivered beats the date a web page was published.
    head = lines[:20]
    for line in head:
        if DELIVERY_LINE.match(line.text) or re.match(r"^[（(]?\s*\S{8,16}日在.{2,40}会议上", line.text):
            date = parse_date(line.text)
            if date:
                return date
    for line in head[:3]:
        inline = re.search(r"——\s*(\S{8,16}日在)", line.text)
        date = parse_date(inline.group(1)) if inline else None
        if date:
            return date
    adopted = [
        date
        for line in lines[:40]
        if (line.preamble or len(line.text) <= 120) and re.match(r"^\S{6,20}日", nfkc_digits(line.text))
        and _ADOPTION.search(line.text)
        for date in parse_dates(line.text)
    ]
    if adopted:
        return max(adopted)  # the latest adoption/amendment listed in a law's preamble
    for line in meta_lines:
        date = parse_date(line)
        if date:
            return date
    return None


def _find_year(title: str, stem: str, own_date: str | None, doc_number: str | None,
               other_date: str | None) -> int | None:
    # A document's year is that of its own date (成文日期 as declared or signed, else 发布日期),
    # else the year in its 文号; a year its title names (a notice on next year's holidays) or
    # its file name only when it has none of these, and a date found elsewhere in the text
    # (a report's delivery, a law's last amendment) last.
    if own_date:
        return int(own_date[:4])
    number_year = re.search(r"〔(\d{4})〕", doc_number or "")
    if number_year:
        return int(number_year.group(1))
    for text in (title, stem):
        match = _YEAR.search(nfkc_digits(text))
        if match:
            return int(match.group(1))
    return int(other_date[:4]) if other_date else None


PROVINCES = (
    "北京市 天津市 上海市 重庆市 河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 "
    "山东省 河南省 湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省 台湾省 内蒙古自治区 "
    "广西壮族自治区 西藏自治区 宁夏回族自治区 新疆维吾尔自治区 香港特别行政区 澳门特别行政区"
).split()
NATIONAL = "全国"
_ISSUER_AHEAD = r"(?=人民政府|政府|人民代表大会|人大|第[一二三四五六七八九十]+届|\d{4}年)"
_LOCAL_UNIT = rf"(?:[\u4e00-\u9fff]{{1,4}}?(?:市|区|县|旗|州|盟){_ISSUER_AHEAD})?"
_LEADING_REGION = re.compile(
    rf"^(?:(?:{'|'.join(PROVINCES)}){_LOCAL_UNIT}|[\u4e00-\u9fff]{{2,4}}?[市州盟]{_LOCAL_UNIT}{_ISSUER_AHEAD})"
)
_NATIONAL_ISSUER = re.compile(r"^(?:中华人民共和国|中国共产党|中共中央|全国人民代表大会|全国人大|国务院|最高人民法院|最高人民检察院)")
_ISSUER_IN_TEXT = re.compile(
    rf"((?:{'|'.join(PROVINCES)})|[\u4e00-\u9fff]{{2,4}}?市)(?:[\u4e00-\u9fff]{{1,4}}?(?:区|县|市|旗))?"
    r"(?=第[一二三四五六七八九十]+届人民代表大会|人民代表大会常务委员会|人民政府令)"
)
_NATIONAL_IN_TEXT = re.compile(r"全国人民代表大会|国务院|最高人民法院|最高人民检察院|中华人民共和国\S{0,12}令")


def _find_region(title: str, stem_title: str, header: list[str]) -> str | None:
    # National documents (central government, NPC, supreme court…) get "全国" rather than an office name.
    for text in (title, stem_title):
        text = re.sub(r"^\d{4}年?", "", nfkc_digits(text)).lstrip("“\"《")
        if _NATIONAL_ISSUER.match(text):
            return NATIONAL
        match = _LEADING_REGION.match(text)
        if match:
            return match.group(0)
    for line in header:
        match = _ISSUER_IN_TEXT.search(line)
        if match:
            return match.group(0)
        if _NATIONAL_IN_TEXT.search(line):
            return NATIONAL
    return None
