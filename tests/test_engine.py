"""The engine end to end on corpora the tests write: build, query forms, ranking, recall, snippets."""

import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import QueryError, SearchEngine, build_index
from indexer.analysis import literal_form
from indexer.search.query import parse_query

DOCUMENTS = {
    "2022_示范区_政府工作报告.txt": """2022年示范区人民政府工作报告

一、2021年工作回顾

乡村振兴扎实推进，建成示范村12个。
全年新增高新技术企业35家，专精特新“小巨人”企业3家。
推动石墨烯新材料产业发展，侨梦苑核心区建设提速。

二、2022年工作安排

（一）全面推进乡村振兴
实施乡村建设行动，推进农村人居环境整治。
培育人才队伍，支持乡村 振兴 人才返乡创业。
""",
    "2023_示范区_政府工作报告.txt": """2023年示范区人民政府工作报告

一、工作回顾

推进乡村全面振兴，乡村面貌持续改善。
碳达峰碳中和工作有序推进，营商环境持续优化。
技术创新企业加快成长，发展势头良好。
""",
    "notes/特殊字符.md": """# 特殊字符说明

本段含有 &lt;script&gt;alert(1)&lt;/script&gt; 以及 "&gt;&lt;img src=x onerror=alert(1)&gt; 两种写法。
ＧＤＰ增长５％，gdp 统计口径不变。
鄉村振興是繁體寫法。
""",
}


def write_corpus(root, documents=DOCUMENTS):
    for name, text in documents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    corpus = write_corpus(tmp_path_factory.mktemp("corpus"))
    index = tmp_path_factory.mktemp("index")
    summary = build_index(corpus, index)
    assert (summary.documents, summary.skipped) == (3, [])
    return SearchEngine(index)


def found(engine, query, mode="words"):
    result = engine.search(query, mode=mode, per_page=1000)
    assert result["total"] == len(result["hits"])
    return [hit["text"] for hit in result["hits"]]


def test_summary_counts_documents_and_paragraphs(tmp_path):
    summary = build_index(write_corpus(tmp_path / "c"), tmp_path / "i")
    assert (summary.mode, summary.documents, summary.paragraphs) == ("full", 3, 18)


def test_policy_term_finds_every_paragraph_containing_it(engine):
    result = engine.search("乡村振兴", per_page=100)
    assert [h["score"] > 1000 for h in result["hits"]] == [True] * 4
    assert {h["text"] for h in result["hits"]} == {"乡村振兴扎实推进，建成示范村12个。", "（一）全面推进乡村振兴",
                          "培育人才队伍，支持乡村 振兴 人才返乡创业。", "鄉村振興是繁體寫法。"}


def test_literal_matches_rank_above_segmented_word_matches(engine):
    result = engine.search("技术企业", per_page=10)
    texts = [hit["text"] for hit in result["hits"]]
    assert texts == ["全年新增高新技术企业35家，专精特新“小巨人”企业3家。",
                     "技术创新企业加快成长，发展势头良好。"]
    assert result["hits"][0]["score"] > 1000 > result["hits"][1]["score"]


def test_string_inside_a_longer_word_and_single_characters_are_found(engine):
    assert found(engine, "技术企业", "exact") == ["全年新增高新技术企业35家，专精特新“小巨人”企业3家。"]
    assert found(engine, "侨") == ["推动石墨烯新材料产业发展，侨梦苑核心区建设提速。"]
    assert found(engine, "石墨烯") == ["推动石墨烯新材料产业发展，侨梦苑核心区建设提速。"]
    assert found(engine, "碳中") == ["碳达峰碳中和工作有序推进，营商环境持续优化。"]


def test_traditional_and_simplified_find_each_other(engine):
    traditional = set(found(engine, "鄉村振興"))
    assert traditional == set(found(engine, "乡村振兴"))
    assert "鄉村振興是繁體寫法。" in found(engine, "乡村振兴", "exact")


def test_width_and_case_are_folded(engine):
    expected = ["ＧＤＰ增长５％，gdp 统计口径不变。"]
    assert found(engine, "GDP") == found(engine, "ｇｄｐ") == expected
    assert found(engine, "5%") == expected


@pytest.mark.parametrize("query", ['"乡村振兴"', "“乡村振兴”", "「乡村振兴」", "『乡村振兴』"])
def test_all_quote_styles_mark_a_phrase(engine, query):
    assert set(found(engine, query)) == {
        "乡村振兴扎实推进，建成示范村12个。", "（一）全面推进乡村振兴",
        "培育人才队伍，支持乡村 振兴 人才返乡创业。", "鄉村振興是繁體寫法。"}


def test_quoted_phrase_needs_the_literal_string_plain_words_do_not(engine):
    assert found(engine, "“乡村全面振兴”") == ["推进乡村全面振兴，乡村面貌持续改善。"]
    assert found(engine, "“全面振兴乡村”") == []
    assert "推进乡村全面振兴，乡村面貌持续改善。" not in found(engine, "“乡村振兴”")


def test_exact_mode_ignores_whitespace_between_chinese_characters(engine):
    assert found(engine, "乡村振兴人才", "exact") == ["培育人才队伍，支持乡村 振兴 人才返乡创业。"]
    assert set(found(engine, "乡村 振兴", "exact")) == set(found(engine, "乡村振兴", "exact"))


def test_every_word_must_occur(engine):
    assert found(engine, "乡村振兴 人才") == ["培育人才队伍，支持乡村 振兴 人才返乡创业。"]


def test_exclusion_and_alternatives(engine):
    assert set(found(engine, "乡村振兴 -示范村 -繁體")) == {
        "（一）全面推进乡村振兴", "培育人才队伍，支持乡村 振兴 人才返乡创业。"}
    assert set(found(engine, "侨梦苑 OR 营商环境")) == set(found(engine, "侨梦苑 | 营商环境")) == {
        "推动石墨烯新材料产业发展，侨梦苑核心区建设提速。",
        "碳达峰碳中和工作有序推进，营商环境持续优化。"}


@pytest.mark.parametrize("query", ["发展 *", "发展 ?", "发展 :", '发展 "', "发展 (",
                                   "发展 [", "发展 OR", "发展 -"])
def test_hostile_characters_never_widen_a_query(engine, query):
    assert found(engine, query) == found(engine, "发展")


@pytest.mark.parametrize("query", ["", "   ", "*", "?", ":", "OR", "-发展", "“”"])
def test_queries_with_nothing_to_search_raise_query_error(engine, query):
    with pytest.raises(QueryError):
        engine.search(query)


def test_result_object_has_the_documented_shape(engine):
    result = engine.search("乡村振兴", per_page=2, page=2)
    assert list(result) == ["query", "mode", "tokens", "total", "total_with_copies", "dedupe",
                            "total_deduplicated", "expansion_total", "expansions",
                            "page", "per_page", "took_ms", "hits"]
    assert (result["query"], result["mode"], result["tokens"], result["total"], result["page"],
            result["per_page"]) == ("乡村振兴", "words", ["乡村振兴"], 4, 2, 2)
    hit = result["hits"][0]
    assert list(hit) == ["doc_id", "title", "year", "para", "section", "snippet", "text", "score",
                         "issuer", "doc_number", "date", "published", "group", "matched_by",
                         "status", "status_label", "cited_by", "copies"]  # indexer/relations
    assert re.fullmatch(r"[A-Za-z0-9_-]+", hit["doc_id"])


def test_hits_carry_document_metadata_and_section(engine):
    hit = engine.search("人居环境")["hits"][0]
    assert (hit["title"], hit["year"], hit["section"]) == (
        "2022年示范区人民政府工作报告", 2022, "二、2022年工作安排 › （一）全面推进乡村振兴")
    paragraph = engine.document(hit["doc_id"])["paragraphs"][hit["para"] - 1]
    assert paragraph["text"] == hit["text"]


def test_snippets_mark_exactly_what_matched_and_escape_the_rest(engine):
    snippets = {h["text"]: h["snippet"] for h in engine.search("乡村振兴")["hits"]}
    assert snippets["乡村振兴扎实推进，建成示范村12个。"] == \
        "<mark>乡村振兴</mark>扎实推进，建成示范村12个。"
    assert snippets["鄉村振興是繁體寫法。"] == "<mark>鄉村振興</mark>是繁體寫法。"
    spaced = engine.search("乡村振兴 人才")["hits"][0]
    assert spaced["snippet"] == ("培育<mark>人才</mark>队伍，支持<mark>乡村 振兴</mark> "
                                 "<mark>人才</mark>返乡创业。")
    script = engine.search("script")["hits"][0]
    assert "<script>" not in script["snippet"]
    assert script["snippet"].startswith("本段含有 &lt;<mark>script</mark>&gt;alert(1)&lt;/")
    assert '"&gt;&lt;img' not in script["snippet"] and "&quot;&gt;&lt;img" in script["snippet"]


def test_segmented_matches_mark_the_words_not_their_parts(engine):
    hit = engine.search("技术企业")["hits"][1]
    assert hit["snippet"] == "<mark>技术</mark>创新<mark>企业</mark>加快成长，发展势头良好。"


def test_filters_by_document_and_year_and_sorts_by_date(engine):
    all_docs = {d["year"]: d["doc_id"] for d in engine.documents()}
    only_2023 = engine.search("乡村", doc=all_docs[2023], per_page=100)
    assert {h["year"] for h in only_2023["hits"]} == {2023}
    ranged = engine.search("乡村", year_from=2022, year_to=2022, per_page=100)
    assert {h["year"] for h in ranged["hits"]} == {2022}
    by_date = engine.search("乡村", sort="date", per_page=100)
    years = [h["year"] for h in by_date["hits"] if h["year"]]
    assert years == sorted(years, reverse=True)


def test_undated_documents_sort_last_by_date(engine):
    # 2022: three paragraphs (乡村振兴, 乡村 振兴); the undated note: 鄉村振興. (2023's 乡村全面
    # 振兴 is no hit: 乡村振兴 is one dictionary word, so only its literal form matches.)
    by_date = engine.search("乡村振兴", sort="date", per_page=100)
    assert [h["year"] for h in by_date["hits"]] == [2022, 2022, 2022, None]
    assert by_date["hits"][-1]["text"] == "鄉村振興是繁體寫法。"


def test_facets_count_hits_per_document_and_year(engine):
    facets = engine.search("乡村", facets=True)["facets"]
    assert [(d["title"], d["count"]) for d in facets["docs"]] == [
        ("2022年示范区人民政府工作报告", 4), ("2023年示范区人民政府工作报告", 1), ("特殊字符说明", 1)]
    assert facets["years"] == [{"year": 2023, "count": 1}, {"year": 2022, "count": 4}]


# (arguments of search, the whole message of its QueryError): every backend refuses alike
BAD_ARGUMENTS = [
    ({"page": 0}, "page must be a positive whole number"),
    ({"per_page": -1}, "per_page must be a positive whole number"),
    ({"page": "2"}, "page must be a positive whole number"),
    ({"per_page": True}, "per_page must be a positive whole number"),
    ({"sort": "random"}, "unknown sort 'random': use 'relevance' or 'date'"),
    ({"mode": "fuzzy"}, "unknown mode 'fuzzy': use 'words' or 'exact'"),
    ({"year_from": "2022"}, "year_from must be a whole number"),
    ({"year_to": 2023.0}, "year_to must be a whole number"),
    ({"year_from": False}, "year_from must be a whole number"),
    ({"issuer": "   "}, "issuer must be 1 to 100 characters"),
    ({"issuer": "局" * 101}, "issuer must be 1 to 100 characters"),
    ({"issuer": 7}, "issuer must be 1 to 100 characters"),
    ({"status": "valid"}, "unknown status 'valid': use current, pending, repealed, expired, "
                          "amended, unknown"),
    ({"page": 0, "sort": "random", "mode": "fuzzy"}, "page must be a positive whole number"),
    ({"mode": "fuzzy", "issuer": ""}, "unknown mode 'fuzzy': use 'words' or 'exact'"),
]


@pytest.mark.parametrize("kwargs, message", BAD_ARGUMENTS)
def test_bad_parameters_raise_query_error(engine, kwargs, message):
    with pytest.raises(QueryError) as refused:
        engine.search("乡村", **kwargs)
    assert str(refused.value) == message


def test_unknown_and_traversal_doc_ids_are_none(engine):
    for doc_id in ("nope", "../../etc/passwd", "/etc/passwd", "a\x00b", "%2e%2e", ""):
        assert engine.document(doc_id) is None


def test_document_returns_all_paragraphs_with_headings(engine):
    doc_id = next(d["doc_id"] for d in engine.documents() if d["year"] == 2022)
    document = engine.document(doc_id, query="乡村振兴")
    assert [p["para"] for p in document["paragraphs"]] == list(range(1, 10))
    headings = [p["text"] for p in document["paragraphs"] if p["heading"]]
    assert headings == ["2022年示范区人民政府工作报告", "一、2021年工作回顾", "二、2022年工作安排",
                        "（一）全面推进乡村振兴"]
    matched = [p["para"] for p in document["paragraphs"] if p["matched"]]
    assert matched == [3, 7, 9]


def test_stats_describe_the_index(engine):
    stats = engine.stats()
    assert (stats["documents"], stats["paragraphs"]) == (3, 18)
    assert "policy_terms.txt" in stats["dictionary"]
    assert [d["year"] for d in stats["docs"]] == [2023, 2022, None]


# ---------------------------------------------------------------- the recall guarantee

PARAGRAPHS = [
    "全年新增高新技术企业35家，专精特新“小巨人”企业3家，石墨烯新材料产业加快发展。",
    "深入实施乡村振兴战略，推进农业农村现代化，巩固拓展脱贫攻坚成果。",
    "持续优化营商环境，深化“放管服”改革，推行“一网通办”和“一网统管”。",
    "碳达峰碳中和稳步推进，单位地区生产总值能耗下降3.5%，ＰＭ2.5浓度持续下降。",
    "加强侨务工作，建设侨梦苑，吸引海外侨胞回乡投资兴业、共建家园。",
    "推进新型城镇化，实施城市更新行动，完成老旧小区改造120个，惠及居民1.2万户。",
    "鄉村振興與城鄉融合發展，推動高質量發展取得新成效。",
    "发展新质生产力，培育战略性新兴产业和未来产业，建设现代化产业体系。",
]


@pytest.fixture(scope="module")
def recall_engine(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("recall")
    text = "测试文档\n\n" + "\n\n".join(PARAGRAPHS) + "\n"
    (corpus / "recall.txt").write_text(text, encoding="utf-8")
    index = tmp_path_factory.mktemp("recall-index")
    build_index(corpus, index)
    return SearchEngine(index)


def contains(text, query):
    return literal_form(query)[0].strip() in literal_form(text)[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_paragraph_containing_the_query_literally_is_a_hit(recall_engine, data):
    paragraph = data.draw(st.sampled_from(PARAGRAPHS))
    start = data.draw(st.integers(0, len(paragraph) - 1))
    length = data.draw(st.integers(1, 6))
    query = paragraph[start:start + length]
    for mode in ("words", "exact"):
        try:
            parsed = parse_query(query, mode)
            result = recall_engine.search(query, mode=mode, per_page=1000)
        except QueryError:
            assert not any(c.isalnum() for c in query)
            continue
        hits = {hit["text"] for hit in result["hits"]}
        # Expected by plain containment, not by the engine's own parsing or normalisation: a
        # paragraph containing the query as typed contains it after any folding too. In words
        # mode that holds for a single term, so only queries without syntax are checked there.
        if mode == "exact" or not any(c.isspace() or c in "-|\"“”「」『』" for c in query):
            expected = {p for p in PARAGRAPHS if query in p}
            assert expected <= hits, (query, mode)
        if mode == "exact":
            assert all(contains(text, parsed.terms[0].literal) for text in hits), query


# What an exact-mode query searches for, written out by hand: one pair of quotes around the
# whole query dropped, full width to half width, lower case, traditional to simplified script,
# 〔〕[] as (), white space between two CJK characters dropped and any other run made one space.
EXACT_LITERALS = [
    ("乡村振兴", "乡村振兴"),
    ("“乡村振兴”", "乡村振兴"),
    ("「营商环境」", "营商环境"),
    ('"一网通办"', "一网通办"),
    ("鄉村振興", "乡村振兴"),
    ("乡村 振兴", "乡村振兴"),
    ("  碳达峰 ", "碳达峰"),
    ("ＰＭ2.5浓度", "pm2.5浓度"),
    ("Ｉｎｔｅｒｎｅｔ＋", "internet+"),
    ("国办发〔2018〕115号", "国办发(2018)115号"),
    ("R&D  投入", "r&d 投入"),
    ("“小巨人”企业", "“小巨人”企业"),
]


@pytest.mark.parametrize("query, literal", EXACT_LITERALS)
def test_exact_mode_searches_the_folded_phrase(query, literal):
    assert parse_query(query, "exact").terms[0].literal == literal


@pytest.mark.parametrize("query", ["乡村振兴", "乡村", "人才 返乡", "乡村 -示范", "技术企业",
                                   "“乡村振兴”", "的"])
def test_document_page_marks_and_matches_like_search_and_highlight(engine, query):
    # The page matches only its own paragraphs and highlights only those with something to
    # mark; the reference is the whole-index search filtered to the document, and highlight()
    # run on every paragraph.
    from indexer.search.snippets import highlight
    parsed = parse_query(query)
    for record in engine.documents():
        page = engine.document(record["doc_id"], query)
        searched = engine.search(query, doc=record["doc_id"], per_page=1000)
        assert [p["para"] for p in page["paragraphs"] if p["matched"]] == \
            sorted(h["para"] for h in searched["hits"])
        assert [p["html"] for p in page["paragraphs"]] == \
            [highlight(p["text"], parsed, is_hit=p["matched"]) for p in page["paragraphs"]]


def test_threads_take_the_searchers_opened_ahead(tmp_path):
    index = tmp_path / "index"
    build_index(write_corpus(tmp_path / "corpus"), index)
    engine = SearchEngine(index)
    engine.prepare_searchers(2).join()
    ahead = [searcher for _, searcher in engine._spares]
    assert len(ahead) == 2
    taken = []

    def first_request():
        taken.append(engine.searcher())
        taken.append(engine.search("乡村振兴")["total"])

    for _ in range(3):
        worker = threading.Thread(target=first_request)
        worker.start()
        worker.join()
    assert taken[1::2] == [4, 4, 4]  # the four paragraphs holding 乡村振兴 (one as 鄉村振興)
    assert set(map(id, taken[0:4:2])) == set(map(id, ahead))  # the first two threads
    assert id(taken[4]) not in set(map(id, ahead))  # the third opened its own
    assert engine._spares == []
