"""Similar passages and duplicate copies: the figures of docs/echoes.md.

    .venv/bin/python -m tests.bench.similar [--index DIR] [--repeat N] [--queries N] [--no-build]
    .venv/bin/python -m tests.bench.similar sample --index DIR   # redraw sample.tsv (done once)

1. Precision of the shipped threshold (similar.THRESHOLD) on the blind-judged sample
   (sample.tsv: pairs drawn by sampling.py over similarity bands, without scores, shuffled;
   judgments.tsv: N near-identical, P paraphrase, U unrelated, judged by reading before the
   threshold was chosen). The similarity of each pair is computed here, after judging.
2. Build time and peak memory of a full build of ../shared/corpus national-reports +
   provincial-2026, with and without the relations step (``indexer.relations.echoes.build``
   and the workers' hashing, ``echoes.Collector``, replaced by no-ops in the child process
   for "without"), alternating, each in a fresh process; and the step alone on the built
   generation (which then hashes every paragraph itself: a generation keeps no worker parts).
3. Query time of ``similar_passages`` (engine level, as the API and CLI call it) for N distinct
   compared paragraphs, each asked once, after one warm-up query (the per-generation load).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from indexer import SearchEngine
from indexer.embedded import store
from indexer.relations import fingerprints, similar

HERE = Path(__file__).resolve().parent
SHARED_CORPUS = HERE.parents[3] / "shared" / "corpus"  # ../shared beside the checkout
SUBSETS = ("national-reports", "provincial-2026")
LABELS = {"N": "near-identical", "P": "paraphrase", "U": "unrelated"}

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
exec(sys.argv[4])
if sys.argv[3] == "without":
    import indexer.relations.echoes as echoes
    echoes.build = lambda folder, previous=None: None
    echoes.Collector.add = echoes.Collector.save = lambda *args: None  # the workers' hashing
from indexer.embedded.build import build_index
started = time.perf_counter()
summary = build_index(Path(sys.argv[1]), Path(sys.argv[2]), full=True)
own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - started, "paragraphs": summary.paragraphs,
                  "cpu_seconds": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
                  "parent_cpu_seconds": own.ru_utime + own.ru_stime,
                  "documents": summary.documents,
                  "parent_peak_mb": peak_mb(),
                  "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""
# ru_maxrss survives exec on Linux (it would report the benchmark's own peak): VmHWM does not.
_PEAK = r"""
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
"""


def read_tsv(path: Path) -> list[dict]:
    """Rows of a TSV file with a header."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def precision(generation: Path) -> dict:
    """Judged precision at the shipped threshold and at others, from the sample's pairs."""
    prints = fingerprints.load(generation)
    index = prints.doc_index()
    judged = {r["id"]: r["judgment"] for r in read_tsv(HERE / "judgments.tsv")}
    pairs = []
    for row in read_tsv(HERE / "sample.tsv"):
        rows = []
        for side in "ab":
            start, end = prints.passage_range(index[row[f"{side}_doc"]])
            rows.append(start + int(np.searchsorted(prints.passage_paras[start:end],
                                                    int(row[f"{side}_para"]))))
        signature_a, signature_b = prints.passage_signatures[rows[0]], prints.passage_signatures[rows[1]]
        pairs.append((float((signature_a == signature_b).mean()), judged[row["id"]]))
    table = []
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7):
        above = [label for value, label in pairs if value >= threshold]
        right = sum(label != "U" for label in above)
        table.append({"threshold": threshold, "pairs": len(above), "similar": right,
                      "precision": round(right / len(above), 3) if above else None})
    labels = {LABELS[k]: sum(label == k for _, label in pairs) for k in LABELS}
    shipped = next(t for t in table if t["threshold"] == similar.THRESHOLD)
    return {"judged": len(pairs), "labels": labels, "shipped": shipped, "table": table}


def build_costs(repeat: int) -> dict:
    """Full builds with and without the relations step, alternating, in fresh processes."""
    runs = {"with": [], "without": []}
    with tempfile.TemporaryDirectory(prefix="bench-similar-") as scratch:
        corpus = Path(scratch) / "corpus"
        corpus.mkdir()
        for subset in SUBSETS:
            (corpus / subset).symlink_to(SHARED_CORPUS / subset)
        for number in range(repeat):
            for variant in ("without", "with"):
                index = Path(scratch) / f"index-{variant}-{number}"
                done = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), str(index),
                                       variant, _PEAK], capture_output=True, text=True,
                                      check=True)
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
                shutil.rmtree(index)
    median = {v: {k: float(np.median([r[k] for r in rs])) for k in rs[0]} for v, rs in runs.items()}
    added = median["with"]["seconds"] - median["without"]["seconds"]
    added_cpu = median["with"]["cpu_seconds"] - median["without"]["cpu_seconds"]
    return {"runs": runs, "median": median, "added_seconds": round(added, 2),
            "added_share": round(added / median["without"]["seconds"], 3),
            "added_cpu_seconds": round(added_cpu, 2),
            "added_cpu_share": round(added_cpu / median["without"]["cpu_seconds"], 3),
            "added_parent_mb": round(median["with"]["parent_peak_mb"]
                                     - median["without"]["parent_peak_mb"], 1)}


def step_alone(generation: Path) -> dict:
    """The relations step on a copy of a built generation, timed in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="bench-similar-step-") as scratch:
        copy = Path(scratch) / "gen"
        shutil.copytree(generation, copy)
        code = (_PEAK + "import json,resource,sys,time\nfrom pathlib import Path\n"
                "from indexer.relations import echoes\n"
                "before=peak_mb()\n"
                "t=time.perf_counter(); c=time.process_time(); echoes.build(Path(sys.argv[1]))\n"
                "kids=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                "print(json.dumps({'seconds': time.perf_counter()-t, "
                "'cpu_seconds': time.process_time()-c+kids.ru_utime+kids.ru_stime, "
                "'peak_mb': peak_mb(), 'peak_before_mb': before}))")
        done = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])


def query_times(index_dir: Path, count: int) -> dict:
    """similar_passages timings over ``count`` distinct compared paragraphs, each asked once."""
    engine = SearchEngine(index_dir)
    prints = fingerprints.load(store.require_generation(index_dir))
    chooser = random.Random(21)
    rows = chooser.sample(range(len(prints.passage_paras)), min(count + 1, len(prints.passage_paras)))
    asked = [(prints.doc_ids[prints.passage_docs[r]], int(prints.passage_paras[r])) for r in rows]
    started = time.perf_counter()
    similar.similar_passages(engine, *asked[0])
    first = (time.perf_counter() - started) * 1000
    times, found = [], []
    for doc_id, para in asked[1:]:
        started = time.perf_counter()
        answer = similar.similar_passages(engine, doc_id, para)
        times.append((time.perf_counter() - started) * 1000)
        found.append(answer["total"])
    return {"queries": len(times), "first_ms": round(first, 1),
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
            "max_ms": round(max(times), 2),
            "with_similar": sum(1 for n in found if n), "most_similar": max(found)}


def main(argv: list[str] | None = None) -> None:
    """Print the figures (and write them as JSON with --out)."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.similar")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "sample"))
    parser.add_argument("--index", type=Path, help="a built index of national + provincial")
    parser.add_argument("--repeat", type=int, default=1, help="builds of each variant")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-build", action="store_true", help="skip the build measurements")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not SHARED_CORPUS.is_dir():
        sys.exit(f"shared corpus not found at {SHARED_CORPUS}")
    scratch = None
    index_dir = args.index
    if index_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="bench-similar-index-")
        corpus = Path(scratch.name) / "corpus"
        corpus.mkdir()
        for subset in SUBSETS:
            (corpus / subset).symlink_to(SHARED_CORPUS / subset)
        from indexer.embedded.build import build_index
        index_dir = Path(scratch.name) / "index"
        build_index(corpus, index_dir)
    generation = store.require_generation(index_dir)
    if args.command == "sample":
        from whoosh import index as whoosh_index
        from . import sampling
        with whoosh_index.open_dir(str(generation)).searcher() as searcher:
            sampling.write(sampling.draw(searcher))
        print(f"wrote {sampling.SAMPLE}")
        return
    figures = {"threshold": similar.THRESHOLD, "precision": precision(generation)}
    shipped = figures["precision"]["shipped"]
    print(f"judged pairs: {figures['precision']['judged']} {figures['precision']['labels']}")
    print(f"precision at the shipped threshold {similar.THRESHOLD}: {shipped['precision']:.1%} "
          f"({shipped['similar']} of {shipped['pairs']} pairs near-identical or paraphrase)")
    for row in figures["precision"]["table"]:
        print(f"  ≥ {row['threshold']:.2f}: {row['pairs']:3d} pairs, precision {row['precision']}")
    figures["query"] = query_times(index_dir, args.queries)
    q = figures["query"]
    print(f"similar_passages: {q['queries']} distinct paragraphs once each: p50 {q['p50_ms']} ms, "
          f"p95 {q['p95_ms']} ms, max {q['max_ms']} ms (first, loading the generation's data: "
          f"{q['first_ms']} ms); {q['with_similar']} had similar passages, at most {q['most_similar']}")
    figures["step"] = step_alone(generation)
    s = figures["step"]
    print(f"relations step alone: {s['seconds']:.2f} s ({s['cpu_seconds']:.2f} s CPU), "
          f"process peak {s['peak_mb']:.0f} MB "
          f"(before it {s['peak_before_mb']:.0f} MB)")
    if not args.no_build:
        figures["build"] = build_costs(args.repeat)
        b = figures["build"]
        print(f"full build without / with the step (median of {args.repeat}): "
              f"{b['median']['without']['seconds']:.1f} s / {b['median']['with']['seconds']:.1f} s "
              f"(+{b['added_seconds']:.1f} s, +{b['added_share']:.1%}); CPU "
              f"{b['median']['without']['cpu_seconds']:.1f} s / "
              f"{b['median']['with']['cpu_seconds']:.1f} s (+{b['added_cpu_seconds']:.1f} s, "
              f"+{b['added_cpu_share']:.1%}); build process peak "
              f"{b['median']['without']['parent_peak_mb']:.0f} MB / "
              f"{b['median']['with']['parent_peak_mb']:.0f} MB; "
              f"{int(b['median']['with']['paragraphs'])} paragraphs")
    with open("/proc/loadavg") as handle:
        figures["load_average"] = handle.read().split()[:3]
    print(f"load average: {' '.join(figures['load_average'])} (the machine is shared)")
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
