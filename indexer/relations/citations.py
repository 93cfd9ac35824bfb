"""Which documents a document refers to: 《titles》, 文号 in any bracket, and both together.

Detection reads one paragraph at a time and keeps only what names a document: a 《…》 whose
title ends in a document type (法, 条例, 办法, 通知 …, so 《…许可证》 and 《人民日报》 are not
references), and a bracketed 文号 (国办发〔2018〕115号 written with 〔〕 [] ［］ （） ﹝﹞ 【】) that
is not the document's own number. A number right after a title (《…》（法释〔2015〕16号）) is
the same reference. 《关于印发X的通知》 refers to the notice and to X, so X becomes a second
reference of its own.

Resolution (``Resolver``) matches a reference to the corpus's documents by 文号 exactly, with
brackets and widths folded, or by title with the same folding, tolerant of the 关于印发…的通知
wrapper, of 《》/〈〉 inside titles and of an issuer (or 中华人民共和国) before the title. It never
guesses: a title several different documents share stays unresolved, and so does anything that
only looks similar.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from indexer.ingest.patterns import DOC_NUMBER_CLOSE, DOC_NUMBER_OPEN

_OPEN = re.escape(DOC_NUMBER_OPEN)
_CLOSE = re.escape(DOC_NUMBER_CLOSE)
DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fff]{{1,14}})\s*[{_OPEN}]\s*((?:19|20|１９|２０)\d{{2}})\s*[{_CLOSE}]\s*第?\s*(\d{{1,5}})\s*号")
# Words that end up before a number's issuer code when the code is read greedily (请按照国办发…):
# the code starts after the last of them.
_LEADING_WORDS = re.compile(
    r"按照|依照|根据|参照|按|依|据|见|和|及|与|或|即|的|为|是|在|对|将|等|并|请|印发|转发|下发|"
    r"简称|件|规定|执行|通知|精神|同时|号|原|经|由|以|于|从|把|向|给|如|落实|贯彻")
DOCUMENT_TYPES = (
    "法", "法典", "条例", "规定", "办法", "细则", "规则", "决定", "决议", "通知", "意见", "解释",
    "批复", "答复", "复函", "函", "请示", "报告", "方案", "规划", "纲要", "标准", "规范", "公约",
    "协定", "条约", "议定书", "议案", "纪要", "章程", "令", "公告", "通告", "指引", "指南", "目录",
    "名录", "清单", "制度", "措施", "计划", "修正案", "说明", "规程", "准则", "守则", "要点",
    "通报", "命令", "指示", "大纲", "宪法", "法律", "意见稿", "草案", "答问", "安排", "导则")
# A bare type word in 《》 is the document speaking of itself (本《条例》).
_BARE = re.compile(r"^(?:本|该|此)?(?:" + "|".join(DOCUMENT_TYPES) + r"|实施细则|实施办法)$")
# A title may close with qualifiers after its type: （试行）（二）（2018年修订）（草案）
_TRAILER = re.compile(r"(?:[（(][^（）()]{1,16}[）)])+$")
_NOT_DOCUMENTS = ("证", "证书", "许可证", "证明", "执照", "报", "日报", "卡", "表", "书", "册",
                  "栏目", "杂志")
TITLE_MAX = 160
_TITLE_MARKS = re.compile("[《》]")
CONTEXT = 60  # characters either side of a reference kept as its excerpt


@dataclass
class Reference:
    """One reference found in a paragraph; ``targets`` are filled by the resolver."""

    para: int
    start: int
    end: int
    title: str | None = None  # as written, without the outer 《》
    number: str | None = None  # canonical 文号 (〔〕 brackets)
    via: str | None = None  # "印发": X named inside 《关于印发X的通知》
    targets: list[str] = field(default_factory=list)
    resolution: str = "none"  # number | title | versions | ambiguous | none

    def to_dict(self) -> dict:
        """The reference as a JSON-ready dict."""
        return {**self.__dict__, "targets": list(self.targets)}

    @classmethod
    def from_dict(cls, data: dict) -> "Reference":
        """The inverse of ``to_dict``."""
        return cls(**data)

    @property
    def text(self) -> str:
        """How the reference reads: 《title》（number）."""
        parts = [f"《{self.title}》"] if self.title else []
        if self.number:
            parts.append(f"（{self.number}）" if self.title else self.number)
        return "".join(parts)


# ---------------------------------------------------------------- detection

def find_references(paragraphs, own_number: str | None = None) -> list[Reference]:
    """Every reference in ``paragraphs`` ((para, text) pairs), in reading order."""
    found: list[Reference] = []
    own = fold_number(own_number) if own_number else None
    for para, text in paragraphs:
        found.extend(_in_paragraph(para, text, own, head=para < 12))
    return found


def _in_paragraph(para: int, text: str, own: str | None, head: bool) -> list[Reference]:
    references: list[Reference] = []
    titles = list(_titles(text))
    taken: list[tuple[int, int]] = []
    for start, end, title in titles:
        if not is_document_title(title):
            taken.append((start, end))  # a 《certificate》's brackets hold no number either
            continue
        reference = Reference(para, start, end, title=title)
        number = _number_after(text, end)
        if number is not None:
            reference.number, reference.end = number[0], number[1]
        references.append(reference)
        taken.append((start, reference.end))
        inner = wrapped_title(title)
        if inner:
            references.append(Reference(para, start, end, title=inner, via="印发"))
    for match in _numbers(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        number = canonical_number(match)
        if own and fold_number(number) == own:
            continue
        if head and _stands_alone(text, match):
            continue  # the number line under a document's head is its own number
        references.append(Reference(para, _number_start(match), match.end(), number=number))
    references.sort(key=lambda r: (r.start, r.via is not None))
    return references


_NUMBER_CORE = re.compile(
    rf"[{_OPEN}]\s*(?:19|20|１９|２０)\d{{2}}\s*[{_CLOSE}]\s*第?\s*\d{{1,5}}\s*号")
_HAN_TAIL = re.compile(r"[\u4e00-\u9fff]{1,14}\s*$")


def _numbers(text: str):
    """DOC_NUMBER matches of ``text``, found from their brackets (much faster on long text)."""
    if "号" not in text:
        return
    for core in _NUMBER_CORE.finditer(text):
        begin = max(0, core.start() - 16)
        tail = _HAN_TAIL.search(text, begin, core.start())
        if tail is None:
            continue
        match = DOC_NUMBER.match(text, tail.start(), core.end())
        if match is not None:
            yield match


def _titles(text: str):
    """(start, end, inner text) of each outermost 《…》, nested 《》〈〉<> kept inside."""
    if "《" not in text:
        return
    depth, start = 0, 0
    for found in _TITLE_MARKS.finditer(text):
        index, char = found.start(), found.group(0)
        if char == "《":
            if depth == 0:
                start = index
            depth += 1
        elif char == "》" and depth:
            depth -= 1
            if depth == 0:
                inner = text[start + 1:index]
                if 0 < len(inner) <= TITLE_MAX and "\n" not in inner:
                    yield start, index + 1, inner


def is_document_title(title: str) -> bool:
    """Whether a 《》 title names a document (a law, a notice, a plan), not a certificate or a
    newspaper, and is not the bare type word a document uses for itself."""
    core = _TRAILER.sub("", fold_title(title)) or fold_title(title)
    if len(core) < 2 or _BARE.match(core):
        return False
    if core.endswith(_NOT_DOCUMENTS) and not core.endswith(("说明书", "白皮书", "意见书")):
        return False
    return core.endswith(DOCUMENT_TYPES)


_WRAPPER = re.compile(r"^(?:.{0,60}?)关于(?:印发|转发|发布|颁布|公布)[《〈<]?(.+?)[》〉>]?的(?:通知|决定|公告|令)$")


def wrapped_title(title: str) -> str | None:
    """X of 《…关于印发X的通知》 (None when the title is no such wrapper)."""
    match = _WRAPPER.match(title.strip())
    if not match:
        return None
    inner = match.group(1).strip()
    # 关于印发A和B的通知 names two documents: resolving either as one title would be a guess
    if len(inner) < 4 or not is_document_title(inner) or re.search(r"[》〉>][和及、与][《〈<]", inner):
        return None
    return inner


_BEFORE_NUMBER = re.compile(r"\s*[（(]\s*(?:以下简称[^，,）)]{0,12}[，,]\s*)?")
_AFTER_NUMBER = re.compile(r"\s*(?:文)?\s*[）)]?")


def _number_after(text: str, end: int) -> tuple[str, int] | None:
    """The 文号 in brackets right after a title: 《…》（国办发〔2018〕115号）; not 《…》和国办发… (two
    documents)."""
    match = _BEFORE_NUMBER.match(text, end)
    if match is None:
        return None
    rest = match.end()
    number = DOC_NUMBER.match(text, rest)
    if number is None:
        return None
    close = _AFTER_NUMBER.match(text, number.end())
    return canonical_number(number), close.end()


def _stands_alone(text: str, match: re.Match) -> bool:
    return text.strip().strip("（()）") == match.group(0).strip()


def _number_start(match: re.Match) -> int:
    prefix = match.group(1)
    return match.start() + (len(prefix) - len(_issuer_code(prefix)))


def _issuer_code(prefix: str) -> str:
    cut = 0
    for word in _LEADING_WORDS.finditer(prefix):
        cut = word.end()
    return prefix[cut:] or prefix


def canonical_number(match: re.Match) -> str:
    """A matched 文号 written with 〔〕 brackets and without leading function words."""
    return f"{_issuer_code(match.group(1))}〔{int(match.group(2))}〕{int(match.group(3))}号"


# ---------------------------------------------------------------- folding

_TITLE_BRACKETS = str.maketrans({"〈": "", "〉": "", "<": "", ">": "", "《": "", "》": "",
                                 "「": "", "」": "", "“": "", "”": "", "\"": "", "'": "",
                                 "（": "(", "）": ")", "﹝": "(", "﹞": ")", "—": "-", "－": "-"})
_ISSUER_PREFIX = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,40}?(?:院|委|会|府|厅|室|局|部|署|行|办|中心|中央|组)"
    r"(?:[、，,和及与\s]*[\u4e00-\u9fff]{2,40}?(?:院|委|会|府|厅|室|局|部|署|行|办|中心|中央|组))*)"
    r"(?=关于)")
_PRC = "中华人民共和国"


def fold_title(title: str) -> str:
    """A title for comparison: NFKC, no spaces, no inner quote or title marks, () brackets."""
    text = unicodedata.normalize("NFKC", title)
    text = text.translate(_TITLE_BRACKETS)
    return re.sub(r"\s+", "", text)


def title_keys(title: str) -> list[str]:
    """The comparison keys of a title, strictest first: folded, without an issuer before 关于
    or a leading 中华人民共和国."""
    folded = fold_title(title)
    keys = [folded]
    bare = _ISSUER_PREFIX.sub("", folded)
    if bare.startswith(_PRC) and len(bare) > len(_PRC) + 1:
        bare = bare[len(_PRC):]
    if bare != folded:
        keys.append(bare)
    return keys


def fold_number(number: str) -> str:
    """A 文号 for comparison: NFKC, every bracket as 〔〕, no spaces, no 第 before the serial."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", number))
    match = DOC_NUMBER.search(text)
    if match is None:
        return text
    return f"{match.group(1)}〔{int(match.group(2))}〕{int(match.group(3))}号"


# ---------------------------------------------------------------- resolution

@dataclass(frozen=True)
class Candidate:
    """What resolution needs of a corpus document."""

    doc_id: str
    title: str
    doc_number: str | None = None


class Resolver:
    """Matches references to a corpus's documents by 文号 or title, never by a guess."""

    def __init__(self, documents):
        self.by_number: dict[str, list[Candidate]] = {}
        self.by_title: dict[str, list[Candidate]] = {}
        for document in documents:
            if document.doc_number:
                self.by_number.setdefault(fold_number(document.doc_number), []).append(document)
            keys = title_keys(document.title or "")
            inner = wrapped_title(document.title or "")
            if inner:  # a notice that issues X is where the corpus holds X
                keys += title_keys(inner)
            for key in dict.fromkeys(keys):
                if len(key) >= 2:
                    self.by_title.setdefault(key, []).append(document)

    def resolve(self, reference: Reference, citing: str) -> None:
        """Fill ``reference.targets`` and ``resolution`` (never the citing document itself)."""
        reference.targets, reference.resolution = [], "none"
        if reference.number:
            found = [c for c in self._by_number(reference.number) if c.doc_id != citing]
            if len(found) == 1:
                reference.targets, reference.resolution = [found[0].doc_id], "number"
                return
            if len(found) > 1:
                reference.resolution = "ambiguous"
        if reference.title:
            self._resolve_title(reference, citing)

    def _by_number(self, number: str) -> list[Candidate]:
        # exactly (folded): a code that only ends the same (办函 / 国办函) is another office's
        return self.by_number.get(fold_number(number), [])

    def _resolve_title(self, reference: Reference, citing: str) -> None:
        for key in title_keys(reference.title):
            found = [c for c in self.by_title.get(key, []) if c.doc_id != citing]
            if not found:
                continue
            if len(found) == 1:
                reference.targets, reference.resolution = [found[0].doc_id], "title"
            elif _versions(found):
                reference.targets = sorted(c.doc_id for c in found)
                reference.resolution = "versions"
            else:
                reference.targets, reference.resolution = [], "ambiguous"
            return


def _versions(found: list[Candidate]) -> bool:
    """Whether several documents are texts of one law (same title, not a generic 关于… title)."""
    titles = {fold_title(c.title) for c in found}
    if len(titles) != 1:
        return False
    title = titles.pop()
    return not title.startswith("关于")


def excerpt(text: str, start: int, end: int) -> str:
    """The sentence around a reference, at most ``CONTEXT`` characters either side."""
    left = max(0, start - CONTEXT)
    right = min(len(text), end + CONTEXT)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
