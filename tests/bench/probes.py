"""Measurements that need a process of their own; each prints one JSON line on stdout.

    python -m tests.bench.probes build CORPUS INDEX   full build; time, counts, peak RSS
    python -m tests.bench.probes serve INDEX QUERY    cold start: fresh SearchEngine → first answer

The build runs apart from the harness so its peak memory is its own (VmHWM of the build
process, plus the largest worker it forked, from RUSAGE_CHILDREN), and so the harness's own
RSS after the engine queries is that of a search process, not of a process that once built.
"""

from __future__ import annotations

import json
import resource
import sys
import time

PROCESS_STARTED = time.perf_counter()


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


def main(argv: list[str]) -> int:
    """Dispatch ``build`` / ``serve`` and print the result as JSON."""
    if len(argv) == 3 and argv[0] == "build":
        result = probe_build(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "serve":
        result = probe_serve(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
