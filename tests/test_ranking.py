"""The NumPy ranking in matching.py gives Whoosh's own BM25F scores, and the same hit sets."""

import pytest

from indexer import SearchEngine, build_index
from indexer.query import build_query, parse_query

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
    ours = engine.search(query, per_page=100)
    searcher = engine.searcher()
    results = searcher.search(build_query(parse_query(query)), limit=None)
    whoosh = {(results[i]["doc_id"], results[i]["para"]): results.score(i)
              for i in range(len(results))}
    mine = {(h["doc_id"], h["para"]): h["score"] for h in ours["hits"]}
    assert ours["total"] == len(results) == len(mine)
    assert mine == pytest.approx(whoosh, rel=1e-5)
    assert [h["score"] for h in ours["hits"]] == sorted(mine.values(), reverse=True)


def test_pages_partition_the_ranking(engine):
    everything = engine.search("发展", per_page=100)["hits"]
    paged = [hit for page in (1, 2, 3) for hit in engine.search("发展", page=page, per_page=2)["hits"]]
    assert [(h["doc_id"], h["para"]) for h in paged] == \
        [(h["doc_id"], h["para"]) for h in everything[:6]]
