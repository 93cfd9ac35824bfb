"""The real scanned PDF of ../shared/formats (8 pages, no text layer): found by search after a build.

The expected strings were read off the page images by eye (pages rendered to PNG), not taken
from the recogniser. The notice has no red head and no 文号: its first page opens with the title,
and its 版记 names the issuing office and the printing date.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.embedded.build import build_index
from indexer.embedded.engine import SearchEngine
from indexer.ingest.documents import make_doc_id

SCAN = Path(__file__).resolve().parents[1].parent / "shared" / "formats" / "P020250314601155377209.pdf"
pytestmark = [pytest.mark.shared, pytest.mark.timeout(3600),  # 8 pages: ~1 min on 2 free cores
              pytest.mark.skipif(not SCAN.is_file(), reason="needs ../shared/formats")]

TITLE = "农业农村部办公厅关于加力推进农机购置与应用补贴“优机优补”“有进有出”的意见"
# Page 1, the opening paragraph; page 2, the first task; page 8, the 版记.
PHRASES = ["结合新形势新要求和近年工作实践", "建立区域协作和分区推进机制",
           "将全国划分为6大区域", "切实提升政策知晓度和实施透明度", "2025年1月24日印发"]


@pytest.fixture(scope="module")
def scan_index(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("scan-corpus")
    (corpus / SCAN.name).symlink_to(SCAN)
    index = tmp_path_factory.mktemp("scan-index") / "index"
    summary = build_index(corpus, index, full=True)
    return summary, SearchEngine(index)


def test_the_scan_is_read_page_by_page(scan_index):
    summary, _ = scan_index
    assert summary.skipped == []
    assert (summary.documents, summary.ocr_pages) == (1, 8)


def test_title_issuer_and_paragraphs_are_found(scan_index):
    _, engine = scan_index
    doc_id = make_doc_id(SCAN.name)
    document = engine.document(doc_id)
    assert document["title"] == TITLE
    assert document["issuer"] == "农业农村部办公厅"
    # The signature's date, under the seal on page 8: 2025年1月23日.
    assert (document["date"], document["year"]) == ("2025-01-23", 2025)
    assert all(paragraph["ocr"] for paragraph in document["paragraphs"])
    for phrase in ["加力推进农机购置与应用补贴", *PHRASES]:
        hits = engine.search(phrase, mode="exact")["hits"]
        assert [hit["doc_id"] for hit in hits][:1] == [doc_id], phrase
    headings = [p["text"] for p in document["paragraphs"] if p["heading"]]
    assert headings[:3] == [TITLE, "一、总体要求", "二、主要任务"]
