"""Integration over the real corpora in ../shared/corpus (skipped where they are absent)."""

import random
from pathlib import Path

import pytest

from bench.queries import random_substring
from indexer import SearchEngine, build_index
from indexer.analysis import literal_form

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FOLDERS = ("national-reports", "provincial-2026", "gbk-scraped")

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/corpus is not present"),
]


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("shared-corpus")
    for folder in FOLDERS:
        (corpus / folder).symlink_to(SHARED / folder, target_is_directory=True)
    index = tmp_path_factory.mktemp("shared-index")
    summary = build_index(corpus, index)
    assert summary.skipped == []
    assert summary.documents == sum(len(list((SHARED / f).glob("*.txt"))) for f in FOLDERS)
    return SearchEngine(index)


@pytest.fixture(scope="module")
def paragraphs(shared_engine):
    texts = {}
    for document in shared_engine.documents():
        for paragraph in shared_engine.document(document["doc_id"])["paragraphs"]:
            texts[(document["doc_id"], paragraph["para"])] = paragraph["text"]
    return texts


# What a query must find, written out by hand: the strings whose paragraphs it must return
# (both scripts where the query is traditional; quotes are query syntax, not text).
LITERALS = {
    "乡村振兴": ("乡村振兴",),
    "专精特新": ("专精特新",),
    "高新技术企业": ("高新技术企业",),
    "侨": ("侨", "僑"),
    "新质生产力": ("新质生产力",),
    "碳达峰": ("碳达峰",),
    "营商环境": ("营商环境",),
    "“一带一路”": ("一带一路",),
    "鄉村振興": ("乡村振兴", "鄉村振興"),
    "发展": ("发展", "發展"),
    "的": ("的",),
}


def containing(paragraphs, strings):
    """Brute force on the raw paragraph text, white space squeezed out (a line break may split a
    phrase): the paragraphs holding any of ``strings``."""
    return {key for key, text in paragraphs.items()
            if any(string in "".join(text.split()) for string in strings)}


def hits(engine, query, mode="words"):
    # Every copy of a duplicated report is searched: the guarantee is about matching, and the
    # national reports of 2014–2018 are also in gbk-scraped (dedupe would show each once).
    result = engine.search(query, mode=mode, per_page=1000, page=1, dedupe=False)
    found = {(h["doc_id"], h["para"]) for h in result["hits"]}
    assert len(found) == min(result["total"], 1000)
    return result, found


@pytest.mark.parametrize("query", ["乡村振兴", "专精特新", "高新技术企业", "侨", "新质生产力",
                                   "碳达峰", "营商环境", "“一带一路”", "鄉村振興"])
def test_policy_phrases_find_every_paragraph_containing_them(shared_engine, paragraphs, query):
    result, found = hits(shared_engine, query)
    expected = containing(paragraphs, LITERALS[query])
    assert expected, query
    assert expected <= found
    literal_hits = [h for h in result["hits"] if h["score"] >= 1000]
    assert len(literal_hits) == len(expected)


def every_hit(engine, query, mode):
    """All hits of a query, however many (no cap: a page as large as the total)."""
    total = engine.search(query, mode=mode, per_page=1, dedupe=False)["total"]
    result = engine.search(query, mode=mode, per_page=max(total, 1), dedupe=False)
    found = {(h["doc_id"], h["para"]) for h in result["hits"]}
    assert len(found) == total
    return found


def test_recall_on_random_substrings_of_real_paragraphs(shared_engine, paragraphs):
    # Queries are runs of 2-4 ideographs (no query syntax, nothing to normalise), and the
    # expected set is plain containment in the stored text, independent of the engine's own
    # parsing and folding: a paragraph containing the query as typed must be a hit, however
    # many hits the query has.
    rng = random.Random(20261126)
    keys = sorted(paragraphs)
    missed, queries = [], []
    while len(queries) < 60:
        query = random_substring(rng, paragraphs[rng.choice(keys)])
        if query is None:
            continue
        queries.append(query)
        expected = {key for key, text in paragraphs.items() if query in text}
        for mode in ("words", "exact"):
            found = every_hit(shared_engine, query, mode)
            missed.extend((query, mode, key) for key in expected - found)
            if mode == "exact":
                literal = literal_form(query)[0]
                assert all(literal in literal_form(paragraphs[key])[0] for key in found), query
    assert missed == []
    assert max(len(q) for q in queries) == 4 and min(len(q) for q in queries) == 2


def test_gbk_reports_are_searchable_and_clean(shared_engine):
    result = shared_engine.search("政府工作报告", doc=None, year_from=2014, year_to=2014,
                                  per_page=1000)
    texts = " ".join(h["text"] for h in result["hits"])
    assert "<U+00A0>" not in texts and "<!--" not in texts
    assert {h["year"] for h in result["hits"]} == {2014}


def test_provincial_reports_have_titles_and_regions(shared_engine):
    docs = {d["title"]: d for d in shared_engine.documents()}
    beijing = next(d for title, d in docs.items() if title == "2026年北京市政府工作报告")
    document = shared_engine.document(beijing["doc_id"])
    assert (document["year"], document["region"]) == (2026, "北京市")
    assert not any(p["text"] in ("下载", "打印", "全屏", "收藏") for p in document["paragraphs"])


def test_common_words_count_exactly(shared_engine, paragraphs):
    for query in ("发展", "的"):
        result = shared_engine.search(query, per_page=10, dedupe=False)
        expected = containing(paragraphs, LITERALS[query])
        assert len(expected) > 1000
        assert result["total"] == len(expected)


def test_shuangtan_finds_the_carbon_peak_and_neutrality_paragraphs(shared_engine, paragraphs):
    # Independently: paragraphs saying 双碳, and those saying both 碳达峰 and 碳中和 without it.
    squeeze = {key: "".join(text.split()) for key, text in paragraphs.items()}
    literal = {key for key, text in squeeze.items() if "双碳" in text}
    both = {key for key, text in squeeze.items()
            if "双碳" not in text and "碳达峰" in text and "碳中和" in text}
    result = shared_engine.search("双碳", per_page=1000)
    found = [((h["doc_id"], h["para"]), h["group"]) for h in result["hits"]]
    assert {key for key, group in found if group == "query"} == literal
    assert {key for key, group in found if group == "expansion"} == both
    assert [group for _, group in found] == ["query"] * len(literal) + ["expansion"] * len(both)
    national = {d["doc_id"]: d["year"] for d in shared_engine.documents()
                if "国务院" in d["title"]}
    assert {national[d] for d, _ in both if d in national} == {2021, 2022, 2023, 2024, 2025}
