"""Relations on OpenSearch: citations and statuses follow incremental builds, and the CLI's
``search --status``, ``cites`` and ``cited-by`` answer from the cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.backends import build, open_engine
from indexer.cli import main
from indexer.ingest.documents import make_doc_id
from indexer.opensearch.connection import Cluster
from tests.opensearch_support import opensearch_url, unique_index  # noqa: F401 - fixture

pytestmark = pytest.mark.opensearch

OLD = ("old-identify.txt", "# 古树认定暂行办法\n\n某政发〔2016〕2号\n\n古树由园林部门认定。\n\n"
       "本办法自2016年3月1日起施行。\n\n某市人民政府\n\n2016年2月1日\n")
ENDING = "本办法自2021年1月1日起施行，某政发〔2016〕2号文件不再执行。"
NEW = ("identify.txt", "# 某市人民政府关于印发古树认定办法的通知\n\n现将《古树认定办法》印发给你们。\n\n"
       f"{ENDING}\n\n某市人民政府\n\n2020年12月1日\n")
OLD_ID, NEW_ID = make_doc_id(OLD[0]), make_doc_id(NEW[0])


@pytest.fixture
def cluster(opensearch_url):  # noqa: F811
    """A fresh index name on the test cluster; its physical indices are removed after."""
    target = Cluster(opensearch_url, index=unique_index("relations"))
    yield target
    target.client().indices.delete(index=f"{target.index}-*", expand_wildcards="all")


def _status_and_cited_by(cluster: Cluster, doc_id: str) -> tuple[str, list[str]]:
    found = open_engine(cluster=cluster).citations(doc_id)
    return found["status"]["status"], [c["doc_id"] for c in found["cited_by"]]


def test_incremental_builds_update_statuses_and_cited_by(tmp_path: Path, cluster, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / OLD[0]).write_text(OLD[1], encoding="utf-8")
    build(corpus, cluster=cluster)
    assert _status_and_cited_by(cluster, OLD_ID) == ("current", [])

    (corpus / NEW[0]).write_text(NEW[1], encoding="utf-8")
    summary = build(corpus, cluster=cluster)
    assert (summary.mode, summary.added, summary.unchanged) == ("incremental", 1, 1)
    assert _status_and_cited_by(cluster, OLD_ID) == ("repealed", [NEW_ID])
    repealed = open_engine(cluster=cluster).citations(OLD_ID)["status"]["evidence"]["repealed"]
    assert (repealed["doc_id"], repealed["from"], repealed["text"]) == (NEW_ID, "2021-01-01", ENDING)

    where = ["--opensearch", cluster.url, "--os-index", cluster.index, "--json"]
    main(["search", "古树", "--status", "repealed", *where])
    main(["cites", NEW_ID, *where])
    main(["cited-by", OLD_ID, *where])
    searched, cites, cited_by = map(json.loads, capsys.readouterr().out.splitlines())
    assert {h["doc_id"] for h in searched["hits"]} == {OLD_ID}
    assert {(h["status"], h["status_label"], h["cited_by"]) for h in searched["hits"]} == \
        {("repealed", "已废止", 1)}
    assert [(c["text"], [t["doc_id"] for t in c["targets"]]) for c in cites["cites"]] == [
        ("《古树认定办法》", []), ("某政发〔2016〕2号", [OLD_ID])]
    assert [(c["doc_id"], c["context"]) for c in cited_by["cited_by"]] == [(NEW_ID, ENDING)]

    (corpus / NEW[0]).write_text(NEW[1].replace(ENDING, "本办法自2021年1月1日起施行。"),
                                 encoding="utf-8")
    summary = build(corpus, cluster=cluster)
    assert (summary.mode, summary.changed, summary.unchanged) == ("incremental", 1, 1)
    assert _status_and_cited_by(cluster, OLD_ID) == ("current", [])

    (corpus / NEW[0]).write_text(NEW[1], encoding="utf-8")
    build(corpus, cluster=cluster)
    assert _status_and_cited_by(cluster, OLD_ID) == ("repealed", [NEW_ID])
    (corpus / NEW[0]).unlink()
    summary = build(corpus, cluster=cluster)
    assert (summary.mode, summary.removed) == ("incremental", 1)
    assert _status_and_cited_by(cluster, OLD_ID) == ("current", [])
    assert open_engine(cluster=cluster).citations(NEW_ID) is None
