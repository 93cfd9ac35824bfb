"""Document series: the reports of one region and kind over the years (national work reports…).

New formulations are new against the earlier documents of a series, and a document is
compared by default with its series' previous year.
"""

from __future__ import annotations

import re

# Longest first: the first one a title contains is its kind.
KINDS = ("政府工作报告", "国民经济和社会发展计划", "预算执行情况", "工作报告", "发展规划", "规划纲要",
         "决议", "决定", "条例", "规定", "办法", "通知", "意见", "公报", "规划", "报告", "法")
_YEAR = re.compile(r"[0-9０-９]{4}\s*年?(?:度)?")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")


def document_kind(title: str) -> str:
    """The kind of a document from its title: 政府工作报告, 条例…, else the title without years."""
    plain = _ASIDE.sub("", title or "")
    for kind in KINDS:
        if kind in plain:
            return kind
    return _YEAR.sub("", plain).strip()


def series_key(record: dict) -> tuple[str, str]:
    """(region, kind) of a document record: documents sharing it form one series."""
    return (record.get("region") or "", document_kind(record.get("title", "")))


def earlier_in_series(records: list[dict], record: dict) -> list[dict]:
    """The documents of ``record``'s series from earlier years, oldest first."""
    if not record.get("year"):
        return []
    key = series_key(record)
    earlier = [r for r in records if r.get("year") and r["year"] < record["year"]
               and r["doc_id"] != record["doc_id"] and series_key(r) == key]
    return sorted(earlier, key=lambda r: (r["year"], r["title"], r["doc_id"]))


def previous_in_series(records: list[dict], record: dict) -> dict | None:
    """The latest earlier document of ``record``'s series (its previous year), or None."""
    earlier = earlier_in_series(records, record)
    return earlier[-1] if earlier else None
