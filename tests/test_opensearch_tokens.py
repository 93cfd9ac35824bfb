"""Odd text reaches OpenSearch whole: spaces inside literals, over-long words, control
characters, supplementary-plane characters — both backends find exactly the same paragraphs."""

from __future__ import annotations

import pytest

from indexer import build_index
from indexer.backends import open_engine
from indexer.opensearch.build import build_opensearch
from indexer.opensearch.tokens import MAX_TOKEN_UNITS, token
from tests.opensearch_support import fresh_index, opensearch_url  # noqa: F401 - fixture

LONG_WORD = "x7" * 200  # one alphanumeric "word" of 400 characters
ODD = {
    "2020_odd.txt": "2020年测试文件\n\n"
                    "新冠 COVID 19 疫情防控取得成效。\n\n"
                    f"编号{LONG_WORD}结束。\n\n"
                    "全角　空格与ＡＢＣ字母、𠀀𠀁生僻字并存。\n\n"
                    "制表\t符号与 covid-19 写法。\n",
}


def test_tokens_never_hold_white_space_and_never_exceed_the_tokenizer_limit():
    assert token("a b") == "a\x0120;b" and token("\x01") == "\x011;"
    assert " " not in token("x\u3000y\ty") and len(token(LONG_WORD)) <= MAX_TOKEN_UNITS
    assert token(LONG_WORD) != token(LONG_WORD + "x")


@pytest.mark.opensearch
def test_odd_text_is_found_the_same_way(tmp_path, opensearch_url):  # noqa: F811
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in ODD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    with fresh_index(opensearch_url, "tokens") as cluster:
        build_opensearch(corpus, cluster)
        embedded, clustered = open_engine(tmp_path / "index"), open_engine(cluster=cluster)
        expected = {  # paragraph numbers counted by hand in ODD (1: the title line); white space
            # between two CJK characters is no part of a phrase, other runs are one space
            ("COVID 19", "exact"): [2], ("covid 19", "words"): [2, 5], ("covid", "words"): [2, 5],
            ("covid19", "exact"): [], (LONG_WORD[:180], "words"): [3],
            (f"编号{LONG_WORD[:50]}", "exact"): [3], ("全角 空格", "exact"): [4],
            ("全角空格", "exact"): [4], ("abc", "words"): [4], ("𠀀𠀁", "exact"): [4],
            ("𠀁", "exact"): [4], ("制表 符号", "exact"): [5], ("covid-19", "words"): [2, 5],
            ("covid-19", "exact"): [5],
        }
        for (query, mode), paras in expected.items():
            for engine in (embedded, clustered):
                hits = engine.search(query, mode=mode, per_page=20)["hits"]
                assert sorted(h["para"] for h in hits) == paras, (engine.backend, query, mode)


def test_the_index_file_carries_the_embedded_engines_bm25_constants():
    """index.json states k1 and b as the embedded engine ranks (a build sets them from there)."""
    import json
    from importlib import resources

    from indexer.embedded.matching import B, K1
    from indexer.opensearch.build import index_body
    raw = json.loads((resources.files("indexer.opensearch") / "index.json").read_text("utf-8"))
    assert raw["settings"]["index"]["similarity"]["policy_bm25"] == \
        {"type": "BM25", "k1": 1.2, "b": 0.1} == {"type": "BM25", "k1": K1, "b": B}
    body = index_body(shards=4, replicas=1)
    assert (body["settings"]["index"]["number_of_shards"],
            body["settings"]["index"]["number_of_replicas"]) == (4, 1)
    analyzed = {name for name, field in body["mappings"]["properties"].items()
                if field.get("type") == "text" and field.get("index", True)}
    assert analyzed == {"words", "title_words", "unigrams", "bigrams"}
    assert {body["mappings"]["properties"][name]["analyzer"] for name in analyzed} == {"whitespace"}
