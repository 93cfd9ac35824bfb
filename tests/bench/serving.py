"""The production server measured from outside: start, first calls from N clients, memory.

    python -m tests.bench.serving --index DIR [--workers 1,2] [--clients 1,8] [--out FILE]

For each number of worker processes, a fresh `policy-search serve --workers W` per client
count: launch → first answer (wall time, and the CPU seconds the server's processes spent
until then, which a loaded machine does not inflate), then every benchmark query of the
words-mode classes once (each text once per server: first calls) from C client threads over
/api/search, then the memory of the supervisor and of each worker from
/proc/<pid>/smaps_rollup: Rss, and Pss split into anonymous and file-backed pages (Pss shares
a page among the processes that map it, so the sums are what the whole server costs; the
file-backed part is the page cache of the mapped index files, dropped under memory pressure
without any write). The load average is recorded beside every figure: the machine may be
shared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from indexer import SearchEngine

from .queries import build_query_set
from .server import free_port, get, wait_until_answering

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_FILE = REPO_ROOT.parent / "shared" / "queries" / "public.txt"
FIRST_QUERY = "示范区建设"  # not among the benchmark queries, so none of them is a repeat
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SMAPS_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (the workers of a pre-forking server)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid] + [int(child) for child in children]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / CLOCK_TICKS


def smaps_rollup_kb(pid: int) -> dict[str, int]:
    """The fields of /proc/<pid>/smaps_rollup this benchmark reports, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in SMAPS_FIELDS:
            found[name] = int(rest.split()[0])
    return found


def measure(index: Path, queries: list[str], workers: int, clients: int,
            cwd: Path | None = None, threads: int | None = None) -> dict:
    """One fresh server: start, first calls from ``clients`` threads, memory."""
    port = free_port()
    load_before = os.getloadavg()
    with tempfile.TemporaryFile() as log:
        launched = time.perf_counter()
        command = [sys.executable, "-m", "indexer", "serve", "--index", str(index), "--host",
                   "127.0.0.1", "--port", str(port)]
        if workers:  # 0: leave the option out (the server's default, or a version without it)
            command += ["--workers", str(workers)]
        if threads:
            command += ["--threads", str(threads)]
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            start_seconds = wait_until_answering(server, port, "/api/search?q=" + quote(FIRST_QUERY),
                                                 log, launched, limit_seconds=300)
            start_cpu = cpu_seconds(process_tree(server.pid))
            time.sleep(1.0)  # let every worker finish its own warm-up before the clock runs
            warm_cpu = cpu_seconds(process_tree(server.pid))

            def timed(text: str) -> float:
                started = time.perf_counter()
                status = get(port, "/api/search?q=" + quote(text))[0]
                if status != 200:
                    raise RuntimeError(f"{text}: HTTP {status}")
                return (time.perf_counter() - started) * 1000

            load_during = os.getloadavg()
            cpu_before = cpu_seconds(process_tree(server.pid))
            with ThreadPoolExecutor(clients) as pool:
                latencies = list(pool.map(timed, queries))
            query_cpu = cpu_seconds(process_tree(server.pid)) - cpu_before
            pids = process_tree(server.pid)
            memory = {str(pid): smaps_rollup_kb(pid) for pid in pids}
        finally:
            server.terminate()
            server.wait(timeout=60)
    totals = {field: sum(m.get(field, 0) for m in memory.values()) for field in SMAPS_FIELDS}
    return {
        "workers": workers, "threads": threads, "clients": clients, "queries": len(queries),
        "start_to_first_answer_s": round(start_seconds, 3),
        "start_cpu_s": round(start_cpu, 3), "cpu_after_warm_up_s": round(warm_cpu, 3),
        "first_p50_ms": round(percentile(latencies, 50), 1),
        "first_p95_ms": round(percentile(latencies, 95), 1),
        "first_max_ms": round(max(latencies), 1),
        "slowest": sorted(((round(ms, 1), text) for ms, text in zip(latencies, queries)),
                          reverse=True)[:6],
        "server_cpu_s_for_queries": round(query_cpu, 3),
        "memory_kb": memory, "memory_total_kb": totals,
        "load_average_before": load_before, "load_average_during": load_during,
        "load_average_after": os.getloadavg(),
    }


def words_mode_queries(index: Path) -> list[str]:
    """The benchmark's words-mode query texts, each once (the exact class repeats policy)."""
    engine = SearchEngine(index)
    texts = []
    for query in build_query_set(POLICY_FILE, engine):
        if query.mode == "words" and query.text not in texts and query.text != FIRST_QUERY:
            texts.append(query.text)
    return texts


def main(argv: list[str] | None = None) -> int:
    """Measure each (workers, clients) pair and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--workers", default="1,2",
                        help="comma-separated worker counts (0: the server's default)")
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    parser.add_argument("--out", type=Path, help="also write every result to this JSON file")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per server process (default: the server's)")
    parser.add_argument("--code", type=Path, default=None,
                        help="run the server from this checkout (e.g. an export of another "
                             "commit, for a before/after comparison)")
    args = parser.parse_args(argv)
    queries = words_mode_queries(args.index)
    results = []
    for workers in [int(w) for w in args.workers.split(",")]:
        for clients in [int(c) for c in args.clients.split(",")]:
            result = measure(args.index, queries, workers, clients, args.code, args.threads)
            results.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "memory_kb"},
                             ensure_ascii=False), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
