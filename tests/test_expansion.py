"""Abbreviation expansion (a labelled group below the query's own hits) and matched_by."""

from __future__ import annotations

import json
import re

import pytest

from indexer import SearchEngine
from indexer.cli import main

# Paragraphs of tests/conftest.py's SHORTHAND_CORPUS, by their first characters.
LITERAL_SHUANGTAN = ["双碳目标引领绿色转型。", "全面推进双碳工作，落实碳达峰碳中和目标任务。"]
EXPANDED_SHUANGTAN = ["积极稳妥推进碳达峰碳中和，扎实开展碳达峰十大行动。",
                      "做好碳中和与碳达峰各项工作，完善能耗管理。"]
SHIPPED_SHUANGTAN = {"abbreviation": "双碳", "parts": ["碳达峰", "碳中和"], "source": "shipped"}


@pytest.fixture(scope="module")
def engine(shorthand_index):
    return SearchEngine(shorthand_index)


def texts(result) -> list[str]:
    return [hit["text"] for hit in result["hits"]]


def test_expansion_hits_follow_every_literal_hit(engine):
    result = engine.search("双碳")
    # 制定碳达峰行动方案… has only one of the two parts: not a hit.
    assert sorted(texts(result)[:2]) == sorted(LITERAL_SHUANGTAN)
    assert sorted(texts(result)[2:]) == sorted(EXPANDED_SHUANGTAN)
    assert [hit["group"] for hit in result["hits"]] == ["query"] * 2 + ["expansion"] * 2
    assert (result["total"], result["expansion_total"]) == (4, 2)
    assert result["expansions"] == [{"term": "双碳", **SHIPPED_SHUANGTAN}]
    expansion_hit = result["hits"][2]
    assert expansion_hit["matched_by"] == [
        {"term": "双碳", "how": "expansion", "expansion": SHIPPED_SHUANGTAN}]
    assert "<mark>碳达峰</mark>" in expansion_hit["snippet"]
    assert result["hits"][0]["matched_by"] == [{"term": "双碳", "how": "literal"}]


def test_expansion_can_be_switched_off_and_never_runs_in_exact_mode(engine):
    for result in (engine.search("双碳", expand=False), engine.search("双碳", mode="exact"),
                   engine.search("“双碳”")):
        assert sorted(texts(result)) == sorted(LITERAL_SHUANGTAN)
        assert (result["total"], result["expansion_total"], result["expansions"]) == (2, 0, [])


def test_pages_run_over_both_groups(engine):
    full = texts(engine.search("双碳", per_page=10))
    paged = [text for page in (1, 2, 3, 4) for text in texts(engine.search("双碳", page=page,
                                                                           per_page=1))]
    assert paged == full
    assert texts(engine.search("双碳", page=2, per_page=3)) == full[3:]
    assert texts(engine.search("双碳", page=3, per_page=3)) == []


def test_other_terms_of_the_query_still_apply(engine):
    # 双碳 AND 能耗: only the expansion paragraph that also says 能耗.
    result = engine.search("双碳 能耗")
    assert texts(result) == ["做好碳中和与碳达峰各项工作，完善能耗管理。"]
    assert result["hits"][0]["matched_by"] == [
        {"term": "双碳", "how": "expansion", "expansion": SHIPPED_SHUANGTAN},
        {"term": "能耗", "how": "literal"}]
    excluded = texts(engine.search("双碳 -能耗"))
    assert sorted(excluded[:2]) == sorted(LITERAL_SHUANGTAN)
    assert excluded[2:] == ["积极稳妥推进碳达峰碳中和，扎实开展碳达峰十大行动。"]


def test_or_alternatives_expand_too(engine):
    result = engine.search("双碳 OR 进博会")
    assert sorted(texts(result)[:3]) == sorted(
        LITERAL_SHUANGTAN + ["中国国际进口博览会（以下简称“进博会”）在上海成功举办。"])
    assert sorted(texts(result)[3:]) == sorted(EXPANDED_SHUANGTAN + ["办好第七届中国国际进口博览会。"])


def test_the_glossary_supplies_expansions(engine):
    result = engine.search("三个一")
    assert texts(result) == ["3.三个一：一张蓝图、一套机制、一个平台。",
                             "坚持一张蓝图绘到底，建立一套机制和一个平台。"]
    [expansion] = [r["expansion"] for r in result["hits"][1]["matched_by"]]
    assert (expansion["parts"], expansion["source"], expansion["para"]) == (
        ["一张蓝图", "一套机制", "一个平台"], "glossary", 14)


def test_matched_by_names_the_jieba_words(engine):
    [hit] = engine.search("科技企业")["hits"]
    assert hit["text"] == "培育科技型企业三百家。"
    assert hit["matched_by"] == [{"term": "科技企业", "how": "words", "words": ["科技", "企业"]}]
    assert engine.search("科技企业", mode="exact")["total"] == 0


def test_cli_labels_the_expansion_group(shorthand_index, capsys):
    main(["search", "双碳", "--index", str(shorthand_index)])
    out = capsys.readouterr().out
    assert "— 2 more through expansions: 双碳 → 碳达峰 + 碳中和" in out
    assert out.index("双碳目标") < out.index("— 2 more") < out.index("积极稳妥")
    assert "matched 双碳: through its expansion 碳达峰 + 碳中和" in out
    main(["search", "双碳", "--no-expand", "--json", "--index", str(shorthand_index)])
    assert json.loads(capsys.readouterr().out)["total"] == 2


def test_results_page_shows_the_group_and_why(shorthand_app):
    client = shorthand_app.test_client()
    page = client.get("/search?q=双碳").get_data(as_text=True)
    literal, expanded = page.split('class="expansion-group"', 1)
    assert literal.count('<li class="hit">') == 2
    assert expanded.count('<li class="hit hit-expansion">') == 2
    assert "以下 2 个段落不含“双碳”原文" in expanded
    assert 'href="/search?q=%E5%8F%8C%E7%A2%B3&amp;expand=0"' in expanded
    assert '<ol class="hits" start="3">' in expanded
    assert "“双碳”展开为 碳达峰 + 碳中和" in expanded
    # the document link of an expansion hit highlights the parts it contains
    assert "q=%E2%80%9C%E7%A2%B3%E8%BE%BE%E5%B3%B0%E2%80%9D" in expanded
    off = client.get("/search?q=双碳&expand=0").get_data(as_text=True)
    assert 'class="expansion-group"' not in off and off.count('<li class="hit">') == 2
    assert "expand=0" in off.split('class="segmented"', 1)[1].split("</nav>", 1)[0]
    assert client.get("/search?q=双碳&expand=2").status_code == 400


def test_results_page_offers_the_exact_search_for_a_words_hit(shorthand_app):
    page = shorthand_app.test_client().get("/search?q=科技企业").get_data(as_text=True)
    assert "“科技企业”按分词匹配：科技 · 企业" in page
    assert re.search(r'<a class="try-exact" href="/search\?q=%E7%A7%91%E6%8A%80%E4%BC%81%E4%B8%9A'
                     r'&amp;mode=exact">', page)
    literal = shorthand_app.test_client().get("/search?q=双碳&expand=0").get_data(as_text=True)
    assert 'class="try-exact"' not in literal


def test_api_carries_groups_and_matched_by(shorthand_app):
    answer = shorthand_app.test_client().get("/api/search?q=双碳").get_json()
    assert [h["group"] for h in answer["hits"]] == ["query", "query", "expansion", "expansion"]
    assert answer["hits"][3]["matched_by"][0]["how"] == "expansion"
    assert shorthand_app.test_client().get("/api/search?q=双碳&expand=0").get_json()["total"] == 2


def test_distribution_is_bounded():
    from indexer.search.expansion import MAX_GROUPS, expanded_query
    from indexer.features.glossary import Glossary
    from indexer.search.query import parse_query
    # 六稳 and 六保 have six parts each: 6 × 6 = 36 OR-groups, at the bound.
    query, found = expanded_query(parse_query("六稳 OR 六保"), Glossary())
    assert (len(query.groups), [t.text for t in found]) == (36, ["六稳", "六保"])
    assert all(len(group) == 4 for group in query.groups)  # 六稳, 六保, one part of each
    assert MAX_GROUPS == 36
    query, found = expanded_query(parse_query("六稳 OR 六保 OR 三农 就业"), Glossary())
    assert (query, found) == (None, {})  # 108 groups: that OR group stays as written
    query, found = expanded_query(parse_query("六稳 六保 三农"), Glossary())
    assert (len(query.groups), len(found)) == (15, 3)  # AND-ed terms add up: 6 + 6 + 3
