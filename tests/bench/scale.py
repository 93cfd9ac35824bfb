"""Scale curve: the perf corpus at several sizes, built and queried the same way.

    .venv/bin/python -m tests.bench.scale --factors 1,3,10 --work /var/tmp/scale \\
        --queries bench-results/queries.json --out bench-results/scale.json [--svg scale.svg]

A factor f is national-reports + provincial-2026 + f × laws: whole replicas of the laws folder
(each file copied with its lines after the title shuffled, under its own folder, so every
replica has distinct document ids and a different paragraph order), plus a fraction of the
files for a fractional part. For each size: full build time, paragraphs, index size on disk,
peak RSS of the build (main process and largest worker), then the first-calls probe in a fresh
process (never-seen queries, OS cache warm; exact mode in a process of its own): p50/p95,
and the document page p95. Each index is
deleted after its measurements, so only one exists at a time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from indexer.embedded import store
from indexer.ingest.documents import iter_corpus_files

from .probes import fresh_groups
from .run import REPO_ROOT, SHARED, disk_bytes, log, percentile, run_build

BASE_SETS = ("national-reports", "provincial-2026")


def assemble(corpus_root: Path, factor: float, work: Path, seed: int = 7) -> Path:
    """The corpus folder of one factor (symlinks for originals, shuffled copies for replicas)."""
    corpus = work / f"corpus-{factor:g}"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for name in BASE_SETS + ("laws",):
        if name != "laws" or factor >= 1:
            (corpus / name).symlink_to((corpus_root / name).resolve(), target_is_directory=True)
    laws = sorted(iter_corpus_files(corpus_root / "laws"))
    rng = random.Random(seed)
    copies = max(0, math.ceil(factor) - 1) if factor >= 1 else 0
    fraction = factor - math.floor(factor)
    for replica in range(1, copies + 2):
        if replica == copies + 1:
            if fraction == 0 and factor >= 1:
                break
            chosen = laws[:round(len(laws) * (fraction if factor >= 1 else factor))]
        else:
            chosen = laws
        for path in chosen:
            target = corpus / f"laws-{replica}" / path.relative_to(corpus_root / "laws")
            target.parent.mkdir(parents=True, exist_ok=True)
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            body = lines[1:]
            rng.shuffle(body)
            target.write_text("\n".join(lines[:1] + body) + "\n", encoding="utf-8")
    return corpus


def first_calls(index: Path, queries: Path) -> dict:
    """The probe's first calls and document pages: the words-mode queries in one fresh process,
    the exact-mode ones in another (each text a first call once); the latter under ``exact``."""
    result: dict = {}
    groups = fresh_groups(json.loads(queries.read_text(encoding="utf-8")))
    for name in ("words", "exact"):
        group_file = index.parent / f"queries-{name}.json"
        group_file.write_text(json.dumps(groups[name], ensure_ascii=False), encoding="utf-8")
        completed = subprocess.run([sys.executable, "-m", "tests.bench.probes", "first",
                                    str(index), str(group_file)], cwd=REPO_ROOT,
                                   capture_output=True, text=True, check=True)
        measured = json.loads(completed.stdout.strip().splitlines()[-1])
        if name == "words":
            result = measured
        else:
            result["exact"] = measured
    return result


def measure(corpus_root: Path, factor: float, work: Path, queries: Path) -> dict:
    """Build and query one size; the index is removed afterwards."""
    corpus = assemble(corpus_root, factor, work)
    index = work / f"index-{factor:g}"
    shutil.rmtree(index, ignore_errors=True)
    try:
        build = run_build(corpus, index)
        size = disk_bytes(index)
        segments = len(list(store.current_generation(index).glob("*.arrays")))
        calls = first_calls(index, queries)
    finally:
        shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return {
        "factor": factor, "paragraphs": build["paragraphs"], "build_seconds": build["seconds"],
        "build_cpu_seconds": build.get("cpu_seconds"), "segments": segments,
        "index_mb": size / 2**20, "build_peak_rss_mb": build["peak_rss_self_kb"] / 1024,
        "worker_peak_rss_mb": build["peak_rss_children_kb"] / 1024,
        "first_p50_ms": percentile(calls["first_ms"], 50),
        "first_p95_ms": percentile(calls["first_ms"], 95),
        "exact_first_p50_ms": percentile(calls["exact"]["first_ms"], 50),
        "exact_first_p95_ms": percentile(calls["exact"]["first_ms"], 95),
        "document_p95_ms": percentile(calls["document_with_query_ms"], 95),
        "search_rss_mb": calls["rss_kb"] / 1024, "load_average": os.getloadavg(),
    }


PANELS = (
    ("build", "s", (("build_seconds", "wall", "#1f77b4"), ("build_cpu_seconds", "CPU", "#9ecae1"))),
    ("first call and document page", "ms", (("first_p95_ms", "first call p95", "#d62728"),
                                             ("first_p50_ms", "first call p50", "#ff9896"),
                                             ("document_p95_ms", "document page p95", "#2ca02c"))),
)


def svg(points: list[dict]) -> str:
    """Two panels, build time and query latency, each against paragraphs (hand-written SVG)."""
    width, height, left, top, bottom, gap = 820, 320, 60, 40, 50, 70
    panel = (width - left - gap - 20) // 2
    most = max(p["paragraphs"] for p in points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for number, (title, unit, series) in enumerate(PANELS):
        x0 = left + number * (panel + gap)
        y0, plot = height - bottom, height - bottom - top
        peak = max(p.get(key) or 0 for p in points for key, _, _ in series) or 1

        def x(paragraphs):
            return x0 + panel * paragraphs / most

        def y(value):
            return y0 - plot * value / peak

        parts += [f'<text x="{x0}" y="{top - 22}" font-weight="bold">{title} ({unit})</text>',
                  f'<line x1="{x0}" y1="{y0}" x2="{x0 + panel}" y2="{y0}" stroke="black"/>',
                  f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{y0}" stroke="black"/>',
                  f'<text x="{x0 + panel / 2}" y="{height - 12}" text-anchor="middle">'
                  f'paragraphs (millions)</text>']
        for tick in (0.25, 0.5, 0.75, 1.0):
            parts.append(f'<text x="{x0 - 6}" y="{y(peak * tick) + 4:.0f}" text-anchor="end">'
                         f'{peak * tick:,.0f}</text>')
        for point in points:
            parts.append(f'<text x="{x(point["paragraphs"]):.0f}" y="{y0 + 16}" '
                         f'text-anchor="middle">{point["paragraphs"] / 1e6:.2f}</text>')
        for index, (key, label, colour) in enumerate(series):
            xy = [(x(p["paragraphs"]), y(p.get(key) or 0)) for p in points]
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                         + " ".join(f"{px:.0f},{py:.0f}" for px, py in xy) + '"/>')
            for (px, py), point in zip(xy, points):
                parts.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="3" fill="{colour}"/>')
                below = index % 2  # alternate sides so close lines' labels do not overlap
                parts.append(f'<text x="{px + (6 if below else -6):.0f}" '
                             f'y="{py + (16 if below else -6):.0f}" '
                             f'text-anchor="{"start" if below else "end"}" '
                             f'fill="{colour}">{point.get(key) or 0:,.0f}</text>')
            parts.append(f'<text x="{x0 + 10}" y="{top + 14 * index}" fill="{colour}">'
                         f'{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure every factor and write the JSON (and the SVG if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,3,10")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True,
                        help="JSON list of [text, mode] (e.g. written by the probe's caller)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--svg", type=Path)
    parser.add_argument("--plot-only", action="store_true",
                        help="draw --svg from the points already in --out, measuring nothing")
    args = parser.parse_args(argv)
    if args.plot_only:
        args.svg.write_text(svg(json.loads(args.out.read_text())), encoding="utf-8")
        return 0
    points = []
    for factor in (float(f) for f in args.factors.split(",")):
        log(f"scale factor {factor:g} …")
        points.append(measure(args.corpus, factor, args.work, args.queries))
        args.out.write_text(json.dumps(points, indent=1))
        log(json.dumps(points[-1]))
    if args.svg:
        args.svg.write_text(svg(points), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
