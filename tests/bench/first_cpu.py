"""First calls counted in CPU time, which a machine shared with other jobs barely inflates.

    python -m tests.bench.first_cpu INDEX QUERIES.json

A fresh process warms the engine up as a server does, then runs each query of QUERIES (a
JSON list of [text, mode], each text once) one time, timing the calling thread's CPU time
(``time.thread_time``) rather than the wall clock; prints p50, p95 and the total as JSON.
Wall-clock first calls are ``probes first``; this is the figure to compare two versions with
when the load average is high.
"""

from __future__ import annotations

import json
import math
import sys
import time

from indexer import SearchEngine


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main(argv: list[str]) -> int:
    """Run the queries once each and print the CPU-time percentiles."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    queries = json.loads(open(argv[1], encoding="utf-8").read())
    engine = SearchEngine(argv[0])
    engine.warm_up()
    cpu_ms = []
    for text, mode in queries:
        started = time.thread_time()
        engine.search(text, mode, per_page=10)
        cpu_ms.append((time.thread_time() - started) * 1000)
    print(json.dumps({"queries": len(cpu_ms), "cpu_p50_ms": round(percentile(cpu_ms, 50), 2),
                      "cpu_p95_ms": round(percentile(cpu_ms, 95), 2),
                      "cpu_total_s": round(sum(cpu_ms) / 1000, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
