"""What one OpenSearch search costs in requests: the alias check, the words' document frequencies
(kept per index version), and the search itself (dfs only on an index of several shards)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from indexer.backends import build, open_engine
from tests.opensearch_support import fresh_index, opensearch_url  # noqa: F401 - fixture

pytestmark = pytest.mark.opensearch

REPORTS = {
    "2021_甲.txt": ("2021年甲报告", ["推进乡村振兴，发展智慧农业。", "建设数字乡村。"]),
    "2022_乙.txt": ("2022年乙报告", ["全面推进乡村振兴战略。", "稳定粮食生产，保障粮食安全。"]),
    "2023_丙.txt": ("2023年丙报告", ["加快建设农业强国。"]),
}


class Requests(logging.Handler):
    """The HTTP requests opensearch-py sends (its ``opensearch`` logger names each one)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def paths(self) -> list[str]:
        """Method, path and query string of each request since the last ``clear``."""
        found = []
        for line in self.lines:
            method, url = line.split(" [status")[0].split(" ")[:2]
            parts = urlsplit(url)
            found.append(f"{method} {parts.path}" + (f"?{parts.query}" if parts.query else ""))
        return found

    def searches(self) -> list[str]:
        """``paths`` without the once-a-second alias check (a slow moment may bring it in)."""
        return [path for path in self.paths() if not path.endswith("/_doc/__meta__?_source=false")]

    def clear(self) -> None:
        self.lines.clear()


@pytest.fixture
def requests():
    """The requests sent while a test runs."""
    handler = Requests()
    logger = logging.getLogger("opensearch")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _write(corpus: Path, files: dict) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    for name, (title, paragraphs) in files.items():
        (corpus / name).write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n",
                                   encoding="utf-8")


def _build_reports(tmp_path: Path, cluster, shards: int) -> None:
    _write(tmp_path / "corpus", REPORTS)
    build(tmp_path / "corpus", cluster=cluster, shards=shards)


def _places(answer: dict) -> list[tuple[str, int]]:
    """(year, paragraph) of each hit: a document's id starts with its file's year."""
    return [(h["doc_id"][:4], h["para"]) for h in answer["hits"]]


def _scored(answer: dict) -> list[tuple]:
    return [(h["doc_id"], h["para"], h["score"]) for h in answer["hits"]]


def test_a_repeated_search_on_one_shard_is_one_request(tmp_path, opensearch_url,  # noqa: F811
                                                       requests):
    with fresh_index(opensearch_url, "latency") as cluster:
        _build_reports(tmp_path, cluster, shards=1)
        engine = open_engine(cluster=cluster)
        first = engine.search("乡村振兴")
        assert (first["total"], sorted(_places(first))) == (2, [("2021", 2), ("2022", 2)])
        requests.clear()
        again = engine.search("乡村振兴")
        assert requests.searches() == [
            f"POST /{cluster.index}/_search?search_type=query_then_fetch"]
        assert _scored(again) == _scored(first)
        # A new query of known words counts only what it has not met: its literal and bigrams.
        requests.clear()
        engine.search("振兴乡村")
        assert [p.split("?")[0] for p in requests.searches()] == [
            f"POST /{cluster.index}/_msearch", f"POST /{cluster.index}/_search"]


def test_several_shards_score_with_the_whole_index_statistics(tmp_path,  # noqa: F811
                                                              opensearch_url, requests):
    with fresh_index(opensearch_url, "latency") as cluster:
        _build_reports(tmp_path, cluster, shards=2)
        engine = open_engine(cluster=cluster)
        engine.search("粮食")
        requests.clear()
        engine.search("粮食")
        assert requests.searches() == [
            f"POST /{cluster.index}/_search?search_type=dfs_query_then_fetch"]


def test_the_alias_check_reads_the_metadata_only_when_it_changed(tmp_path,  # noqa: F811
                                                                 opensearch_url, requests):
    with fresh_index(opensearch_url, "latency") as cluster:
        _build_reports(tmp_path, cluster, shards=1)
        engine = open_engine(cluster=cluster)
        before = engine.search("粮食")
        assert _places(before) == [("2022", 3)]  # the title is paragraph 1
        time.sleep(1.1)  # the alias is checked at most once a second
        requests.clear()
        engine.search("粮食")
        assert requests.paths() == [
            f"GET /{cluster.index}/_doc/__meta__?_source=false",
            f"POST /{cluster.index}/_search?search_type=query_then_fetch"]

        # An incremental build rewrites the metadata: the next check reads it, and the words'
        # frequencies are counted again (a stale count would give other scores).
        _write(tmp_path / "corpus", {"2024_丁.txt": ("2024年丁报告", ["粮食产量再创新高。"])})
        build(tmp_path / "corpus", cluster=cluster)
        time.sleep(1.1)
        after = engine.search("粮食")
        fresh = open_engine(cluster=cluster).search("粮食")
        assert _scored(after) == _scored(fresh)
        assert sorted(_places(after)) == [("2022", 3), ("2024", 2)]
        assert [h["score"] for h in after["hits"] if h["doc_id"].startswith("2022")] != \
            [before["hits"][0]["score"]]  # one more paragraph with the word: a lower idf


def test_every_count_of_a_search_is_one_request(tmp_path, opensearch_url,  # noqa: F811
                                                 requests):
    copy = ("2022年碳报告", ["实现双碳目标。", "推进碳达峰碳中和工作。"])
    _write(tmp_path / "corpus", {**REPORTS, "2022_碳.txt": copy, "2022_碳副本.txt": copy})
    with fresh_index(opensearch_url, "latency") as cluster:
        build(tmp_path / "corpus", cluster=cluster, shards=1)
        engine = open_engine(cluster=cluster)
        engine.search("粮食")  # the index version's record counts, documents and relations
        requests.clear()
        # Its own words, the expansion's (碳达峰 碳中和) and the total with the hidden copy:
        # one multi-search, then the query's page and the expansion's.
        found = engine.search("双碳")
        assert [(h["para"], h["group"]) for h in found["hits"]] == [(2, "query"), (3, "expansion")]
        assert (found["total"], found["expansion_total"], found["total_with_copies"]) == (2, 1, 4)
        assert [p.split("?")[0] for p in requests.searches()] == [
            f"POST /{cluster.index}/_msearch", f"POST /{cluster.index}/_search",
            f"POST /{cluster.index}/_search"]
