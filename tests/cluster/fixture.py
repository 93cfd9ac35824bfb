"""The session's OpenSearch cluster: three nodes on loopback, started once, stopped at the end.

Tests that use ``opensearch_cluster`` are marked ``opensearch``; they skip with the reason when
the distribution or Java is absent (``.ci/run`` installs both), and fail when a present
distribution does not come up green. A test that kills a node restarts it and waits for green
before it ends, so the next test finds the cluster whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.cluster.distribution import HOME_VARIABLE, VERSION, located_home, missing_modules
from tests.cluster.launcher import Cluster, ClusterError, java_home

NODES = 3


def unavailable_reason() -> str | None:
    """Why the cluster cannot run on this machine, or None when it can."""
    home = located_home()
    if home is None:
        return (f"OpenSearch {VERSION} is not installed (set {HOME_VARIABLE} or run "
                "`python -m tests.cluster install`; .ci/run does)")
    missing = missing_modules(home)
    if missing:
        return f"{home} lacks the modules {', '.join(missing)} (rerun `python -m tests.cluster install`)"
    try:
        java_home()
    except ClusterError as error:
        return str(error)
    if not shutil.which("setpriv") and os.geteuid() == 0:
        return "running as root needs setpriv (util-linux) to start the nodes as nobody"
    return None


@pytest.fixture(scope="session")
def opensearch_cluster():
    """A green 3-node cluster for the session (a ``Cluster``; ``.urls`` are its HTTP addresses)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp_path: when root runs the tests the nodes run as nobody, who cannot
    # enter /tmp/pytest-of-root.
    work = Path(tempfile.mkdtemp(prefix="policy-search-opensearch-"))
    cluster = Cluster.create(located_home(), work, NODES)
    try:
        cluster.start()
    except ClusterError:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()
    shutil.rmtree(work, ignore_errors=True)
