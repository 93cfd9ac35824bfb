"""Both backends in one run on the same corpus: the embedded index and a 3-node OpenSearch cluster.

    .venv/bin/python -m tests.bench.backends                      # national + provincial reports
    .venv/bin/python -m tests.bench.backends --limit-docs 20      # a small slice while developing
    .venv/bin/python -m tests.bench.backends --opensearch http://h1:9200,http://h2:9200

For each backend: the full build (paragraphs per second of wall time, and CPU seconds: for
OpenSearch those of the Python client and its workers plus those of the nodes), then a fresh
``policy-search serve`` answering every query of ``tests/bench/queries.py`` once over HTTP from 8
client threads (first calls: each query counted once per fresh server process), then the document
page of each query's top hit once, one at a time (``/doc/<id>``); the server's RSS after, and the nodes' RSS.
Without ``--opensearch`` the cluster is the repository's own (tests/cluster: three nodes on
loopback, 384 MB heaps) started for the run and stopped after. The per-shard figures (documents,
bytes on disk) are what docs/opensearch-cluster.md projects to 10^8 paragraphs from. The load
average is printed beside each figure: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from indexer.embedded.engine import SearchEngine

from .queries import build_query_set
from .server import free_port, get, wait_until_answering
from .run import REPO_ROOT, SHARED, assemble_corpus, log, percentile

DEFAULT_SETS = ("national-reports", "provincial-2026")
ALIAS = "bench-backends"
CLIENT_THREADS = 8


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a running process in MB (``VmHWM``: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def node_pids(urls: list[str], cluster=None) -> list[int]:
    """The pids of the cluster's node processes when they run on this machine (else none)."""
    from tests.cluster import http_json
    if cluster is not None:
        return [node.pid for node in cluster.running()]
    try:
        nodes = http_json(f"{urls[0]}/_nodes/process", timeout=120)["nodes"].values()
    except OSError as error:
        log(f"no node pids ({error}): the nodes' CPU and memory are not measured")
        return []
    return [n["process"]["id"] for n in nodes if Path(f"/proc/{n['process']['id']}").exists()]


# ---------------------------------------------------------------- builds

def timed_build(command: list[str], pids: list[int]) -> dict:
    """Run one build command; its wall time, its own CPU and that of ``pids`` (the nodes)."""
    cpu_before, nodes_before = children_cpu(), sum(process_cpu(p) for p in pids)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(command)}\n{completed.stderr[-3000:]}")
    return {"seconds": seconds, "client_cpu_seconds": children_cpu() - cpu_before,
            "nodes_cpu_seconds": sum(process_cpu(p) for p in pids) - nodes_before,
            "summary": completed.stdout.strip().splitlines()[-1],
            "load_average": [load_before, os.getloadavg()[0]]}


def cli(*arguments: str) -> list[str]:
    """The ``policy-search`` command line run by this interpreter."""
    return [sys.executable, "-m", "indexer", *arguments]


# ---------------------------------------------------------------- HTTP first calls

def first_calls(serve_arguments: list[str], queries: list[tuple[str, str]]) -> dict:
    """A fresh server: start → first answer, each query once over HTTP (8 clients), then the
    top hit's document page once per distinct document, one at a time, then every query again one at a time; the server's RSS after."""
    port = free_port()
    with tempfile.TemporaryFile() as console:
        launched = time.perf_counter()
        server = subprocess.Popen(cli("serve", *serve_arguments, "--host", "127.0.0.1", "--port",
                                      str(port), "--threads", str(CLIENT_THREADS)),
                                  cwd=REPO_ROOT, stdout=console, stderr=subprocess.STDOUT)
        try:
            # /api/stats, not a search: those count as first calls
            start_seconds = wait_until_answering(server, port, "/api/stats", console, launched,
                                                 limit_seconds=120)

            def search(query):
                text, mode = query
                started = time.perf_counter()
                status, body = get(port, f"/api/search?q={quote(text)}&mode={mode}")
                hits = json.loads(body).get("hits", []) if status == 200 else []
                return ((time.perf_counter() - started) * 1000, status,
                        hits[0]["doc_id"] if hits else None, json.loads(body).get("total"))

            search_load = os.getloadavg()[0]
            with ThreadPoolExecutor(CLIENT_THREADS) as pool:
                answers = list(pool.map(search, queries))
            documents = list(dict.fromkeys(doc for _, _, doc, _ in answers if doc))

            def page(doc_id):
                started = time.perf_counter()
                status, _ = get(port, f"/doc/{quote(doc_id)}")
                return (time.perf_counter() - started) * 1000, status

            pages = [page(doc_id) for doc_id in documents]  # one at a time: a reader's wait
            # The same queries again, one at a time: the latency without 8 clients queueing on
            # the machine's cores (and, for the embedded engine, with its caches warm).
            alone = [search(query)[0] for query in queries]
            server_rss = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    first = [ms for ms, *_ in answers]
    return {"start_seconds": start_seconds, "queries": len(first),
            "first_p50_ms": percentile(first, 50), "first_p95_ms": percentile(first, 95),
            "statuses": sorted({status for _, status, *_ in answers} | {s for _, s in pages}),
            "totals": [total for *_, total in answers],
            "repeated_alone_p50_ms": percentile(alone, 50),
            "repeated_alone_p95_ms": percentile(alone, 95),
            "document_pages": len(pages),
            "document_p50_ms": percentile([ms for ms, _ in pages], 50),
            "document_p95_ms": percentile([ms for ms, _ in pages], 95),
            "server_rss_mb": server_rss, "load_average": [search_load, os.getloadavg()[0]]}


# ---------------------------------------------------------------- the cluster's shards

def shard_figures(url: str) -> dict:
    """Primary shards of the benchmark index: documents and bytes on disk, each."""
    from tests.cluster import http_json
    shards = http_json(f"{url}/_cat/shards/{ALIAS}?format=json&bytes=b&h=shard,prirep,docs,store,node",
                       timeout=120)
    primaries = [s for s in shards if s["prirep"] == "p"]
    return {"primaries": len(primaries), "copies": len(shards),
            "docs_per_primary": [int(s["docs"]) for s in primaries],
            "bytes_per_primary": [int(s["store"]) for s in primaries],
            "nodes": sorted({s["node"] for s in shards})}


def start_own_cluster(work: Path):
    """The repository's 3-node cluster, started for this run."""
    from tests.cluster import Cluster, located_home
    home = located_home()
    if home is None:
        raise SystemExit("no OpenSearch distribution: run `python -m tests.cluster install` "
                         "or pass --opensearch URL")
    work.chmod(0o755)  # root's nodes run as nobody, who must reach the cluster's folder
    cluster = Cluster.create(home, work / "cluster", 3)
    log(f"starting a 3-node cluster in {work / 'cluster'} …")
    cluster.start(timeout=300)
    return cluster


def run(arguments) -> dict:
    """Every measurement of both backends; the result as a JSON-ready dict."""
    work = Path(arguments.work or tempfile.mkdtemp(prefix="bench-backends-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    if arguments.scale:
        from .scale import assemble
        corpus = assemble(arguments.corpus, arguments.scale, work / "input")
    else:
        corpus = assemble_corpus(arguments.corpus, list(arguments.sets), arguments.limit_docs,
                                 work / "input")
    cluster = None if arguments.opensearch else start_own_cluster(work)
    urls = arguments.opensearch.split(",") if arguments.opensearch else cluster.urls
    try:
        pids = node_pids(urls, cluster)
        result = {"corpus": [f"scale factor {arguments.scale:g}"] if arguments.scale else
                  [str(arguments.corpus / s) for s in arguments.sets],
                  "limit_docs": arguments.limit_docs, "shards": arguments.shards,
                  "replicas": arguments.replicas, "nodes": len(urls), "cpus": os.cpu_count()}
        index_dir = work / "index"
        log("embedded build …")
        result["embedded_build"] = timed_build(
            cli("index", "--corpus", str(corpus), "--index", str(index_dir), "--full", "--quiet"), [])
        log("OpenSearch build …")
        opensearch = ["--opensearch", ",".join(urls), "--os-index", ALIAS]
        result["opensearch_build"] = timed_build(
            cli("index", "--corpus", str(corpus), *opensearch, "--full", "--quiet",
                "--shards", str(arguments.shards), "--replicas", str(arguments.replicas)), pids)
        engine = SearchEngine(index_dir)
        paragraphs = engine.stats()["paragraphs"]
        result["paragraphs"] = paragraphs
        queries = [(q.text, q.mode) for q in build_query_set(arguments.queries, engine)]
        engine.close()
        result["query_count"] = len(queries)
        log(f"first calls over HTTP, embedded ({len(queries)} queries) …")
        result["embedded_http"] = first_calls(["--index", str(index_dir)], queries)
        log("first calls over HTTP, OpenSearch …")
        result["opensearch_http"] = first_calls(opensearch, queries)
        result["same_totals"] = sum(a == b for a, b in zip(result["embedded_http"].pop("totals"),
                                                           result["opensearch_http"].pop("totals")))
        result["nodes_rss_mb"] = [rss_mb(p) for p in pids]
        result["nodes_peak_rss_mb"] = [rss_mb(p, "VmHWM") for p in pids]
        result["shards"] = shard_figures(urls[0])
        result["load_average_end"] = os.getloadavg()
    finally:
        if cluster is not None:
            cluster.stop()
        if not arguments.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def report(result: dict) -> str:
    """The figures as a short text table."""
    lines = [f"corpus {', '.join(result['corpus'])}"
             + (f" (first {result['limit_docs']} files each)" if result["limit_docs"] else "")
             + f": {result['paragraphs']} paragraphs; {result['query_count']} queries; "
             f"OpenSearch {result['nodes']} nodes, {result['shards']['primaries']} primaries × "
             f"{1 + result['replicas']} copies; {result['cpus']} CPUs", ""]
    for name in ("embedded", "opensearch"):
        build, http = result[f"{name}_build"], result[f"{name}_http"]
        cpu = build["client_cpu_seconds"] + build["nodes_cpu_seconds"]
        lines += [
            f"{name}:",
            f"  build      {result['paragraphs'] / build['seconds']:8.0f} paragraphs/s wall "
            f"({build['seconds']:.1f} s), {result['paragraphs'] / cpu:8.0f} paragraphs/CPU-s "
            f"({build['client_cpu_seconds']:.1f} client + {build['nodes_cpu_seconds']:.1f} nodes CPU s)"
            f"   [load {build['load_average'][0]:.1f} → {build['load_average'][1]:.1f}]",
            f"  first call p50 {http['first_p50_ms']:7.1f} ms  p95 {http['first_p95_ms']:7.1f} ms "
            f"over HTTP, 8 clients   [load {http['load_average'][0]:.1f}]",
            f"  repeated, one client at a time: p50 {http['repeated_alone_p50_ms']:7.1f} ms  "
            f"p95 {http['repeated_alone_p95_ms']:7.1f} ms",
            f"  document page p50 {http['document_p50_ms']:7.1f} ms  p95 {http['document_p95_ms']:7.1f} ms "
            f"({http['document_pages']} pages); statuses {http['statuses']}",
            f"  server start → first answer {http['start_seconds']:.2f} s; server RSS "
            f"{http['server_rss_mb']:.0f} MB   [load {http['load_average'][1]:.1f}]",
        ]
    shards = result["shards"]
    lines += ["", f"OpenSearch nodes RSS: {', '.join(f'{m:.0f}' for m in result['nodes_rss_mb'])} MB, "
              f"peak {', '.join(f'{m:.0f}' for m in result['nodes_peak_rss_mb'])} MB "
              f"(heap 384 MB each)   [load {result['load_average_end'][0]:.1f}]",
              f"primaries: docs {shards['docs_per_primary']}, bytes "
              f"{[round(b / 2**20, 1) for b in shards['bytes_per_primary']]} MB",
              f"queries with the same total on both backends: {result['same_totals']} of "
              f"{result['query_count']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure, print the report and (with --out) the JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.backends", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS))
    parser.add_argument("--limit-docs", type=int, default=None, help="first N files of each set")
    parser.add_argument("--scale", type=float, default=None,
                        help="instead of --sets: the scale curve's corpus of this factor "
                             "(tests/bench/scale.py: national + provincial + factor × laws)")
    parser.add_argument("--queries", type=Path, default=SHARED / "queries" / "public.txt")
    parser.add_argument("--opensearch", help="comma-separated node URLs of a running cluster "
                                             "(default: start the repository's 3-node cluster)")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--work", type=Path, help="working folder (default: a new one in /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    arguments = parser.parse_args(argv)
    result = run(arguments)
    print(report(result))
    if arguments.out:
        arguments.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
