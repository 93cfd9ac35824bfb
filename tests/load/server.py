"""Start and stop the production server (`policy-search serve`, waitress) on a free local port."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"  # the load and fault tests never talk to anything else
START_TIMEOUT_S = 60


@dataclass
class RunningServer:
    host: str
    port: int
    log_file: object

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        """Everything the server printed so far."""
        self.log_file.flush()
        self.log_file.seek(0)
        return self.log_file.read().decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def production_server(index: Path, corpus: Path | None = None, threads: int = 8):
    """Run `policy-search serve` over ``index``; yields a RunningServer, stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "indexer", "serve", "--index", str(index),
               "--host", HOST, "--port", str(port), "--threads", str(threads)]
    if corpus is not None:
        command += ["--corpus", str(corpus)]
    # A file, not a pipe: nobody reads the server's output while it runs, and a full pipe
    # would stall the server mid-test.
    with tempfile.TemporaryFile() as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        server = RunningServer(HOST, port, log_file)
        try:
            _wait_until_up(process, server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen, server: RunningServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            urllib.request.urlopen(server.base + "/static/favicon.svg", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is listening
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"server did not start on port {server.port}:\n{server.log()}")
            time.sleep(0.2)
