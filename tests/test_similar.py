"""Similar passages (相似表述) and echoes of earlier documents: a real index of documents written
here, the real web app and CLI. Expected neighbours, dates and shares are read off the texts
below; similarities are checked against a plain set computation of the same shingles."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from datasketch import MinHash

from indexer import SearchEngine, build_index
from indexer.cli import cli
from indexer.embedded import store
from indexer.relations import fingerprints, similar

from conftest import app_over

ECHOED = "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局，着力推动高质量发展，更好统筹发展和安全。"
ECHO = "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局，着力推动高质量发展，统筹好发展和安全。"
NATIONAL_ONLY = "今年发展主要预期目标是：国内生产总值增长百分之五左右，城镇新增就业一千二百万人以上，居民消费价格涨幅百分之二左右。"
HENAN_ONLY = "加快建设郑州国家中心城市，推进黄河流域生态保护和高质量发展，打造中部地区重要增长极，建设现代化河南。"
SHORT = "各位代表："

CORPUS = {
    "2024_国务院政府工作报告.md": f"# 2024年国务院政府工作报告\n\n{SHORT}\n\n{ECHOED}\n",
    "2025_国务院政府工作报告.md": f"# 2025年国务院政府工作报告\n\n{SHORT}\n\n{ECHOED}\n\n{NATIONAL_ONLY}\n",
    "2026_河南省政府工作报告.md": f"# 2026年河南省政府工作报告\n\n{SHORT}\n\n{ECHO}\n\n{HENAN_ONLY}\n",
}


def shingle_jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of the 4-character windows of two texts without punctuation."""
    def windows(text):
        plain = re.sub(r"[，。：、；]", "", text)
        return {plain[i:i + 4] for i in range(len(plain) - 3)}
    return len(windows(a) & windows(b)) / len(windows(a) | windows(b))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("echo-corpus")
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("echo-index")
    build_index(corpus, folder)
    return folder


@pytest.fixture(scope="module")
def ids(index):
    return {d["title"]: d["doc_id"] for d in SearchEngine(index).documents()}


def test_signatures_are_datasketch_minhashes():
    sets = [fingerprints.passage_hashes(fingerprints.comparable(t)) for t in (ECHOED, ECHO, SHORT)]
    for hashes, batched in zip(sets, fingerprints.signatures(sets)):
        one = MinHash(num_perm=128, seed=1, hashfunc=int)
        one.update_batch(hashes.tolist())
        assert batched.tolist() == one.hashvalues.tolist()


def test_a_paragraph_lists_other_documents_wording_it_earliest_first(index, ids):
    found = similar.similar_passages(SearchEngine(index), ids["2025年国务院政府工作报告"], 3)
    assert found["text"] == ECHOED and found["compared"] is True
    assert [(p["title"], p["para"], p["year"], p["region"], p["text"]) for p in found["similar"]] == [
        ("2024年国务院政府工作报告", 3, 2024, "全国", ECHOED),
        ("2026年河南省政府工作报告", 3, 2026, "河南省", ECHO)]
    assert [p["first_appearance"] for p in found["similar"]] == [True, False]
    assert found["first_appearance"] is False and found["total"] == 2
    assert found["similar"][0]["similarity"] == 1.0
    assert abs(found["similar"][1]["similarity"] - shingle_jaccard(ECHOED, ECHO)) < 0.15


def test_the_earliest_paragraph_is_its_own_first_appearance(index, ids):
    found = similar.similar_passages(SearchEngine(index), ids["2024年国务院政府工作报告"], 3)
    assert found["first_appearance"] is True
    assert [p["first_appearance"] for p in found["similar"]] == [False, False]


def test_paragraphs_without_echoes_and_short_ones(index, ids):
    engine = SearchEngine(index)
    unique = similar.similar_passages(engine, ids["2025年国务院政府工作报告"], 4)
    assert (unique["text"], unique["compared"], unique["similar"]) == (NATIONAL_ONLY, True, [])
    short = similar.similar_passages(engine, ids["2025年国务院政府工作报告"], 2)
    assert (short["text"], short["compared"], short["similar"]) == (SHORT, False, [])
    assert similar.similar_passages(engine, ids["2025年国务院政府工作报告"], 99) is None
    assert similar.similar_passages(engine, "no-such-doc", 3) is None


def test_a_document_echoes_earlier_documents_of_other_series(index, ids):
    echoes = similar.echoes(SearchEngine(index), ids["2026年河南省政府工作报告"])
    assert (echoes["compared"], echoes["echoing"], echoes["share"]) == (2, 1, 0.5)
    assert (echoes["central"], echoes["central_share"]) == (1, 0.5)
    assert [(p["para"], p["earliest"]["title"], p["documents"]) for p in echoes["paragraphs"]] == [
        (3, "2024年国务院政府工作报告", 2)]
    assert [s["title"] for s in echoes["sources"]] == ["2024年国务院政府工作报告",
                                                       "2025年国务院政府工作报告"]
    # the same series' earlier report is not an echo of another series
    national = similar.echoes(SearchEngine(index), ids["2025年国务院政府工作报告"])
    assert (national["compared"], national["echoing"], national["paragraphs"]) == (2, 0, [])


def test_api_and_pages(index, corpus, ids):
    client = app_over(index, corpus).test_client()
    doc = ids["2025年国务院政府工作报告"]
    answer = client.get(f"/api/para/{doc}/3/similar").get_json()
    assert [(p["title"], p["url"]) for p in answer["similar"]] == [
        ("2024年国务院政府工作报告", f"/doc/{ids['2024年国务院政府工作报告']}#p3"),
        ("2026年河南省政府工作报告", f"/doc/{ids['2026年河南省政府工作报告']}#p3")]
    assert client.get(f"/api/para/{doc}/99/similar").status_code == 404
    assert client.get(f"/api/para/{doc}/x/similar").status_code == 404
    page = client.get(f"/doc/{doc}").get_data(as_text=True)
    links = re.findall(r'<a class="similar-link" href="([^"]+)">([^<]+)</a>', page)
    assert links == [(f"/doc/{doc}/similar/3", "相似表述 2")]
    listing = client.get(f"/doc/{doc}/similar/3").get_data(as_text=True)
    assert listing.count('class="echo echo-first"') == 1 and listing.count('class="echo"') == 1
    assert "2024年国务院政府工作报告" in listing and ECHO in listing
    henan = client.get(f"/doc/{ids['2026年河南省政府工作报告']}").get_data(as_text=True)
    assert "跟进中央表述 <span class=\"share central\">1 段</span>（50.0%）" in henan
    echoes = client.get(f"/api/doc/{ids['2026年河南省政府工作报告']}/echoes").get_json()
    assert echoes["paragraphs"][0]["url"] == f"/doc/{ids['2026年河南省政府工作报告']}#p3"
    assert client.get("/api/doc/nothing-here/echoes").status_code == 404


def test_cli_similar(index, ids):
    runner = CliRunner()
    doc = ids["2026年河南省政府工作报告"]
    result = runner.invoke(cli, ["similar", doc, "3", "--index", str(index)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 similar passages in other documents (similarity ≥ 30%), earliest first"
    assert lines[2].startswith("2024年国务院政府工作报告 ¶3") and "first appearance" in lines[2]
    assert lines[3] == "   " + ECHOED
    as_json = json.loads(runner.invoke(cli, ["similar", doc, "3", "--json", "--index",
                                             str(index)]).output)
    assert [p["year"] for p in as_json["similar"]] == [2024, 2025]


def test_incremental_builds_hash_only_new_documents(corpus, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in corpus.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    index = tmp_path / "index"
    build_index(folder, index)
    before = fingerprints.load(store.current_generation(index))
    (folder / "2026_河北省政府工作报告.md").write_text(
        f"# 2026年河北省政府工作报告\n\n{ECHOED}\n", encoding="utf-8")
    (folder / "2024_国务院政府工作报告.md").unlink()
    assert build_index(folder, index).mode == "incremental"
    after = fingerprints.load(store.current_generation(index))
    kept = [d for d in before.doc_ids if d in after.doc_ids]
    assert len(kept) == 2 and len(after.doc_ids) == 3
    for doc_id in kept:
        old, new = before.passage_range(before.doc_index()[doc_id]), \
            after.passage_range(after.doc_index()[doc_id])
        assert np.array_equal(before.passage_signatures[slice(*old)],
                              after.passage_signatures[slice(*new)])
    titles = {d["doc_id"]: d["title"] for d in SearchEngine(index).documents()}
    hebei = next(d for d, t in titles.items() if t == "2026年河北省政府工作报告")
    found = similar.similar_passages(SearchEngine(index), hebei, 2)
    assert [(p["title"], p["similarity"]) for p in found["similar"]][0] == (
        "2025年国务院政府工作报告", 1.0)
    assert "2024年国务院政府工作报告" not in [p["title"] for p in found["similar"]]


@pytest.mark.browser
def test_a_reader_follows_the_similar_link_in_chromium(index, corpus, ids):
    from load.server import production_server
    from test_browser import CHROMIUM, CHROMIUM_ARGS, watch_problems
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    doc = ids["2025年国务院政府工作报告"]
    with production_server(index, corpus, threads=2) as server, \
            sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        problems = watch_problems(page)
        page.goto(f"{server.base}/doc/{doc}")
        assert page.locator("a.similar-link").all_inner_texts() == ["相似表述 2"]
        page.click("a.similar-link")
        page.wait_for_url(f"**/doc/{doc}/similar/3")
        assert page.locator(".echo-list .echo-meta a").all_inner_texts() == [
            "2024年国务院政府工作报告", "2026年河南省政府工作报告"]
        assert page.locator(".echo-first .first-mark").inner_text() == "最早出现"
        assert problems == []
        browser.close()


def test_hashing_in_two_processes_gives_the_same_fingerprints(index, monkeypatch):
    from whoosh import index as whoosh_index
    with whoosh_index.open_dir(str(store.current_generation(index))).searcher() as searcher:
        monkeypatch.setattr(fingerprints, "PARALLEL_FROM", 1)
        monkeypatch.setattr(fingerprints, "PROCESSES", 2)
        shared = fingerprints.compute(searcher)
        monkeypatch.setattr(fingerprints, "PROCESSES", 1)
        alone = fingerprints.compute(searcher)
    assert shared.doc_ids == alone.doc_ids and len(shared.doc_ids) == 3
    assert np.array_equal(shared.passage_signatures, alone.passage_signatures)
    assert np.array_equal(shared.doc_signatures, alone.doc_signatures)
    assert shared.passage_paras.tolist() == alone.passage_paras.tolist() == [3, 3, 4, 3, 4]


def test_the_build_workers_hash_the_documents_they_write(corpus, tmp_path):
    from test_rebuild import start_paused
    index = tmp_path / "index"
    build = start_paused(corpus, index, "before-commit:3")
    parts = [fingerprints.load(path) for path in
             sorted(index.glob(".tmp-gen-*/" + fingerprints.PART_PREFIX + "*.npz"))]
    assert build.wait(timeout=120) == 0
    assert len(parts) == 2  # one per worker: 3 documents in two shards
    assert sorted(d for part in parts for d in part.doc_ids) == sorted(
        d["doc_id"] for d in SearchEngine(index).documents())
    generation = store.current_generation(index)
    assert list(generation.glob(fingerprints.PART_PREFIX + "*")) == []
    built = fingerprints.load(generation)
    from whoosh import index as whoosh_index
    with whoosh_index.open_dir(str(generation)).searcher() as searcher:
        again = fingerprints.compute(searcher)  # from the stored paragraphs
    assert built.doc_ids == again.doc_ids and built.content_hashes == again.content_hashes
    for name in ("doc_signatures", "doc_lengths", "doc_defects", "passage_docs",
                 "passage_paras", "passage_signatures", "passage_keys"):
        assert np.array_equal(getattr(built, name), getattr(again, name)), name
    assert built.passage_paras.tolist() == [3, 3, 4, 3, 4]


def test_texts_are_folded_together_as_each_alone():
    texts = ["國務院關於ＡＢＣ〔2024〕１號", "ΣΑΣ Σ", "", "二〇二四年，全面推進鄉村振興！"]
    assert fingerprints.comparable_all(texts) == [
        "国务院关于abc20241号", "σασς", "", "二〇二四年全面推进乡村振兴"]
    assert [fingerprints.comparable(text) for text in texts] == fingerprints.comparable_all(texts)
    hashes, sizes = fingerprints.passage_hash_runs(["一二三四五", "甲乙", "子丑寅卯"])
    assert sizes.tolist() == [2, 0, 1]
    assert hashes.tolist() == (fingerprints.shingle_sequence("一二三四五", 4).tolist()
                               + fingerprints.shingle_sequence("子丑寅卯", 4).tolist())


def test_a_worker_saves_a_part_file_whenever_it_holds_enough_passages(tmp_path, monkeypatch):
    monkeypatch.setattr(fingerprints, "PART_PASSAGES", 2)
    documents = [("b", "hash-b", [(3, ECHOED, False), (4, NATIONAL_ONLY, False)]),
                 ("c", "hash-c", [(3, ECHO, False), (4, HENAN_ONLY, False)]),
                 ("a", "hash-a", [(2, SHORT, False), (3, ECHOED, False)])]
    (tmp_path / "whole").mkdir()
    in_parts = fingerprints.Collector(tmp_path)
    whole = fingerprints.Collector()
    for document in documents:
        in_parts.add(*document)
        whole.add(*document)
    # b (2 passages) and c (2) each fill a part; a (1) waits for the last save
    assert len(list(tmp_path.glob(fingerprints.PART_PREFIX + "*.npz"))) == 2
    in_parts.save(tmp_path)
    whole.save(tmp_path / "whole")
    assert len(list(tmp_path.glob(fingerprints.PART_PREFIX + "*.npz"))) == 3
    joined, alone = fingerprints.load_parts(tmp_path), fingerprints.load_parts(tmp_path / "whole")
    assert joined.doc_ids == alone.doc_ids == ["a", "b", "c"]  # doc_id order, as compute wants
    assert joined.content_hashes == ["hash-a", "hash-b", "hash-c"]
    assert joined.passage_paras.tolist() == [3, 3, 4, 3, 4]
    assert joined.passage_docs.tolist() == [0, 1, 1, 2, 2]
    # a's and b's first passages are the same sentence, c's first a reworded one
    assert np.array_equal(joined.passage_signatures[0], joined.passage_signatures[1])
    assert not np.array_equal(joined.passage_signatures[1], joined.passage_signatures[3])
    assert joined.passage_keys[0] == joined.passage_keys[1] != joined.passage_keys[3]
    assert np.array_equal(joined.passage_signatures, alone.passage_signatures)
    assert np.array_equal(joined.doc_signatures, alone.doc_signatures)
    assert np.array_equal(joined.passage_keys, alone.passage_keys)
    assert joined.doc_lengths.tolist() == alone.doc_lengths.tolist()


def test_a_build_whose_workers_save_many_parts_has_the_same_fingerprints(corpus, index, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(fingerprints, "PART_PASSAGES", 1)
    build_index(corpus, tmp_path / "index")
    many = fingerprints.load(store.current_generation(tmp_path / "index"))
    one = fingerprints.load(store.current_generation(index))
    assert sorted(many.doc_ids) == sorted(one.doc_ids) and len(one.doc_ids) == 3
    for doc_id in one.doc_ids:
        a, b = one.doc_ids.index(doc_id), many.doc_ids.index(doc_id)
        assert np.array_equal(one.doc_signatures[a], many.doc_signatures[b])
        start, end = one.passage_range(a)
        other_start, other_end = many.passage_range(b)
        assert one.passage_paras[start:end].tolist() == many.passage_paras[other_start:other_end].tolist()
        assert np.array_equal(one.passage_signatures[start:end],
                              many.passage_signatures[other_start:other_end])
