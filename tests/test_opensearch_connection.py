"""Reaching the cluster: credentials never shown, a cluster that is down answers clearly."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from indexer.cli import main
from indexer.errors import PolicySearchError
from indexer.opensearch.connection import Cluster
from tests.opensearch_support import opensearch_url, unique_index  # noqa: F401 - fixture
from webapp import create_app

PASSWORD = "Pa55-w0rd-never-printed"
API_KEY = "key-that-stays-secret-42"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once closed


def test_credentials_are_taken_out_of_the_url():
    cluster = Cluster(f"https://reader:{PASSWORD}@search.example.org:9200,"
                      "https://node2.example.org:9200", index="laws-2026", api_key=API_KEY)
    assert cluster.hosts == ("https://search.example.org:9200", "https://node2.example.org:9200")
    assert (cluster.username, cluster.password) == ("reader", PASSWORD)
    assert PASSWORD not in cluster.describe() and "reader" not in cluster.describe()
    assert PASSWORD not in repr(cluster) and API_KEY not in repr(cluster)
    assert cluster.scrub(f"failed: https://reader:{PASSWORD}@x:1 with {API_KEY}") == \
        "failed: https://x:1 with ***"


def test_tls_basic_auth_and_api_keys_reach_the_client(tmp_path):
    """What opensearch-py's connection is configured with (its own objects, no request made)."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    secured = Cluster(f"https://reader:{PASSWORD}@search.example.org:9200",
                      ca_file=str(ca_file)).client().transport.connection_pool.connection
    assert (secured.host, secured.use_ssl) == ("https://search.example.org:9200", True)
    assert secured.pool.ca_certs == str(ca_file) and secured.pool.cert_reqs == "CERT_REQUIRED"
    assert secured.headers["authorization"] == "Basic " + base64.b64encode(
        f"reader:{PASSWORD}".encode()).decode()
    keyed = Cluster("https://search.example.org:9200", api_key=API_KEY,
                    verify_certs=False).client().transport.connection_pool.connection
    assert keyed.headers["authorization"] == f"ApiKey {API_KEY}"
    assert keyed.pool.cert_reqs == "CERT_NONE"
    plain = Cluster("http://127.0.0.1:9200").client().transport.connection_pool.connection
    assert plain.use_ssl is False and "authorization" not in plain.headers


def test_bad_names_and_urls_are_refused_without_echoing_a_password():
    with pytest.raises(PolicySearchError, match="invalid OpenSearch index name"):
        Cluster("http://localhost:9200", index="Upper/Case")
    with pytest.raises(PolicySearchError) as caught:
        Cluster(f"ftp://me:{PASSWORD}@localhost:9200")
    assert PASSWORD not in str(caught.value)


def test_cluster_down_is_one_line_and_exit_1_without_the_password(capsys):
    url = f"http://admin:{PASSWORD}@127.0.0.1:{_closed_port()}"
    for command in (["stats"], ["search", "乡村振兴"], ["show"], ["trends", "乡村振兴"]):
        with pytest.raises(SystemExit) as exit_status:
            main([*command, "--opensearch", url, "--os-index", "nowhere"])
        assert exit_status.value.code == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("error: the OpenSearch cluster at http://127.0.0.1:")
        assert "cannot be reached" in lines[0]
        assert PASSWORD not in captured.err and "admin" not in captured.err


def test_a_build_against_a_dead_cluster_fails_clearly(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("乡村振兴。\n", encoding="utf-8")
    url = f"http://admin:{PASSWORD}@127.0.0.1:{_closed_port()}"
    with pytest.raises(SystemExit) as exit_status:
        main(["index", "--corpus", str(tmp_path), "--opensearch", url, "-q"])
    assert exit_status.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: build failed, the alias still names the last complete index")
    assert len(err.strip().splitlines()) == 1 and PASSWORD not in err


def test_the_web_app_answers_503_when_the_cluster_is_down(tmp_path):
    cluster = Cluster(f"http://admin:{PASSWORD}@127.0.0.1:{_closed_port()}", index="nowhere")
    app = create_app({"INDEX_DIR": str(tmp_path), "CORPUS_DIR": str(tmp_path), "PAGE_SIZE": 10,
                      "OPENSEARCH": cluster})
    client = app.test_client()
    for path in ("/", "/search?q=乡村振兴", "/doc/abc", "/trends?q=乡村振兴"):
        page = client.get(path)
        assert page.status_code == 503, path
        html = page.get_data(as_text=True)
        assert "检索服务暂时不可用" in html and "Traceback" not in html
        assert PASSWORD not in html
    answer = client.get("/api/search?q=乡村振兴")
    assert answer.status_code == 503
    message = answer.get_json()["error"]
    assert message.startswith("the OpenSearch cluster at http://127.0.0.1:")
    assert PASSWORD not in message


@pytest.mark.opensearch
def test_stats_of_a_live_index_never_show_the_password(tmp_path, opensearch_url, capsys):  # noqa: F811
    (tmp_path / "2021_报告.txt").write_text("2021年报告\n\n推进乡村振兴。\n", encoding="utf-8")
    index = unique_index("secret")
    url = opensearch_url.replace("://", f"://admin:{PASSWORD}@")
    main(["index", "--corpus", str(tmp_path), "--opensearch", url, "--os-index", index, "-q"])
    main(["stats", "--opensearch", url, "--os-index", index, "--json"])
    main(["stats", "--opensearch", url, "--os-index", index])
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    stats = json.loads(captured.out.splitlines()[1])
    assert stats["documents"] == 1 and stats["paragraphs"] == 2
    assert stats["backend"]["alias"] == index
    assert stats["backend"]["index"].startswith(index + "-")
    Cluster(opensearch_url).client().indices.delete(index=f"{index}-*")
