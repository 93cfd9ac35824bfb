"""PDF, DOCX and DOC/WPS edge cases, each file made in tmp_path by the libraries themselves."""

import io
import subprocess
import zipfile

import docx as python_docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from indexer.ingest.formats import (BODY, HEADING, MAX_UNPACKED_BYTES, TABLE_ROW, TITLE, Block,
                             DocumentError, docx, msword, open_zip, pdf)
from indexer.ingest.documents import read_document
from indexer.ingest.formats.layout import fold_radicals, tidy

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # built into reportlab: no font file

needs_libreoffice = pytest.mark.skipif(
    msword.soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) is not installed")


def refusal(reader, data: bytes, name: str) -> str:
    """The reason a reader gives for refusing a file (the test fails if it reads it)."""
    with pytest.raises(DocumentError) as error:
        reader.read(data, name)
    return error.value.reason


# --- PDF -------------------------------------------------------------------------------------

SIZE, LEFT, PER_LINE = 16, 72, 25  # 三号 body text, 25 characters a line
TITLE_LINES = ["关于进一步加强农村人居环境", "整治工作的实施意见"]
PARAGRAPHS = [
    "为深入贯彻落实党中央国务院关于实施乡村振兴战略的决策部署，加快补齐农村人居环境突出短板，"
    "持续改善农民群众生产生活条件，现就进一步加强农村人居环境整治工作提出如下意见。",
    "一、总体要求",
    "坚持以人民为中心的发展思想，坚持因地制宜、分类指导，坚持农民主体、共建共享，"
    "坚持建管并重、长效运行，扎实推进农村厕所革命、生活垃圾和生活污水治理，"
    "不断提升村容村貌，建设生态宜居美丽乡村，让农民群众的获得感幸福感安全感更加充实。",
    "二、重点任务",
    "各地要把农村人居环境整治作为实施乡村振兴战略的重要内容，统筹安排项目和资金，"
    "强化督促检查和考核评价，确保各项任务落到实处并取得实效。",
]


def _wrapped(paragraph: str) -> list[str]:
    """A paragraph set the way a 公文 is: two characters' indent, then full lines of 25."""
    if paragraph.startswith(("一、", "二、")):
        return [paragraph]
    first = paragraph[: PER_LINE - 2]
    rest = paragraph[PER_LINE - 2:]
    return [f"\u3000\u3000{first}"] + [rest[i:i + PER_LINE] for i in range(0, len(rest), PER_LINE)]


def _two_page_pdf(path, lines_per_page=7):
    """Title over two lines, a running head and "- N -" page numbers; the text crosses the page."""
    lines = [line for paragraph in PARAGRAPHS for line in _wrapped(paragraph)]
    pages = [lines[:lines_per_page], lines[lines_per_page:]]
    assert len(pages[1]) > 0
    sheet = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for number, page_lines in enumerate(pages, start=1):
        sheet.setFont("STSong-Light", 10)
        sheet.drawCentredString(width / 2, height - 40, "某某县人民政府办公室文件汇编")
        sheet.drawCentredString(width / 2, 30, f"- {number} -")
        y = height - 90
        if number == 1:
            sheet.setFont("STSong-Light", 22)
            for title_line in TITLE_LINES:
                sheet.drawCentredString(width / 2, y, title_line)
                y -= 30
            y -= 20
        sheet.setFont("STSong-Light", SIZE)
        for line in page_lines:
            sheet.drawString(LEFT, y, line)
            y -= 28
        sheet.showPage()
    sheet.save()
    return path.read_bytes()


def test_two_page_pdf_paragraphs_title_and_furniture(tmp_path):
    data = _two_page_pdf(tmp_path / "two.pdf")
    assert pdf.read(data, "two.pdf").blocks == [
        Block("关于进一步加强农村人居环境整治工作的实施意见", TITLE),
        *(Block(paragraph, BODY) for paragraph in PARAGRAPHS),
    ]


def test_pdf_paragraph_crossing_the_page_break_is_one(tmp_path):
    # Break the pages inside the last paragraph, after a line that ends in a comma-less word.
    data = _two_page_pdf(tmp_path / "cross.pdf", lines_per_page=12)
    texts = [block.text for block in pdf.read(data, "cross.pdf").blocks]
    assert texts[5] == PARAGRAPHS[4]


def _encrypted(tmp_path, user_password: str, algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_two_page_pdf(tmp_path / "a.pdf"))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_encrypted_pdf_is_refused(tmp_path):
    data = _encrypted(tmp_path, "secret", "AES-256")
    assert refusal(pdf, data, "locked.pdf") == "encrypted PDF (needs a password to open)"


def test_pdf_restricted_only_by_an_owner_password_is_read(tmp_path):
    data = _encrypted(tmp_path, "", "AES-128")
    assert pdf.read(data, "restricted.pdf").blocks[1].text == PARAGRAPHS[0]


def test_truncated_pdf_is_refused(tmp_path):
    data = _two_page_pdf(tmp_path / "a.pdf")
    assert refusal(pdf, data[: len(data) // 2], "cut.pdf") == \
        "truncated PDF (the file ends before its %%EOF end marker)"


def test_damaged_and_foreign_bytes_are_refused():
    assert refusal(pdf, b"<html><body>not a pdf</body></html>", "page.pdf") == \
        "not a PDF file (no %PDF header)"
    assert refusal(pdf, b"%PDF-1.7\n garbage that is no PDF \n%%EOF\n", "junk.pdf").startswith(
        "damaged PDF (")


def test_pdf_of_drawings_only_counts_as_a_scan(tmp_path):
    sheet = canvas.Canvas(str(tmp_path / "scan.pdf"), pagesize=A4)
    for _ in range(2):
        sheet.rect(50, 50, 400, 600, fill=1)
        sheet.showPage()
    sheet.save()
    assert refusal(pdf, (tmp_path / "scan.pdf").read_bytes(), "scan.pdf") == \
        "PDF without text (no text layer and no page images)"


def test_pdf_over_the_page_limit_is_refused_unread(tmp_path):
    sheet = canvas.Canvas(str(tmp_path / "long.pdf"), pagesize=A4)
    for _ in range(pdf.MAX_PAGES + 1):
        sheet.showPage()
    sheet.save()
    assert refusal(pdf, (tmp_path / "long.pdf").read_bytes(), "long.pdf") == \
        "PDF has 3,001 pages; files over 3,000 are not read"


def test_radicals_and_layout_spaces_are_repaired():
    assert fold_radicals("⾸⻚ ⻓江 ⺠⽣") == "首页 长江 民生"
    assert tidy("中 华 人 民 共 和 国  第 14 个 GB/T 9704 7. 3.4") == "中华人民共和国第14个GB/T 9704 7.3.4"


# --- DOCX ------------------------------------------------------------------------------------

def _footnote(document, text):
    """Attach a footnotes part with one note (python-docx has no footnote API) and cite it."""
    xml = (f'<w:footnotes {nsdecls("w")}>'
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
           '</w:footnote>'
           f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote>'
           '</w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                xml.encode(), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    return parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>')


def _append_field(paragraph, instruction: str, result: str) -> None:
    """A Word field at the paragraph's end: its code (w:instrText) and the result Word shows."""
    ns = nsdecls("w")
    for xml in (f'<w:r {ns}><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r {ns}><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>',
                f'<w:r {ns}><w:fldChar w:fldCharType="separate"/></w:r>',
                f'<w:r {ns}><w:t>{result}</w:t></w:r>',
                f'<w:r {ns}><w:fldChar w:fldCharType="end"/></w:r>'):
        paragraph._p.append(parse_xml(xml))


def _docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_table_footnote_and_title():
    document = python_docx.Document()
    document.core_properties.title = "张三"  # a creator's name in the title field: not used
    document.add_heading("某某市数字经济促进办法", level=0)
    document.add_paragraph("第一条为促进数字经济发展，制定本办法。").runs[-1]._r.addnext(
        _footnote(document, "注：本办法所称数字经济，以国家统计分类为准。"))
    document.add_heading("一、总体要求", level=1)
    document.add_heading("（一）基本原则", level=2)
    document.add_paragraph("坚持创新驱动。\n坚持开放共享。")  # a manual line break: two paragraphs
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [("指标", "2025年", "2027年"), ("数字经济占比", "45%", "50%")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    extracted = docx.read(_docx_bytes(document), "rules.docx")
    assert extracted.blocks == [
        Block("某某市数字经济促进办法", TITLE),
        Block("第一条为促进数字经济发展，制定本办法。"),
        Block("一、总体要求", HEADING, 1),
        Block("（一）基本原则", HEADING, 2),
        Block("坚持创新驱动。"),
        Block("坚持开放共享。"),
        Block("指标 | 2025年 | 2027年", TABLE_ROW),
        Block("数字经济占比 | 45% | 50%", TABLE_ROW),
        Block("注：本办法所称数字经济，以国家统计分类为准。"),
    ]
    assert extracted.meta == {}


def test_docx_hides_deleted_revisions_and_field_codes():
    document = python_docx.Document()
    paragraph = document.add_paragraph("详见")
    _append_field(paragraph, ' HYPERLINK "http://www.gov.cn" ', "中国政府网")
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="1" w:author="x"><w:r><w:delText>旧的说法</w:delText></w:r></w:del>'))
    paragraph._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="2" w:author="x"><w:r><w:t>。</w:t></w:r></w:ins>'))
    assert docx.read(_docx_bytes(document), "fields.docx").blocks == [Block("详见中国政府网。")]


def test_docx_that_is_html_or_not_a_zip_is_refused():
    page = b"<!DOCTYPE html><html><body>saved page</body></html>"
    assert refusal(docx, page, "page.docx") == "not a real DOCX file (an HTML file)"
    assert refusal(docx, b"PK\x03\x04 but broken", "broken.docx").startswith(
        "damaged DOCX file (broken ZIP archive")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    assert refusal(docx, buffer.getvalue(), "other.docx").startswith("damaged DOCX file (")


def test_zip_bomb_is_refused_before_unpacking():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 24)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < MAX_UNPACKED_BYTES // 100
    with pytest.raises(DocumentError) as error:
        open_zip(data, "DOCX")
    assert error.value.reason == (f"DOCX file would unpack to {MAX_UNPACKED_BYTES + (1 << 24):,} "
                                  "bytes in 1 parts, over the 268,435,456-byte limit (a ZIP bomb?)")


# --- DOC / WPS -------------------------------------------------------------------------------

def _doc_with_fields(tmp_path) -> bytes:
    """A Word 97 .doc with a MERGEFIELD and a HYPERLINK field, converted from DOCX by LibreOffice."""
    document = python_docx.Document()
    document.add_paragraph("关于开展安全生产检查的通知").alignment = 1
    _append_field(document.add_paragraph("发文机关："), " MERGEFIELD mainSendDept \\* MERGEFORMAT ",
                  "应急管理局")
    paragraph = document.add_paragraph("详见")
    _append_field(paragraph, ' HYPERLINK "http://www.mem.gov.cn/" ', "应急管理部网站")
    paragraph.add_run("。")
    source = tmp_path / "fields.docx"
    document.save(source)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([msword.soffice(), f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    data = (tmp_path / "fields.doc").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # a real OLE file
    return data


@needs_libreoffice
def test_doc_and_wps_with_field_codes_give_only_field_results(tmp_path):
    data = _doc_with_fields(tmp_path)
    expected = [Block("关于开展安全生产检查的通知", TITLE), Block("发文机关：应急管理局"),
                Block("详见应急管理部网站。")]
    assert msword.read(data, "fields.doc").blocks == expected
    assert msword.read(data, "fields.wps").blocks == expected  # WPS writes the same OLE format


@needs_libreoffice
def test_wps_saved_as_html_under_doc_is_read():
    page = ("<html><head><meta charset='utf-8'><meta name=ProgId content=Word.Document>"
            "<meta name=Generator content='WPS Office'></head><body>"
            "<p align=center>关于做好防汛工作的通知</p><p>各乡镇人民政府：</p>"
            "<p>请切实做好防汛准备。</p></body></html>")
    assert msword.read(page.encode(), "notice.doc").blocks == [
        Block("关于做好防汛工作的通知", TITLE), Block("各乡镇人民政府："), Block("请切实做好防汛准备。")]


def test_doc_that_is_neither_ole_nor_text_is_refused():
    assert refusal(msword, b"\x89PNG\r\n\x1a\n not a document", "image.doc") == \
        "not a Word or WPS file (neither OLE, DOCX, WordML, RTF nor HTML)"


def test_doc_without_libreoffice_is_skipped_with_the_package_name(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    assert refusal(msword, ole, "old.doc") == \
        "needs LibreOffice (Debian package libreoffice-writer-nogui)"


def test_chapter_and_article_labels_keep_their_space_and_become_sections(tmp_path):
    assert tidy("第一章　总则") == "第一章 总则"
    assert tidy("第十二条之一　为了 加强管理") == "第十二条之一 为了加强管理"
    law = python_docx.Document()
    law.add_paragraph("上海市某某管理办法")
    for line in ("第一章　总则", "第一条　为了加强管理，制定本办法。", "第二条　本办法适用于本市。",
                 "第二章　附则", "第三条　本办法自发布之日起施行。"):
        law.add_paragraph(line)
    (tmp_path / "law.docx").write_bytes(_docx_bytes(law))
    document = read_document(tmp_path / "law.docx", tmp_path)
    assert [(p.text, p.section, p.heading) for p in document.paragraphs[1:]] == [
        ("第一章 总则", "", True),
        ("第一条 为了加强管理，制定本办法。", "第一章 总则", False),
        ("第二条 本办法适用于本市。", "第一章 总则", False),
        ("第二章 附则", "", True),
        ("第三条 本办法自发布之日起施行。", "第二章 附则", False),
    ]
