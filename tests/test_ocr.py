"""OCR of image files and of a scanned page inside a text PDF, through real builds.

Two small pages are recognised once (the build of the module's fixture); the later builds take
them from the OCR cache, which is what they check. Text is drawn with a CJK font into images made
here, so the expected strings are the ones drawn.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import cli, describe_build
from indexer.embedded.build import build_index
from indexer.embedded.engine import SearchEngine
from indexer.ingest.documents import make_doc_id

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
pytestmark = pytest.mark.skipif(not FONT.is_file(), reason="needs fonts-noto-cjk to draw test pages")

TITLE = "关于做好秋粮收购工作的通知"
BODY = [("　　各地要切实做好今年秋粮收购工作，确保农民", "售粮顺畅，守住种粮农民利益底线。"),
        ("　　各级粮食企业要加强市场监测，及时发布收购", "价格信息，严禁压级压价。")]
SCANNED_PAGE = ("　　第二页是扫描件。各地要按时报送秋粮收购进度", "和库存情况，不得迟报漏报。")


def _page_image(title: str | None, paragraphs, width=1240, height=None):
    """A white page with a large title and body paragraphs of two lines each, as a scan looks."""
    from PIL import Image, ImageDraw, ImageFont

    body_font = ImageFont.truetype(str(FONT), 40)
    title_font = ImageFont.truetype(str(FONT), 56)
    lines = len(paragraphs) * 2 + (2 if title else 0)
    image = Image.new("RGB", (width, height or 160 + 70 * lines), "white")
    draw = ImageDraw.Draw(image)
    y = 80
    if title:
        draw.text((width // 2, y), title, fill="black", font=title_font, anchor="mt")
        y += 130
    for first, second in paragraphs:
        draw.text((130, y), first, fill="black", font=body_font)
        draw.text((130, y + 70), second, fill="black", font=body_font)
        y += 140
    return image


def _mixed_pdf(path: Path) -> None:
    """Page 1 typeset text; page 2 only an image of text (a scanned page inside a text PDF)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    width, height = A4
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont("STSong-Light", 16)
    page.drawString(80, height - 100, "第一页是文字层。秋粮收购要坚持市场化收购和政策性收储相结合。")
    page.showPage()
    scan = _page_image(None, [SCANNED_PAGE], height=1754)  # A4 at 150 dpi
    page.drawImage(ImageReader(scan), 0, 0, width, height)
    page.showPage()
    page.save()


@pytest.fixture(scope="module")
def ocr_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("ocr-corpus")
    _page_image(TITLE, BODY).save(corpus / "notice.png")
    _mixed_pdf(corpus / "mixed.pdf")
    (corpus / "plain.txt").write_text("关于秋粮的说明\n\n这是一个普通文本文件。\n", encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def ocr_build(ocr_corpus, tmp_path_factory):
    index = tmp_path_factory.mktemp("ocr-index") / "index"
    pages = []
    summary = build_index(ocr_corpus, index, full=True,
                          progress=lambda done, total, source: pages.append(source))
    return index, summary, pages


def test_an_image_file_is_recognised_and_found(ocr_build):
    index, summary, _ = ocr_build
    assert summary.skipped == []
    engine = SearchEngine(index)
    document = engine.document(make_doc_id("notice.png"))
    assert document["title"] == TITLE
    texts = [p["text"] for p in document["paragraphs"]]
    assert texts == [TITLE] + [(first + second).strip("　") for first, second in BODY]
    assert all(p["ocr"] is True and 0.5 <= p["confidence"] <= 1 for p in document["paragraphs"])
    hits = engine.search("严禁压级压价", mode="exact")["hits"]
    assert [hit["doc_id"] for hit in hits] == [make_doc_id("notice.png")]


def test_only_the_scanned_page_of_a_mixed_pdf_is_marked(ocr_build):
    index, _, _ = ocr_build
    document = SearchEngine(index).document(make_doc_id("mixed.pdf"))
    shown = [(p["text"], p.get("ocr", False)) for p in document["paragraphs"]]
    assert shown == [
        ("第一页是文字层。秋粮收购要坚持市场化收购和政策性收储相结合。", False),
        ((SCANNED_PAGE[0] + SCANNED_PAGE[1]).strip("　"), True),
    ]
    assert "confidence" not in document["paragraphs"][0]


def test_the_summary_and_progress_count_recognised_pages(ocr_build):
    _, summary, progress = ocr_build
    assert (summary.ocr_pages, summary.ocr_cached) == (2, 0)
    assert summary.ocr_seconds > 0
    assert f"  OCR: 2 pages recognised in {summary.ocr_seconds:.1f} s" in describe_build(summary)
    assert progress.count("mixed.pdf · OCR 0/1 pages") == 1
    assert progress.count("mixed.pdf · OCR 1/1 pages") == 1
    assert progress.count("notice.png · OCR 1/1 pages") == 1


def test_a_second_build_takes_every_page_from_the_cache(ocr_build, ocr_corpus):
    index, _, _ = ocr_build
    cached = sorted(p.name for p in (index / "ocr-cache").rglob("*.json"))
    assert len(cached) == 2
    again = build_index(ocr_corpus, index, full=True)
    assert (again.ocr_pages, again.ocr_cached, again.ocr_seconds) == (2, 2, 0)
    assert sorted(p.name for p in (index / "ocr-cache").rglob("*.json")) == cached
    assert "2 taken from the OCR cache" in describe_build(again)


def test_no_ocr_and_the_page_limit_are_named_skips(ocr_corpus, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["index", "--corpus", str(ocr_corpus), "--index",
                                 str(tmp_path / "a"), "--no-ocr", "-q"])
    assert result.exit_code == 0, result.output
    assert "  skipped notice.png: image file: needs OCR, which is off (--no-ocr)" in result.output
    assert "skipped mixed.pdf" not in result.output  # its text page is read, its scan left out
    assert "2 documents" in result.output.splitlines()[0]
    result = runner.invoke(cli, ["index", "--corpus", str(ocr_corpus), "--index",
                                 str(tmp_path / "b"), "--ocr-pages", "0", "-q"])
    assert "  skipped notice.png: image file: 1 pages to recognise, over the limit of 0 a file " \
           "(--ocr-pages)" in result.output
    assert "2 documents" in result.output.splitlines()[0]


def test_the_api_and_the_document_page_mark_recognised_text(ocr_build, ocr_corpus):
    from webapp import create_app

    index, _, _ = ocr_build
    app = create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(ocr_corpus), "TESTING": True})
    client = app.test_client()
    doc_id = make_doc_id("notice.png")
    paragraphs = json.loads(client.get(f"/api/doc/{doc_id}").data)["paragraphs"]
    assert [p["ocr"] for p in paragraphs] == [True, True, True]
    page = client.get(f"/doc/{doc_id}").data.decode("utf-8")
    assert "此文本由图像识别（OCR）生成，可能有误。" in page
    mixed = client.get(f"/doc/{make_doc_id('mixed.pdf')}").data.decode("utf-8")
    assert "此文本由图像识别（OCR）生成，可能有误（标有虚线的 1 个段落）。" in mixed
    plain = client.get(f"/doc/{make_doc_id('plain.txt')}").data.decode("utf-8")
    assert "图像识别" not in plain


def test_a_damaged_image_is_a_named_skip(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    buffer = io.BytesIO()
    _page_image(None, [BODY[0]]).save(buffer, "PNG")
    (corpus / "cut.png").write_bytes(buffer.getvalue()[:400])
    summary = build_index(corpus, tmp_path / "index", full=True)
    assert len(summary.skipped) == 1
    assert summary.skipped[0]["source"] == "cut.png"
    assert summary.skipped[0]["reason"].startswith("damaged image file")


def test_a_text_layer_copy_is_shown_before_a_scanned_one(tmp_path):
    """The notice as a scanned PDF (an image only: OCR) and as plain text: one group, and the
    text copy leads it although a PDF otherwise comes before a .txt."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    width, height = A4
    page = canvas.Canvas(str(corpus / "notice-scan.pdf"), pagesize=A4)
    page.drawImage(ImageReader(_page_image(TITLE, BODY, height=1754)), 0, 0, width, height)
    page.showPage()
    page.save()
    (corpus / "notice.txt").write_text(
        "\n\n".join([TITLE] + [(first + second).strip("　") for first, second in BODY]) + "\n",
        encoding="utf-8")
    build_index(corpus, tmp_path / "index", full=True)
    engine = SearchEngine(tmp_path / "index")
    scanned = engine.document(make_doc_id("notice-scan.pdf"))
    assert [p.get("ocr", False) for p in scanned["paragraphs"]] == [True, True, True]
    found = engine.search("严禁压级压价", mode="exact")
    assert found["total"] == 1 and found["total_with_copies"] == 2
    assert found["hits"][0]["doc_id"] == make_doc_id("notice.txt")
    assert [copy["doc_id"] for copy in found["hits"][0]["copies"]] == [
        make_doc_id("notice-scan.pdf")]
