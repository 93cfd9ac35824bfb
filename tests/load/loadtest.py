"""Bounded load test of the production server (waitress via `policy-search serve`).

N clients (threads with keep-alive http.client connections to 127.0.0.1 only) send a realistic
mix of requests for D seconds, never more than --max-requests in all; the script then prints
throughput, p50/p95/p99 latency and every failure, and writes the figures as JSON. With
--rebuild, a full and then an incremental rebuild of the index run in another process while
the load runs, and the load lasts until they have finished (capped at HARD_CAP_S).

    .venv/bin/python tests/load/loadtest.py --index /tmp/hard-ix --clients 8 --duration 60 \\
        [--rebuild] [--json load.json]

A failure is a connection error, a timeout, any status but 200 (the mix only sends valid
requests), or a common word finding nothing (a rebuild must never expose an empty index).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote

try:
    from .server import production_server
except ImportError:  # run as a script
    from server import production_server

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLIC_QUERIES = REPO_ROOT.parent / "shared" / "queries" / "public.txt"
BUILT_IN_QUERIES = ["乡村振兴", "科技创新", "高新技术企业", "对外开放", "国有企业改革",
                    "安全生产", "养老保险", "招商引资", "产业集群", "一带一路"]
COMMON_WORDS = ["发展", "经济", "改革", "建设", "人民", "工作", "推进", "加强"]
REQUEST_TIMEOUT_S = 30
HARD_CAP_S = 900  # with --rebuild the load waits for the rebuild, but never longer than this
# (kind, weight): what people do on a search site, roughly.
MIX = [("search", 30), ("api_search", 15), ("common", 15), ("exact", 10), ("next_page", 10),
       ("doc_page", 10), ("api_doc", 5), ("api_common", 3), ("home", 2)]


@dataclass
class Tally:
    """Every client's results; one lock, because a list append is all a client does with it."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0

    def take_ticket(self, max_requests: int) -> bool:
        with self.lock:
            if self.sent >= max_requests:
                return False
            self.sent += 1
            return True

    def record(self, kind: str, seconds: float, failure: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if failure:
                self.failures[f"{kind}: {failure}"] += 1


def load_queries() -> list[str]:
    if PUBLIC_QUERIES.is_file():
        lines = [line.strip() for line in PUBLIC_QUERIES.read_text(encoding="utf-8").splitlines()]
        return [line for line in lines if line] or BUILT_IN_QUERIES
    return BUILT_IN_QUERIES


def make_request(kind: str, rng: random.Random, queries: list[str], doc_ids: list[str],
                 present: list[str]) -> str:
    phrase, common = quote(rng.choice(queries)), quote(rng.choice(COMMON_WORDS))
    return {
        "search": f"/search?q={phrase}",
        "api_search": f"/api/search?q={phrase}",
        "common": f"/search?q={common}",
        "exact": f"/search?q={phrase}&mode=exact",
        "next_page": f"/search?q={common}&page={rng.randint(2, 5)}",
        "doc_page": f"/doc/{rng.choice(doc_ids)}?q={phrase}",
        "api_doc": f"/api/doc/{rng.choice(doc_ids)}",
        # only words the index held when the load started: finding nothing now is a failure
        "api_common": f"/api/search?q={quote(rng.choice(present))}&per_page=5",
        "home": "/",
    }[kind]


def client_loop(host: str, port: int, seed: int, deadline: Callable[[], bool], tally: Tally,
                max_requests: int, queries: list[str], doc_ids: list[str],
                present: list[str]) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX)
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        while not deadline() and tally.take_ticket(max_requests):
            kind = rng.choices(kinds, weights)[0]
            path = make_request(kind, rng, queries, doc_ids, present)
            started = time.perf_counter()
            failure = None
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    failure = f"HTTP {response.status}"
                elif kind == "api_common" and json.loads(body)["total"] == 0:
                    failure = "a common word found nothing"
            except (OSError, http.client.HTTPException) as error:
                failure = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
            tally.record(kind, time.perf_counter() - started, failure)
    finally:
        connection.close()


def fetch_json(host: str, port: int, path: str) -> dict:
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def index_contents(host: str, port: int) -> tuple[list[str], list[str]]:
    """The index's document ids, and the common words it contains."""
    doc_ids = [d["doc_id"] for d in fetch_json(host, port, "/api/stats")["docs"]]
    present = [word for word in COMMON_WORDS
               if fetch_json(host, port, f"/api/search?q={quote(word)}&per_page=1")["total"]]
    if not doc_ids or not present:
        raise SystemExit("the index is empty or holds none of the common words: nothing to load")
    return doc_ids, present


def rebuild(corpus: Path, index: Path, before_incremental: Callable[[], None] | None,
            results: dict) -> None:
    """A full rebuild, then an incremental one, each a separate `policy-search index` process."""
    for mode, extra in (("full", ["--full"]), ("incremental", [])):
        if mode == "incremental" and before_incremental:
            before_incremental()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index",
             str(index), "--quiet", "--wait", *extra],
            capture_output=True, text=True, cwd=REPO_ROOT, timeout=HARD_CAP_S)
        results[mode] = {"seconds": round(time.monotonic() - started, 1),
                         "exit_code": done.returncode,
                         "summary": (done.stdout or done.stderr).strip().splitlines()[:2]}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return round(sorted_values[min(rank, len(sorted_values)) - 1] * 1000, 1)


def figures(latencies: list[float], failures: int, seconds: float) -> dict:
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": failures,
            "throughput_rps": round(len(ordered) / seconds, 1) if seconds else 0.0,
            "p50_ms": percentile(ordered, 0.50), "p95_ms": percentile(ordered, 0.95),
            "p99_ms": percentile(ordered, 0.99), "max_ms": percentile(ordered, 1.0),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0.0}


def run_load(host: str, port: int, clients: int, duration: float, max_requests: int = 100_000,
             rebuild_with: tuple[Path, Path] | None = None,
             before_incremental: Callable[[], None] | None = None, seed: int = 1) -> dict:
    """Drive a running server; returns the report (see the module docstring)."""
    queries, (doc_ids, present) = load_queries(), index_contents(host, port)
    tally, rebuilt = Tally(), {}
    rebuilder = None
    if rebuild_with:
        rebuilder = threading.Thread(target=rebuild, args=(*rebuild_with, before_incremental, rebuilt))
    started = time.monotonic()

    def finished() -> bool:
        elapsed = time.monotonic() - started
        if elapsed >= HARD_CAP_S:
            return True
        return elapsed >= duration and not (rebuilder and rebuilder.is_alive())

    workers = [threading.Thread(target=client_loop, args=(host, port, seed + n, finished, tally,
                                                          max_requests, queries, doc_ids, present))
               for n in range(clients)]
    for thread in workers:
        thread.start()
    if rebuilder:
        rebuilder.start()
    for thread in workers:
        thread.join()
    if rebuilder:
        rebuilder.join()
    seconds = time.monotonic() - started
    every = [s for values in tally.latencies.values() for s in values]
    per_kind_failures = Counter()
    for label, count in tally.failures.items():
        per_kind_failures[label.split(":")[0]] += count
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "clients": clients, "duration_s": duration, "seconds": round(seconds, 1),
        "total": figures(every, sum(tally.failures.values()), seconds),
        "by_kind": {kind: figures(values, per_kind_failures[kind], seconds)
                    for kind, values in sorted(tally.latencies.items())},
        "failures": dict(tally.failures), "rebuild": rebuilt,
    }


def table(report: dict) -> str:
    columns = ("requests", "errors", "throughput_rps", "p50_ms", "p95_ms", "p99_ms", "max_ms")
    header = f"{'':12}" + "".join(f"{c:>15}" for c in columns)
    rows = [header] + [f"{kind:12}" + "".join(f"{row[c]:>15}" for c in columns)
                       for kind, row in [*report["by_kind"].items(), ("TOTAL", report["total"])]]
    lines = [f"{report['clients']} clients, {report['seconds']} s, "
             f"{report['machine']['cpus']} CPUs ({report['machine']['platform']})", *rows]
    for label, count in sorted(report["failures"].items()):
        lines.append(f"FAILED {count}× {label}")
    for mode, result in report["rebuild"].items():
        lines.append(f"{mode} rebuild: exit {result['exit_code']} in {result['seconds']} s: "
                     + " / ".join(result["summary"]))
    return "\n".join(lines)


def recorded_corpus(index: Path) -> Path:
    from indexer.embedded import store
    from indexer.embedded.build import read_meta
    return Path(read_meta(store.require_generation(index))["corpus"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, help="for --rebuild (default: the index's own)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    corpus = args.corpus or recorded_corpus(args.index)
    with production_server(args.index, corpus, threads=args.threads) as server:
        report = run_load(server.host, server.port, args.clients, args.duration,
                          args.max_requests, (corpus, args.index) if args.rebuild else None)
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    rebuild_failed = any(r["exit_code"] for r in report["rebuild"].values())
    return 1 if report["total"]["errors"] or rebuild_failed else 0


if __name__ == "__main__":
    sys.exit(main())
