"""``python -m tests.cluster install|start|stop|status``: the test cluster by hand."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.cluster import distribution
from tests.cluster.launcher import Cluster, ClusterError, STATE_FILE

DEFAULT_WORK = Path("/tmp/policy-search-cluster")


def _home(arguments) -> Path:
    home = Path(arguments.home) if arguments.home else distribution.located_home()
    if home is None or not (home / "bin" / "opensearch").is_file():
        sys.exit(f"no OpenSearch {distribution.VERSION} found (set "
                 f"{distribution.HOME_VARIABLE} or run `python -m tests.cluster install`)")
    return home


def install(arguments) -> None:
    """Fetch the artifacts with Maven (cached in ~/.m2) and unpack them (once)."""
    home = Path(arguments.home) if arguments.home else distribution.default_home()
    try:
        distribution.fetch()
        distribution.install(home)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"could not fetch or unpack OpenSearch {distribution.VERSION}: {error}")
    missing = distribution.missing_modules(home)
    if missing:
        sys.exit(f"{home} lacks the modules {', '.join(missing)}")
    print(home)


def start(arguments) -> None:
    """Start the nodes, wait for green, print the URLs."""
    work = Path(arguments.work)
    if (work / STATE_FILE).is_file():
        old = Cluster.load(work)
        if old.running():
            sys.exit(f"a cluster is already running from {work}: {', '.join(old.urls)}")
    if arguments.fresh:
        shutil.rmtree(work, ignore_errors=True)
    cluster = Cluster.create(_home(arguments), work, arguments.nodes, arguments.http_port,
                             arguments.transport_port, arguments.heap)
    try:
        cluster.start(arguments.timeout)
    except ClusterError as error:
        cluster.stop()
        sys.exit(str(error))
    print(",".join(cluster.urls))


def stop(arguments) -> None:
    """SIGTERM the recorded nodes, SIGKILL after the grace period."""
    work = Path(arguments.work)
    if not (work / STATE_FILE).is_file():
        sys.exit(f"no cluster recorded in {work}")
    Cluster.load(work).stop()
    print("stopped")


def status(arguments) -> None:
    """Print the recorded nodes, their pids and the cluster health."""
    work = Path(arguments.work)
    if not (work / STATE_FILE).is_file():
        sys.exit(f"no cluster recorded in {work}")
    cluster = Cluster.load(work)
    running = {node.name for node in cluster.running()}
    for node in cluster.nodes:
        state = f"pid {node.pid}" if node.name in running else "not running"
        print(f"{node.name}  {node.url}  transport {node.transport_port}  {state}")
    health = cluster.health()
    print(json.dumps(health, indent=2) if health else "no node answers")


def main(argv=None) -> None:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m tests.cluster", description=__doc__)
    parser.add_argument("command", choices=["install", "start", "stop", "status"])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--work", default=str(DEFAULT_WORK),
                        help="folder for the nodes' config, data and logs (default %(default)s)")
    parser.add_argument("--home", help=f"unpacked distribution (default ${distribution.HOME_VARIABLE} "
                                       "or the cache folder)")
    parser.add_argument("--http-port", type=int, default=9200, help="first node's HTTP port")
    parser.add_argument("--transport-port", type=int, default=9300, help="first node's transport port")
    parser.add_argument("--heap", default="384m", help="each node's JVM heap")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for green")
    parser.add_argument("--fresh", action="store_true", help="start with empty data folders")
    arguments = parser.parse_args(argv)
    {"install": install, "start": start, "stop": stop, "status": status}[arguments.command](arguments)


if __name__ == "__main__":
    main()
