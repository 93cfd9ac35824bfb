"""A local OpenSearch cluster on loopback: start, wait for a health, kill a node, restart it, stop.

Every node is its own process of the unpacked distribution with its own config, data and log
folders under one work folder; the work folder's ``cluster.json`` records ports and pids so that
another process (``python -m tests.cluster stop``) can find the nodes again. Standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLUSTER_NAME = "policy-search-test"
HEAP = "384m"
# OpenSearch refuses to run as root; root's nodes run as this unprivileged user.
NOBODY = 65534
STATE_FILE = "cluster.json"
BOOTSTRAP_CLASS = "org.opensearch.bootstrap.OpenSearch"


class ClusterError(RuntimeError):
    """The cluster did not start, or did not reach the awaited state in time."""


@dataclass
class Node:
    """One node: its name, ports, folder and (while running) process id."""
    name: str
    http_port: int
    transport_port: int
    folder: str
    pid: int | None = None

    @property
    def url(self) -> str:
        """The node's HTTP address."""
        return f"http://127.0.0.1:{self.http_port}"


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free now."""
    sockets, ports = [], []
    for _ in range(count):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        sockets.append(probe)
        ports.append(probe.getsockname()[1])
    for probe in sockets:
        probe.close()
    return ports


def port_in_use(port: int) -> bool:
    """Whether something already listens on (or holds) the loopback ``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def java_home() -> Path:
    """The Java installation the nodes run on: ``$JAVA_HOME``, else the ``java`` on the PATH."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java is None:
        raise ClusterError("no java found (install a JDK or JRE 17, e.g. openjdk-17-jre-headless)")
    # The integ-test-zip has no bundled JDK, so its scripts need the home, not the command.
    return Path(java).resolve().parent.parent


def is_node_process(pid: int, folder: str) -> bool:
    """Whether ``pid`` is still the OpenSearch JVM of the node in ``folder`` (not a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    joined = b" ".join(command).decode(errors="replace")
    return BOOTSTRAP_CLASS in joined and folder in joined


def http_json(url: str, method: str = "GET", body: dict | None = None, timeout: float = 10.0):
    """The decoded JSON answer of one HTTP request (``urllib``; raises ``OSError`` on failure)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")


@dataclass
class Cluster:
    """A set of nodes of one distribution under one work folder."""
    home: str
    work: str
    nodes: list[Node] = field(default_factory=list)
    heap: str = HEAP
    # Processes started by this object (the others are found through /proc).
    _processes: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def create(cls, home: Path, work: Path, count: int = 3, http_port: int | None = None,
               transport_port: int | None = None, heap: str = HEAP) -> "Cluster":
        """A new cluster description: ``count`` nodes on given base ports, or free ones."""
        if http_port is None or transport_port is None:
            ports = free_ports(2 * count)
            http, transport = ports[:count], ports[count:]
        else:
            http = [http_port + i for i in range(count)]
            transport = [transport_port + i for i in range(count)]
        nodes = [Node(f"node-{i + 1}", http[i], transport[i], str(work / f"node-{i + 1}"))
                 for i in range(count)]
        return cls(str(home), str(work), nodes, heap)

    @classmethod
    def load(cls, work: Path) -> "Cluster":
        """The cluster recorded in ``work`` by an earlier ``start``."""
        state = json.loads((work / STATE_FILE).read_text())
        state["nodes"] = [Node(**node) for node in state["nodes"]]
        return cls(**state)

    def save(self) -> None:
        """Record ports and pids in the work folder."""
        state = {"home": self.home, "work": self.work, "heap": self.heap,
                 "nodes": [asdict(node) for node in self.nodes]}
        (Path(self.work) / STATE_FILE).write_text(json.dumps(state, indent=2))

    @property
    def urls(self) -> list[str]:
        """Every node's HTTP address."""
        return [node.url for node in self.nodes]

    # --- configuration --------------------------------------------------------------------

    def _settings(self, node: Node) -> str:
        seeds = ", ".join(f'"127.0.0.1:{other.transport_port}"' for other in self.nodes)
        names = ", ".join(f'"{other.name}"' for other in self.nodes)
        folder = Path(node.folder)
        return f"""\
cluster.name: {CLUSTER_NAME}
node.name: {node.name}
path.data: {folder / "data"}
path.logs: {folder / "logs"}
network.host: 127.0.0.1
http.port: {node.http_port}
transport.port: {node.transport_port}
discovery.seed_hosts: [{seeds}]
cluster.initial_cluster_manager_nodes: [{names}]
# The test machines are shared and their disks fuller than a production node's.
cluster.routing.allocation.disk.threshold_enabled: false
# Sandboxes and containers often forbid seccomp and memory locking.
bootstrap.system_call_filter: false
bootstrap.memory_lock: false
"""

    def _configure(self, node: Node) -> None:
        folder = Path(node.folder)
        config = folder / "config"
        if not config.is_dir():
            shutil.copytree(Path(self.home) / "config", config)
        (config / "opensearch.yml").write_text(self._settings(node))
        options = (config / "jvm.options").read_text().splitlines()
        options = [f"-Xms{self.heap}" if line.startswith("-Xms") else
                   f"-Xmx{self.heap}" if line.startswith("-Xmx") else line for line in options]
        # The launcher scripts run from the (read-only) distribution folder: the relative GC log,
        # heap dump and error file paths must point into the node's own folder.
        options = [line.replace("file=logs/", f"file={folder}/logs/")
                   .replace("HeapDumpPath=data", f"HeapDumpPath={folder}/data")
                   .replace("ErrorFile=logs/", f"ErrorFile={folder}/logs/") for line in options]
        (config / "jvm.options").write_text("\n".join(options) + "\n")
        for sub in ("data", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)

    # --- processes ------------------------------------------------------------------------

    def is_alive(self, node: Node) -> bool:
        """Whether the node's process is running (a child of ours, or its JVM seen in /proc)."""
        if not node.pid:
            return False
        process = self._processes.get(node.pid)
        if process is not None:
            return process.poll() is None
        return is_node_process(node.pid, node.folder)

    def start_node(self, index: int) -> None:
        """Start node ``index`` (0-based) in the background; its console goes to console.log."""
        node = self.nodes[index]
        if self.is_alive(node):
            return
        # Another cluster on these ports would answer the health checks in this one's place.
        busy = [port for port in (node.http_port, node.transport_port) if port_in_use(port)]
        if busy:
            raise ClusterError(f"{node.name}: port {busy[0]} is already in use (another cluster? "
                               "`python -m tests.cluster status`, or choose other ports)")
        self._configure(node)
        folder = Path(node.folder)
        environment = dict(os.environ, OPENSEARCH_PATH_CONF=str(folder / "config"), HOME=str(folder),
                           OPENSEARCH_JAVA_HOME=str(java_home()))
        command = [str(Path(self.home) / "bin" / "opensearch")]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       "--", *command]
        with open(folder / "console.log", "ab") as console:
            process = subprocess.Popen(command, cwd=folder, env=environment, stdin=subprocess.DEVNULL,
                                       stdout=console, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        node.pid = process.pid
        self._processes[process.pid] = process
        self.save()

    def start(self, timeout: float = 180.0) -> None:
        """Start every node and wait until the cluster is green with all of them."""
        Path(self.work).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            Path(self.work).chmod(0o755)
        for index in range(len(self.nodes)):
            self.start_node(index)
        self.wait_for("green", len(self.nodes), timeout)

    def running(self) -> list[Node]:
        """The nodes whose process is alive."""
        return [node for node in self.nodes if self.is_alive(node)]

    def _reap(self, pid: int, deadline: float) -> bool:
        process = self._processes.pop(pid, None)
        if process is not None:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
                return True
            except subprocess.TimeoutExpired:
                self._processes[pid] = process
                return False
        while time.monotonic() < deadline:
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
                if finished:
                    return True
            except ChildProcessError:  # started by another process: poll /proc instead
                if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
                    return True
            time.sleep(0.1)
        return False

    def kill_node(self, index: int) -> None:
        """``kill -9`` node ``index`` and wait until its process is gone."""
        node = self.nodes[index]
        if self.is_alive(node):
            os.kill(node.pid, signal.SIGKILL)
            self._reap(node.pid, time.monotonic() + 30)
        node.pid = None
        self.save()

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM every node, then SIGKILL those still running after ``grace`` seconds."""
        alive = self.running()
        for node in alive:
            os.kill(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for node in alive:
            if not self._reap(node.pid, deadline):
                os.kill(node.pid, signal.SIGKILL)
                self._reap(node.pid, time.monotonic() + 10)
        for node in self.nodes:
            node.pid = None
        if Path(self.work).is_dir():
            self.save()

    # --- health ---------------------------------------------------------------------------

    def health(self, timeout: float = 5.0) -> dict | None:
        """``_cluster/health`` from the first running node that answers, or None."""
        for node in self.running() or self.nodes:
            try:
                return http_json(f"{node.url}/_cluster/health", timeout=timeout)
            except (OSError, ValueError):
                continue
        return None

    def wait_for(self, status: str, nodes: int, timeout: float = 180.0) -> dict:
        """Wait until the cluster reports ``status`` (or better) with exactly ``nodes`` nodes."""
        rank = {"red": 0, "yellow": 1, "green": 2}
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            dead = [node for node in self.nodes if node.pid and not self.is_alive(node)]
            if dead:
                raise ClusterError(f"{dead[0].name} exited while starting:\n{self.console_tail(dead[0])}")
            last = self.health()
            if (last and last["number_of_nodes"] == nodes
                    and rank.get(last["status"], -1) >= rank[status]):
                return last
            time.sleep(0.5)
        raise ClusterError(f"cluster not {status} with {nodes} nodes after {timeout:.0f} s; "
                           f"last health: {last}")

    def console_tail(self, node: Node, lines: int = 30) -> str:
        """The last lines of a node's console output (why it did not start)."""
        try:
            text = (Path(node.folder) / "console.log").read_text(errors="replace")
        except OSError:
            return "(no console output)"
        return "\n".join(text.splitlines()[-lines:])

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of every running node's JVM, by node name."""
        sizes = {}
        for node in self.running():
            for line in Path(f"/proc/{node.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[node.name] = int(line.split()[1]) * 1024
        return sizes


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True
