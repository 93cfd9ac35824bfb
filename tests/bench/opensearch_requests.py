"""The requests one OpenSearch search sends, and the time of each kind (the per-search cost).

    .venv/bin/python -m tests.bench.opensearch_requests --opensearch URL --os-index NAME
    .venv/bin/python -m tests.bench.opensearch_requests --opensearch URL --os-index NAME --rounds 2

One engine in this process (as ``serve`` holds one), warmed up like ``serve`` warms it; then the
benchmark's queries (``tests/bench/queries.py`` without the substrings, which need an embedded
index) one at a time, ``--rounds`` times: the first round is every query's first call, later ones
repeat them. Each request's path and time are what opensearch-py logs for it (its ``opensearch``
logger). Timings on a shared machine: give the load average beside them.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from pathlib import Path

from indexer.opensearch.connection import Cluster
from indexer.opensearch.engine import OpenSearchEngine

from .queries import COMMON_WORDS, MULTI_WORD, SINGLE_CHARACTERS, read_policy_phrases
from .run import SHARED, percentile

REQUEST = re.compile(r"^(\w+) (\S+) \[status:\d+ request:([\d.]+)s\]")


class Requests(logging.Handler):
    """Method, path (without the index) and milliseconds of every request logged."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.seen: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = REQUEST.match(record.getMessage())
        if found:
            method, url, seconds = found.groups()
            path = url.split("://", 1)[-1].split("/", 1)[-1]
            parts = path.split("?")[0].split("/")
            kind = "/".join(parts if parts[0].startswith("_") else parts[1:]) or path
            if "search_type=" in path:
                kind += "?" + path.split("search_type=")[1].split("&")[0]
            self.seen.append((f"{method} {kind}", float(seconds) * 1000))


def queries(policy_file: Path) -> list[tuple[str, str]]:
    """The benchmark's query set less its substrings, as (text, mode)."""
    phrases = read_policy_phrases(policy_file)
    return ([(p, "words") for p in phrases] + [(w, "words") for w in COMMON_WORDS]
            + [(c, "words") for c in SINGLE_CHARACTERS] + [(q, "words") for q in MULTI_WORD]
            + [(p, "exact") for p in phrases])


def measure(url: str, index: str, rounds: int, policy_file: Path) -> str:
    """Run the queries; the report as text."""
    requests = Requests()
    logger = logging.getLogger("opensearch")
    logger.addHandler(requests)
    logger.setLevel(logging.INFO)
    engine = OpenSearchEngine(Cluster(url, index=index))
    engine.warm_up()
    asked = queries(policy_file)
    lines = [f"{len(asked)} queries × {rounds} rounds on {index}, load average "
             f"{os.getloadavg()[0]:.1f}"]
    for round_number in range(1, rounds + 1):
        requests.seen.clear()
        took = []
        for text, mode in asked:
            started = time.perf_counter()
            engine.search(text, mode=mode)
            took.append((time.perf_counter() - started) * 1000)
        lines.append(f"round {round_number}: search p50 {percentile(took, 50):.1f} ms, p95 "
                     f"{percentile(took, 95):.1f} ms; {len(requests.seen) / len(asked):.2f} "
                     f"requests per search   [load {os.getloadavg()[0]:.1f}]")
        kinds: dict[str, list[float]] = {}
        for kind, ms in requests.seen:
            kinds.setdefault(kind, []).append(ms)
        for kind, times in sorted(kinds.items(), key=lambda item: -sum(item[1])):
            lines.append(f"  {kind:42s} {len(times) / len(asked):5.2f} per search, median "
                         f"{statistics.median(times):6.1f} ms, total {sum(times):7.0f} ms")
    engine.close()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.opensearch_requests",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opensearch", required=True, help="comma-separated node URLs")
    parser.add_argument("--os-index", required=True, help="the index (alias) to search")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=Path, default=SHARED / "queries" / "public.txt")
    arguments = parser.parse_args(argv)
    print(measure(arguments.opensearch, arguments.os_index, arguments.rounds, arguments.queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
