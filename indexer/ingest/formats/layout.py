"""Text rules the PDF and Word readers share: character repair, line joins, where paragraphs start.

A fixed-layout file breaks a Chinese sentence at every line end; these rules decide what a line
break means. ``documents.py`` later does what every format shares (sections, duplicates).
"""

from __future__ import annotations

import re
import unicodedata

# CJK Radicals Supplement (U+2E81–U+2EF3) → the unified ideograph Unicode names as equivalent
# (UCD EquivalentUnifiedIdeograph.txt). NFKC does not fold these; it does fold the Kangxi
# Radicals block (U+2F00–U+2FD5), which PDF text layers emit just as often (⾸⻚ for 首页).
_RADICAL_PAIRS = (
    "⺁厂⺂乛⺃乚⺄乙⺅亻⺆冂⺇𠘨⺈刀⺉刂⺊卜⺋㔾⺌小⺍小⺎兀⺏尣⺐尢⺑𡯂⺒巳⺓幺⺔彑⺕彐⺖忄⺗心⺘扌"
    "⺙攵⺛旡⺜日⺝月⺞歺⺟母⺠民⺡氵⺢氺⺣灬⺤爫⺥爫⺦丬⺧牛⺨犭⺩王⺪𤴔⺫目⺬示⺭礻⺮𥫗⺯糹⺰纟⺱罓"
    "⺲罒⺳㓁⺴冗⺵𦉫⺶羊⺷𦍌⺸𦍋⺹耂⺺肀⺻聿⺼肉⺽𦥑⺾艹⺿艹⻀艹⻁虎⻂衤⻃覀⻄西⻅见⻆角⻇𧢲⻈讠⻉贝"
    "⻊𧾷⻋车⻌辶⻍辶⻎辶⻏邑⻐钅⻑長⻒镸⻓长⻔门⻕𨸏⻖阝⻗雨⻘青⻙韦⻚页⻛风⻜飞⻝食⻞𩙿⻟飠⻠饣⻡𩠐"
    "⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻭歯⻮齿⻯竜⻰龙⻱龜⻲亀⻳龟"
)
_RADICALS = {ord(radical): ideograph
             for radical, ideograph in zip(_RADICAL_PAIRS[::2], _RADICAL_PAIRS[1::2])}
_RADICALS.update({cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)})

# Soft hyphen, zero-width characters and the byte-order mark carry no text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))

_CJK = (r"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
        r"\uff00-\uffef\u2018-\u201f\u2026\u2014\u00b7")
# A space next to a CJK character is layout (letter-spaced titles, Word's gap between Chinese and
# Latin text); only a space between two Latin characters is part of the text.
_LAYOUT_SPACE = re.compile(rf"(?<=[{_CJK}])[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\u00a0]+")
_OUTLINE_LABEL = re.compile(
    r"^(第[一二三四五六七八九十百千零〇两\d]+[编章节条](?:之[一二三四五六七八九十]+)?)[ \t\u3000\u00a0]+(?=\S)")
_SPLIT_NUMBER = re.compile(r"(?<=\d\.) (?=\d)")  # "7. 3.4", "0. 35 mm": a gap a PDF put in a number

# An organ's name (财政部, 农业农村部, 国务院办公厅); a line of only these, set apart by spaces, is
# the issuers' line of a joint document (its title's first line, or its signature).
ORGAN = r"[\u4e00-\u9fff]{1,20}?(?:院|委|会|府|厅|室|局|部|署|行|处|办|中心|中央|公司)"
ORGANS_ONLY = re.compile(rf"^{ORGAN}(?:[ \t\u3000\u00a0]+{ORGAN})+$")
_GAPS = re.compile(r"[ \t\u3000\u00a0]+")

SENTENCE_END = tuple("。！？；：…”’」』）)!?;:")

# Where a new paragraph starts whatever the layout says: 一、 （一） 1. 1、 （1） 第X章/条/节, 附件.
HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十百]+[）)]|"
    r"\d{1,2}[、．]|\d{1,2}\.(?!\d)|[（(]\d{1,2}[）)]|[①-⑳]|"
    r"第[一二三四五六七八九十百零〇\d]+[编章节条款部分]|附件\s*\d*\s*[：:]?\s*$|附件\s*\d*\s*[：:])"
)

# 国发〔2014〕43号, 国令第707号: the document number line near a title, never part of it.
DOC_NUMBER = re.compile(r"[〔\[［(（﹝【]\s*\d{4}\s*[〕\]］)）﹞】]\s*\d+\s*号|第\s*\d+\s*号$")
# Lines a 公文 or an attachment sets above its title: 附件1：, 附件, the document number.
ABOVE_TITLE = re.compile(rf"^附件\s*\d*\s*[：:]?$|{DOC_NUMBER.pattern}")


def fold_radicals(text: str) -> str:
    """Radical code points a PDF font maps to (⻚ U+2EDA) become the ideographs they stand for (页)."""
    return text.translate(_RADICALS)


def tidy(text: str) -> str:
    """One line or paragraph as clean text: radicals folded, invisible characters and layout spaces gone.

    A line of organ names keeps one space between the names. The space after a leading 第X章 / 第X条 label stays (one ASCII space): it is what tells the
    sectioning in ``documents.py`` that "第一章 总则" is a chapter heading and not a sentence.
    """
    text = fold_radicals(text).translate(_INVISIBLE).strip()
    if ORGANS_ONLY.match(text):  # 财政部　　农业农村部: two names, one space between them
        return _GAPS.sub(" ", text)
    label = _OUTLINE_LABEL.match(text)
    head = label.group(1) + " " if label else ""
    text = _LAYOUT_SPACE.sub("", text[label.end():] if label else text)
    return head + _SPLIT_NUMBER.sub("", _SPACES.sub(" ", text)).strip()


def join(left: str, right: str) -> str:
    """Two pieces of one paragraph that a line break separated: a space only between Latin words."""
    if not left or not right:
        return left or right
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def starts_paragraph(text: str) -> bool:
    """A line that opens a heading, numbered item or article, whatever the line before it."""
    return bool(HEADING_START.match(text))
