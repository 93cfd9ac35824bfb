"""Similar passages (相似表述) and echoes on OpenSearch: the same small hand-made corpus in both
backends gives the lists written out below, identically; an incremental build that changes one
document rewrites the lists of the others (and only theirs); the pages, the API and the CLI
answer from the cluster."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import build_index
from indexer.backends import build, open_engine
from indexer.cli import cli
from indexer.ingest.documents import make_doc_id
from indexer.opensearch import similar as cluster_similar
from indexer.opensearch.build import in_part
from indexer.opensearch.connection import Cluster
from indexer.relations import similar
from tests.opensearch_support import fresh_index, opensearch_url  # noqa: F401 - fixture

pytestmark = pytest.mark.opensearch

ECHOED = "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局，着力推动高质量发展，更好统筹发展和安全。"
ECHO = "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局，着力推动高质量发展，统筹好发展和安全。"
NATIONAL_ONLY = "今年发展主要预期目标是：国内生产总值增长百分之五左右，城镇新增就业一千二百万人以上，居民消费价格涨幅百分之二左右。"
HENAN_ONLY = "加快建设郑州国家中心城市，推进黄河流域生态保护和高质量发展，打造中部地区重要增长极，建设现代化河南。"
HENAN_NEW = "全面推进乡村振兴，扎实做好粮食生产，稳定粮食播种面积，建设高标准农田，守牢耕地保护红线和粮食安全底线。"
GUANGDONG_A = "深入推进粤港澳大湾区建设，携手港澳建设国际一流湾区和世界级城市群，加快横琴、前海、南沙、河套等重大平台建设。"
GUANGDONG_B = "坚持制造业当家，实施大产业、大平台、大项目、大企业、大环境建设五大提升行动，推动制造业高质量发展。"
GUANGDONG_C = "坚持制造业当家，实施大产业、大平台、大项目、大企业、大环境建设五大提升行动，推动制造业转型升级。"
SHORT = "各位代表："

NATIONAL_2024, NATIONAL_2025 = "2024_国务院政府工作报告.md", "2025_国务院政府工作报告.md"
HENAN, GUANGDONG = "2026_河南省政府工作报告.md", "2026_广东省政府工作报告.md"
GUANGDONG_2025 = "2025_广东省政府工作报告.md"
CORPUS = {
    NATIONAL_2024: f"# 2024年国务院政府工作报告\n\n{SHORT}\n\n{ECHOED}\n",
    NATIONAL_2025: f"# 2025年国务院政府工作报告\n\n{SHORT}\n\n{ECHOED}\n\n{NATIONAL_ONLY}\n",
    HENAN: f"# 2026年河南省政府工作报告\n\n{SHORT}\n\n{ECHO}\n\n{HENAN_ONLY}\n",
    # a pair of their own, untouched by what the incremental test changes
    GUANGDONG_2025: f"# 2025年广东省政府工作报告\n\n{GUANGDONG_B}\n",
    GUANGDONG: f"# 2026年广东省政府工作报告\n\n{GUANGDONG_A}\n\n{GUANGDONG_C}\n",
}
ID = {name: make_doc_id(name) for name in CORPUS}


def write_corpus(folder: Path) -> Path:
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def both(tmp_path_factory, opensearch_url):  # noqa: F811
    """(embedded engine, OpenSearch engine, corpus, cluster) over the hand-made corpus."""
    base = tmp_path_factory.mktemp("os-similar")
    corpus = write_corpus(base / "corpus")
    build_index(corpus, base / "index")
    with fresh_index(opensearch_url, "similar") as cluster:
        build(corpus, cluster=cluster)
        yield open_engine(base / "index"), open_engine(cluster=cluster), corpus, cluster


def listed(found: dict) -> list[tuple]:
    return [(p["doc_id"], p["para"], p["title"], p["year"], p["region"], p["text"],
             p["first_appearance"]) for p in found["similar"]]


def test_a_paragraph_lists_other_documents_wording_it_earliest_first(both):
    embedded, clustered = both[:2]
    found = similar.similar_passages(clustered, ID[NATIONAL_2025], 3)
    assert (found["text"], found["compared"], found["total"]) == (ECHOED, True, 2)
    assert listed(found) == [
        (ID[NATIONAL_2024], 3, "2024年国务院政府工作报告", 2024, "全国", ECHOED, True),
        (ID[HENAN], 3, "2026年河南省政府工作报告", 2026, "河南省", ECHO, False)]
    assert found["first_appearance"] is False
    assert found["similar"][0]["similarity"] == 1.0
    assert found == similar.similar_passages(embedded, ID[NATIONAL_2025], 3)
    first = similar.similar_passages(clustered, ID[NATIONAL_2024], 3)
    assert first["first_appearance"] is True
    assert [p["doc_id"] for p in first["similar"]] == [ID[NATIONAL_2025], ID[HENAN]]


def test_unique_short_and_unknown_paragraphs(both):
    embedded, clustered = both[:2]
    unique = similar.similar_passages(clustered, ID[NATIONAL_2025], 4)
    assert (unique["text"], unique["compared"], unique["similar"], unique["total"]) == \
        (NATIONAL_ONLY, True, [], 0)
    short = similar.similar_passages(clustered, ID[NATIONAL_2025], 2)
    assert (short["text"], short["compared"], short["similar"]) == (SHORT, False, [])
    assert similar.similar_passages(clustered, ID[NATIONAL_2025], 99) is None
    assert similar.similar_passages(clustered, "no-such-doc", 3) is None
    assert similar.similar_passages(embedded, ID[NATIONAL_2025], 2) == short


def test_every_answer_is_the_embedded_engines(both):
    embedded, clustered = both[:2]
    expected_counts = {ID[NATIONAL_2024]: {3: 2}, ID[NATIONAL_2025]: {3: 2}, ID[HENAN]: {3: 2},
                       ID[GUANGDONG_2025]: {2: 1}, ID[GUANGDONG]: {3: 1}}
    for name, doc_id in ID.items():
        assert similar.counts(clustered, doc_id) == expected_counts[doc_id], name
        assert similar.counts(embedded, doc_id) == expected_counts[doc_id], name
        assert similar.echoes(clustered, doc_id) == similar.echoes(embedded, doc_id), name
        paragraphs = CORPUS[name].count("\n\n") + 1
        for para in range(1, paragraphs + 1):
            assert similar.similar_passages(clustered, doc_id, para) == \
                similar.similar_passages(embedded, doc_id, para), (name, para)


def test_a_document_echoes_earlier_documents_of_other_series(both):
    clustered = both[1]
    echoes = similar.echoes(clustered, ID[HENAN])
    assert (echoes["compared"], echoes["echoing"], echoes["share"]) == (2, 1, 0.5)
    assert (echoes["central"], echoes["central_share"]) == (1, 0.5)
    assert [(p["para"], p["earliest"]["doc_id"], p["earliest"]["similarity"] < 1,
             p["documents"]) for p in echoes["paragraphs"]] == [(3, ID[NATIONAL_2024], True, 2)]
    assert [s["doc_id"] for s in echoes["sources"]] == [ID[NATIONAL_2024], ID[NATIONAL_2025]]
    # the province's own earlier report is the same series: no echo
    guangdong = similar.echoes(clustered, ID[GUANGDONG])
    assert (guangdong["compared"], guangdong["echoing"]) == (2, 0)
    assert similar.echoes(clustered, "no-such-doc") is None


def test_pages_api_and_cli_answer_from_the_cluster(both, opensearch_url):  # noqa: F811
    from webapp import create_app
    embedded, clustered, corpus, cluster = both
    client = create_app({"INDEX_DIR": str(embedded.index_dir), "CORPUS_DIR": str(corpus),
                         "OPENSEARCH": cluster, "TESTING": True}).test_client()
    local = create_app({"INDEX_DIR": str(embedded.index_dir), "CORPUS_DIR": str(corpus),
                        "TESTING": True}).test_client()
    doc = ID[NATIONAL_2025]
    answer = client.get(f"/api/para/{doc}/3/similar")
    assert answer.status_code == 200
    assert [(p["doc_id"], p["url"]) for p in answer.get_json()["similar"]] == [
        (ID[NATIONAL_2024], f"/doc/{ID[NATIONAL_2024]}#p3"), (ID[HENAN], f"/doc/{ID[HENAN]}#p3")]
    assert answer.get_json() == local.get(f"/api/para/{doc}/3/similar").get_json()
    assert client.get(f"/api/para/{doc}/99/similar").status_code == 404
    page = client.get(f"/doc/{doc}").get_data(as_text=True)
    links = re.findall(r'<a class="similar-link" href="([^"]+)">([^<]+)</a>', page)
    assert links == [(f"/doc/{doc}/similar/3", "相似表述 2")]
    listing = client.get(f"/doc/{doc}/similar/3")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert text.count('class="echo echo-first"') == 1 and text.count('class="echo"') == 1
    assert "2024年国务院政府工作报告" in text and ECHO in text
    henan = client.get(f"/doc/{ID[HENAN]}").get_data(as_text=True)
    assert "跟进中央表述 <span class=\"share central\">1 段</span>（50.0%）" in henan
    echoes = client.get(f"/api/doc/{ID[HENAN]}/echoes")
    assert echoes.status_code == 200
    assert echoes.get_json() == local.get(f"/api/doc/{ID[HENAN]}/echoes").get_json()
    assert client.get("/api/doc/nothing-here/echoes").status_code == 404

    runner = CliRunner()
    where = ["--opensearch", opensearch_url, "--os-index", cluster.index]
    result = runner.invoke(cli, ["similar", ID[HENAN], "3", *where])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 similar passages in other documents (similarity ≥ 30%), earliest first"
    assert lines[2].startswith("2024年国务院政府工作报告 ¶3") and "first appearance" in lines[2]
    assert lines[3] == "   " + ECHOED
    as_json = json.loads(runner.invoke(cli, ["similar", ID[HENAN], "3", "--json", *where]).output)
    assert [p["year"] for p in as_json["similar"]] == [2024, 2025]


def _record_versions(cluster: Cluster) -> dict[str, int]:
    """Each similar-passage record's id → its version (1 until it is rewritten)."""
    client = cluster.client()
    hits = client.search(index=cluster.index, version=True, size=100,
                         body={"query": {"term": {"kind": cluster_similar.KIND_SIMILAR}}})
    return {hit["_id"]: hit["_version"] for hit in hits["hits"]["hits"]}


def test_an_incremental_build_rewrites_the_lists_that_change(tmp_path, opensearch_url):  # noqa: F811
    corpus = write_corpus(tmp_path / "corpus")
    with fresh_index(opensearch_url, "similar-incremental") as cluster:
        build(corpus, cluster=cluster)
        engine = open_engine(cluster=cluster)
        assert _record_versions(cluster) == {f"s:{doc_id}:0": 1 for doc_id in ID.values()}
        # 河南 rewrites its echo into something of its own; 河北 arrives with the national wording
        (corpus / HENAN).write_text(f"# 2026年河南省政府工作报告\n\n{SHORT}\n\n{HENAN_NEW}\n\n"
                                    f"{HENAN_ONLY}\n", encoding="utf-8")
        hebei = "2026_河北省政府工作报告.md"
        (corpus / hebei).write_text(f"# 2026年河北省政府工作报告\n\n{ECHOED}\n", encoding="utf-8")
        summary = build(corpus, cluster=cluster)
        assert (summary.mode, summary.changed, summary.added) == ("incremental", 1, 1)
        national = similar.similar_passages(open_engine(cluster=cluster), ID[NATIONAL_2025], 3)
        assert [(p["doc_id"], p["para"], p["similarity"]) for p in national["similar"]] == [
            (ID[NATIONAL_2024], 3, 1.0), (make_doc_id(hebei), 2, 1.0)]
        assert similar.counts(engine, ID[HENAN]) == {}
        assert similar.echoes(engine, ID[HENAN])["echoing"] == 0
        assert _record_versions(cluster) == {
            f"s:{ID[NATIONAL_2024]}:0": 2, f"s:{ID[NATIONAL_2025]}:0": 2,
            # deleted with the changed document's records (version 2), written anew (3)
            f"s:{ID[HENAN]}:0": 3,
            f"s:{ID[GUANGDONG_2025]}:0": 1, f"s:{ID[GUANGDONG]}:0": 1,  # untouched
            f"s:{make_doc_id(hebei)}:0": 1}
        # a removed document leaves no lists behind
        (corpus / hebei).unlink()
        build(corpus, cluster=cluster)
        assert f"s:{make_doc_id(hebei)}:0" not in _record_versions(cluster)
        assert [p["doc_id"] for p in similar.similar_passages(
            open_engine(cluster=cluster), ID[NATIONAL_2025], 3)["similar"]] == [ID[NATIONAL_2024]]


def test_long_lists_are_cut_into_several_records(tmp_path, opensearch_url, monkeypatch):  # noqa: F811
    """With records of at most 2 entries, 2025's report (paragraph 3 with two similar
    passages, paragraph 4 with none) takes two records, and every answer stays the same."""
    corpus = write_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index")
    monkeypatch.setattr(cluster_similar, "RECORD_ENTRIES", 2)
    with fresh_index(opensearch_url, "similar-cut") as cluster:
        build(corpus, cluster=cluster)
        versions = _record_versions(cluster)
        assert sorted(record for record in versions if ID[NATIONAL_2025] in record) == \
            [f"s:{ID[NATIONAL_2025]}:0", f"s:{ID[NATIONAL_2025]}:1"]
        assert sorted(record for record in versions if ID[GUANGDONG] in record) == \
            [f"s:{ID[GUANGDONG]}:0", f"s:{ID[GUANGDONG]}:1"]
        embedded, clustered = open_engine(tmp_path / "index"), open_engine(cluster=cluster)
        for doc_id in ID.values():
            assert similar.echoes(clustered, doc_id) == similar.echoes(embedded, doc_id)
            assert similar.counts(clustered, doc_id) == similar.counts(embedded, doc_id)
            for para in (2, 3, 4):
                assert similar.similar_passages(clustered, doc_id, para) == \
                    similar.similar_passages(embedded, doc_id, para)


def test_parts_built_on_two_machines_give_the_same_lists(tmp_path, opensearch_url):  # noqa: F811
    """``--full --part 1/2`` and ``2/2``: the part that completes the set computes the pairs over
    every document (the other part's too), so the lists are those of one build."""
    corpus = write_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index")
    with fresh_index(opensearch_url, "similar-parts") as cluster:
        assert in_part(NATIONAL_2024, (1, 2)) != in_part(NATIONAL_2025, (1, 2))  # a pair split
        build(corpus, cluster=cluster, full=True, part=(1, 2))
        build(corpus, cluster=cluster, full=True, part=(2, 2))
        embedded, clustered = open_engine(tmp_path / "index"), open_engine(cluster=cluster)
        found = similar.similar_passages(clustered, ID[NATIONAL_2025], 3)
        assert [p["doc_id"] for p in found["similar"]] == [ID[NATIONAL_2024], ID[HENAN]]
        for doc_id in ID.values():
            assert similar.echoes(clustered, doc_id) == similar.echoes(embedded, doc_id)
            assert similar.counts(clustered, doc_id) == similar.counts(embedded, doc_id)
