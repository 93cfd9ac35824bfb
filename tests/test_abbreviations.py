"""The shipped abbreviation list, its format, and its check against ../shared/corpus.

Run ``.venv/bin/pytest tests/test_abbreviations.py -s -k shared`` to see the report: for each
abbreviation, how many paragraphs hold its whole expansion (0 is allowed: the parts occur,
only never together in these corpora).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.search.abbreviations import builtin_path, combine, from_glossary, parse
from indexer.features.glossary import Entry

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def shipped_lines() -> list[tuple[str, list[str]]]:
    """The list read with nothing but str.split (not the code under test)."""
    entries = []
    for line in builtin_path().read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            abbreviation, rest = line.split("\t")
            entries.append((abbreviation, rest.split(" ")))
    return entries


def test_the_shipped_list_is_well_formed():
    entries = shipped_lines()
    assert len(entries) == 217
    abbreviations = [a for a, _ in entries]
    assert len(set(abbreviations)) == len(abbreviations)
    for abbreviation, parts in entries:
        assert parts and all(parts), abbreviation
        assert not any(abbreviation in part for part in parts), abbreviation
    loaded = combine()
    assert len(loaded) == 217
    assert [e.parts for e in loaded.lookup("双碳")] == [("碳达峰", "碳中和")]
    assert [e.parts for e in loaded.lookup("放管服")] == [("简政放权", "放管结合", "优化服务")]
    assert [e.parts for e in loaded.lookup("三农")] == [("农业", "农村", "农民")]
    assert [e.parts for e in loaded.lookup("ｇｄｐ")] == [("国内生产总值",)]  # width and case fold


def test_file_format_comments_spaces_and_useless_lines():
    text = "# 注释\n双碳\t碳达峰 碳中和  # 行尾注释\n三农  农业 农村 农民\n孤词\n河长制\t河长制度\n"
    assert [(e.abbreviation, e.parts, e.source) for e in parse(text, "corpus")] == [
        ("双碳", ("碳达峰", "碳中和"), "corpus"),
        ("三农", ("农业", "农村", "农民"), "corpus"),
    ]


def test_the_corpus_list_comes_first_and_duplicates_collapse():
    loaded = combine("双碳\t碳达峰 碳中和\n双碳\t二氧化碳排放达峰\n")
    assert [(e.parts, e.source) for e in loaded.lookup("双碳")] == [
        (("碳达峰", "碳中和"), "corpus"), (("二氧化碳排放达峰",), "corpus")]


def test_glossary_definitions_that_enumerate_or_name_become_expansions():
    entries = [
        Entry("六稳", "稳就业、稳金融、稳外贸。", "section", "d1", 3),
        Entry("三品一标", "无公害农产品、绿色食品、有机农产品和农产品地理标志。", "section", "d1", 4),
        Entry("数字政府", "政府通过网络等线上信息化渠道进行政务的推进。", "section", "d1", 5),
        Entry("进博会", "中国国际进口博览会", "abbreviated", "d2", 1),
        Entry("著作权法", "《中华人民共和国著作权法》", "abbreviated", "d2", 2),
    ]
    assert [(e.abbreviation, e.parts) for e in from_glossary(entries)] == [
        ("六稳", ("稳就业", "稳金融", "稳外贸")),
        ("三品一标", ("无公害农产品", "绿色食品", "有机农产品", "农产品地理标志")),
        ("进博会", ("中国国际进口博览会",)),
    ]


REPORT_FOLDERS = ("national-reports", "provincial-2026", "npc-resolutions", "gbk-scraped")


def folded_paragraphs(folder: Path) -> list[str]:
    from indexer.analysis import fold
    from indexer.ingest.documents import decode_bytes
    paragraphs = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".txt", ".md"):
            text = fold(decode_bytes(path.read_bytes()))
            paragraphs += [re.sub(r"\s+", "", line) for line in text.splitlines() if line.strip()]
    return paragraphs


@pytest.mark.shared
def test_every_expansion_part_occurs_in_the_shared_corpus():
    if not SHARED.is_dir():
        pytest.skip(f"needs {SHARED}")
    from indexer.analysis import fold
    reports = [p for folder in REPORT_FOLDERS for p in folded_paragraphs(SHARED / folder)]
    everything = "\n".join(reports + folded_paragraphs(SHARED / "laws"))
    never, report = [], []
    for abbreviation, parts in shipped_lines():
        folded = [fold(part) for part in parts]
        missing = [part for part in folded if part not in everything]
        if missing:
            never.append((abbreviation, missing))
            continue
        together = sum(1 for p in reports if folded[0] in p and all(part in p for part in folded))
        report.append(f"{abbreviation}\t{together}\t{' '.join(parts)}")
    print("\n".join(["abbreviation\treport paragraphs with the whole expansion\texpansion"]
                    + report))
    assert never == []
