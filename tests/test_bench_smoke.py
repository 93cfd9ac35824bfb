"""Smoke test of the benchmark harness (tests/bench): a tiny run must produce a complete result file."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.probes import READY_QUERY, fresh_groups

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CLASSES = ("policy", "common", "single_char", "multi_word", "exact", "substring")


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason=f"shared corpus not found at {SHARED_CORPUS}")
def test_benchmark_quick_run_writes_every_number(tmp_path):
    out = tmp_path / "result.json"
    # The documented command, run as a user would: a module of the checkout, from its root.
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--corpus", str(SHARED_CORPUS),
         "--sets", "national-reports", "--limit-docs", "3", "--repeat", "1",
         "--index", str(tmp_path / "index"), "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "recall check:" in completed.stdout

    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["index"]["documents"] == 3
    assert set(result["classes"]) == set(CLASSES)
    for name, systems in result["classes"].items():
        for system in ("engine", "fts5", "scan"):
            row = systems[system]
            assert row["queries"] > 0, (name, system)
            assert row["errors"] == [], (name, system, row["errors"])
            for key in ("p50_ms", "p95_ms"):
                value = row[key]
                assert isinstance(value, (int, float)) and math.isfinite(value), (name, system, key)
    assert result["recall"]["queries"] > 0
    assert result["recall"]["missed_paragraphs"] == 0, result["recall"]["missed"][:5]
    assert result["build"]["engine"]["paragraphs"] > 0
    assert {t["key"] for t in result["targets"]} == {
        "http_one_p50_ms", "http_one_p95_ms", "http_p95_ms", "server_anon_mb", "start_s",
        "stock_ratio"}
    assert all(t["met"] is not None for t in result["targets"]), result["targets"]
    # each text a first call once per process: words mode in one, exact mode in another
    exact = set(result["queries_by_class"]["exact"])
    words = {q for name, texts in result["queries_by_class"].items() if name != "exact"
             for q in texts} - {READY_QUERY}
    for probe in ("first_calls", "http"):
        assert len(result[probe]["first_ms"]) == result[probe]["queries"] == len(words)
        assert len(result[probe]["exact"]["first_ms"]) == result[probe]["exact"]["queries"] \
            == len(exact)
    assert result["http"]["statuses"] == result["http"]["exact"]["statuses"] == [200]
    stock = result["stock"]
    assert [run["procs"] for run in stock["stock_runs"]] == [1, 2]
    assert stock["stock"]["seconds"] == min(run["seconds"] for run in stock["stock_runs"])
    for run in (stock["engine"], *stock["stock_runs"]):
        assert run["cpu_seconds"] > 0
    assert stock["engine"]["paragraphs"] == stock["stock"]["paragraphs"] \
        == result["index"]["paragraphs"]
    recall = result["recall"]
    assert recall["expected_paragraphs"] > 0
    assert result["machine"]["git_commit"]
    # --report prints the same tables again from the file, measuring nothing.
    report = subprocess.run([sys.executable, "-m", "tests.bench.run", "--report", str(out)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr[-3000:]
    assert "| target | measured | target | met |" in report.stdout
    assert completed.stdout.startswith(report.stdout.rstrip("\n"))


def test_each_text_is_a_first_call_once_per_process():
    queries = [("乡村振兴", "words"), ("乡村振兴", "exact"), ("发展", "words"),
               ("乡村振兴", "words"), ("人民政府", "words"), ("“一带一路”", "exact")]
    assert fresh_groups(queries) == {
        "words": [("乡村振兴", "words"), ("发展", "words")],
        "exact": [("乡村振兴", "exact"), ("“一带一路”", "exact")]}
