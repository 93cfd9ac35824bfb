"""Whether a document is in force (时效性), from what the documents themselves state.

Statements read from a document's paragraphs (``read_statements``):

- 本办法自2020年1月1日起施行 / 自公布之日起施行 — its effective date;
- 本通知有效期5年 / 有效期至2025年12月31日 — when it expires;
- 《X》同时废止 / 予以废止 / 不再执行 / 不再适用, and the lists of 决定 that repeal documents
  (废止下列规章：1.《X》…) — it repeals X;
- 对《X》作如下修改 / 将《X》第三条修改为 / 关于修改《X》的决定 / a title X修正案 — it amends X.

``status`` then combines one document's own statements with what the others say about it,
relative to a given day: 已废止 (repealed, by which document, from when), 已失效 (expired),
尚未施行 (effective date still ahead), 已修改 (amended by a later document), 现行有效 (it
states when it took effect and nothing ended it), and unknown where the corpus says nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from indexer.ingest.patterns import CN_DIGITS, DATE_TEXT, ORDINAL, small_number
from indexer.relations.citations import Reference, find_references

STATUSES = ("current", "pending", "repealed", "expired", "amended", "unknown")
LABELS = {"current": "现行有效", "pending": "尚未施行", "repealed": "已废止", "expired": "已失效",
          "amended": "已修改", "unknown": "时效未知"}
SELF = (r"本(?:实施细则|实施办法|暂行办法|暂行规定|暂行条例|法|条例|规定|办法|细则|规则|决定|决议|"
        r"通知|意见|解释|批复|方案|规划|措施|规程|准则|标准|修正案|政策|文件|公告|通告|指南|制度|"
        r"令|答复|复函|指引|纲要|计划|清单|目录|章程|守则|导则|规范|要点|细则|公约|协定|议定书)")
_ON_ISSUE = r"(?:公布|发布|印发|颁布|下发|通过|签发|公告|成文)之日"
EFFECTIVE = re.compile(
    rf"{SELF}[^。；]{{0,40}}?自\s*({DATE_TEXT}|{_ON_ISSUE})\s*起\s*(?:施行|实施|执行|生效|试行|开始施行)")
# 本通知有效期… or 本办法自…起施行，有效期…: never a licence's 有效期 later in the sentence
EXPIRY = re.compile(
    rf"{SELF}(?:[^。；，,]{{0,6}}?|[^。；]{{0,40}}?(?:施行|实施|执行)\s*[，,])\s*有效期(?:为|至|截至|到)?\s*(?:({DATE_TEXT})|(\d{{1,2}}|[一二三四五六七八九十两]{{1,3}})\s*年)")
REPEAL_WORDS = re.compile(r"(?:同时|予以|一并|即行|即|也|自行|相应)?(?:废止|不再执行|不再适用)")
AMEND_NEAR = re.compile(  # 将《X》第三条修改为, but not 将《X》第三条的罪名由…修改为
    r"[^。；由]{0,30}?(?:作(?:出)?(?:如下|以下)修改|修改为|进行修改|予以修改|作(?:出)?修改|修正为)")
_AUTHORITY = re.compile(r"(?:根据|依据|依照|按照|参照|遵照|对照|适用)")
LIST_INTRO = re.compile(r"(?:(?:废止|修改|修正)[^。]{0,20}(?:下列|以下|如下)|(?:下列|以下|如下)"
                        r"[^。]{0,20}(?:废止|修改|修正))[^。]{0,30}[：:]\s*$")
LIST_ITEM = re.compile(r"^\s*(?:\d{1,3}\s*[.．、]|[一二三四五六七八九十百]{1,4}\s*、|[（(]\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[）)])?\s*")
_AMENDMENT_TITLE = re.compile(r"^(.{2,60}?)修正案(?:[（(][^（）()]{1,12}[）)])?$")
_AMEND_TITLE = re.compile(r"关于修改")
_REPEAL_TITLE = re.compile(r"废止")
_PART = re.compile(rf"{ORDINAL}[条款项]")
_SENTENCE_END = re.compile(r"[。；;！!？?]")


def parse_date(text: str) -> str | None:
    """An ISO date for 2020年1月1日 or 二〇二〇年一月一日 (None when it is no valid date)."""
    text = re.sub(r"\s+", "", text)
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(.{4})年(.{1,3})月(.{1,3})日", text)
        if not match:
            return None
        try:
            year = int("".join(str(CN_DIGITS[c]) for c in match.group(1)))
        except KeyError:
            return None
        month, day = small_number(match.group(2)), small_number(match.group(3))
        if month is None or day is None:
            return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def read_statements(paragraphs: list[tuple[int, str]], references: list[Reference],
                    title: str = "") -> dict:
    """What a document states about its own force and about other documents.

    ``references`` are the document's references (``find_references``); repeal and amendment
    statements point into that list by index. Returns {"effective", "expiry", "repeals",
    "amends"}; "effective" and "expiry" are None when the document says nothing."""
    by_para: dict[int, list[int]] = {}
    for index, reference in enumerate(references):
        by_para.setdefault(reference.para, []).append(index)
    effective = expiry = None
    repeals: list[dict] = []
    amends: list[dict] = []
    list_mode = None
    repeal_title = bool(_REPEAL_TITLE.search(title)) and not _AMEND_TITLE.search(title)
    for para, text in paragraphs:
        indexes = by_para.get(para, [])
        for match in (EFFECTIVE.finditer(text) if "起" in text else ()):
            effective = _dated(match.group(1), para, text, match)
        for match in (EXPIRY.finditer(text) if "有效期" in text else ()):
            expiry = {"date": parse_date(match.group(1)) if match.group(1) else None,
                      "years": _years(match.group(2)), "para": para,
                      "text": _sentence(text, match.start(), match.end())}
        spans = [(references[i].start, references[i].end) for i in indexes]
        if indexes:
            repeals += _repeals_in(text, para, references, indexes, spans)
            amends += _amends_in(text, para, references, indexes)
        if ("：" in text or ":" in text) and LIST_INTRO.search(text):
            list_mode = "repeals" if "废止" in text else "amends"
            continue
        item = _list_item(text, references, indexes)
        if item is not None and list_mode == "amends" and not _names_only(text, references[item[0]]):
            item = None  # 一、将《X》第三条的罪名由…修改为…: the sentence rules decide
        if item is not None and (list_mode or repeal_title):
            kind = list_mode or "repeals"
            target = repeals if kind == "repeals" else amends
            for index in item:
                if not any(entry["ref"] == index for entry in target):
                    target.append({"ref": index, "para": para, "text": text[:200]})
        elif list_mode and not indexes and not LIST_ITEM.match(text).group(0).strip():
            list_mode = None  # the list ended
    return {"effective": effective, "expiry": expiry, "repeals": repeals, "amends": amends}


def title_amendment(title: str) -> str | None:
    """X of a title 《X修正案（N）》: the law such a document amends."""
    match = _AMENDMENT_TITLE.match(title.strip())
    return match.group(1) if match else None


def title_references(title: str, first_para: int = 0) -> list[Reference]:
    """References a title makes (关于修改《X》的决定, X修正案), placed before the first paragraph."""
    references = [r for r in find_references([(first_para, title)]) if r.title]
    amended = title_amendment(title)
    if amended:
        references.append(Reference(first_para, 0, len(amended), title=amended, via="修正案"))
    return references


def title_statements(title: str, references: list[Reference]) -> list[dict]:
    """The amendments a title states: 关于修改《X》的决定 and X修正案 amend X."""
    found = []
    for index, reference in enumerate(references):
        if reference.via == "修正案" or (_AMEND_TITLE.search(title) and reference.title
                                         and f"《{reference.title}》" in title):
            found.append({"ref": index, "para": reference.para, "text": title})
    return found


def _dated(value: str, para: int, text: str, match: re.Match) -> dict:
    on_issue = not value[0].isdigit() and parse_date(value) is None
    return {"date": None if on_issue else parse_date(value), "on_issue": on_issue, "para": para,
            "text": _sentence(text, match.start(), match.end())}


def _years(value: str | None) -> int | None:
    if not value:
        return None
    return int(value) if value.isdigit() else small_number(value)


def _repeals_in(text, para, references, indexes, spans) -> list[dict]:
    found = []
    for match in REPEAL_WORDS.finditer(text):
        if any(s <= match.start() < e for s, e in spans):
            continue  # 废止 inside a title (《国务院关于废止…的决定》)
        begin = _sentence_start(text, match.start())
        chosen = []
        for index in indexes:
            reference = references[index]
            if not (begin <= reference.start and reference.end <= match.start()):
                continue
            clause = text[_clause_start(text, reference.start, begin):reference.start]
            if _AUTHORITY.search(clause):
                continue  # 根据《X》…废止: X is the authority, not what is repealed
            if _PART.search(text, reference.end, match.start()):
                continue  # 《X》第一条第二款…不再适用: a part of X, not X
            chosen.append(index)
        if chosen:
            sentence = _sentence(text, begin, match.end())
            found += [{"ref": index, "para": para, "text": sentence} for index in chosen]
    return found


def _amends_in(text, para, references, indexes) -> list[dict]:
    found = []
    for index in indexes:
        reference = references[index]
        if reference.via == "印发":
            continue
        if AMEND_NEAR.match(text, reference.end) and re.search(r"(?:对|将)\s*$",
                                                                text[max(0, reference.start - 3):reference.start]):
            found.append({"ref": index, "para": para,
                          "text": _sentence(text, reference.start, reference.end)})
    return found


def _list_item(text: str, references: list[Reference], indexes: list[int]) -> list[int] | None:
    """The reference a list item names at its start (1.《X》), with its 印发 sibling."""
    if not indexes:
        return None
    lead = LIST_ITEM.match(text).end()
    first = references[indexes[0]]
    if first.start > lead + 2:
        return None
    return [i for i in indexes if references[i].start == first.start]


def _names_only(text: str, reference: Reference) -> bool:
    """Whether a list item is just a name (一、《X》（2001年通过）), as amendment lists head
    the changes to each document."""
    return len(text.strip()) - (reference.end - reference.start) <= 30


def _sentence_start(text: str, position: int) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, position)]
    return ends[-1] if ends else 0


def _clause_start(text: str, position: int, floor: int) -> int:
    cut = max(text.rfind("，", floor, position), text.rfind(",", floor, position))
    return cut + 1 if cut >= 0 else floor


def _sentence(text: str, start: int, end: int) -> str:
    begin = _sentence_start(text, start)
    match = _SENTENCE_END.search(text, end)
    stop = match.end() if match else len(text)
    return text[begin:stop].strip()[:300]


# ---------------------------------------------------------------- status

def status(doc: dict, repealed_by: list[dict], amended_by: list[dict], today: dt.date) -> dict:
    """A document's status on ``today`` with its evidence.

    ``doc`` holds its own statements ("effective", "expiry") and "date"; ``repealed_by`` and
    ``amended_by`` are {"doc_id", "title", "para", "text", "from"} of the resolved documents
    that repeal or amend it ("from": the ISO date the act takes effect, or None)."""
    day = today.isoformat()
    effective = doc.get("effective") or None
    effective_date = _effective_date(doc)
    for act in sorted(repealed_by, key=lambda a: a.get("from") or ""):
        if act.get("from") is None or act["from"] <= day:
            return _answer("repealed", repealed=act, effective=effective)
    expires = _expiry_date(doc, effective_date)
    if expires is not None and expires < day:
        return _answer("expired", expires=expires, expiry=doc.get("expiry"), effective=effective)
    if effective_date is not None and effective_date > day:
        return _answer("pending", effective=effective, effective_date=effective_date)
    later = [a for a in amended_by
             if a.get("from") and (not doc.get("date") or a["from"] > doc["date"])
             and a["from"] <= day]
    if later:
        return _answer("amended", amended=sorted(later, key=lambda a: a["from"]),
                       effective=effective)
    if effective_date is not None or (expires is not None and doc.get("date")):
        return _answer("current", effective=effective, effective_date=effective_date,
                       expires=expires, expiry=doc.get("expiry"))
    return _answer("unknown")


def _answer(code: str, **evidence) -> dict:
    return {"status": code, "label": LABELS[code],
            "evidence": {k: v for k, v in evidence.items() if v is not None}}


def _effective_date(doc: dict) -> str | None:
    effective = doc.get("effective")
    if not effective:
        return None
    if effective.get("date"):
        return effective["date"]
    return doc.get("date") if effective.get("on_issue") else None


def _expiry_date(doc: dict, effective_date: str | None) -> str | None:
    expiry = doc.get("expiry")
    if not expiry:
        return None
    if expiry.get("date"):
        return expiry["date"]
    start = effective_date or doc.get("date")
    if not (expiry.get("years") and start):
        return None
    begin = dt.date.fromisoformat(start)
    try:
        end = begin.replace(year=begin.year + expiry["years"])
    except ValueError:  # 29 February
        end = begin.replace(year=begin.year + expiry["years"], day=28)
    return (end - dt.timedelta(days=1)).isoformat()
