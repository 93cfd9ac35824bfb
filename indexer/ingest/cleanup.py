"""Text cleanup for scraped policy documents: HTML leftovers, page furniture, line repair.

Everything here works on general shapes of lines (UI vocabulary, key:value metadata,
captions, breadcrumbs, footers) rather than on lists of known lines, so it keeps
working on pages that were never looked at.  All functions are linear in the input.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from indexer.ingest.patterns import ORDINAL

MAX_PARAGRAPH = 1000
HARD_LIMIT = 2000

# Sentinel lines standing in for structural markers of the law corpus.
PREAMBLE_END = "\x00PREAMBLE_END"
TABLE_ROW = "\x00TABLE:"

TERMINAL = "。！？!?；;：:…"
CONTINUATION_START = "，,。、；;：:）)》」』”’！？!?〉"
OPENING_END = "《（(「『“‘【〈"
SENTENCE_PUNCT = "。，、；！？,;!?"

_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});?")
_LITERAL_CODEPOINT = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")

# Words that only ever appear as buttons, toolbars and widgets of a web page.
UI_WORDS = frozenset(
    """下载 打印 全屏 收藏 字号 字体 加大 还原 减小 默认 大 中 小 分享 分享到 打印本页 打印此页
    关闭 关闭窗口 关闭本页 返回 返回顶部 顶部 上一篇 下一篇 首页 扫一扫 保护视力色 字体大小 推荐
    E-mail推荐 email推荐 微信 微博 分享到微信 分享到微博 QQ空间 纠错 我要纠错 收藏本页 复制链接
    二维码 阅读量 浏览数 浏览次数 访问量 点击数 评论 点赞 转发 链接 相关文档 相关链接 无障碍 长者模式
    繁体 简体 繁體 English 登录 注册 搜索 字号大 字号中 字号小 背景色 视力保护色 打开 当前页""".split()
)
_UI_PHRASE = re.compile(
    r"^(?:分享到\S*|扫一扫.{0,20}|.{0,6}点击.{0,12}(?:进入|查看|打开|阅读).{0,10}|.{0,4}手机.{0,4}(?:打开|阅读|浏览).{0,8})$"
)
_UI_SPLIT = re.compile(r"[\s【】\[\]|｜>»«<《》:：×·/、,，()（）]+")

# Keys of "key: value" metadata lines on news/government pages.
META_KEYS = (
    "文章来源|信息来源|来源|稿源|出处|作者|编辑|责任编辑|责编|审核|校对|发布时间|发表时间|更新时间|"
    "发布日期|成文日期|时间|日期|浏览数|浏览次数|阅读量|阅读数|访问量|点击数|点击量|字体大小|字体|字号|"
    "保护视力色|视频解读|图片解读|图文解读|图解|分享到|分享|当前位置|您的位置|你的位置|所在位置|打印"
)
_META_LINE = re.compile(rf"^[（(【\[]?\s*(?:{META_KEYS})\s*[:：]")
_META_ANYWHERE = re.compile(rf"(?:^|[\s　|｜【（(])(?:{META_KEYS})\s*[:：]")
_META_KEY_ONLY = re.compile(rf"^[（(【\[]?\s*(?:{META_KEYS})\s*[:：]\s*$")
_VALUE_FOR_KEY = re.compile(
    r"^[（(【\[]?\s*(?:\S{0,4}时间|\S{0,4}日期|浏览\S{0,2}|阅读\S{0,1}|访问量|点击\S)\s*[:：]\s*[\d-]"
    r"|^[（(【\[]?\s*(?:文章来源|信息来源|来源|稿源|作者|编辑|责任编辑|责编)\s*[:：]\s*\S{1,20}$"
)
_DATE_ONLY = re.compile(
    r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}\s*[:时]\s*\d{1,2}\s*分?(?:\s*:\s*\d{1,2})?)?$"
)
_PAGE_NUMBER = re.compile(r"^(?:第\s*)?\d{1,3}(?:\s*页)?$|^-\s*\d{1,3}\s*-$")
_CAPTION_CREDIT = re.compile(r"(?:记者|摄影|通讯员|供图)[\s·/\u4e00-\u9fff]{0,16}摄\s*[)）]?$|摄影[:：]")
_CAPTION_TRAILING_REPORTER = re.compile(r"[。\s]\S{0,12}记者\s*[\u4e00-\u9fff]{1,3}(?:\s+[\u4e00-\u9fff]{1,2})?$")
_CAPTION_DELIVERS = re.compile(r"^\S{0,40}作《?政府工作报告》?。?$")
_DATELINE = re.compile(r"^\S{1,8}社\S{2,6}\d{1,2}月\d{1,2}日电$")
_BREADCRUMB_START = re.compile(r"^(?:当前位置|您的位置|你的位置|所在位置|您现在的位置)\s*[:：]?|^首页$")
_BREADCRUMB_SEPARATOR = re.compile(r"^(?:>|>>|»|＞|/|→|-)+$")
_BREADCRUMB_INLINE = re.compile(r"^(?:首页|主页|网站首页)\s*(?:>{1,2}|»|＞|→)")
_FOOTER = re.compile(r"版权所有|Copyright|©|ICP备|ICP证|公网安备|主办单位|承办单位|技术支持|网站标识码|联系我们|网站地图")
_LICENSE_START = re.compile(r"^本作品(?:是|来自|采用|依据|根据|属于|在|已)")
_RELATED_START = re.compile(r"^[【\[]?(?:相关报道|相关新闻|相关阅读|延伸阅读|相关链接|相关文档|相关稿件|推荐阅读|热点推荐|更多新闻)[】\]]?\s*[:：]?")
_ASCII_JUNK = re.compile(r"^[A-Za-z][A-Za-z .'_-]{0,29}$")

NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,3}[.．、](?!\d)|"
    rf"[（(]\d{{1,3}}[）)]|{ORDINAL}[编章节条、，]|——|#)"
)
DELIVERY_LINE = re.compile(r"^[—–－-]*\s*[（(]?\s*(?:\d{4}|[〇零○一二三四五六七八九]{4})[^在]{0,10}日在")
_GLOSSARY_TERM = re.compile(r"^\d{1,3}[.．、]\S.{0,38}[:：]$")
_INLINE_MARKER = re.compile(
    r"(?<=[。！？；：!?;:])(?=[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|——|\d{1,2}[.．](?!\d))"
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?![”’」』）)])|(?<=[。！？!?][”’」』）)])")
_SOFT_BREAK = re.compile(r"(?<=[；;，,、])")


@dataclass
class Cleaned:
    """Lines that survived cleanup plus what was harvested from removed metadata."""

    lines: list[str]
    meta_dates: list[str] = field(default_factory=list)


def strip_markup(text: str) -> str:
    """Remove HTML comments, tags and entities, keeping the law corpus' structural markers."""
    text = text.replace("<!-- INFO END -->", "\n" + PREAMBLE_END + "\n")
    text = text.replace("<!-- FORCE BREAK -->", "\n")
    text = _strip_comments(text)
    # Wikisource breaks words around a zero-width space on its own line: glue them back.
    text = re.sub(r"\n[ \t]*[\u200b\u2060][ \t]*\n", "", text)
    text = _LITERAL_CODEPOINT.sub(lambda m: _codepoint(m.group(1)), text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    text = _ZERO_WIDTH.sub("", text)
    return _SPACES.sub(" ", text)


def _strip_comments(text: str) -> str:
    # str.find instead of a regex keeps unclosed comments in huge files linear.
    parts, pos = [], 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            parts.append(text[pos:])
            return "".join(parts)
        end = text.find("-->", start + 4)
        parts.append(text[pos:start])
        if end < 0:
            return "".join(parts)
        parts.append("\n" if "\n" in text[start:end] else " ")
        pos = end + 3


def _codepoint(hex_digits: str) -> str:
    try:
        return chr(int(hex_digits, 16))
    except (ValueError, OverflowError):
        return " "


def tidy_line(line: str) -> str:
    """Collapse runs of spaces and trim a line."""
    line = line.strip()
    if "  " in line:
        line = re.sub(r" {2,}", " ", line)
    return line


def split_long_line(line: str) -> list[str]:
    """Split an over-long line at inline heading markers, then sentence ends, then hard."""
    if len(line) <= MAX_PARAGRAPH:
        return [line]
    pieces = [p.strip() for p in _INLINE_MARKER.split(line) if p.strip()]
    out: list[str] = []
    for piece in pieces:
        out.extend(_pack(piece, _SENTENCE_END) if len(piece) > MAX_PARAGRAPH else [piece])
    return out


def _pack(text: str, boundary: re.Pattern) -> list[str]:
    # Greedily packs sentences into paragraphs of at most MAX_PARAGRAPH characters.
    out: list[str] = []
    current = ""
    for sentence in boundary.split(text):
        if not sentence:
            continue
        if len(sentence) > HARD_LIMIT:
            if current:
                out.append(current)
                current = ""
            out.extend(_cut(sentence))
            continue
        if current and len(current) + len(sentence) > MAX_PARAGRAPH:
            out.append(current)
            current = ""
        current += sentence
    if current:
        out.append(current)
    return [p.strip() for p in out if p.strip()]


def _cut(sentence: str) -> list[str]:
    # A sentence longer than HARD_LIMIT: prefer clause breaks, else cut blindly.
    out, current = [], ""
    for clause in _SOFT_BREAK.split(sentence):
        while len(clause) > HARD_LIMIT:
            out.append(clause[:HARD_LIMIT])
            clause = clause[HARD_LIMIT:]
        if current and len(current) + len(clause) > HARD_LIMIT:
            out.append(current)
            current = ""
        current += clause
    if current:
        out.append(current)
    return out


def is_ui_line(line: str) -> bool:
    """True for toolbar/widget lines such as "下载", "【字号：加大 还原 减小】", "分享到微信"."""
    if len(line) > 40:
        return False
    if _UI_PHRASE.match(line):
        return True
    words = [w for w in _UI_SPLIT.split(line) if w]
    return bool(words) and all(w in UI_WORDS for w in words)


def is_punctuation_only(line: str) -> bool:
    """True when a line holds no letter or digit at all (e.g. "】", "|", "-----")."""
    return not any(ch.isalnum() for ch in line)


def metadata_line(line: str) -> bool:
    """True for short "key: value" lines (来源：…, 时间：…, 浏览数：…) and bare timestamps."""
    if len(line) > 90 or "。" in line:
        return False
    if _META_LINE.match(line) or _DATE_ONLY.match(line):
        return True
    return _META_ANYWHERE.search(line) is not None and "，" not in line and len(line) <= 70


def caption_line(line: str) -> bool:
    """True for photo captions and news datelines ("…本报记者 戴冰摄", "新华社北京3月16日电")."""
    if len(line) > 120:
        return False
    if _CAPTION_CREDIT.search(line) or _DATELINE.match(line):
        return True
    if len(line) <= 60 and _CAPTION_TRAILING_REPORTER.search(line):
        return True
    return len(line) <= 40 and _CAPTION_DELIVERS.match(line) is not None


def is_heading_like(line: str) -> bool:
    """True for lines starting with a numbering or markdown marker."""
    return NUMBERED.match(line) is not None


def ends_mid_sentence(line: str) -> bool:
    """True when a line does not end with sentence-closing punctuation."""
    return bool(line) and line[-1] not in TERMINAL + "”’」』）)》】"


def repair_fragments(lines: list[str]) -> list[str]:
    """Re-join sentences that a scraper broke into several lines (links, sub/superscripts, datelines)."""
    out: list[str] = []
    inside_fragment = False
    for i, line in enumerate(lines):
        if not out or PREAMBLE_END in (line, out[-1]) or _is_table(line) or _is_table(out[-1]):
            out.append(line)
            inside_fragment = False
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        kind = _join_kind(out[-1], line, following, inside_fragment)
        if kind:
            out[-1] += line
            # Only a sentence broken by a link keeps pulling in the lines after it.
            inside_fragment = kind == "fragment" and ends_mid_sentence(out[-1])
        else:
            out.append(line)
            inside_fragment = False
    return _join_glossary_terms(out)


def _is_table(line: str) -> bool:
    return line.startswith(TABLE_ROW)


def _join_kind(prev: str, line: str, following: str, inside_fragment: bool) -> str | None:
    if prev.startswith("#") or line.startswith("#"):
        return None
    if DELIVERY_LINE.match(prev) and not prev.rstrip("）)").endswith("上"):
        # "——2022年1月20日在江门市江海区" + "第十一届人民代表大会第二次会议上"
        return "dateline" if len(line) <= 40 and line.rstrip("）)").endswith("上") else None
    if not ends_mid_sentence(prev) or is_heading_like(line) or DELIVERY_LINE.match(line):
        return None
    if line[0] in CONTINUATION_START:
        return "punctuation"
    if prev[-1] in OPENING_END or inside_fragment:
        return "fragment"
    if prev[-1].isascii() and prev[-1].isalpha() and line[0].isascii() and line[0].isalnum() and len(line) <= 8:
        return "fragment"  # subscripts split off: "PM" + "2.5", "M" + "2"
    if is_heading_like(prev) or DELIVERY_LINE.match(prev):
        return None
    short_fragment = len(line) <= 30 and not any(ch in SENTENCE_PUNCT + "：:" for ch in line)
    if short_fragment and (following[:1] in set(CONTINUATION_START) or any(ch in "，、；," for ch in prev)):
        return "fragment"
    return None


def _join_glossary_terms(lines: list[str]) -> list[str]:
    # "11.“单一窗口”：" followed by its definition on the next line is one entry.
    out: list[str] = []
    for line in lines:
        if out and _GLOSSARY_TERM.match(out[-1]) and not is_heading_like(line) and line != PREAMBLE_END:
            out[-1] += line
        else:
            out.append(line)
    return out


def _merge_split_metadata(lines: list[str]) -> list[str]:
    # "发表时间：" on one line and "2026-02-09 09:45:30" on the next belong together.
    out: list[str] = []
    for line in lines:
        if out and _META_KEY_ONLY.match(out[-1]) and _VALUE_FOR_KEY.match(out[-1] + line):
            out[-1] = out[-1] + line
        else:
            out.append(line)
    return out


def _drop_breadcrumbs(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _BREADCRUMB_INLINE.match(line) and len(line) <= 80:
            i += 1
            continue
        if _BREADCRUMB_START.match(line) and len(line) <= 40:
            j = i + 1
            if _BREADCRUMB_START.match(line).end() == len(line) and j < len(lines) and lines[j] in ("首页", "主页"):
                j += 1
            last = None
            while j + 1 < len(lines) and _BREADCRUMB_SEPARATOR.match(lines[j]) and len(lines[j + 1]) <= 20:
                last = lines[j + 1]
                j += 2
            while last is not None and j < len(lines) and lines[j] == last:
                j += 1  # channel name repeated as the page's section title
            if j > i + 1 or line != "首页":
                i = j
                continue
        out.append(line)
        i += 1
    return out


def _cut_tail(lines: list[str]) -> list[str]:
    # Footers: licence boilerplate, copyright blocks and trailing "相关报道" link lists.
    start_of_tail = int(len(lines) * 0.6)
    for i in range(len(lines)):
        line = lines[i]
        if i >= start_of_tail and _LICENSE_START.match(line):
            return lines[:i]
        if i >= start_of_tail and _FOOTER.search(line) and len(line) <= 80:
            return lines[:i]
        if _RELATED_START.match(line) and len(line) <= 40:
            rest = lines[i + 1:]
            if all(len(r) <= 60 and "。" not in r[:-1] for r in rest):
                return lines[:i]
    return lines


def clean_lines(text: str) -> Cleaned:
    """Turn decoded text into cleaned, repaired content lines."""
    raw: list[str] = []
    for line in strip_markup(text).split("\n"):
        line = tidy_line(line)
        if not line:
            continue
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(is_punctuation_only(c) for c in cells):
                continue  # markdown table separator row
            raw.append(TABLE_ROW + " | ".join(c for c in cells if c))
            continue
        raw.extend(split_long_line(line))
    return _without_furniture(raw, repair=True)


def clean_paragraphs(paragraphs: list[str]) -> Cleaned:
    """Clean paragraphs a format reader already split: furniture dropped, nothing re-joined.

    Lines may carry the pipeline's markers (``# `` headings, ``TABLE_ROW``); no markup is
    stripped, since a reader's text is text.
    """
    raw: list[str] = []
    for paragraph in paragraphs:
        line = tidy_line(paragraph)
        if line:
            raw.extend(split_long_line(line))
    return _without_furniture(raw, repair=False)


def _without_furniture(raw: list[str], repair: bool) -> Cleaned:
    lines = _merge_split_metadata(raw)
    lines = _drop_breadcrumbs(lines)
    cleaned = Cleaned(lines=[])
    kept: list[str] = []
    for line in lines:
        if line == PREAMBLE_END:
            kept.append(line)
            continue
        if metadata_line(line):
            cleaned.meta_dates.append(line)
            continue
        if is_ui_line(line) or caption_line(line):
            continue
        # A bare number or Latin word is page furniture unless it continues a broken sentence (M + 2).
        previous = kept[-1] if kept else ""
        inside_sentence = ends_mid_sentence(previous) and (
            len(previous) > 40 or (previous[-1].isascii() and previous[-1].isalpha())
        )
        if (_PAGE_NUMBER.match(line) or _ASCII_JUNK.match(line)) and not inside_sentence:
            continue
        kept.append(line)
    kept = _cut_tail(kept)
    if repair:
        kept = repair_fragments(kept)
    cleaned.lines = [
        line for line in kept if line == PREAMBLE_END or line.startswith(TABLE_ROW) or not is_punctuation_only(line)
    ]
    return cleaned


def nfkc_digits(text: str) -> str:
    """Fold full-width digits and letters to ASCII for pattern matching."""
    return unicodedata.normalize("NFKC", text)
