"""Relevance benchmark of issue 13: nDCG@10, P@10 and grade-2 share of engine, FTS5 and stock.

    .venv/bin/python -m tests.bench.relevance run  [--index DIR] [--k1 K] [--b B] [--title-boost T] [--section-boost S]
                                                   [--heading-prior H] [--lead-lift L] [--lead-chars C] [--lead-min-length M]
    .venv/bin/python -m tests.bench.relevance grid [--index DIR] --k1 1.2,1.5 --b 0.75,0.5,0.3 [--heading-prior 1,0.5 …]
    .venv/bin/python -m tests.bench.relevance pool [--index DIR] [--k1 …] [--b …]  # add new top-10 results to pool.tsv
    .venv/bin/python -m tests.bench.relevance show [--index DIR] [--unjudged]   # the blind judging view

Without --index it builds the engine index of ../shared/corpus national-reports + provincial-2026
in a temporary folder. ``run --opensearch URL`` also indexes that corpus on an OpenSearch cluster
and measures it as the system ``opensearch`` (docs/opensearch.md). The pool is written without system labels, shuffled; judgments.tsv
holds the grades (rubric.json). Results no one judged are listed, never guessed (they count 0).

Two judged sets (--set): ``tuning`` (queries.txt, pool.tsv, judgments.tsv), on which the
ranking constants were and are chosen, and ``heldout`` (heldout-*.txt/tsv), pooled and judged
blind before any further tuning and reported on its own; ``grid`` refuses it. ``run`` reports
both sets, apart.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import tempfile
from pathlib import Path

from indexer.embedded.build import build_index

from .judged import SETS, TUNING, JudgedSet, Judgments, read_queries, read_tsv, score, write_tsv
from .systems import SYSTEMS, EngineParams, Systems, apply_engine_params

SHARED_CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
SUBSETS = ("national-reports", "provincial-2026")
BASELINES = ("fts5", "stock")
VIEW_HEAD, VIEW_WINDOW, VIEW_OCCURRENCES, VIEW_WHOLE = 160, 70, 6, 420


def log(message: str) -> None:
    """Progress on stderr; stdout carries the tables."""
    print(message, file=sys.stderr, flush=True)


def open_systems(args, work: Path) -> Systems:
    """The three systems, on --index or on a fresh build of the shared corpus subsets."""
    index_dir = args.index
    if index_dir is None:
        corpus = work / "corpus"
        corpus.mkdir()
        for name in SUBSETS:
            if not (SHARED_CORPUS / name).is_dir():
                raise SystemExit(f"corpus subset not found: {SHARED_CORPUS / name}")
            (corpus / name).symlink_to(SHARED_CORPUS / name, target_is_directory=True)
        index_dir = work / "index"
        log(f"building the engine index of {', '.join(SUBSETS)} …")
        build_index(corpus, index_dir, full=True)
    return Systems(Path(index_dir), work, log=log)


# ---------------------------------------------------------------- pool and judging view

def make_pool(systems: Systems, judged: JudgedSet, settings: list[EngineParams]) -> int:
    """Append every top-10 key not yet pooled, shuffled per query; returns how many were added.

    The engine contributes its top 10 under every one of ``settings`` (a tuning grid), so
    the grid is measured on judged paragraphs only.
    """
    queries = read_queries(judged.queries)
    rows = read_tsv(judged.pool)
    pooled = {(q, k) for q, k in rows}
    found: dict[str, set[str]] = {q: set() for q in queries}
    for params in settings:
        apply_engine_params(params)
        for query in queries:
            found[query].update(systems.top("engine", query))
    added = 0
    for query in queries:
        found[query].update(key for system in BASELINES for key in systems.top(system, query))
        new = sorted(found[query] - {k for q, k in pooled if q == query})
        random.Random(f"pool:{query}").shuffle(new)
        rows.extend([query, key] for key in new)
        added += len(new)
    rows.sort(key=lambda row: queries.index(row[0]) if row[0] in queries else len(queries))
    write_tsv(judged.pool, ["query", "key"], rows)
    return added


def judging_view(query: str, section: str, text: str) -> str:
    """What a judge reads: the whole paragraph if short, else its head and every occurrence."""
    if len(text) <= VIEW_WHOLE:
        return text
    parts = [text[:VIEW_HEAD] + "…"]
    for match in list(re.finditer(re.escape(query), text))[:VIEW_OCCURRENCES]:
        if match.start() < VIEW_HEAD - 10:
            continue
        start, end = max(0, match.start() - VIEW_WINDOW), match.end() + VIEW_WINDOW
        parts.append(f"…{text[start:end]}…")
    return f"[{len(text)} chars] " + " ".join(parts)


def show_pool(systems: Systems, judged: JudgedSet, only_unjudged: bool) -> None:
    """Print the pool, query by query, in pool order, without system labels."""
    judgments = Judgments.read(judged.judgments)
    for query, key in read_tsv(judged.pool):
        if only_unjudged and judgments.grade(query, key) is not None:
            continue
        section, text = systems.paragraph(key)
        print(f"{query}\t{key}\t§{section}\n    {judging_view(query, section, text)}")


# ---------------------------------------------------------------- measuring

def measure(systems: Systems, queries: list[str], judgments: Judgments, names) -> dict:
    """Scores of every named system on every query: {system: {query: Scores}}."""
    return {name: {q: score(judgments, q, systems.top(name, q)) for q in queries} for name in names}


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def overall(per_query: dict) -> tuple[float, float, float]:
    """Mean nDCG@10, P@10 and grade-2 share over the queries."""
    scores = per_query.values()
    return (mean(s.ndcg for s in scores), mean(s.precision for s in scores),
            mean(s.substantive for s in scores))


def wins(engine: dict, baseline: dict, metric: str = "ndcg") -> tuple[int, int, int]:
    """Queries where the engine's metric (nDCG@10 by default) is higher, lower, equal (within 0.001)."""
    diffs = [getattr(engine[q], metric) - getattr(baseline[q], metric) for q in engine]
    return (sum(d > 1e-3 for d in diffs), sum(d < -1e-3 for d in diffs),
            sum(abs(d) <= 1e-3 for d in diffs))


def print_report(results: dict, queries: list[str], label: str, judged: JudgedSet) -> None:
    """Per-query and overall table, wins/losses, and every unjudged result."""
    names = list(results)
    print(f"{judged.name} set ({judged.queries.name}, {len(queries)} queries) · engine: {label}\n")
    print("| query | " + " | ".join(f"{n} nDCG / P / g2" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for q in queries:
        cells = [f"{results[n][q].ndcg:.3f} / {results[n][q].precision:.1f} / "
                 f"{results[n][q].substantive:.1f}" for n in names]
        print(f"| {q} | " + " | ".join(cells) + " |")
    cells = ["{:.3f} / {:.2f} / {:.2f}".format(*overall(results[n])) for n in names]
    print("| **mean** | " + " | ".join(cells) + " |\n")
    for base in (n for n in names if n != "engine"):
        better, worse, equal = wins(results["engine"], results[base])
        more, fewer, same = wins(results["engine"], results[base], "substantive")
        print(f"engine vs {base}: nDCG@10 better on {better}, worse on {worse}, equal on {equal} "
              f"of {len(queries)} queries; grade-2 share "
              f"{overall(results['engine'])[2]:.2f} vs {overall(results[base])[2]:.2f}, "
              f"higher on {more}, lower on {fewer}, equal on {same}")
    unjudged = [(n, q, k) for n in names for q in queries for k in results[n][q].unjudged]
    print(f"\nunjudged results in the top 10: {len(unjudged)}"
          + ("" if not unjudged else " (counted as 0; judge them with `pool` + `show --unjudged`)"))
    for name, query, key in unjudged:
        print(f"  {name}\t{query}\t{key}")


def run_grid(systems: Systems, queries: list[str], judgments: Judgments,
             settings: list[EngineParams]) -> None:
    """Engine metrics for every setting of the grid, beside the baselines measured once."""
    baselines = measure(systems, queries, judgments, BASELINES)
    for name in BASELINES:
        print("{}: nDCG@10 {:.3f}  P@10 {:.2f}  grade-2 share {:.2f}".format(name, *overall(baselines[name])))
    print("\n| engine | nDCG@10 | P@10 | grade-2 | vs fts5 +/−/= | vs stock +/−/= | unjudged |")
    print("|---|---|---|---|---|---|---|")
    for params in settings:
        apply_engine_params(params)
        engine = measure(systems, queries, judgments, ("engine",))["engine"]
        ndcg, precision, substantive = overall(engine)
        versus = ["{}/{}/{}".format(*wins(engine, baselines[name])) for name in BASELINES]
        unjudged = sum(len(s.unjudged) for s in engine.values())
        print(f"| {params.label()} | {ndcg:.3f} | {precision:.2f} | {substantive:.2f} | "
              f"{versus[0]} | {versus[1]} | {unjudged} |")


def floats(text: str | None) -> list[float | None]:
    """A comma-separated list of numbers; [None] (keep matching.py's value) when not given."""
    return [float(x) for x in text.split(",")] if text else [None]


def grid_settings(args) -> list[EngineParams]:
    """Every combination of the --k1, --b, --title-boost, --section-boost, --heading-prior,
    --lead-lift, --lead-chars and --lead-min-length lists."""
    return [EngineParams(*values) for values in itertools.product(
        floats(args.k1), floats(args.b), floats(args.title_boost), floats(args.section_boost),
        floats(args.heading_prior), floats(args.lead_lift), floats(args.lead_chars),
        floats(args.lead_min_length))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.relevance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("run", "grid", "pool", "show"))
    parser.add_argument("--index", type=Path, help="an engine index of national-reports + provincial-2026")
    parser.add_argument("--k1", help="engine BM25 k1 (grid, pool: comma-separated)")
    parser.add_argument("--b", help="engine BM25 b (grid, pool: comma-separated)")
    parser.add_argument("--title-boost", help="engine title field boost (grid, pool: comma-separated)")
    parser.add_argument("--section-boost", help="engine section field boost (grid, pool: comma-separated)")
    parser.add_argument("--heading-prior", help="engine factor on a heading line's word score (grid, pool: comma-separated)")
    parser.add_argument("--lead-lift", help="engine lift of a paragraph naming the terms early (grid, pool: comma-separated)")
    parser.add_argument("--lead-chars", help="engine: how early is early, in characters (grid, pool: comma-separated)")
    parser.add_argument("--lead-min-length", help="engine: the lift needs a paragraph at least this long, in words (grid, pool: comma-separated)")
    parser.add_argument("--unjudged", action="store_true", help="show: only paragraphs not judged yet")
    parser.add_argument("--opensearch", metavar="URL",
                        help="run: also measure the OpenSearch backend on this cluster")
    parser.add_argument("--set", choices=("tuning", "heldout", "both"), default=None,
                        help="judged set: run reports both by default; pool, show and grid "
                             "take tuning by default (grid never takes heldout)")
    args = parser.parse_args(argv)
    chosen = args.set or ("both" if args.command == "run" else "tuning")
    if chosen == "both" and args.command != "run":
        parser.error(f"{args.command} takes one set: --set tuning or --set heldout")
    if args.command == "grid" and chosen != "tuning":
        parser.error("the held-out set is never tuned on: grid runs on --set tuning only")
    judged_sets = [SETS["tuning"], SETS["heldout"]] if chosen == "both" else [SETS[chosen]]
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        systems = open_systems(args, Path(tmp))
        judged = judged_sets[0]
        if args.command == "pool":
            print(f"{make_pool(systems, judged, grid_settings(args))} paragraphs added to {judged.pool}")
        elif args.command == "show":
            show_pool(systems, judged, args.unjudged)
        elif args.command == "grid":
            run_grid(systems, read_queries(TUNING.queries), Judgments.read(TUNING.judgments),
                     grid_settings(args))
        else:
            params = grid_settings(args)[0]  # run takes one value per option
            apply_engine_params(params)
            names = SYSTEMS
            if args.opensearch:
                if args.index is not None:
                    raise SystemExit("--opensearch builds from the shared corpus: leave out --index")
                log("building the OpenSearch index of the same corpus …")
                systems.add_opensearch(Path(tmp) / "corpus", args.opensearch)
                names = SYSTEMS + ("opensearch",)
            for judged in judged_sets:
                queries = read_queries(judged.queries)
                results = measure(systems, queries, Judgments.read(judged.judgments), names)
                print_report(results, queries, params.label(), judged)
                print()


if __name__ == "__main__":
    main()
