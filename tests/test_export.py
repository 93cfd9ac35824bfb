"""Exporting whole result lists: CSV with a BOM and JSON lines, from the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from conftest import app_over
from indexer import SearchEngine, build_index
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


def test_exports_are_read_in_chunks_and_bounded(shorthand_index):
    engine = SearchEngine(shorthand_index)
    started = export.start(engine, "双碳", chunk=1)  # 4 hits: four chunks
    whole = [h["text"] for h in engine.search("双碳", per_page=100)["hits"]]
    assert len(whole) == 4 and len(started.first["hits"]) == 1
    assert [h["text"] for h in started.hits()] == whole
    bounded = export.start(engine, "双碳", limit=3, chunk=1)
    assert (bounded.total, bounded.rows, bounded.truncated) == (4, 3, True)
    assert [h["text"] for h in bounded.hits()] == whole[:3]


def csv_text(rows: list[dict]) -> str:
    """The CSV an export must write, by the csv module: BOM, header, rows, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([row[column] for column in HEADER] for row in rows)
    return "\ufeff" + out.getvalue()


def test_csv_in_several_pieces_joins_to_the_whole_file(shorthand_app, monkeypatch):
    monkeypatch.setitem(shorthand_app.config, "EXPORT_CHUNK", 1)
    monkeypatch.setitem(shorthand_app.config, "EXPORT_PIECE_ROWS", 1)
    client = shorthand_app.test_client()
    answer = client.get("/api/search/export?q=双碳&format=csv", buffered=False)
    pieces = list(answer.response)
    assert len(pieces) == 5  # the header, then each of the 4 rows
    assert b"".join(pieces).decode("utf-8") == csv_text(expected_rows(client, "双碳"))

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
    client = shorthand_app.test_client()
    answer = client.get(f"/api/search/export?q=双碳&format={fmt}", buffered=False)
    pieces = list(answer.response)
    expected = expected_rows(client, "双碳")
    if fmt == "csv":  # the header, then the rows (fewer than a piece holds)
        assert len(pieces) == 2
        assert b"".join(pieces).decode("utf-8") == csv_text(expected)
    else:  # one line a piece
        assert [json.loads(piece)["text"] for piece in pieces] == [r["text"] for r in expected]


# ---------------------------------------------------------------- issuers and rebuilds

CIRCULARS = {
    "a.txt": "国务院办公厅关于加快发展养老服务业的通知\n\n国办发〔2018〕115号\n\n"
             "各省、自治区、直辖市人民政府：\n\n养老服务业是社会保障体系的重要组成部分。\n\n"
             "国务院办公厅\n2018年11月30日\n",
    "b.txt": "江苏省人民政府关于推进养老服务发展的实施意见\n\n苏政发〔2019〕60号\n\n"
             "各市、县（市、区）人民政府：\n\n推进养老服务业发展，建设养老服务体系。\n\n"
             "江苏省人民政府\n2019年7月5日\n",
    "2020_某市_政府工作报告.txt": "2020年某市政府工作报告\n\n发展养老服务，新建社区养老服务站20个。\n",
}


@pytest.fixture()
def circulars(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CIRCULARS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    return corpus, tmp_path / "index"


def test_the_issuer_column_names_each_documents_issuer(circulars):
    corpus, index = circulars
    client = app_over(index, corpus).test_client()
    rows = read_csv(client.get("/api/search/export?q=养老服务&format=csv").data)
    issuers = {(r["title"], r["issuer"]) for r in rows}
    assert issuers == {("国务院办公厅关于加快发展养老服务业的通知", "国务院办公厅"),
                       ("江苏省人民政府关于推进养老服务发展的实施意见", "江苏省人民政府"),
                       ("2020年某市政府工作报告", "")}
    assert len(rows) == 5  # both titles, the body line of each circular and of the report


def test_a_rebuild_during_an_export_changes_nothing_in_the_file(circulars):
    corpus, index = circulars
    client = app_over(index, corpus).test_client()
    client.application.config.update(EXPORT_CHUNK=1, EXPORT_PIECE_ROWS=1)
    before = client.get("/api/search", query_string={"q": "养老服务", "per_page": 100}).get_json()
    answer = client.get("/api/search/export?q=养老服务&format=csv", buffered=False)
    pieces = iter(answer.response)
    written = [next(pieces), next(pieces)]  # the header and the first row
    (corpus / "b.txt").unlink()
    (corpus / "c.txt").write_text("关于养老服务的补充通知\n\n养老服务补贴标准提高10%。\n", encoding="utf-8")
    build_index(corpus, index, full=True)
    after = client.get("/api/search", query_string={"q": "养老服务", "per_page": 100}).get_json()
    assert {h["title"] for h in after["hits"]} != {h["title"] for h in before["hits"]}
    written += list(pieces)
    assert len(written) == 1 + before["total"]
    assert b"".join(written).decode("utf-8") == csv_text(
        [{"document": h["doc_id"], "title": h["title"], "year": str(h["year"] or ""),
          "issuer": h["issuer"] or "", "section": h["section"], "paragraph": str(h["para"]),
          "text": h["text"], "group": h["group"], "link": "http://localhost" + h["url"]}
         for h in before["hits"]])
