"""The bucket cap of similar passages: a stock sentence shared by more passages than
``similar.BUCKET_CAP`` makes no pairs (a real index of documents written here).

Four reports each repeat one slogan a different number of times (2 to 5): four different
texts with the same set of 4-character windows (every window of the slogan read round in a
circle), so the same MinHash signature and one LSH bucket in every band. Each also ends with
the same stock paragraph, word for word. With the cap lowered to 3 both are over it; with the
shipped cap each lists the other three reports at similarity 1.0."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import SearchEngine, build_index
from indexer.embedded import store
from indexer.relations import similar

SLOGAN = "坚定不移走中国特色社会主义法治道路全面推进依法治国加快建设现代化强国"
STOCK = "本报告所列目标任务由各级人民政府组织实施，各部门要按照职责分工抓好落实，确保各项工作取得实效。"
OWN = [  # one paragraph of each report's own (no 4 characters in common with the others)
    "今年粮食产量稳定在一万三千亿斤以上，高标准农田新建四千五百万亩，种业振兴行动扎实推进。",
    "城镇新增就业一千二百万人以上，调查失业率五点五左右，居民收入增长和经济增长同步。",
    "新能源汽车产销量占全球比重超过六成，集成电路和人工智能等产业规模持续扩大。",
    "生态环境质量稳中向好，细颗粒物平均浓度下降，长江十年禁渔成效明显，森林覆盖率提高。",
]
YEARS = [2021, 2022, 2023, 2024]


def slogan_repeated(times: int) -> str:
    """The slogan ``times`` times, one sentence each."""
    return "".join(SLOGAN + "。" for _ in range(times))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cap-corpus")
    for number, (year, own) in enumerate(zip(YEARS, OWN)):
        (folder / f"{year}_工作报告.md").write_text(
            f"# {year}年工作报告\n\n{own}\n\n{slogan_repeated(number + 2)}\n\n{STOCK}\n",
            encoding="utf-8")
    return folder


def build(corpus, folder, monkeypatch, cap=None):
    if cap is not None:
        monkeypatch.setattr(similar, "BUCKET_CAP", cap)
    build_index(corpus, folder)
    engine = SearchEngine(folder)
    ids = {d["title"]: d["doc_id"] for d in engine.documents()}
    return engine, ids


def listed(engine, doc_id, para):
    found = similar.similar_passages(engine, doc_id, para)
    return found["compared"], [(p["title"], p["para"], p["similarity"]) for p in found["similar"]]


def test_the_windows_of_the_repeated_slogans_are_the_same():
    def windows(text):
        plain = text.replace("。", "")
        return {plain[i:i + 4] for i in range(len(plain) - 3)}
    assert len(SLOGAN) == 34
    assert windows(slogan_repeated(2)) == windows(slogan_repeated(5))
    assert len(windows(slogan_repeated(3))) == 34  # every window of the slogan read round


def test_over_the_cap_a_shared_stock_sentence_makes_no_pairs(corpus, tmp_path, monkeypatch):
    engine, ids = build(corpus, tmp_path / "index", monkeypatch, cap=3)
    for year in YEARS:
        doc = ids[f"{year}年工作报告"]
        assert listed(engine, doc, 3) == (True, [])  # the repeated slogan
        assert listed(engine, doc, 4) == (True, [])  # the stock paragraph, word for word
        assert listed(engine, doc, 2) == (True, [])  # its own paragraph
    with np.load(store.current_generation(tmp_path / "index") / similar.FILE) as saved:
        # 28 bands, the four slogans in one bucket of each; the stock paragraph held 4 times
        assert (int(saved["bucket_cap"]), int(saved["capped_buckets"]),
                int(saved["capped_texts"]), int(saved["capped_holders"])) == (3, 28, 112, 1)
        assert saved["neighbours"].tolist() == []


def test_within_the_cap_the_same_passages_list_each_other(corpus, tmp_path, monkeypatch):
    engine, ids = build(corpus, tmp_path / "index", monkeypatch)
    assert similar.BUCKET_CAP == 200
    for year in YEARS:
        doc = ids[f"{year}年工作报告"]
        others = [f"{other}年工作报告" for other in YEARS if other != year]
        assert listed(engine, doc, 3) == (True, [(title, 3, 1.0) for title in others])
        assert listed(engine, doc, 4) == (True, [(title, 4, 1.0) for title in others])
        assert listed(engine, doc, 2) == (True, [])
    with np.load(store.current_generation(tmp_path / "index") / similar.FILE) as saved:
        assert (int(saved["capped_buckets"]), int(saved["capped_texts"]),
                int(saved["capped_holders"])) == (0, 0, 0)
        assert len(saved["neighbours"]) == 24  # 4 passages × 3 others, twice
