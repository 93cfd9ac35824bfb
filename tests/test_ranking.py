"""The NumPy ranking in matching.py gives Whoosh's own BM25F scores, and the same hit sets."""

import math
import re

import pytest

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from indexer import SearchEngine, build_index
from indexer.embedded import matching
from indexer.search.query import LITERAL_BONUS, TITLE_BOOST

PARAGRAPHS = [
    "乡村振兴扎实推进，乡村振兴示范带建设加快，乡村面貌持续改善。",
    "全面推进乡村振兴，加快农业农村现代化。",
    "发展新质生产力，培育战略性新兴产业，推动高质量发展。",
    "高新技术企业达到522家，专精特新企业加快成长，发展势头良好。",
    "加强耕地保护，确保粮食安全，稳定粮食播种面积。",
    "推进生态文明建设，打好污染防治攻坚战，发展绿色低碳产业。",
    "深化放管服改革，优化营商环境，激发经营主体活力。",
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("rank-corpus")
    for year in (2023, 2024):
        body = "\n\n".join(PARAGRAPHS if year == 2023 else PARAGRAPHS[::-1])
        (corpus / f"{year}_乡村振兴_工作报告.txt").write_text(
            f"{year}年乡村振兴工作报告\n\n一、乡村振兴\n\n{body}\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("rank-index")
    build_index(corpus, index)
    return SearchEngine(index)


@pytest.fixture
def plain_bm25f(monkeypatch):
    """The priors on the word score switched off: scores are BM25F plus literal TF and bonus."""
    monkeypatch.setattr(matching, "HEADING_PRIOR", 1.0)
    monkeypatch.setattr(matching, "LEAD_LIFT", 0.0)


# Every record of the two reports by (year, paragraph number), as written above: the title
# line, the heading (both heading lines) and the body in file order.
TEXTS = {(year, para): text for year in (2023, 2024) for para, text in enumerate(
    [f"{year}年乡村振兴工作报告", "一、乡村振兴", *(PARAGRAPHS if year == 2023 else PARAGRAPHS[::-1])],
    start=1)}
HEADING_LINES = (1, 2)

# Each query written out by hand: its terms as (literal, jieba words), every term required,
# and the paragraphs holding all of them, as (year, paragraph number).
QUERIES = {
    "乡村振兴": ([("乡村振兴", ("乡村振兴",))],
                 [(2023, 1), (2023, 2), (2023, 3), (2023, 4), (2024, 1), (2024, 2), (2024, 8), (2024, 9)]),
    "发展": ([("发展", ("发展",))], [(2023, 5), (2023, 6), (2023, 8), (2024, 4), (2024, 6), (2024, 7)]),
    "粮食": ([("粮食", ("粮食",))], [(2023, 7), (2024, 5)]),
    "营商环境 改革": ([("营商环境", ("营商环境",)), ("改革", ("改革",))], [(2023, 9), (2024, 3)]),
    "乡村 发展": ([("乡村", ("乡村",)), ("发展", ("发展",))], []),
    "的": ([("的", ("的",))], []),
    "推进": ([("推进", ("推进",))], [(2023, 3), (2023, 4), (2023, 8), (2024, 4), (2024, 8), (2024, 9)]),
}


def _reference(engine, query):
    """By hand, per hit (document number): its literal bonus and its word score (Whoosh's own
    BM25F of each query word in text and title + the literal TF), and the searcher used. The
    terms, words and hits are the table's; only the BM25 arithmetic is computed."""
    # Whoosh's BM25F with the engine's constants (B is lowered from Whoosh's default 0.75)
    searcher = Searcher(engine.searcher().reader(), weighting=BM25F(B=matching.B, K1=matching.K1),
                        closereader=False)
    reader = searcher.reader()
    numbers = {(fields["year"], fields["para"]): n for n, fields in reader.iter_docs()
               if fields.get("kind") == "p"}
    assert sorted(numbers) == sorted(TEXTS)
    terms, expected = QUERIES[query]
    bonus = {numbers[key]: LITERAL_BONUS * sum(literal in TEXTS[key] for literal, _ in terms)
             for key in expected}
    words = {numbers[key]: _literal_tf(searcher, terms, key, numbers[key]) for key in expected}
    for word in dict.fromkeys(word for _, term_words in terms for word in term_words):
        for field, boost in (("text", 1.0), ("title", TITLE_BOOST)):
            results = searcher.search(wq.Term(field, word), limit=None)
            for i in range(len(results)):
                if results.docnum(i) in words:
                    words[results.docnum(i)] += boost * results.score(i)
    return bonus, words, searcher


def _keyed(reader, scores: dict) -> dict:
    return {(reader.stored_fields(n)["doc_id"], reader.stored_fields(n)["para"]): score
            for n, score in scores.items()}


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_whoosh_bm25f(engine, query, plain_bm25f):
    """Hits: paragraphs containing every term literally or by all its words; score: a bonus per
    literal term + Whoosh's own BM25F of each query word in text and title + the literal TF."""
    ours = engine.search(query, per_page=100)
    bonus, words, searcher = _reference(engine, query)
    assert sorted((h["year"], h["para"]) for h in ours["hits"]) == QUERIES[query][1]
    mine = {(h["doc_id"], h["para"]): h["score"] for h in ours["hits"]}
    assert ours["total"] == len(words) == len(mine)
    assert mine == pytest.approx(_keyed(searcher.reader(), {n: bonus[n] + words[n] for n in words}),
                                 rel=1e-5)
    assert [h["score"] for h in ours["hits"]] == sorted(mine.values(), reverse=True)


@pytest.mark.parametrize("query", QUERIES)
def test_priors_scale_the_word_score(engine, query):
    """Word score × (1 + LEAD_LIFT × share of terms in the first LEAD_CHARS characters, in
    paragraphs of LEAD_MIN_LENGTH words or more) × HEADING_PRIOR on heading lines; the literal
    bonus stays whole."""
    ours = engine.search(query, per_page=100)
    bonus, words, searcher = _reference(engine, query)
    reader = searcher.reader()
    terms = list(dict.fromkeys(literal for literal, _ in QUERIES[query][0]))
    expected = {}
    for n in words:
        stored = reader.stored_fields(n)
        text = TEXTS[(stored["year"], stored["para"])]
        early = sum(0 <= text.find(term) < matching.LEAD_CHARS for term in terms) / len(terms)
        if reader.doc_field_length(n, "text") < matching.LEAD_MIN_LENGTH:
            early = 0
        prior = matching.HEADING_PRIOR if stored["para"] in HEADING_LINES else 1.0
        expected[n] = bonus[n] + words[n] * (1 + matching.LEAD_LIFT * early) * prior
    mine = {(h["doc_id"], h["para"]): h["score"] for h in ours["hits"]}
    assert mine == pytest.approx(_keyed(reader, expected), rel=1e-5)
    assert [h["score"] for h in ours["hits"]] == \
        pytest.approx(sorted(expected.values(), reverse=True), rel=1e-5)


def _literal_tf(searcher, terms, key, docnum):
    """The literal-TF part of a score, by hand: BM25 of the text field with tf = occurrences of
    each term in the paragraph's text, less the same with its words' tf, where that is less."""
    reader = searcher.reader()
    norm = (1 - matching.B) + matching.B * reader.doc_field_length(docnum, "text") \
        / searcher.avg_field_length("text")

    def saturation(tf):
        return tf * (matching.K1 + 1) / (tf + matching.K1 * norm)

    extra = 0.0
    for literal, term_words in terms:
        occurrences = len(re.findall(f"(?={re.escape(literal)})", TEXTS[key]))
        words = min(dict(reader.postings("text", word).items_as("frequency")).get(docnum, 0)
                    if ("text", word) in reader else 0 for word in term_words)
        if occurrences > words:
            df = sum(literal in text for text in TEXTS.values())
            idf = math.log(reader.doc_count_all() / (df + 1)) + 1
            extra += idf * (saturation(occurrences) - saturation(words))
    return extra


def test_pages_partition_the_ranking(engine):
    everything = engine.search("发展", per_page=100)["hits"]
    paged = [hit for page in (1, 2, 3) for hit in engine.search("发展", page=page, per_page=2)["hits"]]
    assert [(h["doc_id"], h["para"]) for h in paged] == \
        [(h["doc_id"], h["para"]) for h in everything[:6]]


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_heading_flags_read_for_a_window_rank_as_for_all(engine, sort):
    """Every page size gives the same order as ranking everything, also where a demoted
    heading falls out of the best few."""
    def ranking(per_page):
        return [(h["doc_id"], h["score"], h["para"])
                for h in engine.search("乡村振兴", per_page=per_page, sort=sort)["hits"]]

    whole = ranking(100)
    # body lines 3 and 4 (2023), 9 and 8 (2024) above the heading "一、乡村振兴" (2) and the
    # title line (1); without the prior the headings would outrank lines 4 and 8
    assert [h[2] for h in whole] == ([3, 9, 4, 8, 2, 2, 1, 1] if sort == "relevance"
                                     else [9, 8, 2, 1, 3, 4, 2, 1])
    for per_page in range(1, len(whole) + 1):
        assert ranking(per_page) == whole[:per_page]


def test_occurrences_inside_compounds_count(tmp_path):
    """乡村建设 inside 和美乡村建设 (one jieba word) counts: the paragraph about it outranks a
    one-line mention (issue #13)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "2025_某省_政府工作报告.txt").write_text(
        "2025年某省政府工作报告\n\n"
        "统筹新型城镇化和乡村全面振兴。扎实推进和美乡村建设，实施和美乡村建设示范工程，"
        "新建和美乡村建设示范村100个，改造农村公路2000公里，农村卫生厕所普及率达到80%。\n\n"
        "乡村建设。\n\n"
        "推进城市更新，改造城镇老旧小区500个。\n", encoding="utf-8")
    build_index(corpus, index)
    hits = SearchEngine(index).search("乡村建设")["hits"]
    assert [h["text"][:4] for h in hits] == ["统筹新型", "乡村建设"]


HEADED_REPORT = (
    "2025年某省政府工作报告\n\n"
    "一、2025年重点工作\n\n"
    "（三）全面推进乡村振兴。\n\n"
    "扎实推进乡村振兴，学习运用“千万工程”经验，建设宜居宜业和美乡村，新建高标准农田50万亩，"
    "改造农村公路2000公里，农村卫生厕所普及率达到80%，农村居民人均可支配收入增长6%。\n\n"
    "（四）推进城市更新。\n\n"
    "改造城镇老旧小区500个，新开工保障性住房2万套，统筹新型城镇化和乡村振兴。\n"
)


def test_a_bare_heading_ranks_below_the_paragraph_under_it(tmp_path, monkeypatch):
    """"（三）全面推进乡村振兴。" is a heading line: the paragraph under it, which sets out what is
    done, ranks first, and a passing mention elsewhere also outranks the bare heading
    (issue #13). With plain BM25F (both priors off) the short heading ranks first and the
    long paragraph under it last."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "2025_某省_政府工作报告.txt").write_text(HEADED_REPORT, encoding="utf-8")
    build_index(corpus, index)
    engine = SearchEngine(index)
    hits = engine.search("乡村振兴")["hits"]
    assert [(h["para"], h["text"][:6]) for h in hits] == \
        [(4, "扎实推进乡村"), (6, "改造城镇老旧"), (3, "（三）全面推")]
    assert engine.document(hits[2]["doc_id"])["paragraphs"][2]["heading"] is True
    monkeypatch.setattr(matching, "HEADING_PRIOR", 1.0)
    assert [h["para"] for h in engine.search("乡村振兴")["hits"]] == [4, 3, 6]
    monkeypatch.setattr(matching, "LEAD_LIFT", 0.0)
    assert [h["para"] for h in engine.search("乡村振兴")["hits"]] == [3, 6, 4]
