"""Similar passages on the OpenSearch backend: what the step costs a build, and how fast it answers.

    .venv/bin/python -m tests.bench.similar_opensearch --opensearch URL [--repeat N]
        [--queries N] [--subset FOLDER ...] [--out FILE]

1. Full builds of ../shared/corpus national-reports + provincial-2026 (or the ``--subset``
   folders of ../shared/corpus) into fresh indices of the
   cluster, with and without the similar-passage step (``indexer.opensearch.similar.write``
   replaced by a no-op in the child process for "without"), alternating, each in a fresh
   process: wall seconds, the build process's CPU seconds (it and its reader workers, user +
   system), the cluster's CPU seconds (every node's ``process.cpu.total_in_millis`` before and
   after: storing the records costs the cluster too), and the step alone (wall and CPU of the
   build process inside ``write``: pairs, records, bulk); the records and their JSON size.
2. Latency of ``GET /api/para/<doc>/<para>/similar`` and ``GET /api/doc/<doc>/echoes`` through
   the real Flask app over the cluster (test client, one process): N distinct paragraphs with
   similar passages, each asked once, and every document's echoes once, after one warm-up
   request that loads the document list.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_CORPUS = HERE.parents[2] / "shared" / "corpus"  # ../shared beside the checkout
SUBSETS = ("national-reports", "provincial-2026")

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from indexer.opensearch import similar as step
from indexer.opensearch.build import build_opensearch
from indexer.opensearch.connection import Cluster

def cpu():
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime

spent = {"seconds": 0.0, "cpu_seconds": 0.0, "written": 0}
original = step.write
def measured(*args, **kwargs):
    started, used = time.perf_counter(), cpu()
    written, _ = original(*args, **kwargs)
    spent.update(seconds=time.perf_counter() - started, cpu_seconds=cpu() - used, written=written)
    return written, 0
step.write = measured if sys.argv[3] == "with" else (lambda *args, **kwargs: (0, 0))
started = time.perf_counter()
summary = build_opensearch(Path(sys.argv[1]), Cluster(sys.argv[2], index=sys.argv[4]), full=True)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": cpu(),
                  "documents": summary.documents, "paragraphs": summary.paragraphs,
                  "step": spent}))
"""


def cluster_cpu_seconds(client) -> float:
    """CPU seconds every node's process has used so far."""
    nodes = client.nodes.stats(metric="process")["nodes"].values()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000


def record_sizes(client, alias: str) -> dict:
    """How many similar-passage records the index holds and their JSON size."""
    from opensearchpy import helpers
    from indexer.opensearch.similar import KIND_SIMILAR
    sizes = [len(json.dumps(hit["_source"], ensure_ascii=False).encode("utf-8"))
             for hit in helpers.scan(client, index=alias,
                                     query={"query": {"term": {"kind": KIND_SIMILAR}}})]
    return {"records": len(sizes), "bytes": sum(sizes), "largest_bytes": max(sizes, default=0)}


def build_costs(url: str, corpus: Path, repeat: int) -> tuple[dict, str]:
    """Alternating full builds with and without the step; returns the figures and the alias
    of the last build with it (kept for the latency measurements)."""
    from indexer.opensearch.connection import Cluster
    runs: dict[str, list] = {"without": [], "with": []}
    kept = None
    for number in range(repeat):
        for mode in ("without", "with"):
            alias = f"bench-similar-{uuid.uuid4().hex[:8]}"
            client = Cluster(url, index=alias).client()
            before = cluster_cpu_seconds(client)
            done = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), url, mode, alias],
                                  capture_output=True, text=True)
            if done.returncode:
                sys.exit(done.stderr)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["cluster_cpu_seconds"] = round(cluster_cpu_seconds(client) - before, 2)
            if mode == "with":
                run.update(record_sizes(client, alias))
            runs[mode].append(run)
            print(f"  run {number + 1} {mode}: {run['seconds']:.1f} s wall, "
                  f"{run['cpu_seconds']:.1f} s CPU, cluster {run['cluster_cpu_seconds']:.1f} s CPU"
                  + (f", step {run['step']['seconds']:.2f} s wall / "
                     f"{run['step']['cpu_seconds']:.2f} s CPU" if mode == "with" else ""),
                  flush=True)
            for old in ([alias] if mode == "without" else [kept] if kept else []):
                client.indices.delete(index=f"{old}-*")
            if mode == "with":
                kept = alias
    median = {mode: {key: statistics.median(run[key] for run in found)
                     for key in ("seconds", "cpu_seconds", "cluster_cpu_seconds")}
              for mode, found in runs.items()}
    step = {key: statistics.median(run["step"][key] for run in runs["with"])
            for key in ("seconds", "cpu_seconds")}
    last = runs["with"][-1]
    return {"runs": runs, "median": median, "step_median": step,
            "documents": last["documents"], "paragraphs": last["paragraphs"],
            "records": last["records"], "record_bytes": last["bytes"],
            "largest_record_bytes": last["largest_bytes"]}, kept


def latency(url: str, alias: str, count: int) -> dict:
    """Milliseconds of the similar and echoes APIs, each request once."""
    from indexer.backends import open_engine
    from indexer.opensearch.connection import Cluster
    from indexer.relations import similar
    from webapp import create_app
    cluster = Cluster(url, index=alias)
    engine = open_engine(cluster=cluster)
    documents = [d["doc_id"] for d in engine.documents()]
    with_some = [(doc_id, para) for doc_id in documents
                 for para in similar.counts(engine, doc_id)]
    chosen = random.Random(7).sample(with_some, min(count, len(with_some)))
    with tempfile.TemporaryDirectory() as scratch:
        client = create_app({"INDEX_DIR": scratch, "CORPUS_DIR": scratch,
                             "OPENSEARCH": cluster}).test_client()
        client.get(f"/api/doc/{documents[0]}/echoes")  # warm-up: the document list

        def timed(paths):
            found = []
            for path in paths:
                started = time.perf_counter()
                answer = client.get(path)
                found.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            found.sort()
            return {"requests": len(found), "p50_ms": round(found[len(found) // 2], 1),
                    "p95_ms": round(found[int(len(found) * 0.95)], 1),
                    "max_ms": round(found[-1], 1)}

        return {"similar": timed(f"/api/para/{d}/{p}/similar" for d, p in chosen),
                "echoes": timed(f"/api/doc/{d}/echoes" for d in documents[1:]),
                "paragraphs_with_similar": len(with_some)}


def main(argv: list[str] | None = None) -> None:
    """Run the measurements and print them (``--out FILE``: also as JSON)."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.similar_opensearch",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--opensearch", required=True, metavar="URL", help="a running cluster")
    parser.add_argument("--repeat", type=int, default=1, help="builds of each kind")
    parser.add_argument("--queries", type=int, default=300, help="similar API requests")
    parser.add_argument("--subset", action="append", metavar="FOLDER",
                        help=f"a folder of ../shared/corpus to build (default: {' + '.join(SUBSETS)})")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    arguments = parser.parse_args(argv)
    if not SHARED_CORPUS.is_dir():
        sys.exit(f"shared corpus not found at {SHARED_CORPUS}")
    from indexer.opensearch.connection import Cluster
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        corpus.mkdir()
        for subset in arguments.subset or SUBSETS:
            (corpus / subset.replace("/", "-")).symlink_to(SHARED_CORPUS / subset)
        costs, alias = build_costs(arguments.opensearch, corpus, arguments.repeat)
    try:
        times = latency(arguments.opensearch, alias, arguments.queries)
    finally:
        Cluster(arguments.opensearch, index=alias).client().indices.delete(index=f"{alias}-*")
    without, with_step = costs["median"]["without"], costs["median"]["with"]
    print(f"{costs['documents']} documents, {costs['paragraphs']} paragraphs; medians of "
          f"{arguments.repeat} alternating full builds")
    for key, label in (("seconds", "wall s"), ("cpu_seconds", "build CPU s"),
                       ("cluster_cpu_seconds", "cluster CPU s")):
        added = with_step[key] - without[key]
        print(f"  {label:<14} without {without[key]:8.2f}  with {with_step[key]:8.2f}  "
              f"added {added:+.2f} ({added / without[key]:+.1%})")
    print(f"  the step alone: {costs['step_median']['seconds']:.2f} s wall, "
          f"{costs['step_median']['cpu_seconds']:.2f} s CPU of the build process")
    print(f"  records: {costs['records']}, {costs['record_bytes'] / 1e6:.2f} MB of JSON, "
          f"largest {costs['largest_record_bytes'] / 1e3:.1f} kB")
    for name in ("similar", "echoes"):
        found = times[name]
        print(f"  {name} API: {found['requests']} requests, p50 {found['p50_ms']} ms, "
              f"p95 {found['p95_ms']} ms, max {found['max_ms']} ms")
    if arguments.out:
        arguments.out.write_text(json.dumps({**costs, "latency": times}, indent=1),
                                 encoding="utf-8")


if __name__ == "__main__":
    main()
