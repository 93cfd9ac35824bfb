"""Hostile input: whatever is typed, pasted or crafted gets results or a clear refusal.

The bound on the work one request can cause, and where it is enforced:
  * a query is at most 200 characters and 12 terms (``indexer.search.query.parse_query``; the web layer
    refuses over-long ``q`` before the engine sees it);
  * a result page reaches at most 10,000 hits deep, ``per_page`` ≤ 1000 (``webapp.params``);
  * a document id is 1–200 characters of ``[A-Za-z0-9_-]`` and is only ever looked up as a key in
    the index (``SearchEngine.document``), never used as a path.
So every request here must answer within ``REQUEST_BOUND_S`` on the small test index. That is a
runaway detector, not a performance target: a backtracking pattern or a quadratic loop over
10,000 characters takes minutes, a normal answer milliseconds, and a CI machine under load with
jieba's dictionary still loading a few seconds — the bound sits far from all three.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import IndexNotFoundError, QueryError, SearchEngine
from indexer.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse_query
from indexer.embedded.engine import DOC_ID_PATTERN

REQUEST_BOUND_S = 20.0
REPO_ROOT = Path(__file__).resolve().parents[1]

# The engine's own refusals (QueryError) and the web layer's (params.BadParameter) all start so.
QUERY_MESSAGES = ("empty query", "query too long", "too many terms", "the query only excludes",
                  "nothing to search for")

# ---------------------------------------------------------------- strategies

HOSTILE_PIECES = [
    "OR", "OR OR", "|", "||", "-", "--", "*", "**", ":", "title:", "doc_id:*", "?", "~", "^2",
    '"', "“", "”", "「", "』", "(", ")", "[", "]", "{", "}", "\\", "AND", "NOT", "NEAR/3",
    "\u200f", "\u200e", "\u202e", "\u200b", "\ufeff", "\u3000", "\x00", "\x07", "\x1b[31m",
    "\x7f", "\r\n", "\t", "\ud800", "\udfff", "😀", "👨‍👩‍👧", "🇨🇳", "e\u0301", "乡村振兴", "科技",
    "-乡村", '"乡村', "高新技术企业", "3.5%", "COVID-19", "%", "&amp;", "<script>", "javascript:",
]
# Hypothesis leaves lone surrogates (category Cs) out of text() by default; they are in here.
any_character = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.text(any_character, max_size=250),
    st.lists(st.sampled_from(HOSTILE_PIECES), max_size=30).map(" ".join),
    st.lists(st.sampled_from(HOSTILE_PIECES), max_size=30).map("".join),
    st.text(string.punctuation + "，。、；：？！…—《》（）【】·", min_size=1, max_size=60),
    st.text(" \t\n\u3000\u00a0\u2003", min_size=1, max_size=60),
    # 10,000-character strings, of one character or of a repeated hostile piece.
    st.builds(lambda c, n: c * n, any_character, st.integers(9_990, 10_010)),
    st.builds(lambda p: (p * 10_000)[:10_000], st.sampled_from(HOSTILE_PIECES)),
)
modes = st.sampled_from(["words", "exact"])

hostile_settings = settings(max_examples=150, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow])


def timed(call):
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    assert elapsed < REQUEST_BOUND_S, f"took {elapsed:.2f} s"
    return result


def url_quote(text: str) -> str:
    # A lone surrogate cannot be UTF-8; its surrogatepass bytes (%ED%A0%80) are what a hostile
    # client would send, and the server has to decode them.
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


# ---------------------------------------------------------------- parser and engine


@hostile_settings
@given(hostile_text, modes)
def test_parse_query_returns_a_bounded_query_or_a_clear_error(raw, mode):
    try:
        parsed = timed(lambda: parse_query(raw, mode))
    except QueryError as error:
        assert str(error).startswith(QUERY_MESSAGES), str(error)
        return
    assert len(parsed.raw) <= MAX_QUERY_CHARS
    assert 1 <= len(parsed.terms) + len(parsed.excluded) <= MAX_TERMS
    assert all(term.literal.strip() for term in parsed.terms)


@pytest.fixture(scope="module")
def engine(web_index):
    return SearchEngine(web_index)


@hostile_settings
@given(hostile_text, modes, st.sampled_from(["relevance", "date"]), st.booleans())
def test_engine_search_returns_results_or_a_clear_error(engine, raw, mode, sort, facets):
    try:
        result = timed(lambda: engine.search(raw, mode=mode, sort=sort, facets=facets))
    except QueryError as error:
        assert str(error).startswith(QUERY_MESSAGES), str(error)
        return
    assert result["query"] == raw and 0 <= len(result["hits"]) <= 10
    assert len(result["hits"]) == min(10, result["total"])


def test_the_bounds_are_the_documented_ones():
    assert (MAX_QUERY_CHARS, MAX_TERMS) == (200, 12)
    with pytest.raises(QueryError, match="^query too long: at most 200 characters$"):
        parse_query("乡" * 201)
    with pytest.raises(QueryError, match="^too many terms: at most 12$"):
        parse_query(" ".join(["乡村"] * 13))
    assert len(parse_query(" ".join(["乡村"] * 12)).terms) == 12
    from webapp.params import MAX_DEPTH, MAX_PER_PAGE
    assert (MAX_PER_PAGE, MAX_DEPTH) == (1000, 10_000)


# ---------------------------------------------------------------- web


def assert_clean_answer(response, api: bool) -> str:
    """A 200 or a 400 with a message; never a 500 or a traceback."""
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400), (response.status_code, body[:300])
    assert "Traceback" not in body and "Werkzeug" not in body
    if api:
        assert response.mimetype == "application/json"
        if response.status_code == 400:
            message = response.get_json()["error"]
            assert message and "\n" not in message
    elif response.status_code == 400:
        assert "无法完成检索" in body and '<p class="error-code">400</p>' in body
    return body


@hostile_settings
@given(hostile_text, modes)
def test_api_search_with_hostile_queries(web_app, raw, mode):
    client = web_app.test_client()
    response = timed(lambda: client.get(f"/api/search?q={url_quote(raw)}&mode={mode}"))
    assert_clean_answer(response, api=True)
    if response.status_code == 400:
        assert response.get_json()["error"].startswith(QUERY_MESSAGES)


@hostile_settings
@given(hostile_text, modes)
def test_search_page_with_hostile_queries(web_app, raw, mode):
    client = web_app.test_client()
    response = timed(lambda: client.get(f"/search?q={url_quote(raw)}&mode={mode}"))
    body = assert_clean_answer(response, api=False)
    assert "<script>alert" not in body


@hostile_settings
@given(hostile_text)
def test_document_page_with_a_hostile_highlight_query(web_app, raw):
    client = web_app.test_client()
    doc_id = client.get("/api/stats").get_json()["docs"][0]["doc_id"]
    for prefix in ("/doc/", "/api/doc/"):
        response = timed(lambda: client.get(f"{prefix}{doc_id}?q={url_quote(raw)}"))
        assert_clean_answer(response, api=prefix.startswith("/api"))


# Raw query strings with bytes that are not UTF-8: lone surrogates, stray continuation bytes,
# overlong encodings, truncated sequences, NUL.
# Each with the query Werkzeug hands the app: undecodable bytes stay as their %XX text.
INVALID_UTF8 = {"%ED%A0%80": "%ED%A0%80", "%ED%BF%BF": "%ED%BF%BF", "%FF": "%FF",
                "%FE%FF": "%FE%FF", "%C0%AF": "%C0%AF", "%C0%80": "%C0%80", "%E4%B9": "%E4%B9",
                "%80%80%80": "%80%80%80", "%F8%88%80%80%80": "%F8%88%80%80%80", "%00": "\x00",
                "%E4%B9%A1%ED%A0%80%E6%9D%91": "乡%ED%A0%80村", "%25FF": "%FF"}


@pytest.mark.parametrize("raw", INVALID_UTF8)
@pytest.mark.parametrize("path", ["/api/search", "/search", "/api/doc/x", "/doc/x"])
def test_invalid_utf8_in_the_query_string(client, path, raw):
    response = timed(lambda: client.get(path, query_string=f"q={raw}&mode=words"))
    if path.endswith("/x"):
        assert response.status_code == 404
        return
    body = assert_clean_answer(response, api=path.startswith("/api"))
    if response.status_code == 200 and path == "/api/search":
        assert response.get_json()["query"] == INVALID_UTF8[raw]
    assert "Traceback" not in body


@pytest.mark.parametrize("raw", ["%FF", "%ED%A0%80", "%C0%AF", "x%00y", "%E2%80%AE5"])
@pytest.mark.parametrize("key", ["page", "per_page", "year_from", "year_to", "mode", "sort", "doc"])
def test_invalid_utf8_in_other_parameters_is_a_400(client, key, raw):
    response = client.get("/api/search", query_string=f"q=x&{key}={raw}")
    assert response.status_code == 400
    assert key in response.get_json()["error"]


# ---------------------------------------------------------------- parameters

# test_web.py covers page/per_page bounds, unknown mode and sort, repeated q and page; these
# are the rest, for both the API and the HTML page.
MORE_BAD_PARAMETERS = [
    ("q=x&per_page=-5", "per_page must be a whole number, not '-5'"),
    ("q=x&per_page=abc", "per_page must be a whole number, not 'abc'"),
    ("q=x&per_page=1e3", "per_page must be a whole number, not '1e3'"),
    ("q=x&per_page=%EF%BC%95", "per_page must be a whole number, not '５'"),  # fullwidth 5
    ("q=x&page=%D9%A3", "page must be a whole number, not '٣'"),  # Arabic-Indic 3
    ("q=x&page=0x10", "page must be a whole number, not '0x10'"),
    ("q=x&page=" + "9" * 400, "page must be a whole number, not '" + "9" * 40 + "'"),
    ("q=x&page=2&per_page=5001", "per_page must be at most 1000"),
    ("q=x&page=10000&per_page=2",
     "page 10000 is too deep: page × per_page may be at most 10000 (narrow the search instead)"),
    ("q=x&year_to=-1", "year_to must be a whole number, not '-1'"),
    ("q=x&year_to=10000", "year_to must be at most 9999"),
    ("q=x&mode=EXACT", "unknown mode 'EXACT': use 'words' or 'exact'"),
    ("q=x&mode=words%00", "unknown mode 'words\\x00': use 'words' or 'exact'"),
    ("q=x&sort=date;drop", "unknown sort 'date;drop': use 'relevance' or 'date'"),
    ("q=x&mode=words&mode=exact", "parameter 'mode' was given 2 times: give it once"),
    ("q=x&sort=date&sort=date", "parameter 'sort' was given 2 times: give it once"),
    ("q=x&per_page=5&per_page=5&per_page=5", "parameter 'per_page' was given 3 times: give it once"),
    ("q=x&doc=a&doc=b", "parameter 'doc' was given 2 times: give it once"),
    ("q=x&year_from=1&year_from=2", "parameter 'year_from' was given 2 times: give it once"),
    ("q=x&doc=%2e%2e%2fetc", "doc must be a document id (letters, digits, '-' and '_')"),
    ("q=x&doc=" + "a" * 201, "doc must be a document id (letters, digits, '-' and '_')"),
]


@pytest.mark.parametrize("query, message", MORE_BAD_PARAMETERS)
def test_more_bad_parameters_are_400_with_a_message(client, query, message):
    api = client.get("/api/search?" + query)
    assert (api.status_code, api.get_json()) == (400, {"error": message})
    html = client.get("/search?" + query)
    assert html.status_code == 400
    assert '<p class="error-code">400</p>' in html.get_data(as_text=True)


parameter_values = st.one_of(st.text(any_character, max_size=20).map(url_quote),
                             st.integers(-10**12, 10**12).map(str),
                             st.sampled_from(["", " ", "1", "10", "1000", "10000", "+1", "1.0"]))


@hostile_settings
@given(st.dictionaries(st.sampled_from(["page", "per_page", "year_from", "year_to", "mode",
                                        "sort", "doc"]), parameter_values, max_size=4),
       st.booleans())
def test_arbitrary_parameters_are_answered_or_refused_by_name(web_app, values, api):
    query = "q=%E4%B9%A1%E6%9D%91&" + "&".join(f"{k}={v}" for k, v in values.items())
    response = timed(lambda: web_app.test_client().get(("/api/search?" if api else "/search?") + query))
    assert_clean_answer(response, api=api)
    if response.status_code == 400 and api:
        message = response.get_json()["error"]
        assert any(key in message for key in values) or message.startswith("page "), message


# ---------------------------------------------------------------- document ids

TRAVERSAL_IDS = [
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd", "..%5c..%5cwindows%5cwin.ini", "..\\..\\etc\\passwd",
    "%2fetc%2fpasswd", "/etc/passwd", "etc/passwd", "current", "..", ".", "%2e", "%00",
    "abc%00def", "abc%00.txt", "abc.txt", "%C0%AE%C0%AE%2f", "build.lock", "~root",
    "a" * 201, "a" * 5000, "%E4%B9%A1%E6%9D%91", "no-such-doc",
]


@pytest.mark.parametrize("doc_id", TRAVERSAL_IDS)
def test_traversal_shaped_document_ids_are_404(client, doc_id):
    api = timed(lambda: client.get("/api/doc/" + doc_id))
    assert api.status_code == 404
    # Ids with a (decoded) slash do not even match the route: a plain JSON 404 as well.
    assert api.mimetype == "application/json" and api.get_json()["error"]
    page = client.get("/doc/" + doc_id)
    assert page.status_code == 404
    body = page.get_data(as_text=True)
    assert "没有找到这个页面或文档" in body and "root:" not in body


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "/etc/passwd", "a\x00b", "a\\b", "a.b",
                                    "a b", "", "a" * 201, "current", "乡村"])
def test_the_engine_rejects_ill_formed_ids_before_opening_anything(tmp_path, doc_id):
    # An engine over a folder with no index at all: an ill-formed id is None without the engine
    # ever looking for the index, so the id never reaches the file system.
    engine = SearchEngine(tmp_path / "nothing-here")
    assert not DOC_ID_PATTERN.fullmatch(doc_id) or doc_id == "current"
    if doc_id == "current":  # well-formed: looked up in the index, which here does not exist
        with pytest.raises(IndexNotFoundError):
            engine.document(doc_id)
        return
    assert engine.document(doc_id) is None


CANARY = "PLANTED-CANARY-must-never-be-served"


def test_a_file_planted_next_to_the_index_is_never_served(web_index, web_corpus, tmp_path):
    from webapp import create_app
    index = tmp_path / "index"
    shutil.copytree(web_index, index, symlinks=True)
    generation = (index / "current").resolve()
    planted_names = ["planted", "planted.txt", "secret-id", "_MAIN_1", "MAIN_WRITELOCK"]
    for folder in (index, generation, tmp_path):
        for name in planted_names:
            if not (folder / name).exists():
                (folder / name).write_text(CANARY)
    app = create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(web_corpus), "PAGE_SIZE": 10,
                      "TESTING": True})
    client = app.test_client()
    urls = [f"{prefix}{path}" for prefix in ("/doc/", "/api/doc/", "/static/")
            for name in planted_names
            for path in (name, f"..%2f{name}", f"..%2f..%2f{name}", f"%2e%2e/{name}",
                         f"current%2f{name}", quote(str(generation / name), safe=""))]
    urls += ["/static/..%2f__init__.py", "/static/%2e%2e/__init__.py", "/static/../__init__.py",
             "/static/..%5c__init__.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd"]
    for url in urls:
        # Werkzeug answers "//" in a path with a redirect to the merged path, which is a 404.
        response = client.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 404, url
        assert CANARY not in body and "create_app" not in body and "root:" not in body, url
    assert client.get("/api/stats").get_json()["documents"] == 4


# ---------------------------------------------------------------- command line


def run_search_cli(index: Path, query: str, *options: str, env: dict | None = None):
    # argv cannot carry NUL; everything else goes through as bytes, lone surrogates included
    # (the child decodes them with surrogateescape, as it would a pasted invalid byte).
    argument = query.replace("\x00", " ").encode("utf-8", "surrogatepass")
    command = [sys.executable, "-m", "indexer", "search", "--index", str(index), *options,
               "--", argument]
    return subprocess.run(command, capture_output=True, timeout=60, cwd=REPO_ROOT,
                          env=env or {**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"})


def assert_cli_answer(result) -> None:
    stderr = result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr and b"Traceback" not in result.stdout
    if result.returncode == 0:
        assert re.match(r"^\d+ paragraphs for ", result.stdout.decode("utf-8", "replace")) \
            or result.stdout.startswith(b"{"), result.stdout[:200]
    else:
        assert result.returncode == 1, (result.returncode, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text, st.booleans())
def test_cli_search_with_hostile_queries(web_index, raw, as_json):
    result = run_search_cli(web_index, raw, *(["--json"] if as_json else []))
    assert_cli_answer(result)


@pytest.mark.parametrize("raw, message", [
    ("", "error: empty query: type a word or phrase to search for"),
    ("   \u200f\u202e ", "error: empty query: type a word or phrase to search for"),
    ("OR OR", "error: nothing to search for in the query"),
    ("-", "error: nothing to search for in the query"),
    ("*", "error: nothing to search for in the query"),
    (":", "error: nothing to search for in the query"),
    ('"""((([[[', "error: nothing to search for in the query"),
    ("-乡村", "error: the query only excludes: add a word to search for"),
    ("乡" * 10_000, "error: query too long: at most 200 characters"),
    ("乡村 " * 13, "error: too many terms: at most 12"),
])
def test_cli_refusals_are_one_line_and_exit_1(web_index, raw, message):
    result = run_search_cli(web_index, raw)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (1, b"", message + "\n")


def test_cli_json_with_undecodable_bytes_on_a_strict_utf8_stdout(web_index):
    result = run_search_cli(web_index, "\udcff乡村", "--json",
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert_cli_answer(result)
    query = json.loads(result.stdout)["query"]
    assert query.endswith("乡村") and set(query[:-2]) == {"\ufffd"}
