"""Official metadata of a government document: issuer 发文机关, number 发文字号, dates, source.

What a file declares (gov.cn's metadata table, a page's ``<meta>`` tags) wins; otherwise the text
of a 公文 says it in fixed places: the red head (某某局文件) and the number line under it
(路卫发〔2011〕76号), the issuer before 关于 in the title, and the signature at the end (the
issuing organ over the date it was signed, 成文日期). The file name is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.patterns import DATE_TEXT, DOC_NUMBER_CLOSE, DOC_NUMBER_OPEN

_OPEN, _CLOSE = re.escape(DOC_NUMBER_OPEN), re.escape(DOC_NUMBER_CLOSE)
DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fff]{{1,12}})\s*[{_OPEN}]\s*((?:19|20)\d{{2}})\s*[{_CLOSE}]\s*第?\s*(\d{{1,5}})\s*号")
ORDER_NUMBER = re.compile(r"([\u4e00-\u9fff]{0,10}令)\s*第\s*(\d{1,5})\s*号")
_ORGAN_END = r"(?:院|委|会|府|厅|室|局|部|署|行|处|办|中心|中央|公司|分局|小组)"
_TITLE_ISSUER = re.compile(rf"^(.{{2,40}}?{_ORGAN_END})\s*关于")
_MASTHEAD = re.compile(rf"^(.{{2,30}}?{_ORGAN_END})\s*文件$")
_SIGNATURE_ORGAN = re.compile(rf"^[\u4e00-\u9fff　 ]{{2,30}}{_ORGAN_END}$")
_DATE_LINE = re.compile(rf"^\s*{DATE_TEXT}\s*$")
_ORGAN_AND_DATE = re.compile(rf"^\s*(\S.{{1,30}}?{_ORGAN_END})\s*({DATE_TEXT})\s*$")
# The 版记's last line: the office that printed it and when (农业农村部办公厅 2025年1月24日印发).
_PRINTED = re.compile(rf"^\s*(\S.{{1,30}}?{_ORGAN_END})\s*({DATE_TEXT})\s*印发\s*$")
_HEAD_LINES = 10
_TAIL_LINES = 12


@dataclass(frozen=True)
class OfficialMeta:
    """Issuer, document number and signature date read from a document's text."""

    issuer: str | None = None
    doc_number: str | None = None
    signed: str | None = None  # the date under the signature, as written


def canonical_doc_number(text: str) -> str | None:
    """The first 发文字号 in ``text`` with GB/T 9704 brackets (国办发[2018]115号 → 国办发〔2018〕115号)."""
    match = DOC_NUMBER.search(text)
    if match:
        return f"{match.group(1)}〔{match.group(2)}〕{match.group(3)}号"
    match = ORDER_NUMBER.search(text)
    if match and match.group(1):
        return f"{match.group(1)}第{match.group(2)}号"
    return None


def from_text(lines: list[str], title: str | None) -> OfficialMeta:
    """Read issuer, number and signature date from a document's paragraphs (and its title)."""
    return OfficialMeta(issuer=_issuer(lines, title), doc_number=_doc_number(lines, title),
                        signed=_signature(lines)[1])


def _doc_number(lines: list[str], title: str | None) -> str | None:
    # Only a number standing on its own line near the top (or closing the title) is the
    # document's own: the body cites other documents' numbers.
    for line in ([title] if title else []) + lines[:_HEAD_LINES]:
        compact = line.strip().strip("（()）")
        for pattern in (DOC_NUMBER, ORDER_NUMBER):
            for match in pattern.finditer(compact):
                whole_line = match.start() == 0 and match.end() == len(compact)
                closes_line = match.end() == len(compact) and match.start() > 0 and \
                    compact[match.start() - 1] in " 　（("
                if whole_line or closes_line:
                    return canonical_doc_number(match.group(0))
    return None


def _issuer(lines: list[str], title: str | None) -> str | None:
    for line in lines[:5]:
        match = _MASTHEAD.match(line.strip())
        if match and not DOC_NUMBER.search(line):
            return _squeeze(match.group(1))
    if title:
        match = _TITLE_ISSUER.match(title)
        if match:
            return _squeeze(match.group(1))
    return _signature(lines)[0]


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    tail = [line.strip() for line in lines[-_TAIL_LINES:]]
    for index in range(len(tail) - 1, -1, -1):
        line = tail[index]
        combined = _ORGAN_AND_DATE.match(line)
        if combined:
            return _squeeze(combined.group(1)), combined.group(2)
        if _DATE_LINE.match(line):
            before = tail[index - 1] if index else ""
            organ = _squeeze(before) if _SIGNATURE_ORGAN.match(before) else None
            return organ, line
    # No legible signature (a seal over it in a scan): the 版记's printing date is the nearest.
    for line in reversed(tail):
        printed = _PRINTED.match(line)
        if printed:
            return _squeeze(printed.group(1)), printed.group(2)
    return None, None


def _squeeze(text: str) -> str:
    # Letter-spaced organ names (国  务  院) lose their spaces; two organs keep one between them.
    chunks = re.split(r"[ 　]+", text.strip())
    if all(len(chunk) == 1 for chunk in chunks):
        return "".join(chunks)
    return " ".join(chunks)
