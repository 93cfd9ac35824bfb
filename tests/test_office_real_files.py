"""The PDF, DOCX and DOC readers on the real government files of ../shared/formats (skipped where absent)."""

import re
from pathlib import Path

import pytest

from indexer.ingest.formats import BODY, TITLE, Block, DocumentError, docx, msword, pdf

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "formats"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present"),
]
needs_libreoffice = pytest.mark.skipif(
    msword.soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) is not installed")

_READERS = {".pdf": pdf, ".docx": docx, ".doc": msword}
_cache: dict[str, list[Block]] = {}

# What must never reach the index: page numbers, field codes, layout breaks.
_PAGE_NUMBER = re.compile(r"^[-—–\s]*\d+[-—–\s]*$|第\s*\d+\s*页")
_FIELD_CODE = re.compile(r"MERGEFIELD|HYPERLINK|PAGEREF|\\\* MERGEFORMAT")


def blocks(name: str) -> list[Block]:
    if name not in _cache:
        reader = _READERS[Path(name).suffix]
        _cache[name] = reader.read((FORMATS / name).read_bytes(), name).blocks
    return _cache[name]


def texts(name: str) -> list[str]:
    return [block.text for block in blocks(name)]


def assert_clean(name: str) -> None:
    for text in texts(name):
        assert not _PAGE_NUMBER.search(text), text
        assert not _FIELD_CODE.search(text), text
        assert "\n" not in text and "\r" not in text, text


# --- PDF -------------------------------------------------------------------------------------

def test_pdf_of_the_2026_no1_document_reads_as_its_docx_does():
    """The PDF is LibreOffice's rendering of the DOCX: every paragraph comes back whole, in order."""
    assert blocks("P020260204573316810122.pdf") == blocks("P020260204573316810122.docx")
    from_pdf = texts("P020260204573316810122.pdf")
    assert len(from_pdf) == 37
    assert blocks("P020260204573316810122.pdf")[0] == Block("2026年中央一号文件", TITLE)
    assert from_pdf[1] == ("党的十八大以来第14个指导“三农”工作的中央一号文件2月3日由新华社受权发布，"
                           "对锚定农业农村现代化、扎实推进乡村全面振兴进行了部署。")
    assert from_pdf[3] == "一、提升农业综合生产能力和质量效益"
    assert_clean("P020260204573316810122.pdf")


def test_pdf_sentence_across_a_page_break_is_whole():
    paragraph = next(t for t in texts("P020260204573316810122.pdf") if t.startswith("（三）"))
    assert "坚决打击各类破坏耕地违法行为，扎实推进农村乱占耕地建房整治工作，严防“大棚房”等问题反弹回潮。" \
        in paragraph
    assert paragraph.endswith("。")


def test_pdf_standard_title_headers_and_page_numbers():
    found = blocks("W020121206499335373486.pdf")
    assert [b.text for b in found if b.kind == TITLE] == ["党政机关公文格式"]
    body = [b.text for b in found]
    assert "中华人民共和国国家标准" in body
    assert "公文用纸天头（上白边）为37 mm±1 mm，公文用纸订口（左白边）为28mm±1mm，" \
           "版心尺寸为156 mm×225 mm。" in body
    # a paragraph whose lines all break mid-sentence, joined; its list item hangs under "e）"
    assert "e）增加发文机关署名和页码两个公文格式要素，删除主题词格式要素，并对公文格式各要素的编排" \
           "进行较大调整；" in body
    assert "编排在发文机关标志下空二行位置，居中排布。年份、发文顺序号用阿拉伯数字标注；年份应标全称，" \
           "用六角括号“〔〕”括入；发文顺序号不加“第”字，不编虚位（即1不编为01），在阿拉伯数字后加" \
           "“号”字。" in body
    # the running head "GB/T 9704—2012" at the top of the pages is gone (one stray one stays
    # on the table-of-contents page, where it is not at an edge)
    assert body.count("GB/T 9704—2012") == 2  # the cover line and that stray
    assert not any(text.startswith("––") for text in body)
    assert_clean("W020121206499335373486.pdf")


def test_scanned_pdf_without_ocr_is_refused_with_its_reason(monkeypatch):
    from indexer.ingest import ocr

    monkeypatch.setattr(ocr.SETTINGS, "enabled", False)  # tests/test_ocr_shared.py reads it
    with pytest.raises(DocumentError) as error:
        blocks("P020250314601155377209.pdf")
    assert error.value.reason == "scanned PDF: needs OCR, which is off (--no-ocr)"


def test_garbled_pdf_is_refused_with_its_reason():
    with pytest.raises(DocumentError) as error:
        blocks("GMT0031-2014.pdf")
    assert error.value.reason == "PDF text layer is garbage (unmapped or private-use glyphs)"


# --- DOCX ------------------------------------------------------------------------------------

def test_docx_with_a_heading_style_and_a_title_over_two_lines():
    assert blocks("P020260204573316810122.docx")[0] == Block("2026年中央一号文件", TITLE)
    found = blocks("W020150302417805328871.docx")
    assert found[0] == Block("上海保险分支机构高级管理人员任职资格考试管理办法", TITLE)
    assert found[1] == Block("第一章 总则", BODY)
    assert found[2].text.startswith("第一条 为加强对上海保险分支机构高级管理人员的管理，")
    assert_clean("W020150302417805328871.docx")


def test_docx_whose_body_is_one_paragraph_is_split_back():
    found = texts("content_9023.docx")
    assert found[:5] == [
        "国务院关于加强地方政府性债务管理的意见",
        "国发〔2014〕43号",
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
        "为加强地方政府性债务管理，促进国民经济持续健康发展，根据党的十八大、十八届三中全会精神，"
        "现提出以下意见：",
        "一、总体要求",
    ]
    assert found[-3:] == ["国务院", "2014年9月21日", "（此件公开发布）"]
    assert len(found) == 39
    extracted = docx.read((FORMATS / "content_9023.docx").read_bytes(), "content_9023.docx")
    assert extracted.meta == {"title": "国务院关于加强地方政府性债务管理的意见"}


def test_docx_never_takes_a_creator_name_for_metadata():
    for name in ("W020150302417805328871.docx", "P020260204573316810122.docx",
                 "2025年北京市政府工作报告.docx"):
        extracted = docx.read((FORMATS / name).read_bytes(), name)
        assert extracted.meta == {}


def test_docx_beijing_report_full_width_indents():
    found = texts("2025年北京市政府工作报告.docx")
    assert found[:6] == [
        "2025年北京市政府工作报告", "来源：北京日报",
        "2025年1月14日在北京市第十六届人民代表大会第三次会议上北京市市长殷勇同志作政府工作报告。",
        "各位代表：", "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。",
        "一、2024年工作回顾",
    ]
    assert len(found) == 87


# --- DOC (LibreOffice) -----------------------------------------------------------------------

@needs_libreoffice
def test_doc_with_live_mergefields_gives_their_results_not_codes():
    assert texts("P020160512332786654009.doc") == [
        "舟银保监发〔2021〕39号",
        "中国银保监会舟山监管分局关于印发非现场监管数据质量管理办法的通知",
        "统信科、各机构监管科、普陀监管组，农业发展银行舟山市分行，各国有商业银行舟山市分行，"
        "各股份制商业银行舟山分行，邮储银行舟山市分行，各城市商业银行舟山分行，省农信联社舟山办事处、"
        "辖内各农村中小金融机构，浙江浙银金融租赁股份有限公司，各保险公司市级分（支）公司，"
        "辖内各保险专业中介机构:",
        "现将《舟山银保监分局非现场监管数据质量管理办法（试行）》印发给你们，请认真学习，严格遵照执行。",
        "中国银保监会舟山监管分局",
        "2021年5月21日",
    ]
    assert blocks("P020160512332786654009.doc")[1].kind == TITLE
    assert_clean("P020160512332786654009.doc")


@needs_libreoffice
def test_doc_attachment_marker_then_title_then_articles():
    found = blocks("P020140421558032151634.doc")
    assert found[:3] == [Block("附件1："), Block("上海银行业从业人员处罚信息管理办法", TITLE),
                         Block("第一章 总则")]
    assert found[-1].text == "第十八条 本办法由上海银监局办公室负责解释。"
    assert len(found) == 27
    other = blocks("W020130807611240932815.doc")
    assert other[:2] == [Block("附件："), Block("上海保险专业中介机构合规管理暂行办法", TITLE)]
    assert other[5] == Block("保险专业中介机构的分支机构，包括分公司和营业部。")
    assert_clean("W020130807611240932815.doc")


@needs_libreoffice
def test_a_doc_read_as_a_build_reads_it_leaves_no_libreoffice_profile(tmp_path, monkeypatch):
    # A build reads each file in a forked reader process, which ends without atexit handlers.
    from indexer.ingest import readers
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    data = (FORMATS / "P020160512332786654009.doc").read_bytes()
    extracted = readers.extract("msword", data, "P020160512332786654009.doc")
    assert [block.text for block in extracted.blocks][-1] == "2021年5月21日"
    # The worker's converter outlives one file (that is what saves LibreOffice's start); a build
    # closes its readers when it is done, and then nothing of LibreOffice's is left.
    readers.close_readers()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
