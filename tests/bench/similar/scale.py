"""The echoes step at the scale of a built index (docs/echoes.md, "At the scale of the
performance corpus" and "Ten times the corpus").

    .venv/bin/python -m tests.bench.similar.scale --index DIR [--times 10] [--out FILE]

On a copy of the index's live generation (which must have been built with the step, so that
it holds the fingerprints), each in a fresh process:

1. the step as a full build runs it: the generation's fingerprints handed over as a worker's
   part file, the step's own files removed first — CPU seconds and peak memory;
2. the pairs with the shipped bucket cap and without any: how many, their CPU, and the
   similarities of the pairs the cap leaves out;
3. with ``--times N``: the pairs and neighbour lists of the fingerprints repeated N times as
   separate documents (none taken for copies), as a scale bench replica corpus makes them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from indexer.embedded import store
from indexer.relations import duplicates, fingerprints, similar

_PEAK = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
"""

_STEP = _PEAK + r"""
from indexer.relations import echoes
before, started = peak_mb(), cpu()
echoes.build(Path(sys.argv[1]))
print(json.dumps({"cpu_seconds": cpu() - started, "peak_mb": peak_mb(), "peak_before_mb": before}))
"""

_CAP = _PEAK + r"""
from indexer.relations import fingerprints, similar
prints = fingerprints.load(Path(sys.argv[1]))
found = {}
for cap in (similar.BUCKET_CAP, None):
    started = cpu()
    pairs = similar.find_pairs(prints, similar.THRESHOLD, cap=cap if cap else 1 << 40)
    found[cap] = pairs
    print(json.dumps({"cap": cap, "pairs": len(pairs.packed), "cpu_seconds": cpu() - started,
                      "capped_buckets": pairs.capped_buckets, "capped_texts": pairs.capped_texts,
                      "capped_holders": pairs.capped_holders}))
left_out = np.setdiff1d(found[None].packed, found[similar.BUCKET_CAP].packed)
codes = left_out >> 8
print(json.dumps({"left_out": len(left_out), "passages": len(np.unique(np.concatenate(
    (codes // found[None].passages, codes % found[None].passages)))),
    "similarity_quartiles": np.percentile((left_out & 0xFF) / 128, [0, 25, 50, 75, 100]).round(3).tolist()
    if len(left_out) else []}))
"""

_TIMES = _PEAK + r"""
import tempfile
from indexer.relations import fingerprints, similar
prints, times = fingerprints.load(Path(sys.argv[1])), int(sys.argv[2])
documents = len(prints.doc_ids)
repeated = fingerprints.Fingerprints(
    [f"{d}-{r}" for r in range(times) for d in prints.doc_ids], prints.content_hashes * times,
    np.tile(prints.doc_signatures, (times, 1)), np.tile(prints.doc_lengths, times),
    np.tile(prints.doc_defects, times),
    np.concatenate([prints.passage_docs + r * documents for r in range(times)]).astype(np.int32),
    np.tile(prints.passage_paras, times), np.tile(prints.passage_signatures, (times, 1)),
    np.tile(prints.passage_keys, times))
del prints
before, started = peak_mb(), cpu()
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as folder:
    similar.build(Path(folder), repeated, {}, np.arange(len(repeated.doc_ids)))
    spent = cpu() - started
    with np.load(Path(folder) / similar.FILE) as saved:
        counts = np.diff(saved["offsets"])
        print(json.dumps({"times": times, "passages": len(repeated.passage_docs),
                          "cpu_seconds": spent, "peak_mb": peak_mb(), "peak_before_mb": before,
                          "neighbour_entries": int(counts.sum()),
                          "with_similar": int(np.count_nonzero(counts)), "most": int(counts.max()),
                          "capped_buckets": int(saved["capped_buckets"]),
                          "capped_holders": int(saved["capped_holders"])}))
"""


def child(code: str, *args: str) -> list[dict]:
    """Run ``code`` in a fresh process; its printed JSON lines."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main(argv: list[str] | None = None) -> None:
    """Print the figures (and write them as JSON with --out)."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.similar.scale")
    parser.add_argument("--index", type=Path, required=True, help="an index built with the step")
    parser.add_argument("--times", type=int, default=0, help="also emulate N times the passages")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    generation = store.require_generation(args.index)
    if fingerprints.load(generation) is None:
        sys.exit(f"{generation} holds no fingerprints: build it with the echoes step first")
    figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-echoes-scale-", dir=args.index.parent) as scratch:
        copy = Path(scratch) / "generation"
        shutil.copytree(generation, copy)
        for name in (similar.FILE, duplicates.FILE):
            (copy / name).unlink(missing_ok=True)
        (copy / fingerprints.FILE).rename(copy / (fingerprints.PART_PREFIX + "0.npz"))
        figures["step"] = child(_STEP, str(copy))[0]
        print(f"step with the workers' fingerprints: {figures['step']['cpu_seconds']:.1f} s CPU, "
              f"peak {figures['step']['peak_mb']:.0f} MB")
        figures["cap"] = child(_CAP, str(copy))
        for row in figures["cap"][:2]:
            print(f"cap {row['cap']}: {row['pairs']} pairs, {row['cpu_seconds']:.1f} s CPU, "
                  f"{row['capped_buckets']} buckets of {row['capped_texts']} texts capped, "
                  f"{row['capped_holders']} texts held too often")
        left = figures["cap"][2]
        print(f"left out by the cap: {left['left_out']} pairs of {left['passages']} passages, "
              f"similarity quartiles {left['similarity_quartiles']}")
        if args.times:
            figures["times"] = child(_TIMES, str(copy), str(args.times), scratch)[0]
            t = figures["times"]
            print(f"{t['times']}x: {t['passages']} passages, {t['neighbour_entries']} neighbour "
                  f"entries, {t['cpu_seconds']:.1f} s CPU, peak {t['peak_mb']:.0f} MB "
                  f"(fingerprints alone {t['peak_before_mb']:.0f} MB)")
    with open("/proc/loadavg") as handle:
        figures["load_average"] = handle.read().split()[:3]
    print(f"load average: {' '.join(figures['load_average'])} (the machine is shared)")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
