"""Smoke test of the benchmark harness (tests/bench): a tiny run must produce a complete result file."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

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
        "first_p50_ms", "first_p95_ms", "http_p50_ms", "http_p95_ms", "document_query_p50_ms",
        "document_query_p95_ms", "document_p95_ms", "server_rss_mb", "start_s", "build_s",
        "stock_ratio"}
    assert all(t["met"] is not None for t in result["targets"]), result["targets"]
    queries = sum(len(v) for v in result["queries_by_class"].values())
    assert len(result["first_calls"]["first_ms"]) == len(result["http"]["first_ms"]) == queries
    assert result["http"]["statuses"] == [200]
    stock = result["stock"]
    assert stock["engine"]["paragraphs"] == stock["stock"]["paragraphs"] \
        == result["index"]["paragraphs"]
    assert result["machine"]["git_commit"]
