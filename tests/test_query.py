"""The query language: what each user string means, and that none of them can misbehave."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import QueryError
from indexer.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse_query


def shape(raw, mode="words"):
    parsed = parse_query(raw, mode)
    return ([[t.text for t in group] for group in parsed.groups],
            [t.text for t in parsed.excluded])


@pytest.mark.parametrize("raw, groups, excluded", [
    ("乡村振兴 人才", [["乡村振兴"], ["人才"]], []),
    ("乡村振兴，人才。", [["乡村振兴"], ["人才"]], []),
    ('"高新技术企业"', [["高新技术企业"]], []),
    ("“高新技术企业” 认定", [["高新技术企业"], ["认定"]], []),
    ("「乡村 振兴」", [["乡村 振兴"]], []),
    ("『专精特新』", [["专精特新"]], []),
    ("发展 -侨", [["发展"]], ["侨"]),
    ('发展 -"粮食 安全"', [["发展"]], ["粮食 安全"]),
    ("河长制 OR 林长制", [["河长制", "林长制"]], []),
    ("河长制|林长制 考核", [["河长制", "林长制"], ["考核"]], []),
    ("OR 河长制 OR", [["河长制"]], []),
    ("or 河长制", [["or"], ["河长制"]], []),
    ("5G+ COVID-19 3.5%", [["5G"], ["COVID-19"], ["3.5%"]], []),
    ("发展* 建设?", [["发展"], ["建设"]], []),
    ("title:发展", [["title"], ["发展"]], []),
    ('"未闭合 引号', [["未闭合"], ["引号"]], []),
    ("(乡村振兴]", [["乡村振兴"]], []),
    ("- 发展", [["发展"]], []),
])
def test_query_forms(raw, groups, excluded):
    assert shape(raw) == (groups, excluded)


def test_quoted_terms_are_phrases_plain_terms_are_not():
    parsed = parse_query('“技术企业” 人才')
    assert [t.phrase for t in parsed.terms] == [True, False]


def test_tokens_show_how_the_query_was_segmented():
    assert parse_query("高新技术企业 鄉村振興").tokens == ["高新技术企业", "乡村振兴"]
    assert parse_query("推进科技创新").tokens == ["推进", "科技", "创新"]


def test_exact_mode_makes_the_whole_query_one_literal_phrase():
    parsed = parse_query("乡村 振兴 -人才", "exact")
    assert shape("乡村 振兴 -人才", "exact") == ([["乡村 振兴 -人才"]], [])
    assert parsed.terms[0].literal == "乡村振兴 -人才"
    assert parsed.terms[0].phrase


def test_exact_mode_drops_only_quotes_around_the_whole_query():
    assert parse_query("“高新技术企业”", "exact").terms[0].literal == "高新技术企业"
    assert parse_query("新“", "exact").terms[0].literal == "新“"
    assert parse_query("“甲”和“乙”", "exact").terms[0].literal == "“甲”和“乙”"


@pytest.mark.parametrize("raw, message", [
    ("", "empty query"),
    ("   \u3000 ", "empty query"),
    ("*", "nothing to search for"),
    ("OR OR", "nothing to search for"),
    ("-发展", "only excludes"),
    ("发" * (MAX_QUERY_CHARS + 1), "too long"),
    (" ".join(f"词{i}" for i in range(MAX_TERMS + 1)), "too many terms"),
])
def test_unsearchable_queries_raise_a_clear_error(raw, message):
    with pytest.raises(QueryError, match=message):
        parse_query(raw)


def test_unknown_mode_is_an_error():
    with pytest.raises(QueryError, match="unknown mode"):
        parse_query("发展", "fuzzy")


def test_no_user_string_becomes_a_wildcard_or_field_query():
    raw = "* ? title:x a*b [1 TO 9] ~2 ^3"
    assert shape(raw) == ([["title"], ["x"], ["a"], ["b"], ["1"], ["TO"], ["9"], ["2"], ["3"]],
                          [])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_parses_or_raises_query_error(raw):
    try:
        parsed = parse_query(raw)
    except QueryError:
        return
    assert parsed.groups
    assert all(term.literal for group in parsed.groups for term in group)
