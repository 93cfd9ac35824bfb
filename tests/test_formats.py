"""Format choice, web pages, OFD guards and official metadata on files built in tmp_path.

Real libraries, a real Whoosh index, the real CLI and Flask app; no file of ../shared needed.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import build_index
from indexer.cli import cli
from indexer.ingest.documents import Skipped, read_corpus
from indexer.ingest.formats import html
from indexer.embedded.engine import SearchEngine
from webapp import create_app

GOV_PAGE = """<!DOCTYPE html><html><head><meta charset="gb2312">
<title>国务院办公厅关于推进养老服务发展的意见_政府信息公开专栏_中国政府网</title>
<meta name="ArticleTitle" content="国务院办公厅关于推进养老服务发展的意见">
<meta name="PubDate" content="2019-04-16 10:00">
<meta name="ContentSource" content="中国政府网">
<script>var menu = "首页 政策 新闻";</script><style>.nav{color:red}</style></head>
<body><div class="nav"><a href="/">首页</a> <a href="/zhengce">政策</a></div>
<div class="crumbs">当前位置：首页 &gt; 政策 &gt; 国务院文件</div>
<table><tr><td><b>索 引 号：</b></td><td>000014349/2019-00066</td>
<td><b>主题分类：</b></td><td>劳动、人事、监察\\其他</td></tr>
<tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2019年03月29日</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">国务院办公厅关于推进养老服务发展的意见</td></tr>
<tr><td><b>发文字号：</b></td><td>国办发〔2019〕5号</td><td><b>发布日期：</b></td><td>2019年04月16日</td></tr></table>
<div class="pages_print">【字号：大 中 小】【打印】【关闭】</div>
<div id="UCAP-CONTENT"><p align="center"><b>国务院办公厅关于推进</b></p><p align="center"><b>养老服务发展的意见</b></p>
<p align="center">国办发〔2019〕5号</p>
<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
<p>　　养老服务体系建设取得显著成效，但仍存在政策措施不配套等问题。</p>
<p>　　一、深化放管服改革</p>
<p>　　建立养老服务综合监管制度，提升政府管理服务水平。</p>
<p align="right">国务院办公厅</p><p align="right">2019年3月29日</p>
<p>（此件公开发布）</p></div>
<div class="share">扫一扫在手机打开当前页</div>
<div class="related">相关链接：<a href="/1">关于养老的解读</a></div>
<div class="footer">版权所有：中国政府网 | 京ICP备05070218号</div></body></html>"""

BODY = ["各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
        "养老服务体系建设取得显著成效，但仍存在政策措施不配套等问题。",
        "一、深化放管服改革",
        "建立养老服务综合监管制度，提升政府管理服务水平。"]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def zip_bomb(members: dict[str, bytes], bomb_name: str, size: int = 300 * 1024 ** 2) -> bytes:
    """A real ZIP whose ``bomb_name`` member unpacks to ``size`` zero bytes (about 300 KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open(bomb_name, "w", force_zip64=True) as member:
            chunk = bytes(1024 ** 2)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


# ---------------------------------------------------------------- web pages

def test_gov_page_keeps_the_article_and_its_declared_metadata(tmp_path):
    write(tmp_path / "c/content_5382.htm", GOV_PAGE.encode("gb18030"))
    [document] = list(read_corpus(tmp_path / "c"))
    assert document.title == "国务院办公厅关于推进养老服务发展的意见"
    assert (document.issuer, document.doc_number) == ("国务院办公厅", "国办发〔2019〕5号")
    assert (document.date, document.published, document.year) == ("2019-03-29", "2019-04-16", 2019)
    assert (document.region, document.source_name) == ("全国", "中国政府网")
    texts = [p.text for p in document.paragraphs]
    # The two-line title is one title paragraph; furniture, menus, footers and scripts are gone.
    assert texts == ["国务院办公厅关于推进养老服务发展的意见", "国办发〔2019〕5号", *BODY,
                     "国务院办公厅", "（此件公开发布）"]
    assert document.paragraphs[0].heading and document.paragraphs[0].level == 1
    assert document.paragraphs[5].section == "一、深化放管服改革"


def test_gbk_page_without_a_charset_declaration_is_detected():
    page = ("<html><head><title>关于做好2024年镕铸工程的通知</title></head><body><div id='zoom'>"
            "<p>各区县人民政府：为做好镕铸工程，现就有关事项通知如下。</p></div></body></html>")
    extracted = html.read(page.encode("gb18030"), "t2024.shtml")
    assert [b.text for b in extracted.blocks] == ["各区县人民政府：为做好镕铸工程，现就有关事项通知如下。"]
    assert extracted.meta == {"title": "关于做好2024年镕铸工程的通知"}


def test_wrong_declared_charset_falls_back_to_detection():
    page = ("<html><head><meta charset='utf-8'><title>通知</title></head><body><div class='TRS_Editor'>"
            "<p>乡村振兴工作要点：加强农村基础设施建设。</p></div></body></html>")
    extracted = html.read(page.encode("gb18030"), "x.html")
    assert [b.text for b in extracted.blocks] == ["乡村振兴工作要点：加强农村基础设施建设。"]


def test_docx_that_is_really_html_is_read_as_the_page_it_is(tmp_path):
    write(tmp_path / "c/P0201904.docx", GOV_PAGE.encode("gb18030"))
    [document] = list(read_corpus(tmp_path / "c"))
    assert (document.title, document.doc_number) == ("国务院办公厅关于推进养老服务发展的意见",
                                                      "国办发〔2019〕5号")


# ---------------------------------------------------------------- skipped with a reason

def test_unsupported_zip_bombs_and_broken_files_are_skipped_with_named_reasons(tmp_path):
    corpus = tmp_path / "c"
    write(corpus / "a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    write(corpus / "b.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    write(corpus / "bomb.docx", zip_bomb({"[Content_Types].xml": b"<Types/>"}, "word/document.xml"))
    write(corpus / "bomb.ofd", zip_bomb({"OFD.xml": b"<ofd:OFD/>"}, "Doc_0/Pages/Page_0/Content.xml"))
    write(corpus / "cut.ofd", b"PK\x03\x04" + bytes(50))
    write(corpus / "ok.txt", "关于推进养老服务发展的意见\n\n养老服务体系建设取得显著成效。\n".encode())
    summary = build_index(corpus, tmp_path / "ix", procs=1)
    limit = "over the 268,435,456-byte limit (a ZIP bomb?)"
    assert summary.skipped == [
        {"source": "a.xls", "reason": "unsupported format: .xls"},
        {"source": "b.jpg", "reason": "damaged image file (its format cannot be decoded)"},
        {"source": "bomb.docx", "reason": f"DOCX file would unpack to 314,572,808 bytes in 2 parts, {limit}"},
        {"source": "bomb.ofd", "reason": f"OFD file would unpack to 314,572,810 bytes in 2 parts, {limit}"},
        {"source": "cut.ofd", "reason": "damaged OFD file (broken ZIP archive: File is not a zip file)"},
    ]
    assert (summary.documents, summary.paragraphs) == (1, 2)


# ---------------------------------------------------------------- engine, CLI and API

CIRCULAR = ("国务院办公厅关于加快发展养老服务业的通知\n\n国办发〔2018〕115号\n\n"
            "各省、自治区、直辖市人民政府：\n\n养老服务业是社会保障体系的重要组成部分。\n\n"
            "国务院办公厅\n2018年11月30日\n")
PROVINCIAL = ("江苏省人民政府关于推进养老服务发展的实施意见\n\n苏政发〔2019〕60号\n\n"
              "各市、县（市、区）人民政府：\n\n根据国办发〔2018〕115号文件要求，推进养老服务业发展。\n\n"
              "江苏省人民政府\n2019年7月5日\n")


@pytest.fixture(scope="module")
def circulars(tmp_path_factory):
    root = tmp_path_factory.mktemp("circulars")
    write(root / "corpus/a.txt", CIRCULAR.encode())
    write(root / "corpus/b.txt", PROVINCIAL.encode())
    write(root / "corpus/c.htm", GOV_PAGE.encode("gb18030"))
    build_index(root / "corpus", root / "ix", procs=1)
    return root


@pytest.mark.parametrize("typed", ["国办发〔2018〕115号", "国办发[2018]115号", "国办发（2018）115号",
                                   "国办发(2018)115号", "国办发［2018］115号"])
@pytest.mark.parametrize("mode", ["words", "exact"])
def test_document_number_is_found_whatever_brackets_are_typed(circulars, typed, mode):
    result = SearchEngine(circulars / "ix").search(typed, mode=mode)
    found = sorted((hit["title"], hit["para"]) for hit in result["hits"])
    assert found == [("国务院办公厅关于加快发展养老服务业的通知", 2),
                     ("江苏省人民政府关于推进养老服务发展的实施意见", 4)]


def test_official_metadata_of_text_files_and_on_each_hit(circulars):
    engine = SearchEngine(circulars / "ix")
    [hit] = engine.search("养老服务业是社会保障体系")["hits"]
    assert {k: hit[k] for k in ("issuer", "doc_number", "date", "published")} == {
        "issuer": "国务院办公厅", "doc_number": "国办发〔2018〕115号", "date": "2018-11-30",
        "published": None}


def test_issuer_filter_in_engine_cli_and_api(circulars):
    engine = SearchEngine(circulars / "ix")
    titles = lambda result: sorted({hit["title"] for hit in result["hits"]})  # noqa: E731
    assert titles(engine.search("养老服务", issuer="国务院办公厅")) == [
        "国务院办公厅关于加快发展养老服务业的通知", "国务院办公厅关于推进养老服务发展的意见"]
    # A part of the name matches (substring), width and script folded.
    assert titles(engine.search("养老服务", issuer="江苏省")) == ["江苏省人民政府关于推进养老服务发展的实施意见"]
    assert engine.search("养老服务", issuer="财政部")["total"] == 0

    output = CliRunner().invoke(cli, ["search", "养老服务", "--index", str(circulars / "ix"),
                                      "--issuer", "江苏", "--json"], catch_exceptions=False)
    assert output.exit_code == 0
    assert {hit["issuer"] for hit in json.loads(output.output)["hits"]} == {"江苏省人民政府"}

    app = create_app({"INDEX_DIR": str(circulars / "ix"), "CORPUS_DIR": str(circulars / "corpus"),
                      "PAGE_SIZE": 10, "TESTING": True})
    client = app.test_client()
    answer = client.get("/api/search", query_string={"q": "养老服务", "issuer": "国务院办公厅"}).get_json()
    assert answer["total"] == 5 and {h["issuer"] for h in answer["hits"]} == {"国务院办公厅"}
    page = client.get("/search", query_string={"q": "养老服务", "issuer": "江苏省"}).get_data(as_text=True)
    assert "发文机关：江苏省" in page and "苏政发〔2019〕60号" in page


def test_show_json_api_doc_and_page_carry_the_official_metadata(circulars):
    engine = SearchEngine(circulars / "ix")
    doc_id = next(d["doc_id"] for d in engine.documents() if d["title"].startswith("国务院办公厅关于推进"))
    output = CliRunner().invoke(cli, ["show", doc_id, "--index", str(circulars / "ix"), "--json"])
    shown = json.loads(output.output)
    assert {k: shown[k] for k in ("issuer", "doc_number", "date", "published", "source_name")} == {
        "issuer": "国务院办公厅", "doc_number": "国办发〔2019〕5号", "date": "2019-03-29",
        "published": "2019-04-16", "source_name": "中国政府网"}
    app = create_app({"INDEX_DIR": str(circulars / "ix"), "CORPUS_DIR": str(circulars / "corpus"),
                      "PAGE_SIZE": 10, "TESTING": True})
    client = app.test_client()
    assert client.get(f"/api/doc/{doc_id}").get_json()["doc_number"] == "国办发〔2019〕5号"
    page = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert '<dd class="issuer">国务院办公厅</dd>' in page
    assert '<dd class="doc-number">国办发〔2019〕5号</dd>' in page
    assert "<dd>2019-04-16</dd>" in page and "<dd>中国政府网</dd>" in page
