"""Rebuilds on OpenSearch: alias swaps, incremental updates by file hash, killed builds, parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.backends import build, open_engine
from indexer.errors import BuildError
from indexer.opensearch.build import in_part
from indexer.opensearch.connection import Cluster
from tests.opensearch_support import opensearch_url, unique_index  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.opensearch


def _write(folder: Path, name: str, title: str, paragraphs: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


@pytest.fixture
def cluster(opensearch_url):  # noqa: F811
    """A fresh index name on the test cluster; its physical indices are removed after."""
    target = Cluster(opensearch_url, index=unique_index("rebuild"))
    yield target
    client = target.client()
    client.indices.delete(index=f"{target.index}-*", expand_wildcards="all")


def _physical(cluster: Cluster) -> list[str]:
    found = cluster.client().indices.get(index=f"{cluster.index}-*", expand_wildcards="all")
    return sorted(name for name in found if not name.endswith("-build-lock"))


def _alias_target(cluster: Cluster) -> str:
    return next(iter(cluster.client().indices.get_alias(name=cluster.index)))


def _paragraphs_with(engine, text: str) -> list[tuple[str, int]]:
    result = engine.search(text, mode="exact", per_page=100)
    return sorted((h["doc_id"], h["para"]) for h in result["hits"])


def test_a_full_build_swaps_the_alias_and_deletes_the_old_index(tmp_path, cluster):
    corpus = tmp_path / "corpus"
    _write(corpus, "2020_甲.txt", "2020年甲报告", ["推进蓝色海湾整治行动。"])
    first = build(corpus, cluster=cluster, shards=2)
    assert (first.mode, first.documents, first.paragraphs) == ("full", 1, 2)
    old = _alias_target(cluster)
    assert old.startswith(cluster.index + "-") and _physical(cluster) == [old]
    settings = cluster.client().indices.get_settings(index=old)[old]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("2", "0")
    engine = open_engine(cluster=cluster)
    assert len(_paragraphs_with(engine, "蓝色海湾")) == 1

    _write(corpus, "2020_甲.txt", "2020年甲报告", ["建设绿色矿山示范区。"])
    second = build(corpus, cluster=cluster, full=True)
    new = _alias_target(cluster)
    assert second.reason == "--full requested" and new != old
    assert _physical(cluster) == [new]  # the old physical index is gone
    time.sleep(1.1)  # the engine resolves the alias at most once a second
    assert _paragraphs_with(engine, "蓝色海湾") == []
    assert len(_paragraphs_with(engine, "绿色矿山")) == 1


def test_an_incremental_build_resends_only_changed_files(tmp_path, cluster):
    corpus = tmp_path / "corpus"
    _write(corpus, "2019_一.txt", "2019年一号文件", ["坚持农业农村优先发展。", "稳定粮食生产。"])
    _write(corpus, "2020_二.txt", "2020年二号文件", ["发展智慧农业。"])
    _write(corpus, "2021_三.txt", "2021年三号文件", ["推进数字乡村建设。"])
    build(corpus, cluster=cluster)
    live = _alias_target(cluster)
    engine = open_engine(cluster=cluster)
    assert [d["title"] for d in engine.documents()] == ["2021年三", "2020年二", "2019年一"]

    _write(corpus, "2020_二.txt", "2020年二号文件", ["发展设施农业。", "建设高标准农田。"])
    (corpus / "2021_三.txt").unlink()
    _write(corpus, "2022_四.txt", "2022年四号文件", ["全面推进乡村振兴。"])
    summary = build(corpus, cluster=cluster)
    assert (summary.mode, summary.added, summary.changed, summary.removed, summary.unchanged) \
        == ("incremental", 1, 1, 1, 1)
    assert (summary.documents, summary.paragraphs) == (3, 3 + 3 + 2)  # title lines count
    assert _alias_target(cluster) == live  # updated in place
    time.sleep(1.1)
    assert [d["title"] for d in engine.documents()] == ["2022年四", "2020年二", "2019年一"]
    assert _paragraphs_with(engine, "智慧农业") == []
    assert _paragraphs_with(engine, "数字乡村") == []
    assert len(_paragraphs_with(engine, "高标准农田")) == 1
    assert len(_paragraphs_with(engine, "全面推进乡村振兴")) == 1
    assert engine.stats()["paragraphs"] == 8

    again = build(corpus, cluster=cluster)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 3)


def test_a_killed_build_leaves_the_alias_on_the_last_complete_index(tmp_path, cluster):
    corpus = tmp_path / "corpus"
    _write(corpus, "2020_旧.txt", "2020年旧报告", ["旧版独有的表述：一网通办。"])
    build(corpus, cluster=cluster)
    live = _alias_target(cluster)
    # a corpus big enough that the build is still sending when it is killed
    for number in range(400):
        _write(corpus, f"2021_新{number:03}.txt", f"2021年新报告{number}",
               [f"第{number}号新文件的段落{k}：推进新型工业化和数字经济发展。" for k in range(30)])
    (corpus / "2020_旧.txt").unlink()
    command = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--full",
               "-q", "--opensearch", cluster.hosts[0], "--os-index", cluster.index]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    client = cluster.client()
    deadline = time.monotonic() + 240
    while True:  # until the new physical index has received documents
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        building = [n for n in _physical(cluster) if n != live]
        if building:
            stats = client.indices.stats(index=building[0], metric="indexing")
            if stats["_all"]["primaries"]["indexing"]["index_total"] > 0:
                break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert _alias_target(cluster) == live
    engine = open_engine(cluster=cluster)
    assert len(_paragraphs_with(engine, "一网通办")) == 1
    assert _paragraphs_with(engine, "新型工业化") == []
    assert engine.stats()["documents"] == 1

    # the next build takes over the dead build's lock and removes its orphan index
    summary = build(corpus, cluster=cluster, full=True)
    assert summary.documents == 400
    assert _physical(cluster) == [_alias_target(cluster)]


def test_parts_fill_one_index_and_the_last_one_publishes(tmp_path, cluster):
    corpus = tmp_path / "corpus"
    names = [f"2023_文件{n:02}.txt" for n in range(12)]
    for number, name in enumerate(names):
        _write(corpus, name, f"2023年文件{number}", [f"第{number}号文件：分片建设索引。"])
    first_slice = [n for n in names if in_part(n, (1, 2))]
    assert 0 < len(first_slice) < len(names)
    assert not any(in_part(n, (2, 2)) for n in first_slice)  # disjoint

    part1 = build(corpus, cluster=cluster, full=True, part=(1, 2))
    assert part1.documents == len(first_slice)
    assert not cluster.client().indices.exists_alias(name=cluster.index)  # not yet published
    part2 = build(corpus, cluster=cluster, full=True, part=(2, 2))
    assert part2.documents == len(names)  # the publishing part reports the whole index
    engine = open_engine(cluster=cluster)
    assert engine.stats()["documents"] == 12
    assert len(engine.search("分片建设索引", per_page=50)["hits"]) == 12
    assert not cluster.client().indices.exists_alias(name=f"{cluster.index}-staging")


def test_a_bad_part_is_refused(tmp_path, cluster):
    _write(tmp_path, "a.txt", "标题", ["内容。"])
    with pytest.raises(BuildError, match="--part 3/2"):
        build(tmp_path, cluster=cluster, part=(3, 2))


def test_search_answers_throughout_a_full_rebuild(tmp_path, cluster):
    """While a full build fills and publishes a new index, every search answers: the old
    content until the swap, the new one after, never an error or a mix."""
    import threading
    corpus = tmp_path / "corpus"
    for number in range(40):
        _write(corpus, f"2020_旧{number:02}.txt", f"2020年旧文件{number}", ["保障粮食安全。"])
    build(corpus, cluster=cluster)
    for number in range(40):
        _write(corpus, f"2020_旧{number:02}.txt", f"2020年旧文件{number}",
               ["保障粮食安全。", "粮食安全是国之大者。"])
    engine = open_engine(cluster=cluster)
    done = threading.Event()
    builder = threading.Thread(target=lambda: (build(corpus, cluster=cluster, full=True),
                                               done.set()))
    builder.start()
    totals = []
    while not done.is_set():
        totals.append(engine.search("粮食安全", mode="exact")["total"])
        time.sleep(0.05)
    builder.join()
    time.sleep(1.1)
    totals.append(engine.search("粮食安全", mode="exact")["total"])
    assert set(totals) <= {40, 80}
    assert totals[0] == 40 and totals[-1] == 80
    assert totals == sorted(totals)  # once the new index answers, the old one never does again


def test_an_incremental_part_updates_only_its_own_slice(tmp_path, cluster):
    corpus = tmp_path / "corpus"
    names = [f"2024_文件{n:02}.txt" for n in range(10)]
    for number, name in enumerate(names):
        _write(corpus, name, f"2024年文件{number}", ["旧的表述。"])
    build(corpus, cluster=cluster)
    for number, name in enumerate(names):
        _write(corpus, name, f"2024年文件{number}", ["新的表述。"])
    mine = [n for n in names if in_part(n, (1, 2))]
    summary = build(corpus, cluster=cluster, part=(1, 2))
    assert (summary.mode, summary.changed, summary.unchanged) == ("incremental", len(mine), 0)
    engine = open_engine(cluster=cluster)
    assert engine.search("新的表述", mode="exact")["total"] == len(mine)
    assert engine.search("旧的表述", mode="exact")["total"] == len(names) - len(mine)
    build(corpus, cluster=cluster, part=(2, 2))
    time.sleep(1.1)
    assert engine.search("新的表述", mode="exact")["total"] == len(names)
    assert engine.search("旧的表述", mode="exact")["total"] == 0


def test_a_build_the_cluster_refuses_fails_clearly_and_keeps_the_live_index(tmp_path, cluster,
                                                                             capsys):
    """The cluster blocks index creation (as a full disk or an operator would): the build
    fails with one line, the alias stays on the complete index, search still answers."""
    from indexer.cli import main
    corpus = tmp_path / "corpus"
    _write(corpus, "2020_甲.txt", "2020年甲报告", ["推进海绵城市建设。"])
    build(corpus, cluster=cluster)
    live = _alias_target(cluster)
    client = cluster.client()
    block = {"persistent": {"cluster.blocks.create_index": True}}
    client.cluster.put_settings(body=block)
    try:
        with pytest.raises(SystemExit) as exit_status:
            main(["index", "--corpus", str(corpus), "--full", "-q", "--opensearch",
                  ",".join(cluster.hosts), "--os-index", cluster.index])
    finally:
        client.cluster.put_settings(body={"persistent": {"cluster.blocks.create_index": None}})
    assert exit_status.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: build failed, the alias still names the last complete index: "
                          "OpenSearch answered 403")
    assert _alias_target(cluster) == live
    assert len(_paragraphs_with(open_engine(cluster=cluster), "海绵城市")) == 1
