"""`policy-search serve --workers 2`: real worker processes behind one port, real HTTP.

Each keep-alive connection is held by one worker process; the tests find which one from
/proc (the server end's socket inode among the worker's open files), so every assertion about
"each worker" talks to that worker and no other.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from indexer.embedded import store
from test_rebuild import ADDED, corpus, index, write  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")

HOST = "127.0.0.1"
TOKEN = "workers-test-token-0d9c4e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WORKERS = 2


class Server:
    """A `policy-search serve --workers 2` process and its log."""

    def __init__(self, corpus: Path, index: Path, env: dict):
        with __import__("socket").socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.log_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus), "--index",
             str(index), "--host", HOST, "--port", str(self.port), "--threads", "4",
             "--workers", str(WORKERS)],
            stdout=self.log_file, stderr=subprocess.STDOUT, env={**os.environ, **env})
        deadline = time.monotonic() + 120
        while len(self.workers()) < WORKERS or not self._answers():
            assert self.process.poll() is None and time.monotonic() < deadline, self.log()
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return get(self.connect(), "/api/stats")[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode("utf-8", "replace")

    def workers(self) -> list[int]:
        """The pids of the server's worker processes."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=60)

    def connection_per_worker(self) -> dict[int, http.client.HTTPConnection]:
        """One open keep-alive connection held by each worker process."""
        held: dict[int, http.client.HTTPConnection] = {}
        spare = []
        for _ in range(200):
            connection = self.connect()
            assert get(connection, "/api/stats")[0] == 200
            owner = holder_of(connection, self.port, self.workers())
            if owner in held:
                spare.append(connection)  # kept open, so the next one may go elsewhere
            else:
                held[owner] = connection
            if len(held) == WORKERS:
                break
        for connection in spare:
            connection.close()
        assert sorted(held) == sorted(self.workers()), (held, self.workers())
        return held

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


@pytest.fixture()
def server(corpus, index):
    running = Server(corpus, index, {"POLICY_SEARCH_REINDEX_TOKEN": TOKEN,
                                     store.PAUSE_ENV: "before-commit:3"})
    yield running
    running.stop()


def get(connection, path, method="GET", headers=None) -> tuple[int, dict]:
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    return response.status, json.loads(body) if body else {}


def holder_of(connection: http.client.HTTPConnection, port: int, pids: list[int]) -> int:
    """The pid (among ``pids``) holding the server end of ``connection``."""
    client_port = connection.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.rsplit(":", 1)[1], 16) == port and \
                    int(remote.rsplit(":", 1)[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except FileNotFoundError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def total(connection, query: str) -> int:
    status, body = get(connection, "/api/search?q=" + quote(query))
    assert status == 200, body
    return body["total"]


def test_each_worker_answers_and_a_rebuild_over_http_reaches_every_worker(server, corpus):
    per_worker = server.connection_per_worker()
    assert len(per_worker) == WORKERS and server.process.pid not in per_worker
    # Whoosh reads with seek + read: no index file may be shared across the fork.
    assert [f for f in open_files(server.process.pid) if reindex_index(server) in f] == []
    assert [total(c, "水利枢纽") for c in per_worker.values()] == [1, 1]

    write(corpus, *ADDED)
    builder, watcher = per_worker.values()
    status, started = get(builder, "/api/reindex", "POST", AUTH)
    assert (status, started["status"], started["reindex"]["running"]) == (202, "started", True)
    # The other worker process sees the build running and refuses a second one.
    status, refused = get(watcher, "/api/reindex", "POST", AUTH)
    assert (status, refused["error"], refused["reindex"]["running"]) == (
        409, "a rebuild is already running", True)

    deadline = time.monotonic() + 180
    while True:  # the build's progress and outcome, read through the other worker
        reindex = get(watcher, "/api/stats")[1]["reindex"]
        if not reindex["running"]:
            break
        assert time.monotonic() < deadline, reindex
        time.sleep(0.1)
    last = reindex["last"]
    assert (last["status"], last["error"], last["summary"]["mode"], last["summary"]["added"]) \
        == ("finished", None, "incremental", 1)

    # The new generation, in every worker, without a restart.
    assert [total(c, "水利枢纽") for c in per_worker.values()] == [2, 2]
    new_generation = store.current_generation(Path(reindex_index(server)))
    for pid in per_worker:
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert f"/{new_generation.name}/" in maps, pid  # its posting arrays are mapped
    assert "Traceback" not in server.log()


def open_files(pid: int) -> list[str]:
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue
    return found


def reindex_index(server: Server) -> str:
    arguments = server.process.args
    return arguments[arguments.index("--index") + 1]


def test_a_worker_that_dies_is_replaced_and_stopping_the_server_stops_them_all(server):
    first = server.workers()
    os.kill(first[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        now = server.workers()
        if len(now) == WORKERS and first[0] not in now:
            break
        assert time.monotonic() < deadline, now
        time.sleep(0.1)
    assert first[1] in now
    replaced = server.connection_per_worker()  # the new worker answers too
    assert [total(c, "乡村振兴") for c in replaced.values()] == [3, 3]
    assert f"(pid {first[0]}) ended (signal 9); starting another" in server.log()

    server.process.terminate()
    assert server.process.wait(timeout=30) == 0
    for pid in now:
        assert not Path(f"/proc/{pid}").exists(), pid


@pytest.mark.parametrize("options, banner, children", [
    (["--workers", "1"], "(8 threads; Ctrl-C stops)", 0),
    (["--workers", "2"], "(8 threads: 2 worker processes × 4; Ctrl-C stops)", 2),
    (["--workers", "2", "--threads", "6"], "(6 threads: 2 worker processes × 3; Ctrl-C stops)",
     2)])
def test_the_threads_are_shared_out_among_the_workers(corpus, index, options, banner, children):
    with __import__("socket").socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus), "--index",
         str(index), "--host", HOST, "--port", str(port), *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert line == f"policy-search: serving {index} on http://{HOST}:{port}/ {banner}\n"
        listing = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = time.monotonic() + 60
        while len(listing.read_text().split()) < children:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        assert len(listing.read_text().split()) == children
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_workers_stop_when_the_supervisor_is_killed_outright(corpus, index):
    running = Server(corpus, index, {})
    workers = running.workers()
    try:
        running.process.kill()  # SIGKILL: the supervisor cannot stop them itself
        running.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, [pid for pid in workers if alive(pid)]
            time.sleep(0.1)
    finally:
        running.stop()
        for pid in workers:  # left behind only if the test failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
