"""The one-machine benchmark: build + query latency of the engine beside FTS5 and a brute-force scan.

    .venv/bin/python -m tests.bench.run --out bench-results/latest.json
    .venv/bin/python -m tests.bench.run --report bench-results/latest.json   # the tables again

Builds the index of the chosen corpus subsets, times every query class on the engine, then
on an SQLite FTS5 trigram index and a Python scan of the SAME paragraphs (read back from the
built index), checks the engine's recall against the scan, prints a Markdown table with the
issue's targets and writes every number to a JSON file. See "Performance" in README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer import SearchEngine
from indexer.embedded import store
from indexer.ingest.documents import iter_corpus_files

from .baselines import Fts5Baseline, ScanBaseline, load_indexed_paragraphs
from .probes import fresh_groups, vm_status_kb
from .queries import CLASSES, DEFAULT_SEED, BenchQuery, build_query_set

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
DEFAULT_SETS = "national-reports,provincial-2026,laws"
COLD_START_QUERY = "乡村振兴"
RECALL_CLASSES = ("policy", "substring", "exact")
SYSTEMS = ("engine", "fts5", "scan")
TARGETS = {  # the one-machine table of the "numbers" issue: (what, unit, limit, higher is better)
    "http_one_p50_ms": ("first calls over HTTP (/api/search), one client at a time, p50", "ms", 5,
                        False),
    "http_one_p95_ms": ("first calls over HTTP, one client at a time, p95", "ms", 15, False),
    "http_p95_ms": ("first calls over HTTP, 8 client threads, p95", "ms", 60, False),
    "server_anon_mb": ("server memory after the HTTP first calls: anonymous pages (PSS, all its "
                       "processes; file-backed apart)", "MB", 300, False),
    "start_s": ("start → first answer (policy-search serve)", "s", 1.0, False),
    "stock_ratio": ("build vs the stock recipe at its best (faster stock s / engine s)", "×", 4,
                    True),
}
STOCK_SETS = "national-reports"


@dataclass
class QueryTiming:
    """One query on one system: the warm-up call, the timed repeats and what it found."""

    query: BenchQuery
    cold_ms: float = math.nan
    samples_ms: list[float] = field(default_factory=list)
    total: int = 0
    used_like: bool = False
    error: str = ""


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the result table."""
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- corpus and build

def assemble_corpus(corpus_root: Path, sets: list[str], limit_docs: int | None, work: Path) -> Path:
    """A corpus folder of symlinks to the chosen subsets (the engine builds from one folder).

    A whole subset is one directory link (the engine follows them); with --limit-docs the
    first N files of each subset, in the engine's order, are linked one by one.
    """
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    for name in sets:
        source = (corpus_root / name).resolve()
        if not source.is_dir():
            raise SystemExit(f"corpus subset not found: {source}")
        if limit_docs is None:
            (corpus / name).symlink_to(source, target_is_directory=True)
            continue
        for path in list(iter_corpus_files(source))[:limit_docs]:
            link = corpus / name / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return corpus


def run_build(corpus: Path, index_dir: Path) -> dict:
    """Build in a child process (its own peak RSS) and return the probe's numbers."""
    log(f"building the engine index of {corpus} into {index_dir} …")
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.probes", "build", str(corpus), str(index_dir)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"engine build failed (exit status {completed.returncode}; negative = killed "
                         f"by that signal):\n{completed.stderr[-4000:]}{completed.stdout[-2000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["paragraphs_per_s"] = result["paragraphs"] / result["seconds"] if result["seconds"] else 0
    return result


def disk_bytes(path: Path) -> int:
    """Bytes allocated below path, like ``du`` (symlinks not followed)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


# ---------------------------------------------------------------- timing

def time_queries(search, queries: list[BenchQuery], repeat: int) -> list[QueryTiming]:
    """Run every query once as warm-up (kept as cold_ms), then ``repeat`` timed times.

    ``search(query)`` returns (total, used_like).
    """
    timings = []
    for query in queries:
        timing = QueryTiming(query)
        try:
            started = time.perf_counter()
            timing.total, timing.used_like = search(query)
            timing.cold_ms = (time.perf_counter() - started) * 1000
            for _ in range(repeat):
                started = time.perf_counter()
                search(query)
                timing.samples_ms.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # one failing query must not hide the rest of the numbers
            timing.error = f"{type(error).__name__}: {error}"
        timings.append(timing)
    return timings


def engine_search(engine: SearchEngine):
    """Adapter: the engine's search with 10 highlighted hits, as (total, used_like)."""
    def search(query: BenchQuery) -> tuple[int, bool]:
        answer = engine.search(query.text, mode=query.mode, per_page=10)
        if len(answer["hits"]) != min(10, answer["total"]):
            raise AssertionError(f"{len(answer['hits'])} hits on page 1 of {answer['total']}")
        return answer["total"], False
    return search


def baseline_search(baseline):
    """Adapter: a baseline's search as (total, used_like)."""
    def search(query: BenchQuery) -> tuple[int, bool]:
        answer = baseline.search(query.terms)
        return answer.total, answer.used_like
    return search


def class_summary(timings: list[QueryTiming]) -> dict:
    """p50/p95/max of every warm sample, cold p50/max and mean hits of one class on one system."""
    samples = [s for t in timings for s in t.samples_ms]
    colds = [t.cold_ms for t in timings if not t.error]
    answered = [t for t in timings if not t.error]
    return {
        "queries": len(timings), "samples": len(samples),
        "p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95),
        "max_ms": max(samples, default=math.nan),
        "cold_p50_ms": percentile(colds, 50), "cold_max_ms": max(colds, default=math.nan),
        "mean_hits": sum(t.total for t in answered) / len(answered) if answered else math.nan,
        "like_queries": sum(t.used_like for t in timings),
        "errors": [f"{t.query.text}: {t.error}" for t in timings if t.error],
    }


def cold_start(index_dir: Path) -> dict:
    """Launch a new Python process that opens the index and answers one query; time to its answer."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.probes", "serve", str(index_dir), COLD_START_QUERY],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # printed right after the answer, before interpreter exit
    wall = time.perf_counter() - started
    _, stderr = process.communicate()
    if process.returncode != 0 or not line:
        raise SystemExit(f"cold-start probe failed:\n{stderr[-4000:]}")
    return {"launch_to_first_answer_seconds": wall, **json.loads(line)}


def fresh_process_probe(kind: str, index_dir: Path, queries: list[BenchQuery], work: Path,
                        *options: str) -> dict:
    """The probe's first calls (``first``: in-process; ``http``: a fresh server, ``options``
    its client threads): the words-mode queries in one fresh process, the exact-mode ones in
    another (each text a first call once), the latter's figures under ``exact``."""
    groups = fresh_groups([(q.text, q.mode) for q in queries])
    result = {}
    for name in ("words", "exact"):
        query_file = work / f"queries-{name}.json"
        query_file.write_text(json.dumps(groups[name], ensure_ascii=False), encoding="utf-8")
        completed = subprocess.run([sys.executable, "-m", "tests.bench.probes", kind,
                                    str(index_dir), str(query_file), *options], cwd=REPO_ROOT,
                                   capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"{kind} probe failed:\n{completed.stderr[-4000:]}")
        measured = json.loads(completed.stdout.strip().splitlines()[-1])
        for key in [k for k in measured if k.endswith("_ms")]:
            measured[key.replace("_ms", "_p50_ms")] = percentile(measured[key], 50)
            measured[key.replace("_ms", "_p95_ms")] = percentile(measured[key], 95)
        measured["queries"] = len(groups[name])
        if name == "words":
            result = measured
        else:
            result["exact"] = measured
    return result


STOCK_PROCS = (1, 2)  # Whoosh's default writer, and its own multi-process writer(procs=2)


def stock_comparison(corpus_root: Path, sets: list[str], limit_docs, work: Path) -> dict:
    """The engine's build and the stock recipe's (jieba ChineseAnalyzer + Whoosh's writer in
    one process, then with ``procs=2``; the faster counts) on the same subsets, one after the
    other in this run, each in a fresh process; wall and CPU seconds."""
    corpus = assemble_corpus(corpus_root, sets, limit_docs, work / "stock")
    engine = run_build(corpus, work / "stock" / "engine-index")
    runs = []
    for procs in STOCK_PROCS:
        log(f"building {sets} with the stock recipe, writer(procs={procs}) …")
        completed = subprocess.run([sys.executable, "-m", "tests.bench.stock", str(corpus),
                                    str(work / "stock" / f"stock-index-{procs}"), str(procs)],
                                   cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"stock build failed:\n{completed.stderr[-4000:]}")
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    stock = min(runs, key=lambda run: run["seconds"])
    return {"sets": sets, "engine": engine, "stock": stock, "stock_runs": runs,
            "ratio": stock["seconds"] / engine["seconds"],
            "cpu_ratio": stock["cpu_seconds"] / engine["cpu_seconds"],
            "load_average": os.getloadavg()}


# ---------------------------------------------------------------- recall

def squeezed_texts(paragraphs) -> list[tuple[str, int, str]]:
    """(doc_id, para, raw text with white space squeezed out: a line break may split a phrase)."""
    return [(p.doc_id, p.para, "".join(p.text.split())) for p in paragraphs]


def raw_matching_keys(texts: list[tuple[str, int, str]], terms: list[str]) -> set[tuple[str, int]]:
    """(doc_id, para) of every paragraph whose raw text holds every term as typed: plain
    substring search, none of the engine's folding."""
    return {(doc_id, para) for doc_id, para, text in texts if all(term in text for term in terms)}


def recall_check(engine: SearchEngine, paragraphs, scan: ScanBaseline,
                 queries: list[BenchQuery]) -> dict:
    """Paragraphs whose raw text contains a query (plain substring search) but the engine does
    not return.

    In exact mode the engine must also return nothing else; those extras (paragraphs without
    the phrase even after the engine's folding, per the scan) are reported too.
    """
    checked, missed, extras, expected_total = 0, [], [], 0
    texts = squeezed_texts(paragraphs)
    for query in queries:
        if query.query_class not in RECALL_CLASSES:
            continue
        checked += 1
        # Every copy counted: showing each group of duplicate copies once is presentation,
        # what the index holds must still be found.
        total = engine.search(query.text, mode=query.mode, per_page=1, dedupe=False)["total"]
        hits = engine.search(query.text, mode=query.mode, per_page=max(total, 1),
                             dedupe=False)["hits"]
        found = {(h["doc_id"], h["para"]) for h in hits}
        expected = raw_matching_keys(texts, query.terms)
        expected_total += len(expected)
        missed += [{"class": query.query_class, "query": query.text, "doc_id": d, "para": p}
                   for d, p in sorted(expected - found)]
        if query.mode == "exact":
            folded = scan.matching_keys(query.terms)
            extras += [{"query": query.text, "doc_id": d, "para": p} for d, p in sorted(found - folded)]
    return {"queries": checked, "expected_paragraphs": expected_total,
            "missed_paragraphs": len(missed), "missed": missed[:200],
            "exact_extras": len(extras), "extras": extras[:200]}


# ---------------------------------------------------------------- report

def fmt(value, digits: int = 1) -> str:
    """A number for the table; '—' for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> str:
    """a/b as '3.2×', '—' when either is missing."""
    if any(v is None or math.isnan(v) for v in (a, b)) or b == 0:
        return "—"
    return f"{a / b:.1f}×" if a >= b else f"{a / b:.2g}×"


def render_report(result: dict) -> str:
    """The Markdown tables printed at the end of a run (and pasted into README.md)."""
    lines = [f"corpus: {result['corpus']['sets']} · {result['index']['documents']:,} documents · "
             f"{result['index']['paragraphs']:,} paragraphs · repeat {result['args']['repeat']} · "
             f"{result['machine']['cpu_count']} CPUs ({result['machine']['cpu_model']}) · "
             f"load avg {result['machine']['loadavg_start']} → {result['machine']['loadavg_end']}", ""]
    lines += ["| class | n | engine p50 | p95 | max | cold p50 | hits | FTS5 p50 | p95 | hits "
              "| scan p50 | p95 | hits | engine/FTS5 p50 (p95) | engine/scan p50 (p95) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in result["classes"].items():
        e, f, s = row["engine"], row["fts5"], row["scan"]
        like = f" ({f['like_queries']} LIKE)" if f["like_queries"] else ""
        lines.append(
            f"| {name} | {e['queries']} | {fmt(e['p50_ms'])} | {fmt(e['p95_ms'])} | {fmt(e['max_ms'])} "
            f"| {fmt(e['cold_p50_ms'])} | {fmt(e['mean_hits'], 0)} | {fmt(f['p50_ms'])} | {fmt(f['p95_ms'])} "
            f"| {fmt(f['mean_hits'], 0)}{like} | {fmt(s['p50_ms'])} | {fmt(s['p95_ms'])} | {fmt(s['mean_hits'], 0)} "
            f"| {ratio(e['p50_ms'], f['p50_ms'])} ({ratio(e['p95_ms'], f['p95_ms'])}) "
            f"| {ratio(e['p50_ms'], s['p50_ms'])} ({ratio(e['p95_ms'], s['p95_ms'])}) |")
    overall = result["overall"]
    lines.append(f"| **all** | {overall['engine']['queries']} | {fmt(overall['engine']['p50_ms'])} "
                 f"| {fmt(overall['engine']['p95_ms'])} | {fmt(overall['engine']['max_ms'])} | | "
                 f"| {fmt(overall['fts5']['p50_ms'])} | {fmt(overall['fts5']['p95_ms'])} | "
                 f"| {fmt(overall['scan']['p50_ms'])} | {fmt(overall['scan']['p95_ms'])} | "
                 f"| {ratio(overall['engine']['p50_ms'], overall['fts5']['p50_ms'])} "
                 f"| {ratio(overall['engine']['p50_ms'], overall['scan']['p50_ms'])} |")
    lines += ["", "ms; p50/p95/max over every query × repeat, warm (the first call of each query in "
              "this process is 'cold p50': the classes run in the order above, so the exact-mode "
              "phrases find their hits cached by the policy class — first calls are the fresh-"
              "process table below); hits = mean total. Engine words mode also matches paragraphs holding all "
              "jieba words of a term, the baselines only literal ones; the engine and the scan fold "
              "traditional script to simplified, FTS5 does not. FTS5 answers terms under 3 "
              "characters with LIKE (full scan, no bm25/snippet() when no term is ≥ 3 characters).", ""]
    build = result["build"]
    e, f = build["engine"], build["fts5"]
    lines += ["| build | seconds | paragraphs/s | size on disk | peak RSS |", "|---|---:|---:|---:|---:|"]
    if e:
        lines.append(f"| engine | {fmt(e['seconds'])} | {fmt(e['paragraphs_per_s'], 0)} "
                     f"| {fmt(result['index']['bytes'] / 2**20)} MB | {fmt(e['peak_rss_self_kb'] / 1024, 0)} MB "
                     f"(+ largest worker {fmt(e['peak_rss_children_kb'] / 1024, 0)} MB) |")
    else:
        lines.append("| engine | skipped (--skip-build) | | | |")
    lines.append(f"| FTS5 trigram | {fmt(f['seconds'])} | {fmt(f['paragraphs_per_s'], 0)} "
                 f"| {fmt(f['bytes'] / 2**20)} MB | |")
    lines.append(f"| engine/FTS5 throughput | | {ratio(e['paragraphs_per_s'], f['paragraphs_per_s']) if e else '—'} | | |")
    serve = result["serve"]
    lines += ["", f"serve: RSS after warm-up {fmt(serve['rss_mb'], 0)} MB · cold start "
              f"{fmt(serve['cold_start_s'], 2)} s (new process → first answer; of which import "
              f"{fmt(serve['import_seconds'], 2)} s, SearchEngine() → first answer "
              f"{fmt(serve['engine_to_first_answer_seconds'], 2)} s; file cache warm)", ""]
    first, http = result["first_calls"], result["http"]
    lines += ["| what a user does | p50 | p95 | max |", "|---|---:|---:|---:|"]
    for label, data, key in (
            ("first call, in-process (never-seen query, fresh process)", first, "first"),
            ("first call over HTTP (/api/search, 8 client threads)", http, "first"),
            ("first call over HTTP, one client at a time", result.get("http_one_client"), "first"),
            ("first call, exact mode, in-process (its own fresh process)", first.get("exact"),
             "first"),
            ("first call, exact mode, over HTTP (8 client threads, its own fresh server)",
             http.get("exact"), "first"),
            ("the same queries repeated (in-process)", first, "repeated"),
            ("document page with the query", first, "document_with_query"),
            ("document without a query", first, "document")):
        if data is None:  # a result file written before that probe existed
            continue
        lines.append(f"| {label} | {fmt(data[key + '_p50_ms'])} | {fmt(data[key + '_p95_ms'])} "
                     f"| {fmt(max(data[key + '_ms'], default=math.nan))} |")
    lines += ["", f"first calls: {first.get('queries', '—')} words-mode query texts in one fresh "
              f"process (or server), the {(first.get('exact') or {}).get('queries', '—')} exact-mode "
              "ones in another: a phrase's hits are cached for both modes, so each text is a first "
              "call once per process."]
    lines += ["", f"server: start → first answer {fmt(http['start_to_first_answer_seconds'], 2)} s, "
              f"memory after the HTTP first calls {fmt(http['server_rss_kb'] / 1024, 0)} MB (its "
              f"{http.get('server_processes', 1)} processes, proportional set size: anonymous "
              f"{fmt(http.get('server_rss_anon_kb', 0) / 1024, 0)} MB, file-backed "
              f"{fmt(http.get('server_rss_file_kb', 0) / 1024, 0)} MB); load "
              f"average {first['load_average']} (first calls), {http['load_average']} (HTTP)", ""]
    stock = result.get("stock")
    if stock:
        e = stock["engine"]
        lines += [f"build of {', '.join(stock['sets'])} (wall s / CPU s): engine "
                  f"{fmt(e['seconds'])} / {fmt(e.get('cpu_seconds'))}; stock recipe "
                  + ", ".join(f"writer(procs={run.get('procs', 1)}) {fmt(run['seconds'])} / "
                              f"{fmt(run.get('cpu_seconds'))}"
                              for run in stock.get("stock_runs", [stock["stock"]]))
                  + f" → the faster stock run / engine: {stock['ratio']:.1f}× wall"
                  + (f", {stock['cpu_ratio']:.1f}× CPU" if stock.get("cpu_ratio") else "")
                  + f" (load average {[round(x, 2) for x in stock['load_average']]})", ""]
    lines += ["| target | measured | target | met |", "|---|---:|---:|:---:|"]
    for target in result["targets"]:
        mark = "—" if target["met"] is None else ("✓" if target["met"] else "✗")
        sign = "≥" if target["higher_is_better"] else "≤"
        lines.append(f"| {target['what']} | {fmt(target['measured'], 1)} {target['unit']} "
                     f"| {sign} {target['limit']:,} {target['unit']} | {mark} |")
    recall = result["recall"]
    lines += ["", f"recall check: {recall['queries']} queries; of the "
              f"{recall.get('expected_paragraphs', '—')} (query, paragraph) pairs whose raw text holds "
              f"the query (plain substring search), {recall['missed_paragraphs']} missed "
              f"(exact mode: {recall['exact_extras']} paragraphs returned without the phrase)"]
    return "\n".join(lines)


def check_targets(result: dict) -> list[dict]:
    """Each target of the one-machine table beside its measured value."""
    http, stock = result["http"], result.get("stock")
    one = result.get("http_one_client") or {}
    measured = {
        "http_one_p50_ms": one.get("first_p50_ms"), "http_one_p95_ms": one.get("first_p95_ms"),
        "http_p95_ms": http["first_p95_ms"],
        "server_anon_mb": http.get("server_rss_anon_kb", math.nan) / 1024,
        "start_s": http["start_to_first_answer_seconds"],
        "stock_ratio": stock["ratio"] if stock else None,
    }
    targets = []
    for key, (what, unit, limit, higher) in TARGETS.items():
        value = measured[key]
        met = None if value is None or math.isnan(value) else (value >= limit if higher else value <= limit)
        targets.append({"key": key, "what": what, "unit": unit, "limit": limit,
                        "higher_is_better": higher, "measured": value, "met": met})
    return targets


def machine_info() -> dict:
    """Where the numbers were measured."""
    def git(*args: str) -> str:
        completed = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return completed.stdout.strip()
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="ascii")
                      if line.startswith("model name")), "")
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu_count": os.cpu_count(), "cpu_model": model,
            "python": platform.python_version(), "git_commit": git("rev-parse", "HEAD"),
            "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


# ---------------------------------------------------------------- orchestration

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus", help="folder holding the subsets")
    parser.add_argument("--sets", default=DEFAULT_SETS, help=f"comma-separated subsets (default {DEFAULT_SETS})")
    parser.add_argument("--limit-docs", type=int, help="only the first N files of each subset (smoke runs)")
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary folder, removed)")
    parser.add_argument("--skip-build", action="store_true", help="reuse the index already in --index")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each query (default 5)")
    parser.add_argument("--queries", type=Path, default=SHARED / "queries" / "public.txt")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the substring queries")
    parser.add_argument("--out", type=Path, default=Path("bench-results/latest.json"))
    parser.add_argument("--stock-sets", default=STOCK_SETS,
                        help=f"subsets built by both the engine and the stock recipe (default "
                             f"{STOCK_SETS}; empty to skip)")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="print the tables of a result file written earlier, measure nothing")
    args = parser.parse_args(argv)
    if args.skip_build and args.index is None:
        parser.error("--skip-build needs --index DIR with a built index")
    if args.repeat < 1 or (args.limit_docs is not None and args.limit_docs < 1):
        parser.error("--repeat and --limit-docs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the whole benchmark; print the report and write the JSON file."""
    args = parse_args(argv)
    if args.report:
        result = json.loads(args.report.read_text(encoding="utf-8"))
        result["targets"] = check_targets(result)
        print(render_report(result), flush=True)
        return 0
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="policy-bench-"))
    index_dir = args.index or work / "index"
    result: dict = {"machine": machine_info(),
                    "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    "corpus": {"root": str(args.corpus), "sets": sets, "limit_docs": args.limit_docs}}
    try:
        build = None
        if not args.skip_build:
            build = run_build(assemble_corpus(args.corpus, sets, args.limit_docs, work), index_dir)
        engine = SearchEngine(index_dir)
        stats = engine.stats()
        generation = store.require_generation(index_dir)
        result["index"] = {"documents": stats["documents"], "paragraphs": stats["paragraphs"],
                           "bytes": disk_bytes(generation)}
        queries = build_query_set(args.queries, engine, seed=args.seed)
        result["queries_by_class"] = {c: [q.text for q in queries if q.query_class == c] for c in CLASSES}
        log("first calls in a fresh process, then over HTTP in a fresh server …")
        result["first_calls"] = fresh_process_probe("first", index_dir, queries, work)
        result["http"] = fresh_process_probe("http", index_dir, queries, work)
        result["http_one_client"] = fresh_process_probe("http", index_dir, queries, work, "1")
        if args.stock_sets:
            log(f"build of {args.stock_sets}: engine, then the stock recipe …")
            result["stock"] = stock_comparison(args.corpus, args.stock_sets.split(","),
                                               args.limit_docs, work)

        log(f"timing {len(queries)} queries × (1 + {args.repeat}) on the engine …")
        timings = {"engine": time_queries(engine_search(engine), queries, args.repeat)}
        rss_mb = vm_status_kb("VmRSS") / 1024  # a search process after warm-up, before any baseline data
        log("cold start probe …")
        probe = cold_start(index_dir)
        result["serve"] = {"rss_mb": rss_mb, "cold_start_s": probe["launch_to_first_answer_seconds"],
                           **{k: probe[k] for k in ("import_seconds", "engine_to_first_answer_seconds",
                                                    "rss_kb")}}

        log("reading every paragraph back from the index for the baselines …")
        paragraphs = load_indexed_paragraphs(engine)
        fts5 = Fts5Baseline(paragraphs, work / "fts5.sqlite")
        scan = ScanBaseline(paragraphs)
        result["build"] = {
            "engine": build,
            "fts5": {"seconds": fts5.build_seconds, "bytes": fts5.size_bytes,
                     "paragraphs_per_s": len(paragraphs) / fts5.build_seconds},
            "scan": {"normalise_seconds": scan.build_seconds, "paragraphs": len(paragraphs)},
        }
        log("timing FTS5 and scan …")
        timings["fts5"] = time_queries(baseline_search(fts5), queries, args.repeat)
        timings["scan"] = time_queries(baseline_search(scan), queries, args.repeat)
        fts5.close()

        result["classes"] = {
            c: {system: class_summary([t for t in timings[system] if t.query.query_class == c])
                for system in SYSTEMS}
            for c in CLASSES}
        result["overall"] = {system: class_summary(timings[system]) for system in SYSTEMS}
        result["per_query"] = [
            {"class": q.query_class, "query": q.text, "mode": q.mode,
             **{f"{system}_{key}": value for system in SYSTEMS
                for key, value in (("p50_ms", percentile(timings[system][i].samples_ms, 50)),
                                   ("cold_ms", timings[system][i].cold_ms),
                                   ("hits", timings[system][i].total),
                                   ("error", timings[system][i].error))}}
            for i, q in enumerate(queries)]
        log("recall check …")
        result["recall"] = recall_check(engine, paragraphs, scan, queries)
        result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        result["targets"] = check_targets(result)
        engine.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(render_report(result), flush=True)
    slowest = sorted(result["per_query"], key=lambda q: -(q["engine_p50_ms"] or 0))[:5]
    print("\nslowest engine queries (p50 ms): " + ", ".join(
        f"{q['query']} [{q['mode']}] {fmt(q['engine_p50_ms'])}" for q in slowest))
    errors = [e for row in result["overall"].values() for e in row["errors"]]
    if errors:
        print("errors: " + "; ".join(errors))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_without_nan(result), ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return 0


def _without_nan(value):
    # NaN (no samples) is not valid JSON: it becomes null.
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
