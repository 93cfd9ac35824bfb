"""The NumPy ranking in matching.py gives Whoosh's own BM25F scores, and the same hit sets."""

import math
import re

import pytest

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from indexer import SearchEngine, build_index, matching
from indexer.analysis import literal_form
from indexer.query import LITERAL_BONUS, TITLE_BOOST, parse_query

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


@pytest.mark.parametrize("query", ["乡村振兴", "发展", "粮食", "营商环境 改革", "乡村 发展",
                                   "的", "推进"])
def test_scores_equal_whoosh_bm25f(engine, query):
    """Hits: paragraphs containing every term literally or by all its words; score: a bonus per
    literal term + Whoosh's own BM25F of each query word in text and title + the literal TF."""
    ours = engine.search(query, per_page=100)
    # Whoosh's BM25F with the engine's constants (B is lowered from Whoosh's default 0.75)
    searcher = Searcher(engine.searcher().reader(), weighting=BM25F(B=matching.B, K1=matching.K1),
                        closereader=False)
    reader = searcher.reader()
    paragraphs = {n: literal_form(fields["text"])[0] for n, fields in reader.iter_docs()
                  if fields.get("kind") == "p"}
    parsed = parse_query(query)
    hits = set(paragraphs)
    for group in parsed.groups:
        found = set()
        for term in group:
            found |= {n for n, text in paragraphs.items() if term.literal in text}
            found |= set(searcher.docs_for_query(wq.And([wq.Term("text", w) for w in term.words])))
        hits &= found
    expected = {}
    for docnum in hits:
        literal_terms = sum(term.literal in paragraphs[docnum] for term in parsed.terms)
        expected[docnum] = LITERAL_BONUS * literal_terms + _literal_tf(searcher, query, docnum)
    for word in dict.fromkeys(parsed.tokens):
        for field, boost in (("text", 1.0), ("title", TITLE_BOOST)):
            results = searcher.search(wq.Term(field, word), limit=None)
            for i in range(len(results)):
                if results.docnum(i) in expected:
                    expected[results.docnum(i)] += boost * results.score(i)
    mine = {(h["doc_id"], h["para"]): h["score"] for h in ours["hits"]}
    assert ours["total"] == len(expected) == len(mine)
    assert mine == pytest.approx({(reader.stored_fields(n)["doc_id"], reader.stored_fields(n)["para"]):
                                  score for n, score in expected.items()}, rel=1e-5)
    assert [h["score"] for h in ours["hits"]] == sorted(mine.values(), reverse=True)


def _literal_tf(searcher, query, docnum):
    """The literal-TF part of a score, by hand: BM25 of the text field with tf = occurrences of
    each term in the paragraph's text, less the same with its words' tf, where that is less."""
    reader = searcher.reader()
    everything = {n: literal_form(fields.get("text", ""))[0] for n, fields in reader.iter_docs()}
    norm = (1 - matching.B) + matching.B * reader.doc_field_length(docnum, "text") \
        / searcher.avg_field_length("text")

    def saturation(tf):
        return tf * (matching.K1 + 1) / (tf + matching.K1 * norm)

    extra = 0.0
    for term in parse_query(query).terms:
        occurrences = len(re.findall(f"(?={re.escape(term.literal)})", everything[docnum]))
        words = min(dict(reader.postings("text", word).items_as("frequency")).get(docnum, 0)
                    if ("text", word) in reader else 0 for word in term.words or (term.literal,))
        if occurrences > words:
            df = sum(term.literal in text for text in everything.values())
            idf = math.log(reader.doc_count_all() / (df + 1)) + 1
            extra += idf * (saturation(occurrences) - saturation(words))
    return extra


def test_pages_partition_the_ranking(engine):
    everything = engine.search("发展", per_page=100)["hits"]
    paged = [hit for page in (1, 2, 3) for hit in engine.search("发展", page=page, per_page=2)["hits"]]
    assert [(h["doc_id"], h["para"]) for h in paged] == \
        [(h["doc_id"], h["para"]) for h in everything[:6]]


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
