"""A real OpenSearch cluster on loopback for the tests, the benchmark and trying it by hand.

``python -m tests.cluster install|start|stop|status`` (see docs/opensearch-cluster.md); the
pytest fixture is in ``tests/cluster/fixture.py``. Everything but the fixture is standard library
only, so ``.ci/run`` can use it before the virtual environment exists.
"""

from tests.cluster.distribution import VERSION, located_home, missing_modules
from tests.cluster.launcher import Cluster, ClusterError, Node, http_json

__all__ = ["VERSION", "Cluster", "ClusterError", "Node", "http_json", "located_home",
           "missing_modules"]
