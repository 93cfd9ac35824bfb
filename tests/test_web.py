"""The web front end over a real index: pages, API, errors, escaping and security headers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner

from conftest import XSS_IMG, XSS_JS_URL, XSS_SCRIPT
from indexer.cli import cli

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
HIT_FIELDS = {"doc_id", "title", "year", "para", "section", "snippet", "text", "score", "url",
              "issuer", "doc_number", "date", "published", "group", "matched_by",
              "status", "status_label", "cited_by", "copies"}  # validity and 被引用 (indexer/relations)


@pytest.fixture(scope="module")
def ids(web_app):
    """Document ids by the year in their titles (each test document has its own year)."""
    with web_app.test_client() as client:
        docs = client.get("/api/stats").get_json()["docs"]
    return {d["year"]: d["doc_id"] for d in docs}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def run_cli(*args) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


class TagCollector(HTMLParser):
    """Every start tag with its attributes, to prove no markup came from the corpus or query."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_no_injection(body: str) -> None:
    for raw in (XSS_SCRIPT, "<img src=x", "<script>alert"):
        assert raw not in body
    collector = TagCollector()
    collector.feed(body)
    for tag, attrs in collector.tags:
        assert tag != "img"
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs  # the CSP forbids inline styles anyway
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").lower().startswith("javascript:"), (tag, attrs)
        if tag == "script":
            assert attrs == {"src": "/static/app.js", "defer": None}


# ---------------------------------------------------------------- pages


def test_home_page_has_an_autofocused_search_box_and_corpus_counts(client):
    body = page(client, "/")
    assert '<html lang="zh-CN">' in body
    assert re.search(r'<form class="hero-search" action="/search" method="get"', body)
    assert re.search(r'<input id="q"[^>]*name="q" autofocus', body)
    assert "已收录 <strong>4</strong> 份文件，共 <strong>31</strong> 段" in body
    assert 'value="exact"' in body and 'value="words" checked' in body


def test_search_page_shows_tokens_total_time_and_ranked_hits(client, ids):
    body = page(client, "/search?q=乡村振兴")
    assert '<strong class="total">4</strong> 个段落' in body
    assert '<span class="token">乡村振兴</span>' in body
    assert re.search(r'<span class="took">用时 (&lt;1|\d+) 毫秒</span>', body)
    assert body.count('<li class="hit">') == 4
    assert body.count("<mark>乡村振兴</mark>") == 5  # p1, p3 (twice), p6 of 2021; p4 of 2023
    q = quote("乡村振兴")
    for doc_id, para in ((ids[2021], 1), (ids[2021], 3), (ids[2021], 6), (ids[2023], 4)):
        assert f'href="/doc/{doc_id}?q={q}#p{para}"' in body
        assert f"第 {para} 段 · 查看原文" in body
    assert '<span class="section">一、总体情况</span>' in body
    assert '<span class="year">2021 年</span>' in body
    # The 2021 report has three matching paragraphs: its first hit offers the other two.
    assert body.count("此文档中还有 2 段") == 1
    assert f'href="/search?q={q}&amp;doc={ids[2021]}">此文档中还有 2 段' in body
    assert "此文档中还有 0 段" not in body


def test_words_and_exact_toggle(client):
    q = quote_plus("乡村振兴 人才")
    words = page(client, f"/search?q={q}")
    assert '<strong class="total">1</strong> 个段落' in words
    assert re.search(r'class="active"\s+aria-current="true" title="每个词都出现在段落中">全部匹配', words)
    assert f'href="/search?q={q}&amp;mode=exact"' in words
    exact = page(client, f"/search?q={q}&mode=exact")
    assert "没有找到匹配的段落" in exact
    assert "没有找到与“乡村振兴 人才”匹配的段落" in exact
    assert f'<a class="suggest" href="/search?q={q}">全部匹配</a>' in exact
    assert '<li class="hit">' not in exact
    empty_words = page(client, "/search?q=" + quote_plus("量子 乡村振兴"))
    assert '<a class="suggest" href="/search?q=' + quote_plus("量子 乡村振兴") + '&amp;mode=exact">精确匹配</a>' in empty_words


def test_facets_count_by_year_and_document_and_narrow(client, ids):
    q = quote("乡村振兴")
    body = page(client, f"/search?q={q}")
    assert re.search(rf'href="/search\?q={q}&amp;year_from=2023&amp;year_to=2023">\s*'
                     r'<span class="facet-label">2023</span><span class="count">1</span>', body)
    assert re.search(rf'href="/search\?q={q}&amp;year_from=2021&amp;year_to=2021">\s*'
                     r'<span class="facet-label">2021</span><span class="count">3</span>', body)
    assert re.search(rf'href="/search\?q={q}&amp;doc={ids[2021]}" title="2021年乡村振兴工作报告">\s*'
                     r'<span class="facet-label">2021年乡村振兴工作报告</span><span class="count">3</span>', body)
    by_doc = page(client, f"/search?q={q}&doc={ids[2021]}")
    assert '<strong class="total">3</strong>' in by_doc
    assert "此文档中还有" not in by_doc
    assert re.search(rf'class="chip chip-removable" href="/search\?q={q}" title="取消文档筛选">2021年乡村振兴工作报告', by_doc)
    by_year = page(client, f"/search?q={q}&year_from=2023&year_to=2023")
    assert '<strong class="total">1</strong>' in by_year
    assert "2023 年<span aria-hidden=\"true\"> ×</span>" in by_year
    in_range = page(client, f"/search?q={q}&year_from=2020")
    assert '<strong class="total">4</strong>' in in_range
    assert '2020 年起<span aria-hidden="true"> ×</span>' in in_range
    until = page(client, f"/search?q={q}&year_to=2022")
    assert '<strong class="total">3</strong>' in until
    assert '2022 年及以前<span aria-hidden="true"> ×</span>' in until
    span = page(client, f"/search?q={q}&year_from=2019&year_to=2023")
    assert '2019–2023 年<span aria-hidden="true"> ×</span>' in span


def test_sort_by_relevance_or_date(client, ids):
    q = quote("乡村振兴")
    relevance = page(client, f"/search?q={q}")
    date = page(client, f"/search?q={q}&sort=date")
    first = re.compile(r'<li class="hit">\s*<h2 class="hit-title">\s*<a href="/doc/([^?]+)\?')
    assert first.search(relevance).group(1) == ids[2021]
    assert first.search(date).group(1) == ids[2023]
    assert re.search(r'class="active"\s+aria-current="true">按日期', date)
    assert f'href="/search?q={q}&amp;sort=date"' in relevance


def test_pagination_links(client):
    q = quote("产业")
    first = page(client, f"/search?q={q}")
    assert '<strong class="total">14</strong>' in first
    assert first.count('<li class="hit">') == 10
    assert '<ol class="hits" start="1">' in first
    assert f'<a class="page-next" rel="next" href="/search?q={q}&amp;page=2">下一页 ›</a>' in first
    assert '<span class="current" aria-current="page">1</span>' in first
    assert "page-prev" not in first
    second = page(client, f"/search?q={q}&page=2")
    assert second.count('<li class="hit">') == 4
    assert '<ol class="hits" start="11">' in second
    assert f'<a class="page-prev" rel="prev" href="/search?q={q}">‹ 上一页</a>' in second
    assert "page-next" not in second
    small = page(client, f"/search?q={q}&per_page=5&page=3")
    assert small.count('<li class="hit">') == 4
    assert f'href="/search?q={q}&amp;page=2&amp;per_page=5"' in small
    beyond = page(client, f"/search?q={q}&page=5")
    assert "这一页没有结果" in beyond and f'href="/search?q={q}&amp;page=2"' in beyond


def test_document_page_anchors_headings_marks_and_match_navigation(client, ids):
    body = page(client, f"/doc/{ids[2021]}?q=" + quote("乡村振兴"))
    assert '<h1 class="doc-title">2021年乡村振兴工作报告</h1>' in body
    assert "<dt>年份</dt><dd>2021</dd>" in body
    assert '<dt>来源</dt><dd class="source">2021_乡村振兴工作报告.md</dd>' in body
    anchors = re.findall(r'<section id="p(\d+)" class="([^"]*)"', body)
    assert [int(n) for n, _ in anchors] == [1, 2, 3, 4, 5, 6, 7]
    classes = dict((int(n), c) for n, c in anchors)
    assert classes == {1: "para heading level-1 matched", 2: "para heading level-2",
                       3: "para matched", 4: "para", 5: "para heading level-2",
                       6: "para matched", 7: "para"}
    for number in range(1, 8):
        assert f'<a class="para-no" href="#p{number}"' in body
    assert '<h2 class="para-text">2021年<mark>乡村振兴</mark>工作报告</h2>' in body
    assert '<h3 class="para-text">一、总体情况</h3>' in body
    assert body.count("<mark>乡村振兴</mark>") == 4  # p1, p3 (twice), p6
    assert '出现在 <strong class="match-count">3</strong> 个段落中' in body
    assert '<a class="first-match" href="#p1">' in body
    navs = re.findall(r'<section id="p(\d+)"(?:(?!</section>).)*?<nav class="match-nav"(.*?)</nav>', body, re.S)
    links = {int(n): re.findall(r'class="match-(prev|next)" rel="\w+" href="#p(\d+)"', nav) for n, nav in navs}
    assert links == {1: [("next", "3")], 3: [("prev", "1"), ("next", "6")], 6: [("prev", "3")]}
    assert "第 2/3 处" in body


def test_document_page_without_query_has_no_marks(client, ids):
    body = page(client, f"/doc/{ids[2023]}")
    assert "<mark>" not in body and "matched" not in body and "match-nav" not in body
    assert re.findall(r'<section id="p(\d+)"', body) == ["1", "2", "3", "4", "5", "6"]
    assert '<p class="para-text">培育高新技术企业五百家，科技创新能力显著增强。</p>' in body


def test_document_page_with_an_unsearchable_query_shows_the_plain_document(client, ids):
    response = client.get(f"/doc/{ids[2023]}?q=" + quote("*"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法按该检索词标注本文" in body and "nothing to search for in the query" in body
    assert "<mark>" not in body and "match-nav" not in body
    assert re.findall(r'<section id="p(\d+)"', body) == ["1", "2", "3", "4", "5", "6"]


def test_document_page_with_an_absent_query_says_so(client, ids):
    body = page(client, f"/doc/{ids[2019]}?q=" + quote("乡村振兴"))
    assert "本文中没有与“<span class=\"q\">乡村振兴</span>”匹配的段落。" in body


# ---------------------------------------------------------------- JSON API


def test_api_search_is_the_cli_object_plus_urls(client, web_index, ids):
    got = client.get("/api/search?q=" + quote("乡村振兴")).get_json()
    cli_result = json.loads(run_cli("search", "乡村振兴", "--index", str(web_index), "--json"))
    assert set(got) == {"query", "mode", "tokens", "total", "total_with_copies", "dedupe",
                        "total_deduplicated", "expansion_total", "expansions",
                        "page", "per_page", "took_ms", "hits"}
    for hit in got["hits"]:
        assert set(hit) == HIT_FIELDS
        assert hit["url"] == f"/doc/{hit['doc_id']}?q={quote('乡村振兴')}#p{hit['para']}"
        del hit["url"]
    del got["took_ms"], cli_result["took_ms"]
    assert got == cli_result
    assert got["total"] == 4 and got["tokens"] == ["乡村振兴"]
    # The paragraphs saying 乡村振兴 (twice; once, at their start) rank above the report's bare
    # title line, a heading (b = 0.1 and the heading prior, matching.py).
    assert [(h["doc_id"], h["para"]) for h in got["hits"]] == [
        (ids[2021], 3), (ids[2021], 6), (ids[2021], 1), (ids[2023], 4)]


def test_api_search_parameters(client, ids):
    exact = client.get("/api/search?q=" + quote("高新技术企业") + "&mode=exact").get_json()
    assert exact["mode"] == "exact" and exact["total"] == 2
    assert exact["hits"][0]["url"].endswith("&mode=exact#p%d" % exact["hits"][0]["para"])
    big = client.get("/api/search?q=" + quote("产业") + "&per_page=1000").get_json()
    assert (big["total"], big["per_page"], len(big["hits"])) == (14, 1000, 14)
    second = client.get("/api/search?q=" + quote("产业") + "&page=2&per_page=10").get_json()
    assert sorted(h["para"] for h in second["hits"]) == [1, 2, 13, 14]
    narrowed = client.get(f"/api/search?q={quote('乡村振兴')}&doc={ids[2023]}").get_json()
    assert [(h["doc_id"], h["para"]) for h in narrowed["hits"]] == [(ids[2023], 4)]
    years = client.get(f"/api/search?q={quote('乡村振兴')}&year_from=2022&year_to=2023").get_json()
    assert years["total"] == 1
    by_date = client.get(f"/api/search?q={quote('乡村振兴')}&sort=date").get_json()
    assert [h["year"] for h in by_date["hits"]] == [2023, 2021, 2021, 2021]
    assert sorted(h["para"] for h in by_date["hits"][1:]) == [1, 3, 6]
    # In date order each hit keeps its relevance score: the literal bonus (1000, every hit here
    # says 乡村振兴) plus its BM25F word score; the same number as in relevance order.
    by_relevance = client.get(f"/api/search?q={quote('乡村振兴')}").get_json()
    assert [(h["year"], h["para"], h["score"]) for h in by_relevance["hits"]] == [
        (2021, 3, 1008.6929), (2021, 6, 1007.6333), (2021, 1, 1003.8918), (2023, 4, 1002.9155)]
    assert [(h["year"], h["para"], h["score"]) for h in by_date["hits"]] == [
        (2023, 4, 1002.9155), (2021, 3, 1008.6929), (2021, 6, 1007.6333), (2021, 1, 1003.8918)]
    deepest = client.get(f"/api/search?q={quote('产业')}&page=10&per_page=1000")
    assert deepest.status_code == 200 and deepest.get_json()["hits"] == []


def test_api_doc_and_stats_are_the_cli_objects(client, web_index, ids):
    got = client.get(f"/api/doc/{ids[2021]}").get_json()
    assert got == json.loads(run_cli("show", ids[2021], "--index", str(web_index), "--json"))
    assert [p["para"] for p in got["paragraphs"]] == [1, 2, 3, 4, 5, 6, 7]
    stats = client.get("/api/stats").get_json()
    assert stats == json.loads(run_cli("stats", "--index", str(web_index), "--json"))
    assert (stats["documents"], stats["paragraphs"]) == (4, 31)


@pytest.mark.parametrize("query, fragment", [
    ("q=x&page=abc", "page must be a whole number"),
    ("q=x&page=-1", "page must be a whole number"),
    ("q=x&page=0", "page must be at least 1"),
    ("q=x&page=1.5", "page must be a whole number"),
    ("q=x&per_page=0", "per_page must be at least 1"),
    ("q=x&per_page=1001", "per_page must be at most 1000"),
    ("q=x&per_page=99999999999", "per_page must be a whole number"),
    ("q=x&page=11&per_page=1000", "page × per_page may be at most 10000"),
    ("q=x&page=10001", "page must be at most 10000"),
    ("q=x&mode=fuzzy", "unknown mode 'fuzzy'"),
    ("q=x&sort=random", "unknown sort 'random'"),
    ("", "empty query"),
    ("q=", "empty query"),
    ("q=%20%20", "empty query"),
    ("q=a&q=b", "parameter 'q' was given 2 times"),
    ("q=x&page=1&page=2", "parameter 'page' was given 2 times"),
    ("q=x&year_from=abc", "year_from must be a whole number"),
    ("q=x&year_from=2025&year_to=2020", "year_from (2025) is after year_to (2020)"),
    ("q=x&doc=../../etc/passwd", "doc must be a document id"),
    ("q=" + "长" * 201, "query too long"),
    ("q=-" + quote("发展"), "the query only excludes"),
])
def test_api_bad_parameters_are_400_with_a_json_error(client, query, fragment):
    response = client.get("/api/search?" + query)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and fragment in body["error"]


def test_api_unknown_document_and_method_errors_are_json(client):
    response = client.get("/api/doc/no-such-doc")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no document with id 'no-such-doc'"}
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.mimetype == "application/json" and set(missing.get_json()) == {"error"}
    posted = client.post("/api/search?q=x")
    assert posted.status_code == 405 and set(posted.get_json()) == {"error"}


# ---------------------------------------------------------------- error pages


@pytest.mark.parametrize("url, status, text", [
    ("/search?q=", 400, "请输入要检索的词语或短语。"),
    ("/search", 400, "请输入要检索的词语或短语。"),
    ("/search?q=x&page=0", 400, "page must be at least 1"),
    ("/search?q=a&q=b", 400, "链接中的参数重复"),
    ("/search?q=x&mode=fuzzy", 400, "unknown mode"),
    ("/doc/no-such-doc", 404, "没有找到这个页面或文档"),
    ("/doc/bad.id", 404, "没有找到这个页面或文档"),
    ("/no/such/page", 404, "没有找到这个页面或文档"),
])
def test_error_pages_are_friendly_chinese_pages(client, url, status, text):
    body = page(client, url, status)
    assert text in body
    assert f'<p class="error-code">{status}</p>' in body
    assert "Traceback" not in body


def test_no_index_yet_is_a_503_naming_the_build_command(no_index_client):
    for url in ("/", "/search?q=x", "/doc/abc"):
        response = no_index_client.get(url)
        assert response.status_code == 503
        body = response.get_data(as_text=True)
        assert "索引还没有建立" in body and "policy-search index --corpus " in body
        assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    for url in ("/api/search?q=x", "/api/stats", "/api/doc/abc"):
        response = no_index_client.get(url)
        assert response.status_code == 503
        assert "build it with `policy-search index`" in response.get_json()["error"]
        assert response.get_json()["command"].startswith("policy-search index --corpus ")


def test_an_unexpected_error_is_a_calm_500_without_traceback(web_corpus, web_index):
    from webapp import create_app
    app = create_app({"INDEX_DIR": str(web_index), "CORPUS_DIR": str(web_corpus),
                      "PAGE_SIZE": 10, "TESTING": True, "DEBUG": True})
    assert app.debug is False

    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/api/broken", "api_broken", broken)
    response = app.test_client().get("/broken")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器出了点问题" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert response.headers["X-Frame-Options"] == "DENY"
    api = app.test_client().get("/api/broken")
    assert api.status_code == 500 and "secret internals" not in api.get_data(as_text=True)


# ---------------------------------------------------------------- security


@pytest.mark.parametrize("method, url", [
    ("get", "/"), ("get", "/search?q=%E4%B9%A1%E6%9D%91%E6%8C%AF%E5%85%B4"), ("get", "/search?q="),
    ("get", "/doc/no-such-doc"), ("get", "/api/search?q=x"), ("get", "/api/search?page=0"),
    ("get", "/api/stats"), ("get", "/api/doc/nope"), ("get", "/static/style.css"),
    ("get", "/static/app.js"), ("get", "/nowhere"), ("post", "/search"),
])
def test_security_headers_on_every_response(client, method, url):
    response = getattr(client, method)(url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (url, name)


def test_security_headers_on_503(no_index_client):
    response = no_index_client.get("/api/stats")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_corpus_markup_is_escaped_everywhere(client, ids):
    xss_doc = ids[2022]
    urls = [
        "/search?q=" + quote("注入"),                       # title, section, snippet
        "/search?q=" + quote(XSS_SCRIPT),                   # query echo, tokens, facets
        "/search?q=" + quote(XSS_IMG),
        "/search?q=" + quote(XSS_JS_URL),
        "/search?q=" + quote("注入") + "&doc=" + xss_doc,  # active filter chip
        f"/doc/{xss_doc}", f"/doc/{xss_doc}?q=" + quote("注入"), f"/doc/{xss_doc}?q=" + quote(XSS_SCRIPT),
        "/search?q=" + quote(XSS_SCRIPT) + "&mode=" + quote(XSS_IMG),  # 400 echoing the mode
        "/search?q=" + quote(XSS_IMG * 7),                  # 400 query too long
        "/doc/" + quote(XSS_SCRIPT, safe=""),               # 404
        "/" + quote(XSS_IMG),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        assert_no_injection(response.get_data(as_text=True))
    results = page(client, "/search?q=" + quote("注入"))
    escaped_title = "关于&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;javascript:alert(1)的通知"
    assert escaped_title in results
    assert "本段包含<mark>注入</mark>样本&lt;script&gt;alert(1)&lt;/script&gt;以及&#34;&gt;&lt;img src=x onerror=alert(1)&gt;和javascript:alert(1)等内容。" in results.replace("&quot;", "&#34;")
    document = page(client, f"/doc/{xss_doc}")
    assert f'<h1 class="doc-title">{escaped_title}</h1>' in document
    echo = page(client, "/search?q=" + quote(XSS_SCRIPT))
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in echo


def test_api_returns_corpus_text_as_json_strings(client, ids):
    document = client.get(f"/api/doc/{ids[2022]}")
    assert document.mimetype == "application/json"
    assert document.get_json()["title"] == f"关于{XSS_SCRIPT}{XSS_IMG}{XSS_JS_URL}的通知"
    hits = client.get("/api/search?q=" + quote("注入")).get_json()["hits"]
    assert "&lt;script&gt;" in hits[1]["snippet"] and "<script>" in hits[1]["text"]


# ---------------------------------------------------------------- configuration


def test_configuration_from_environment(monkeypatch, web_corpus, web_index):
    from webapp import create_app
    monkeypatch.setenv("POLICY_SEARCH_INDEX", str(web_index))
    monkeypatch.setenv("POLICY_SEARCH_CORPUS", str(web_corpus))
    monkeypatch.setenv("POLICY_SEARCH_PAGE_SIZE", "3")
    app = create_app()
    assert (app.config["INDEX_DIR"], app.config["CORPUS_DIR"], app.config["PAGE_SIZE"]) == (
        str(web_index), str(web_corpus), 3)
    body = app.test_client().get("/search?q=" + quote("乡村振兴")).get_data(as_text=True)
    assert body.count('<li class="hit">') == 3
    assert "page=2" in body
    monkeypatch.setenv("POLICY_SEARCH_PAGE_SIZE", "many")
    with pytest.raises(ValueError, match="POLICY_SEARCH_PAGE_SIZE"):
        create_app()


def test_defaults_without_environment(monkeypatch):
    from webapp import create_app
    for name in ("POLICY_SEARCH_INDEX", "POLICY_SEARCH_CORPUS", "POLICY_SEARCH_PAGE_SIZE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert (app.config["INDEX_DIR"], app.config["CORPUS_DIR"], app.config["PAGE_SIZE"]) == (
        "var/index", "corpus", 10)


def test_static_assets_load_nothing_from_outside(client):
    css = page(client, "/static/style.css")
    js = page(client, "/static/app.js")
    for asset in (css, js):
        assert "http://" not in asset and "https://" not in asset and "@import" not in asset
    assert "PingFang SC" in css
