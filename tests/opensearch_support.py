"""The OpenSearch backend's tests run on the session's 3-node cluster (``tests/cluster``).

``POLICY_SEARCH_TEST_OPENSEARCH`` names a running cluster to use instead (while developing);
otherwise ``opensearch_url`` is the shared fixture's cluster, which skips with the reason where
the distribution or Java is absent.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from contextlib import contextmanager

import pytest

URL_ENV = "POLICY_SEARCH_TEST_OPENSEARCH"


def health(url: str) -> dict | None:
    """The cluster's health, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as answer:
            return json.load(answer)
    except OSError:
        return None


@pytest.fixture(scope="session")
def opensearch_url(request):
    """The node URLs (comma-separated) of a running OpenSearch cluster."""
    given = os.environ.get(URL_ENV)
    if given:
        if health(given.split(",")[0]) is None:
            pytest.skip(f"{URL_ENV}={given} does not answer")
        return given
    return ",".join(request.getfixturevalue("opensearch_cluster").urls)


def unique_index(prefix: str) -> str:
    """An index name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextmanager
def fresh_index(url: str, prefix: str):
    """A ``Cluster`` on an index name no other test uses; every index built under that name
    (generations, hidden ones too) is deleted afterwards, whether the test passed or not."""
    from indexer.opensearch.connection import Cluster
    cluster = Cluster(url, index=unique_index(prefix))
    try:
        yield cluster
    finally:
        cluster.client().indices.delete(index=f"{cluster.index}-*", expand_wildcards="all")
