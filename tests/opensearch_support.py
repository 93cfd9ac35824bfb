"""A real OpenSearch node for the OpenSearch backend's tests.

``POLICY_SEARCH_TEST_OPENSEARCH`` names a running cluster to use; otherwise one node is started
from the Maven Central distribution in ~/.m2 (as ``.ci/run`` caches it) on free loopback ports,
as an unprivileged user when the tests run as root, and stopped after the session. Without
either the tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest

VERSION = "2.19.6"
ZIP = (Path.home() / ".m2" / "repository" / "org" / "opensearch" / "distribution" /
       "integ-test-zip" / "opensearch" / VERSION / f"opensearch-{VERSION}.zip")
URL_ENV = "POLICY_SEARCH_TEST_OPENSEARCH"
NODE_USER = "nobody"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _java_home() -> str | None:
    java = shutil.which("java")
    return str(Path(os.path.realpath(java)).parent.parent) if java else None


def health(url: str) -> dict | None:
    """The cluster's health, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as answer:
            return json.load(answer)
    except OSError:
        return None


@pytest.fixture(scope="session")
def opensearch_url():
    """The URL of a running OpenSearch node (started for the session when none is given)."""
    given = os.environ.get(URL_ENV)
    if given:
        if health(given) is None:
            pytest.skip(f"{URL_ENV}={given} does not answer")
        yield given
        return
    if not ZIP.is_file():
        pytest.skip(f"no OpenSearch distribution at {ZIP} (.ci/run fetches it)")
    java_home = _java_home()
    if java_home is None:
        pytest.skip("no java on PATH for OpenSearch (Debian: openjdk-17-jre-headless)")
    # not under pytest's tmp folder: that is private to root, and the node runs as another user
    work = Path(tempfile.mkdtemp(prefix="policy-search-opensearch-"))
    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(work)
    home = work / f"opensearch-{VERSION}"
    for script in (home / "bin").iterdir():
        script.chmod(0o755)
    http_port, transport_port = _free_port(), _free_port()
    command = [str(home / "bin" / "opensearch"), "-Ediscovery.type=single-node",
               f"-Ehttp.port={http_port}", f"-Etransport.port={transport_port}",
               "-Enetwork.host=127.0.0.1", f"-Epath.data={work / 'data'}",
               f"-Epath.logs={work / 'logs'}", f"-Ecluster.name=test-{uuid.uuid4().hex[:8]}"]
    environment = {**os.environ, "JAVA_HOME": java_home,
                   "OPENSEARCH_JAVA_OPTS": "-Xms512m -Xmx512m"}
    preexec = None
    if os.geteuid() == 0:  # OpenSearch refuses to run as root
        user = pwd.getpwnam(NODE_USER)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(work)], check=True)
        os.chmod(work, 0o755)

        def preexec():
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    log = open(work / "console.log", "wb")
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=preexec, start_new_session=True)
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + 180
    while (health(url) or {}).get("status") not in ("green", "yellow"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = (work / "console.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"the OpenSearch node did not start:\n{tail}")
        time.sleep(1)
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()
    shutil.rmtree(work, ignore_errors=True)


def unique_index(prefix: str) -> str:
    """An index name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
