"""Trends, 新提法 and comparison on the real reports of ../shared/corpus (skipped where absent).

Every expected number is a literal scan of the source files written here: ``str.count`` and
``in`` over the text of the national reports 1954–2025 and the provincial reports of 2026.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer import SearchEngine, build_index
from indexer.features.compare import compare_documents
from indexer.features.novelty import new_formulations
from indexer.features.trends import trends

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
NATIONAL = SHARED / "national-reports"
PROVINCIAL = SHARED / "provincial-2026"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/corpus is not present"),
]


def national_texts() -> dict[int, str]:
    """Year → the raw text of that year's national report (file names start with the year)."""
    return {int(path.name[:4]): path.read_text(encoding="utf-8")
            for path in sorted(NATIONAL.glob("*.txt"))}


def unbroken(text: str) -> str:
    # Lines wrap inside phrases in a few old files; the engine reads a phrase across the wrap.
    return re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", text)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("reports")
    for folder in (NATIONAL, PROVINCIAL):
        (corpus / folder.name).symlink_to(folder, target_is_directory=True)
    index = tmp_path_factory.mktemp("reports-index")
    summary = build_index(corpus, index)
    assert summary.skipped == []
    return SearchEngine(index)


@pytest.fixture(scope="module")
def national_ids(engine):
    return {d["year"]: d["doc_id"] for d in engine.documents() if d["region"] == "全国"}


@pytest.mark.parametrize("phrase", ["乡村振兴", "脱贫攻坚", "新质生产力", "改革开放"])
def test_national_trend_equals_a_literal_count_of_each_year(engine, phrase):
    result = trends(engine, [phrase], mode="exact", year_to=2025)
    texts = national_texts()
    (series,) = result["series"]
    counted = {row["key"]: row["occurrences"] for row in series["rows"]}
    assert counted == {year: unbroken(text).count(phrase) for year, text in texts.items()}
    appears = sorted(year for year, text in texts.items() if phrase in unbroken(text))
    assert (series["first"]["year"], series["last"]["year"]) == (appears[0], appears[-1])


def test_new_quality_productive_forces_first_appear_in_2024(engine):
    (series,) = trends(engine, ["新质生产力"], year_to=2025)["series"]
    assert series["first"]["year"] == 2024
    assert "新质生产力" in national_texts()[2024]
    assert not any("新质生产力" in text for year, text in national_texts().items() if year < 2024)


def test_provincial_trend_by_region_equals_each_file(engine):
    result = trends(engine, ["新质生产力", "低空经济"], by="region", year_from=2026, year_to=2026)
    files = {path.name.split("_")[1]: path.read_text(encoding="utf-8")
             for path in PROVINCIAL.glob("*.txt")}
    assert [b["key"] for b in result["buckets"]] == sorted(files)
    for series in result["series"]:
        counted = {row["key"]: row["occurrences"] for row in series["rows"]}
        assert counted == {region: unbroken(text).count(series["query"])
                           for region, text in files.items()}


@pytest.mark.parametrize("year", [2024, 2025])
def test_every_new_formulation_is_absent_from_all_earlier_reports(engine, national_ids, year):
    result = new_formulations(engine, national_ids[year])
    texts = national_texts()
    earlier = [text for y, text in texts.items() if y < year]
    assert len(result["series"]["earlier"]) == len(earlier)
    phrases = [p["phrase"] for p in result["phrases"]]
    assert len(phrases) >= 40
    for phrase in phrases:
        assert not any(phrase in text for text in earlier), phrase
        assert phrase in unbroken(texts[year]), phrase
    if year == 2024:
        assert "新质生产力" in phrases
    else:
        assert "新质生产力" not in phrases
        assert {"零基预算", "两重", "提振消费"} <= set(phrases)


# Two paragraphs of the 2024 report and what the 2025 report says in their place, copied from
# the files, with the change between them written out by hand.
CHANGED_PAIRS = [
    ("一、2023年工作回顾", "一、2024年工作回顾",
     [["equal", "一、202"], ["delete", "3"], ["insert", "4"], ["equal", "年工作回顾"]]),
    ("一年来，我们深入学习贯彻党的二十大和二十届二中全会精神，按照党中央决策部署，主要做了以下工作。",
     "一年来，我们深入学习贯彻习近平新时代中国特色社会主义思想，坚定维护以习近平同志为核心的党中央"
     "权威和集中统一领导，把党的领导贯穿政府工作各方面全过程，全面贯彻落实党的二十大和二十届二中、"
     "三中全会精神，按照党中央决策部署，主要做了以下工作。",
     [["equal", "一年来，我们深入学习贯彻"],
      ["insert", "习近平新时代中国特色社会主义思想，坚定维护以习近平同志为核心的党中央权威和集中统一"
                 "领导，把党的领导贯穿政府工作各方面全过程，全面贯彻落实"],
      ["equal", "党的二十大和二十届二"], ["insert", "中、三"],
      ["equal", "中全会精神，按照党中央决策部署，主要做了以下工作。"]]),
]


def test_compare_2024_with_2025_pairs_every_paragraph_and_marks_the_change(engine, national_ids):
    result = compare_documents(engine, None, national_ids[2025])
    assert result["a"]["doc_id"] == national_ids[2024]  # the series' previous year
    a = engine.document(national_ids[2024])["paragraphs"]
    b = engine.document(national_ids[2025])["paragraphs"]
    assert [row["b"]["para"] for row in result["rows"] if row["b"]] == [p["para"] for p in b]
    assert sorted(row["a"]["para"] for row in result["rows"] if row["a"]) == [p["para"] for p in a]
    assert sum(result["counts"].values()) == len(result["rows"])
    texts = national_texts()
    a_text = {p["para"]: p["text"] for p in a}
    b_text = {p["para"]: p["text"] for p in b}
    pairs = {(a_text[row["a"]["para"]], b_text[row["b"]["para"]]): row for row in result["rows"]
             if row["a"] and row["b"]}
    for before, after, diff in CHANGED_PAIRS:
        assert before in texts[2024].splitlines() and after in texts[2025].splitlines()
        row = pairs[(before, after)]
        assert (row["status"], row["diff"]) == ("changed", diff)
