"""Trends, new formulations (新提法) and comparison on small known corpora: engine, CLI, web.

Expected numbers come from plain ``str.count`` over the documents' stored paragraph texts or
the source files, never from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from indexer import SearchEngine, build_index
from indexer.cli import main
from indexer.features.compare import compare_documents
from indexer.features.novelty import new_formulations
from indexer.features.trends import trends

from conftest import SERIES_CORPUS

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def engine(series_index):
    return SearchEngine(series_index)


@pytest.fixture(scope="module")
def ids(engine):
    return {d["title"]: d["doc_id"] for d in engine.documents()}


@pytest.fixture(scope="module")
def app_client(series_corpus, series_index):
    from webapp import create_app
    app = create_app({"INDEX_DIR": str(series_index), "CORPUS_DIR": str(series_corpus),
                      "PAGE_SIZE": 10, "TESTING": True})
    return app.test_client()


def stored_texts(engine) -> dict[str, list[dict]]:
    return {d["doc_id"]: engine.document(d["doc_id"])["paragraphs"] for d in engine.documents()}


def literal_counts(engine, phrase: str) -> dict[int, dict]:
    """Per year: documents, paragraphs and occurrences of ``phrase``, and the year's characters."""
    years: dict[int, dict] = {}
    for record in engine.documents():
        texts = [p["text"] for p in engine.document(record["doc_id"])["paragraphs"]]
        year = years.setdefault(record["year"], {"documents": 0, "paragraphs": 0,
                                                 "occurrences": 0, "chars": 0})
        year["chars"] += sum(len(t) for t in texts)
        year["paragraphs"] += sum(1 for t in texts if phrase in t)
        year["occurrences"] += sum(t.count(phrase) for t in texts)
        year["documents"] += any(phrase in t for t in texts)
    return years


# ---------------------------------------------------------------- trends

@pytest.mark.parametrize("phrase", ["乡村振兴", "低空经济", "营商环境"])
def test_trends_per_year_equal_literal_counts(engine, phrase):
    result = trends(engine, [phrase])
    expected = literal_counts(engine, phrase)
    assert [b["key"] for b in result["buckets"]] == sorted(expected) == [2022, 2023]
    (series,) = result["series"]
    for bucket, row in zip(result["buckets"], series["rows"]):
        want = expected[bucket["key"]]
        assert bucket["chars"] == want["chars"]
        assert (row["documents"], row["paragraphs"], row["occurrences"]) == \
            (want["documents"], want["paragraphs"], want["occurrences"])
        assert row["per_10k"] == round(want["occurrences"] * 10000 / want["chars"], 2)
    assert series["occurrences"] == sum(w["occurrences"] for w in expected.values())


def test_trends_known_values_and_first_last(engine, ids):
    result = trends(engine, ["乡村振兴", "新质生产力"])
    village, new = result["series"]
    # 2022: 1 + 2 in the report; 2023: 1 + 1 in the report and 1 in the regulation.
    assert [r["occurrences"] for r in village["rows"]] == [3, 3]
    assert [r["paragraphs"] for r in village["rows"]] == [2, 3]
    assert [r["documents"] for r in village["rows"]] == [1, 2]
    assert village["first"] == {"year": 2022, "doc_id": ids["2022年江门市政府工作报告"],
                                "title": "2022年江门市政府工作报告", "para": 3}
    assert village["last"]["year"] == 2023 and village["last"]["para"] == 3
    assert [r["occurrences"] for r in new["rows"]] == [0, 2]
    assert new["first"]["para"] == 5 and new["first"]["year"] == 2023


def test_trends_filters_and_modes_match_search(engine, ids):
    only_2023 = trends(engine, ["乡村振兴"], year_from=2023)
    assert [b["key"] for b in only_2023["buckets"]] == [2023]
    one_doc = trends(engine, ["乡村振兴"], doc=ids["2023年江门市河道管理条例"])
    assert one_doc["series"][0]["occurrences"] == 1
    assert one_doc["buckets"][0]["chars"] == sum(
        len(p["text"]) for p in engine.document(ids["2023年江门市河道管理条例"])["paragraphs"])
    # words mode: 乡村 … 振兴 apart; exact mode: only the literal phrase
    for mode in ("words", "exact"):
        result = trends(engine, ["推动低空经济"], mode=mode)
        assert result["series"][0]["paragraphs"] == engine.search("推动低空经济", mode=mode)["total"]


def test_trends_by_region(engine):
    result = trends(engine, ["乡村振兴"], by="region")
    assert [b["key"] for b in result["buckets"]] == ["江门市", "（未注明地区）"]
    reports = [t for name, t in SERIES_CORPUS.items() if "政府工作报告" in name]
    (regulation,) = [t for name, t in SERIES_CORPUS.items() if "条例" in name]
    assert [r["occurrences"] for r in result["series"][0]["rows"]] == \
        [sum(t.count("乡村振兴") for t in reports), regulation.count("乡村振兴")] == [5, 1]


@pytest.mark.parametrize("queries, message", [([], "empty query"), ([""], "empty query"),
                                              (["a"] * 0 + [str(n) for n in range(7)], "too many"),
                                              (["-乡村"], "only excludes")])
def test_trends_bad_queries_are_query_errors(engine, queries, message):
    from indexer import QueryError
    with pytest.raises(QueryError, match=message):
        trends(engine, queries)


# ---------------------------------------------------------------- new formulations

def test_new_formulations_of_the_second_report(engine, ids):
    result = new_formulations(engine, ids["2023年江门市政府工作报告"])
    phrases = [p["phrase"] for p in result["phrases"]]
    assert phrases[:2] == ["新质生产力", "低空经济"]  # the heading makes 新质生产力 first
    assert result["phrases"][0]["in_headings"] == 1 and result["phrases"][0]["paragraphs"] == [5, 6]
    assert result["series"]["earlier"] == [{"doc_id": ids["2022年江门市政府工作报告"],
                                            "title": "2022年江门市政府工作报告", "year": 2022}]
    earlier = SERIES_CORPUS["2022_江门市_政府工作报告.md"]
    this = SERIES_CORPUS["2023_江门市_政府工作报告.md"]
    for phrase in result["phrases"]:
        assert phrase["phrase"] not in earlier
        assert this.count(phrase["phrase"]) == phrase["count"]
    assert "乡村振兴" not in phrases and "营商环境" not in phrases


def test_new_formulations_without_earlier_documents(engine, ids):
    result = new_formulations(engine, ids["2022年江门市政府工作报告"])
    assert result["series"]["earlier"] == [] and result["phrases"] == []
    assert new_formulations(engine, "no-such-doc") is None


# ---------------------------------------------------------------- compare

def test_compare_aligns_and_marks_changes(engine, ids):
    result = compare_documents(engine, None, ids["2023年江门市政府工作报告"])
    assert result["a"]["doc_id"] == ids["2022年江门市政府工作报告"]  # previous of the series
    assert result["counts"] == {"same": 1, "changed": 4, "new": 2, "dropped": 2}
    texts = stored_texts(engine)
    a_texts = {p["para"]: p["text"] for p in texts[result["a"]["doc_id"]]}
    b_texts = {p["para"]: p["text"] for p in texts[result["b"]["doc_id"]]}
    b_order = [row["b"]["para"] for row in result["rows"] if row["b"]]
    assert b_order == sorted(b_texts)  # every B paragraph once, in order
    assert sorted(row["a"]["para"] for row in result["rows"] if row["a"]) == sorted(a_texts)
    for row in result["rows"]:
        if row["a"]:
            assert "".join(t for op, t in row["diff"] if op != "insert") == a_texts[row["a"]["para"]]
        if row["b"]:
            assert "".join(t for op, t in row["diff"] if op != "delete") == b_texts[row["b"]["para"]]
    fields = {row["b"]["para"]: row for row in result["rows"] if row["b"]}
    assert fields[4]["diff"] == [["equal", "制造业稳步发展，"], ["delete", "工业增加值增长百分之八"],
                                 ["insert", "低空经济起步良好"], ["equal", "。"]]
    assert fields[7]["status"] == "same" and fields[6]["status"] == "new"


def test_compare_without_a_previous_year_is_a_lookup_error(engine, ids):
    with pytest.raises(LookupError, match="no earlier document"):
        compare_documents(engine, None, ids["2022年江门市政府工作报告"])
    assert compare_documents(engine, "nope", ids["2022年江门市政府工作报告"]) is None


# ---------------------------------------------------------------- CLI

def test_cli_trends_csv_and_json(series_index, capsys):
    main(["trends", "乡村振兴", "低空经济", "--index", str(series_index), "--csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["year"], r["query"], r["occurrences"]) for r in rows] == [
        ("2022", "乡村振兴", "3"), ("2023", "乡村振兴", "3"),
        ("2022", "低空经济", "0"), ("2023", "低空经济", "2")]
    main(["trends", "乡村振兴", "--by", "region", "--index", str(series_index), "--json"])
    assert json.loads(capsys.readouterr().out)["buckets"][0]["key"] == "江门市"


def test_cli_new_and_compare(series_index, engine, ids, capsys):
    main(["new", ids["2023年江门市政府工作报告"], "--index", str(series_index), "--json"])
    assert json.loads(capsys.readouterr().out)["phrases"][0]["phrase"] == "新质生产力"
    main(["compare", ids["2022年江门市政府工作报告"], ids["2023年江门市政府工作报告"],
          "--index", str(series_index)])
    out = capsys.readouterr().out
    assert "same 1, changed 4, new 2, dropped 2" in out
    with pytest.raises(SystemExit) as stopped:
        main(["new", "nope", "--index", str(series_index)])
    assert stopped.value.code == 1
    assert "no document with id 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------- web

def test_trends_page_chart_table_and_links(app_client, ids):
    page = app_client.get("/trends?q=乡村振兴&q=新质生产力")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2  # a wide and a narrow rendering
    assert html.count('class="hit-area"') == 4  # two years, each rendering
    assert "/search?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4+OR+%E6%96%B0%E8%B4%A8" in html
    assert "year_from=2023&amp;year_to=2023" in html
    assert 'class="occurrences">6<' in html and 'class="occurrences">2<' in html
    assert f'/doc/{ids["2022年江门市政府工作报告"]}?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4#p3' in html
    assert "style=" not in html  # the CSP allows no inline style
    csv_answer = app_client.get("/trends.csv?q=乡村振兴")
    assert csv_answer.mimetype == "text/csv"
    assert csv_answer.get_data(as_text=True).splitlines()[1] == "2022,乡村振兴,1,2,3,240.0,1,125"


def test_trends_api_and_errors(app_client):
    answer = app_client.get("/api/trends?q=乡村振兴&by=region").get_json()
    assert answer["series"][0]["first"]["url"].endswith("#p3")
    assert app_client.get("/api/trends").status_code == 400
    assert app_client.get("/api/trends?q=a&by=county").status_code == 400
    many = "&".join(f"q={n}" for n in range(7))
    assert "too many" in app_client.get(f"/api/trends?{many}").get_json()["error"]
    assert app_client.get("/trends").status_code == 200  # the empty form


def test_results_page_links_to_trends(app_client):
    html = app_client.get("/search?q=乡村振兴").get_data(as_text=True)
    assert 'class="trend-link" href="/trends?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4"' in html


def test_document_page_links_to_previous_year_and_new_formulations(app_client, ids):
    html = app_client.get(f"/doc/{ids['2023年江门市政府工作报告']}").get_data(as_text=True)
    assert (f'/compare?a={ids["2022年江门市政府工作报告"]}&amp;b={ids["2023年江门市政府工作报告"]}'
            in html)
    assert f'/new/{ids["2023年江门市政府工作报告"]}' in html
    first = app_client.get(f"/doc/{ids['2022年江门市政府工作报告']}").get_data(as_text=True)
    assert "与上年对比" not in first


def test_new_and_compare_pages(app_client, ids):
    b = ids["2023年江门市政府工作报告"]
    html = app_client.get(f"/new/{b}").get_data(as_text=True)
    assert html.index(">新质生产力<") < html.index(">低空经济<")
    assert f"/doc/{b}?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B&amp;mode=exact#p5" in html
    page = app_client.get(f"/compare?b={b}").get_data(as_text=True)
    assert "<del>工业增加值增长百分之八</del><ins>低空经济起步良好</ins>" in page
    assert page.count('class="compare-row status-new') == 2
    assert app_client.get(f"/api/compare?b={b}").get_json()["counts"]["dropped"] == 2
    assert app_client.get("/compare").status_code == 400
    assert app_client.get("/compare?b=../etc").status_code == 400
    assert app_client.get(f"/compare?b={ids['2022年江门市政府工作报告']}").status_code == 404
    assert app_client.get("/new/unknown-doc").status_code == 404


# ---------------------------------------------------------------- the default corpus

def test_default_corpus_trend_equals_the_source_file(tmp_path):
    index = tmp_path / "index"
    build_index(DEFAULT_CORPUS, index)
    engine = SearchEngine(index)
    (source,) = DEFAULT_CORPUS.glob("*.txt")
    text = source.read_text(encoding="utf-8")
    for phrase in ("乡村振兴", "高质量发展", "营商环境"):
        (series,) = trends(engine, [phrase], mode="exact")["series"]
        assert series["occurrences"] == text.count(phrase), phrase
    (doc,) = engine.documents()
    assert new_formulations(engine, doc["doc_id"])["phrases"] == []  # no earlier report
    same = compare_documents(engine, doc["doc_id"], doc["doc_id"])
    assert same["counts"]["same"] == doc["paragraphs"] and same["counts"]["changed"] == 0


# ---------------------------------------------------------------- unknown documents, laws, /api/new

LAW = "中华人民共和国水法"  # a law: no year, no series


@pytest.fixture(scope="module")
def law_client(tmp_path_factory):
    from webapp import create_app
    corpus = tmp_path_factory.mktemp("series-and-law")
    for name, text in SERIES_CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / f"{LAW}.txt").write_text(
        f"{LAW}\n\n第一条 为了合理开发、利用、节约和保护水资源，制定本法。\n\n"
        "第二条 在中华人民共和国领域内开发、利用、节约、保护、管理水资源，适用本法。\n",
        encoding="utf-8")
    build_index(corpus, corpus.parent / "series-and-law-index")
    app = create_app({"INDEX_DIR": str(corpus.parent / "series-and-law-index"),
                      "CORPUS_DIR": str(corpus), "PAGE_SIZE": 10, "TESTING": True})
    client = app.test_client()
    client.ids = {d["title"]: d["doc_id"]
                  for d in client.get("/api/stats").get_json()["docs"]}
    return client


@pytest.mark.parametrize("path", ["/compare", "/api/compare"])
def test_compare_with_an_unknown_document_names_that_one(law_client, path):
    known = law_client.ids["2023年江门市政府工作报告"]
    for query in (f"a={known}&b=nope-b", f"a=nope-a&b={known}"):
        answer = law_client.get(f"{path}?{query}")
        text = answer.get_data(as_text=True)
        unknown = "nope-b" if "nope-b" in query else "nope-a"
        assert answer.status_code == 404, query
        assert f"no document with id &#39;{unknown}&#39;" in text or \
            f"no document with id '{unknown}'" in text, text
        assert known not in text


def test_api_new_lists_each_phrase_with_its_link(law_client):
    b = law_client.ids["2023年江门市政府工作报告"]
    answer = law_client.get(f"/api/new/{b}").get_json()
    assert (answer["doc_id"], answer["title"], answer["year"]) == (b, "2023年江门市政府工作报告", 2023)
    assert answer["series"]["earlier"] == [{"doc_id": law_client.ids["2022年江门市政府工作报告"],
                                            "title": "2022年江门市政府工作报告", "year": 2022}]
    first = answer["phrases"][0]
    assert (first["phrase"], first["url"]) == (
        "新质生产力", f"/doc/{b}?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B&mode=exact#p5")
    assert law_client.get("/api/new/nope").status_code == 404


def test_a_law_has_no_series_to_compare_or_find_new_formulations_in(law_client):
    law = law_client.ids[LAW]
    answer = law_client.get(f"/api/new/{law}").get_json()
    assert {k: answer[k] for k in ("doc_id", "title", "year", "series", "phrases")} == {
        "doc_id": law, "title": LAW, "year": None,
        "series": {"region": "全国", "kind": "法", "earlier": []}, "phrases": []}
    page = law_client.get(f"/new/{law}").get_data(as_text=True)
    assert '<p class="lead empty-series">同系列（全国法）中没有更早的文件，无从判断哪些提法是新的。</p>' in page
    for path in ("/compare", "/api/compare"):
        refused = law_client.get(f"{path}?b={law}")
        assert refused.status_code == 404
        assert f"{LAW} has no earlier document in its series" in refused.get_data(as_text=True)
    # with A named, a law compares like any document: nothing in common with a work report
    chosen = law_client.get(f"/api/compare?a={law_client.ids['2023年江门市政府工作报告']}&b={law}")
    assert chosen.status_code == 200
    assert chosen.get_json()["counts"] == {"same": 0, "changed": 0, "new": 3, "dropped": 7}
