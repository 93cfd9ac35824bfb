"""Written shapes of official documents that the readers (ingest) and the relation finders
(``indexer/relations``) both look for: dates, small Chinese numerals, 文号 brackets, ordinals.

One definition each, so a date the metadata reader accepts is a date the validity reader
accepts too.
"""

from __future__ import annotations


# 〇 and its stand-ins (○ circle, Ｏ/O letters typed for it), and 两 as in 两年.
CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}
# A written date: 2020年1月1日 (spaces allowed) or 二〇二〇年一月一日.
DATE_TEXT = (r"(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
             r"|[〇零○Ｏ一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)")
# The brackets around a 文号's year: GB/T 9704's 〔〕 and what files write instead (﹝﹞ in many
# Word files: 厅字﹝2019﹞33号); for a character class, through re.escape.
DOC_NUMBER_OPEN = "〔[［（(﹝【"
DOC_NUMBER_CLOSE = "〕]］）)﹞】"
# 第三, 第12, 第一百零五: the start of 第X条 / 第X章 / 第X款.
ORDINAL = r"第[一二三四五六七八九十百零〇\d]+"


def small_number(text: str) -> int | None:
    """1 to 99 written 一 … 九十九 (or in digits); None for anything else."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    value = (CN_DIGITS.get(tens, -100) if tens else 1) * 10 + (CN_DIGITS.get(ones, -100) if ones else 0)
    return value if 0 < value < 100 else None

