"""A `policy-search serve` process seen from outside, as the serving benchmarks use it: a free
loopback port, one GET, and the wait until the server answers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from typing import IO

POLL_SECONDS = 0.01


def free_port() -> int:
    """A loopback port that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, timeout: float = 120) -> tuple[int, bytes]:
    """Status and body of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def wait_until_answering(server: subprocess.Popen, port: int, path: str, log: IO[bytes],
                         launched: float, limit_seconds: float) -> float:
    """Seconds from ``launched`` until ``server`` answers ``path`` with 200; a RuntimeError
    with the end of its ``log`` if it exits first or ``limit_seconds`` pass."""
    while True:
        try:
            if get(port, path)[0] == 200:
                return time.perf_counter() - launched
        except OSError:
            pass
        if server.poll() is not None or time.perf_counter() - launched > limit_seconds:
            log.seek(0)
            raise RuntimeError("server did not start: " + log.read().decode("utf-8", "replace")[-3000:])
        time.sleep(POLL_SECONDS)
