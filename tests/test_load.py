"""The production server (waitress) under load and faults, in a short form fit for CI.

The full one-minute run is `tests/load/loadtest.py` (see "Load test" in README.md). Everything here talks
to 127.0.0.1 only, with socket timeouts, under a hard per-test timeout: a hang fails the test.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import struct
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from indexer import SearchEngine, build_index
from load.loadtest import run_load
from load.server import production_server
from test_web import SECURITY_HEADERS

pytestmark = pytest.mark.timeout(180)
SOCKET_TIMEOUT_S = 60
FAST_ANSWER_S = 2.0  # a normal request while the server is being abused


@pytest.fixture(scope="module")
def load_corpus(web_corpus, tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("load-corpus")
    shutil.copytree(web_corpus, corpus, dirs_exist_ok=True)
    return corpus


@pytest.fixture(scope="module")
def server(web_corpus, web_index):
    """The production server over the shared test index, 8 worker threads."""
    with production_server(web_index, web_corpus, threads=8) as running:
        yield running


def get(server, path: str, method: str = "GET"):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=SOCKET_TIMEOUT_S)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def timed_get(server, path: str):
    started = time.perf_counter()
    status, _, body = get(server, path)
    elapsed = time.perf_counter() - started
    assert elapsed < FAST_ANSWER_S, f"{path} took {elapsed:.2f} s"
    return status, body


# ---------------------------------------------------------------- load


def test_short_load_has_zero_errors(server):
    report = run_load(server.host, server.port, clients=8, duration=10)
    assert report["failures"] == {} and report["total"]["errors"] == 0
    assert report["total"]["requests"] >= 100
    assert set(report["by_kind"]) == {"search", "api_search", "common", "exact", "next_page",
                                      "doc_page", "api_doc", "api_common", "home"}


def test_load_during_a_full_then_an_incremental_rebuild_loses_nothing(load_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(load_corpus, index)
    new_word = "重建期间新增的独有词"

    def add_a_document():
        (load_corpus / "2024_新增文件.md").write_text(
            f"# 2024年新增文件\n\n本段包含{new_word}。\n", encoding="utf-8")

    with production_server(index, load_corpus, threads=8) as running:
        report = run_load(running.host, running.port, clients=8, duration=8,
                          rebuild_with=(load_corpus, index), before_incremental=add_a_document)
        status, body = timed_get(running, "/api/search?q=" + quote(new_word))
    assert report["failures"] == {} and report["total"]["errors"] == 0
    assert {mode: r["exit_code"] for mode, r in report["rebuild"].items()} == {
        "full": 0, "incremental": 0}
    assert report["rebuild"]["full"]["summary"][0].startswith("full build (--full requested): 4 documents")
    assert report["rebuild"]["incremental"]["summary"][1] == \
        "  added 1, changed 0, removed 0, unchanged 4"
    assert status == 200 and '"total":1' in body


# ---------------------------------------------------------------- faults


def test_clients_that_disconnect_mid_response(server):
    def rude_client():
        with socket.create_connection((server.host, server.port), timeout=SOCKET_TIMEOUT_S) as sock:
            # A tiny receive buffer and a reset on close: the server is mid-write when we go.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.sendall(b"GET /search?q=%E5%8F%91%E5%B1%95&per_page=1000 HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\n\r\n")
            sock.recv(16)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    threads = [threading.Thread(target=rude_client) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SOCKET_TIMEOUT_S)
    for _ in range(10):
        assert timed_get(server, "/api/search?q=" + quote("乡村振兴"))[0] == 200
    assert "Traceback" not in server.log()


def test_slow_clients_do_not_hold_up_others(server):
    request = "GET /api/search?q=%E4%B9%A1%E6%9D%91 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    answers: dict[str, bytes] = {}

    def slow_client():
        with socket.create_connection((server.host, server.port), timeout=SOCKET_TIMEOUT_S) as sock:
            for byte in request:  # ~70 bytes, 40 ms apart: about three seconds of headers
                sock.sendall(bytes([byte]))
                time.sleep(0.04)
            answers["slow"] = sock.recv(200)

    # Slowloris: connections that start a request and never finish it.
    stalled = [socket.create_connection((server.host, server.port), timeout=SOCKET_TIMEOUT_S)
               for _ in range(30)]
    try:
        for sock in stalled:
            sock.sendall(b"GET /search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow = threading.Thread(target=slow_client)
        slow.start()
        while slow.is_alive():
            assert timed_get(server, "/search?q=" + quote("科技创新"))[0] == 200
        slow.join()
    finally:
        for sock in stalled:
            sock.close()
    assert answers["slow"].startswith(b"HTTP/1.1 200 OK")


def test_a_flood_beyond_the_thread_pool_is_answered_not_hung(server):
    # 8 worker threads, 120 simultaneous connections (waitress also caps open connections at
    # 100): every request is queued and answered, none waits forever.
    flood, statuses, barrier = 120, [], threading.Barrier(120)
    lock = threading.Lock()

    def client():
        barrier.wait(SOCKET_TIMEOUT_S)
        started = time.perf_counter()
        try:
            status = get(server, "/search?q=" + quote("发展"))[0]
        except OSError as error:
            status = type(error).__name__
        with lock:
            statuses.append((status, time.perf_counter() - started))

    threads = [threading.Thread(target=client) for _ in range(flood)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SOCKET_TIMEOUT_S * 2)
    # queued, not refused: a healthy server answers every one of them in full
    assert [s for s, _ in statuses] == [200] * flood
    assert max(seconds for _, seconds in statuses) < SOCKET_TIMEOUT_S
    assert timed_get(server, "/api/stats")[0] == 200


# ---------------------------------------------------------------- production hardening


@pytest.mark.parametrize("path", ["/console", "/console?__debugger__=yes&cmd=printpin",
                                  "/?__debugger__=yes&cmd=resource&f=debugger.js",
                                  "/search?__debugger__=yes&cmd=resource&f=style.css&q=x"])
def test_no_werkzeug_debugger_in_production(server, path):
    status, headers, body = get(server, path)
    assert status in (200, 404)
    assert headers["Content-Type"].startswith("text/html")
    assert "Werkzeug" not in body and "debugger" not in body.lower() and "PIN" not in body
    assert headers["Server"] == "policy-search"


@pytest.fixture(scope="module")
def broken_server(web_corpus, web_index, tmp_path_factory):
    """The production server over an index whose table of contents is garbage."""
    index = tmp_path_factory.mktemp("broken-index")
    shutil.copytree(web_index, index, dirs_exist_ok=True, symlinks=True)
    for toc in (index / "current").resolve().glob("*.toc"):
        toc.write_bytes(b"\x80\x04garbage, not a Whoosh table of contents")
    with production_server(index, web_corpus, threads=2) as running:
        yield running


def test_an_exception_in_production_shows_no_traceback(broken_server):
    for path, kind in (("/search?q=x", "text/html"), ("/api/stats", "application/json")):
        status, headers, body = get(broken_server, path)
        assert (status, headers["Content-Type"].split(";")[0]) == (500, kind)
        assert "Traceback" not in body and "File \"" not in body and "garbage" not in body
    assert "Traceback" in broken_server.log()  # the operator gets it, in the log


SECURITY_HEADER_URLS = [
    ("GET", "/", 200), ("GET", "/search?q=" + quote("乡村振兴"), 200), ("GET", "/search", 400),
    ("GET", "/search?q=x&page=0", 400), ("GET", "/doc/no-such-doc", 404),
    ("GET", "/doc/..%2f..%2fetc%2fpasswd", 404), ("GET", "/nowhere", 404),
    ("POST", "/search?q=x", 405), ("GET", "/api/search?q=x", 200), ("GET", "/api/search", 400),
    ("GET", "/api/doc/nope", 404), ("GET", "/api/stats", 200), ("GET", "/static/style.css", 200),
    ("GET", "/static/app.js", 200), ("GET", "/static/favicon.svg", 200),
    ("GET", "/static/missing.css", 404), ("HEAD", "/", 200), ("DELETE", "/api/stats", 405),
]


@pytest.mark.parametrize("method, path, status", SECURITY_HEADER_URLS)
def test_security_headers_on_every_response_of_the_real_server(server, method, path, status):
    got, headers, _ = get(server, path, method)
    assert got == status
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name


def test_security_headers_on_a_500(broken_server):
    status, headers, _ = get(broken_server, "/search?q=x")
    assert status == 500
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name


def test_the_server_listens_on_localhost_by_default():
    import inspect

    from webapp.server import run
    assert inspect.signature(run).parameters["host"].default == "127.0.0.1"


def test_serve_builds_a_missing_index_before_it_answers(web_corpus, web_index, tmp_path):
    index = tmp_path / "index"  # does not exist yet
    with production_server(index, web_corpus, threads=2) as running:
        status, body = timed_get(running, "/api/stats")
        log = running.log()
    assert f"no index in {index} yet: building it from {web_corpus}" in log
    assert status == 200
    stats = json.loads(body)
    built = SearchEngine(web_index).stats()  # the same corpus built by build_index
    assert (stats["documents"], stats["paragraphs"]) == (4, built["paragraphs"]) == (4, 31)
    assert [d["doc_id"] for d in stats["docs"]] == [d["doc_id"] for d in built["docs"]]
