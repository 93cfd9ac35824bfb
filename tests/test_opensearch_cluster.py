"""The test cluster itself: three nodes come up green; a node killed with -9 leaves it yellow and
still answering from the replicas; the node restarted brings it back to green."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.cluster import http_json

pytestmark = pytest.mark.opensearch

INDEX = "cluster-selftest"
# Pre-segmented paragraphs (the backend sends our own tokens to the whitespace analyzer).
PARAGRAPHS = {
    "p1": "全面 推进 乡村 振兴",
    "p2": "培育 高新技术 企业",
    "p3": "乡村 振兴 示范村",
    "p4": "加快 建设 营商 环境",
    "p5": "乡村 旅游 发展",
    "p6": "振兴 制造业",
}


def search_ids(url: str, words: str) -> tuple[int, list[str]]:
    """Total and sorted ids of the paragraphs holding all of ``words``."""
    answer = http_json(f"{url}/{INDEX}/_search", "POST", {
        "query": {"match": {"body": {"query": words, "operator": "and"}}}, "size": 10})
    return answer["hits"]["total"]["value"], sorted(hit["_id"] for hit in answer["hits"]["hits"])


def test_three_nodes_come_up_green(opensearch_cluster):
    """The fixture's cluster has the three named nodes, one cluster manager, status green."""
    health = http_json(f"{opensearch_cluster.urls[0]}/_cluster/health")
    assert (health["status"], health["number_of_nodes"], health["number_of_data_nodes"]) == ("green", 3, 3)
    nodes = http_json(f"{opensearch_cluster.urls[1]}/_cat/nodes?format=json&h=name,cluster_manager")
    assert sorted(node["name"] for node in nodes) == ["node-1", "node-2", "node-3"]
    assert [node["cluster_manager"] for node in nodes].count("*") == 1


def test_killed_node_leaves_yellow_cluster_that_answers_then_recovers(opensearch_cluster):
    """kill -9 of a node: yellow with two nodes, searches answered in full; restarted: green."""
    cluster = opensearch_cluster
    first = cluster.urls[0]
    http_json(f"{first}/{INDEX}", "PUT", {
        "settings": {"number_of_shards": 3, "number_of_replicas": 1,
                     # Keep the lost copies unassigned while the test looks at the yellow state.
                     "index.unassigned.node_left.delayed_timeout": "10m"},
        "mappings": {"properties": {"body": {"type": "text", "analyzer": "whitespace"}}}})
    try:
        bulk = "".join(f'{{"index":{{"_id":"{key}"}}}}\n{{"body":"{text}"}}\n'
                       for key, text in PARAGRAPHS.items())
        _post_ndjson(f"{first}/{INDEX}/_bulk?refresh=true", bulk)
        cluster.wait_for("green", 3)
        assert search_ids(first, "乡村 振兴") == (2, ["p1", "p3"])

        cluster.kill_node(2)
        health = cluster.wait_for("yellow", 2, timeout=120)
        assert (health["status"], health["number_of_nodes"]) == ("yellow", 2)
        for url in cluster.urls[:2]:
            assert search_ids(url, "乡村 振兴") == (2, ["p1", "p3"])
            assert search_ids(url, "振兴") == (3, ["p1", "p3", "p6"])

        cluster.start_node(2)
        health = cluster.wait_for("green", 3, timeout=240)
        assert (health["status"], health["number_of_nodes"]) == ("green", 3)
        assert search_ids(cluster.urls[2], "乡村") == (3, ["p1", "p3", "p5"])
    finally:
        if cluster.nodes[2].pid is None:
            cluster.start_node(2)
            cluster.wait_for("green", 3, timeout=240)
        http_json(f"{first}/{INDEX}", "DELETE")


def _post_ndjson(url: str, body: str) -> None:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.loads(answer.read())["errors"] is False
