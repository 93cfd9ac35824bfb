"""Exporting whole result lists: CSV with a BOM and JSON lines, from the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from indexer import SearchEngine
from indexer.features import export

HEADER = ["document", "title", "year", "issuer", "section", "paragraph", "text", "group", "link"]


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def expected_rows(client, query: str, base: str = "http://localhost") -> list[dict]:
    """The hit list of /api/search, as the export must render it."""
    hits = client.get("/api/search", query_string={"q": query, "per_page": 1000}).get_json()["hits"]
    return [{"document": h["doc_id"], "title": h["title"], "year": str(h["year"] or ""),
             "issuer": "", "section": h["section"], "paragraph": str(h["para"]),
             "text": h["text"], "group": h["group"], "link": base + h["url"]} for h in hits]


def test_csv_export_is_the_whole_hit_list_in_order(shorthand_app):
    client = shorthand_app.test_client()
    answer = client.get("/api/search/export?q=双碳&format=csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"policy-search.csv\"; "
        "filename*=UTF-8''policy-search-%E5%8F%8C%E7%A2%B3.csv")
    assert (answer.headers["X-Total-Hits"], answer.headers["X-Exported-Rows"]) == ("4", "4")
    assert answer.data.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)
    rows = read_csv(answer.data)
    assert rows == expected_rows(client, "双碳")
    assert [r["text"][:4] for r in rows] == ["双碳目标", "全面推进", "积极稳妥", "做好碳中"]
    assert [r["group"] for r in rows] == ["query", "query", "expansion", "expansion"]


def test_jsonl_export_matches_too(shorthand_app):
    client = shorthand_app.test_client()
    answer = client.get("/api/search/export?q=双碳&format=jsonl&expand=0")
    assert answer.mimetype == "application/x-ndjson"
    rows = [json.loads(line) for line in answer.data.decode("utf-8").splitlines()]
    expected = [r for r in expected_rows(client, "双碳") if r["group"] == "query"]
    for row in expected:
        row.update(year=int(row["year"]), paragraph=int(row["paragraph"]))
    assert rows == expected


def test_quotes_commas_and_markup_survive_the_round_trip(client):
    rows = read_csv(client.get("/api/search/export?q=注入样本&format=csv").data)
    assert sorted(r["text"] for r in rows) == [
        "另一段普通文字，用于检验注入样本不会执行。",
        '本段包含注入样本<script>alert(1)</script>以及"><img src=x onerror=alert(1)>'
        "和javascript:alert(1)等内容。"]


def test_bad_export_requests_are_400(shorthand_app):
    client = shorthand_app.test_client()
    assert client.get("/api/search/export?q=双碳&format=xlsx").status_code == 400
    assert client.get("/api/search/export?format=csv").status_code == 400
    assert client.get("/api/search/export?q=双碳").status_code == 200  # csv by default


def test_the_results_page_links_to_the_export(shorthand_app):
    page = shorthand_app.test_client().get("/search?q=双碳&expand=0").get_data(as_text=True)
    assert ('<a class="export" href="/api/search/export?q=%E5%8F%8C%E7%A2%B3&amp;mode=words'
            '&amp;sort=relevance&amp;expand=0&amp;format=csv" download>') in page


def test_exports_are_read_in_chunks_and_bounded(shorthand_index, monkeypatch):
    engine = SearchEngine(shorthand_index)
    monkeypatch.setattr(export, "CHUNK", 3)  # 4 hits: two chunks
    started = export.start(engine, "双碳")
    whole = [h["text"] for h in engine.search("双碳", per_page=100)["hits"]]
    assert [h["text"] for h in started.hits()] == whole
    bounded = export.start(engine, "双碳", limit=3)
    assert (bounded.total, bounded.rows, bounded.truncated) == (4, 3, True)
    assert [h["text"] for h in bounded.hits()] == whole[:3]


def test_cli_export(shorthand_index):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "indexer", "search", "双碳", "--index",
                               str(shorthand_index), *args], capture_output=True, check=False)

    done = run("--all", "--csv")
    assert done.returncode == 0, done.stderr
    rows = read_csv(done.stdout)
    assert [r["group"] for r in rows] == ["query", "query", "expansion", "expansion"]
    assert rows[0]["link"].startswith(f"/doc/{rows[0]['document']}?q=")
    lines = run("--all", "--jsonl", "--no-expand").stdout.decode("utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [r["text"] for r in rows[:2]]
    refused = run("--csv")
    assert refused.returncode == 2
    assert b"export with --all and one of --csv or --jsonl" in refused.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_streams(shorthand_app, fmt):
    answer = shorthand_app.test_client().get(f"/api/search/export?q=双碳&format={fmt}",
                                             buffered=False)
    assert answer.is_streamed
    assert len(b"".join(answer.response)) > 0
