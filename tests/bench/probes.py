"""Measurements that need a process of their own; each prints one JSON line on stdout.

    python -m tests.bench.probes build CORPUS INDEX   full build; time, counts, peak RSS
    python -m tests.bench.probes serve INDEX QUERY    cold start: fresh SearchEngine → first answer
    python -m tests.bench.probes first INDEX QUERIES  first calls: each query once in this fresh
                                                      process, then its document page
    python -m tests.bench.probes http INDEX QUERIES   the same first calls over HTTP: a fresh
                                                      `policy-search serve`, 8 client threads

A query text is a first call only once per process: a phrase's hits are cached whatever the
mode (words and exact mode share them), so callers split their queries with ``fresh_groups``
and run each group in a process of its own.

The build runs apart from the harness so its peak memory is its own (VmHWM of the build
process, plus the largest worker it forked, from RUSAGE_CHILDREN), and so the harness's own
RSS after the engine queries is that of a search process, not of a process that once built.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

PROCESS_STARTED = time.perf_counter()
READY_QUERY = "人民政府"  # the HTTP probe's first request (start → first answer); never timed again


def fresh_groups(queries) -> dict[str, list[tuple[str, str]]]:
    """[text, mode] pairs split for fresh processes: words mode in one group, exact mode in
    another, each text once per group (later repeats, and the HTTP probe's ready query, dropped)."""
    groups: dict[str, list[tuple[str, str]]] = {"words": [], "exact": []}
    for text, mode in queries:
        group = groups["exact" if mode == "exact" else "words"]
        if text != READY_QUERY and all(text != seen for seen, _ in group):
            group.append((text, mode))
    return groups


def vm_status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM…), 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def probe_build(corpus_dir: str, index_dir: str) -> dict:
    """Full build of corpus_dir into index_dir with the engine's defaults."""
    from indexer import build_index

    def cpu() -> float:
        return sum(getattr(resource.getrusage(who), field)
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for field in ("ru_utime", "ru_stime"))

    cpu_before = cpu()
    started = time.perf_counter()
    summary = build_index(corpus_dir, index_dir, full=True)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "documents": summary.documents,
        "paragraphs": summary.paragraphs,
        "skipped": summary.skipped,
        "peak_rss_self_kb": vm_status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        # ru_maxrss of RUSAGE_CHILDREN is the largest single waited-for child, not a sum.
        "peak_rss_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        # CPU seconds of the build and its workers (the same span as "seconds"): what the
        # build costs whatever else runs on the machine
        "cpu_seconds": cpu() - cpu_before,
    }


def probe_serve(index_dir: str, query: str) -> dict:
    """Import the engine, open the index and answer one query, timing each step."""
    imported_at = time.perf_counter()
    from indexer import SearchEngine

    created_at = time.perf_counter()
    engine = SearchEngine(index_dir)
    answer = engine.search(query, per_page=10)
    answered_at = time.perf_counter()
    return {
        "import_seconds": created_at - imported_at,
        "engine_to_first_answer_seconds": answered_at - created_at,
        "in_process_seconds": answered_at - PROCESS_STARTED,
        "total": answer["total"],
        "rss_kb": vm_status_kb("VmRSS"),
    }


def probe_first_calls(index_dir: str, queries_file: str) -> dict:
    """Never-seen queries in a fresh process (OS file cache warm), then the pages they open.

    ``queries_file`` holds a JSON list of [text, mode]. Each query runs once ("first"); then
    the top hit's document opens with the query (``/doc/<id>?q=``) and, for a document not
    opened before, without one (``/api/doc/<id>``); last, every query runs again ("repeated").
    """
    import json as json_module
    from indexer import SearchEngine

    queries = [tuple(q) for q in json_module.loads(open(queries_file, encoding="utf-8").read())]
    engine = SearchEngine(index_dir)
    started = time.perf_counter()
    engine.warm_up()
    warm_up_seconds = time.perf_counter() - started
    first, top_docs = [], []
    for text, mode in queries:
        started = time.perf_counter()
        answer = engine.search(text, mode, per_page=10)
        first.append((time.perf_counter() - started) * 1000)
        top_docs.append(answer["hits"][0]["doc_id"] if answer["hits"] else None)
    page_with_query, page_plain = [], []
    all_docs = sorted(d["doc_id"] for d in engine.documents())
    unopened = [d for d in all_docs[len(all_docs) // 3:] + all_docs[:len(all_docs) // 3]
                if d not in top_docs][:len(top_docs)] or all_docs[:1]
    for (text, mode), doc in zip(queries, top_docs):
        if doc is None:
            continue
        started = time.perf_counter()
        engine.document(doc, text, mode)
        page_with_query.append((time.perf_counter() - started) * 1000)
    for doc in unopened:
        started = time.perf_counter()
        engine.document(doc)
        page_plain.append((time.perf_counter() - started) * 1000)
    repeated = []
    for text, mode in queries:
        started = time.perf_counter()
        engine.search(text, mode, per_page=10)
        repeated.append((time.perf_counter() - started) * 1000)
    return {"warm_up_seconds": warm_up_seconds, "first_ms": first, "repeated_ms": repeated,
            "document_with_query_ms": page_with_query, "document_ms": page_plain,
            "rss_kb": vm_status_kb("VmRSS"), "rss_anon_kb": vm_status_kb("RssAnon"),
            "rss_file_kb": vm_status_kb("RssFile"), "load_average": os.getloadavg()}


def server_memory(pid: int) -> dict:
    """Memory of a server and every process under it (the workers of ``serve``), from
    /proc/<pid>/smaps_rollup: proportional set sizes, so pages the processes share (the mapped
    posting arrays, what a worker inherited from the supervisor) count once in the sums."""
    pids, found = [pid], {"Pss:": 0, "Pss_Anon:": 0, "Pss_File:": 0, "Rss:": 0}
    for current in pids:
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                pids += [int(child) for child in children.read().split()]
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.split()[0] in found:
                        found[line.split()[0]] += int(line.split()[1])
        except OSError:
            continue
    return {"VmRSS": found["Pss:"], "RssAnon": found["Pss_Anon:"], "RssFile": found["Pss_File:"],
            "processes": len(pids), "rss_sum_kb": found["Rss:"]}


def probe_http_first_calls(index_dir: str, queries_file: str, threads: int = 8) -> dict:
    """Start `policy-search serve` (8 threads), time launch → first answer, then send every
    query once over /api/search from ``threads`` clients at a time; the server's RSS after."""
    import json as json_module
    import subprocess
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import quote

    from .server import free_port, get, wait_until_answering

    queries = [tuple(q) for q in json_module.loads(open(queries_file, encoding="utf-8").read())]
    port = free_port()
    with tempfile.TemporaryFile() as log:
        launched = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--index", index_dir,
                                   "--host", "127.0.0.1", "--port", str(port),
                                   "--threads", "8"], stdout=log, stderr=subprocess.STDOUT)
        try:
            start_seconds = wait_until_answering(server, port, "/api/search?q=" + quote(READY_QUERY),
                                                 log, launched, limit_seconds=120)

            def timed(query):
                text, mode = query
                started = time.perf_counter()
                status = get(port, f"/api/search?q={quote(text)}&mode={mode}")[0]
                return (time.perf_counter() - started) * 1000, status

            with ThreadPoolExecutor(threads) as pool:
                answers = list(pool.map(timed, queries))
            memory = server_memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"start_to_first_answer_seconds": start_seconds,
            "first_ms": [ms for ms, _ in answers],
            "statuses": sorted({status for _, status in answers}),
            # proportional set sizes summed over the server's processes (see server_memory)
            "server_rss_kb": memory["VmRSS"], "server_rss_anon_kb": memory["RssAnon"],
            "server_rss_file_kb": memory["RssFile"], "server_processes": memory["processes"],
            "load_average": os.getloadavg()}


def main(argv: list[str]) -> int:
    """Dispatch ``build`` / ``serve`` and print the result as JSON."""
    if len(argv) == 3 and argv[0] == "build":
        result = probe_build(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "first":
        result = probe_first_calls(argv[1], argv[2])
    elif len(argv) in (3, 4) and argv[0] == "http":
        result = probe_http_first_calls(argv[1], argv[2], *map(int, argv[3:]))
    elif len(argv) == 3 and argv[0] == "serve":
        result = probe_serve(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
