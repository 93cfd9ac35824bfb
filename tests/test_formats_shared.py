"""All 20 real files of ../shared/formats through a real build: indexed with exact metadata, or
skipped for the right reason (skipped where ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import build_index
from indexer.ingest.formats import msword
from indexer.embedded.engine import SearchEngine

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "formats"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present"),
    pytest.mark.skipif(msword.soffice() is None, reason="LibreOffice (soffice) is not installed"),
]

# file → (title, issuer, 文号, date, published, the start of a paragraph that must be in it)
EXPECTED = {
    "content_5353307.htm": (
        "国务院关于在海南博鳌乐城国际医疗旅游先行区暂时调整实施《中华人民共和国药品管理法实施条例》有关规定的决定",
        "国务院", "国发〔2018〕43号", "2018-12-21", "2018-12-29", "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
    "content_5354222.htm": ("国务院关于河北雄安新区总体规划（2018—2035年）的批复", "国务院", "国函〔2018〕159号",
                            "2018-12-25", "2019-01-02", "河北省人民政府、国家发展改革委："),
    "content_5360002.htm": ("国务院办公厅关于开展城镇小区配套幼儿园治理工作的通知", "国务院办公厅", "国办发〔2019〕3号",
                            "2019-01-09", "2019-01-22", "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
    "content_5365341.htm": ("国务院关于印发国家职业教育改革实施方案的通知", "国务院", "国发〔2019〕4号",
                            "2019-01-24", "2019-02-13", "现将《国家职业教育改革实施方案》印发给你们，请认真贯彻执行。"),
    "content_5365945.htm": ("国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见", "国务院",
                            "国发〔2019〕5号", "2019-01-27", "2019-02-15", "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
    "content_732656.htm": (
        "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007年末国债余额限额的决议",
        "全国人民代表大会常务委员会", None, "2007-06-29", "2007-08-20",
        "（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）"),
    "art_1599546_58937012.html": ("1-10月德清县固定资产投资结构趋稳趋优", None, None, "2016-11-22", "2016-11-22",
                                  "1-10月，全县固定资产投资完成246.79亿元，完成年度计划82.3%，同比增长15.3%"),
    "n.ofd": ("关于同意张阿三同志辞职的批复", "测试符路桥区卫生局", "路卫发〔2011〕76号", "2011-03-10", None,
              "你院《关于给张阿三同志辞职的请示》（路中医发〔2011〕10号）收悉。"),
    "3f9e0b7a.ofd": ("关于加快南货场铁路涵洞下穿建设的函", None, None, "2023-07-12", None, "此函。"),
    "content_9023.docx": ("国务院关于加强地方政府性债务管理的意见", "国务院", "国发〔2014〕43号", "2014-09-21", None,
                          "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："),
    "2025年北京市政府工作报告.docx": ("2025年北京市政府工作报告", None, None, "2025-01-14", None, "各位代表："),
    "P020260204573316810122.docx": ("2026年中央一号文件", None, None, None, None, "一、提升农业综合生产能力和质量效益"),
    "P020260204573316810122.pdf": ("2026年中央一号文件", None, None, None, None, "一、提升农业综合生产能力和质量效益"),
    "W020150302417805328871.docx": ("上海保险分支机构高级管理人员任职资格考试管理办法", None, None, None, None,
                                    "第三条 任职资格考试遵循简政优化、集中统一、考审分离、依法规范的原则。"),
    "W020121206499335373486.pdf": ("党政机关公文格式", None, None, None, None, "纪要格式可以根据实际制定。"),
    "P020140421558032151634.doc": ("上海银行业从业人员处罚信息管理办法", None, None, None, None,
                                   "第十八条 本办法由上海银监局办公室负责解释。"),
    "P020160512332786654009.doc": ("中国银保监会舟山监管分局关于印发非现场监管数据质量管理办法的通知",
                                   "中国银保监会舟山监管分局", "舟银保监发〔2021〕39号", "2021-05-21", None, None),
    "W020130807611240932815.doc": ("上海保险专业中介机构合规管理暂行办法", None, None, None, None, None),
}
SKIPPED = [
    {"source": "GMT0031-2014.pdf",
     "reason": "PDF text layer is garbage (unmapped or private-use glyphs)"},
    {"source": "MANIFEST.tsv", "reason": "unsupported format: .tsv"},
    {"source": "P020250314601155377209.pdf",
     "reason": "scanned PDF: needs OCR, which is off (--no-ocr)"},  # tests/test_ocr_shared.py
]


@pytest.fixture(scope="module")
def formats_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("formats") / "ix"
    summary = build_index(FORMATS, index, procs=2, use_ocr=False)
    return summary, SearchEngine(index)


def test_every_file_is_indexed_or_skipped_for_its_reason(formats_index):
    summary, engine = formats_index
    assert summary.skipped == SKIPPED
    assert summary.documents == len(EXPECTED) == 18


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_official_metadata_and_a_known_paragraph(formats_index, name):
    _, engine = formats_index
    title, issuer, number, date, published, paragraph = EXPECTED[name]
    record = next(d for d in engine.documents() if engine.document(d["doc_id"])["source"] == name)
    document = engine.document(record["doc_id"])
    got = (document["title"], document["issuer"], document["doc_number"], document["date"],
           document["published"])
    assert got == (title, issuer, number, date, published)
    texts = [p["text"] for p in document["paragraphs"]]
    # The title is a paragraph of its own near the top (the web page keeps it only in <title>).
    assert title in texts[:8] or name == "art_1599546_58937012.html"
    if paragraph:
        assert any(text.startswith(paragraph) for text in texts)


def test_document_number_found_with_any_brackets(formats_index):
    _, engine = formats_index
    for typed, source in (("路卫发[2011]76号", "n.ofd"), ("路卫发(2011)76号", "n.ofd"),
                          ("国发（2014）43号", "content_9023.docx"),
                          ("国函［2018］159号", "content_5354222.htm")):
        hits = engine.search(typed, mode="exact")["hits"]
        assert {engine.document(hit["doc_id"])["source"] for hit in hits} == {source}, typed
