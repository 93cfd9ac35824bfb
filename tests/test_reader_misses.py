"""The four reader misses of issue 18, each on a file made here with the shape of the real one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from indexer.ingest.documents import read_document
from indexer.ingest.formats import msword

needs_libreoffice = pytest.mark.skipif(
    msword.soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) is not installed")


def _pdf_notice(path: Path) -> None:
    """A joint notice: the issuers' line a little larger and set apart above a two-line title,
    body lines that fill the measure, the signature's names over its date at the end."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    width, height = A4
    page = canvas.Canvas(str(path), pagesize=A4)
    y = height - 120
    page.setFont("STSong-Light", 24)
    page.drawCentredString(width / 2, y, "财政部　农业农村部")
    y -= 56
    page.setFont("STSong-Light", 22)
    for line in ("关于做好农业生产发展等项目", "实施工作的通知"):
        page.drawCentredString(width / 2, y, line)
        y -= 34
    y -= 20
    page.setFont("STSong-Light", 16)
    # 25 characters fill a line from x=80; shorter lines end a paragraph.
    lines = [(80, "各省、自治区、直辖市、计划单列市财政厅（局）、农"),
             (80, "业农村（农牧）厅（局、委）："),
             (112, "为贯彻落实党中央、国务院决策部署，做好农业生"),
             (80, "产发展等项目实施工作，现就有关事项通知如下。"),
             (112, "各地要强化项目管理，确保资金安全，提高资金使"),
             (80, "用效益，推动农业高质量发展。")]
    for x, text in lines:
        page.drawString(x, y, text)
        y -= 28
    y -= 30
    page.drawRightString(width - 80, y, "财政部　　　　农业农村部")
    y -= 28
    page.drawRightString(width - 96, y, "2024年5月10日")
    page.save()


def test_pdf_notice_titled_with_its_issuers_names(tmp_path):
    _pdf_notice(tmp_path / "notice.pdf")
    document = read_document(tmp_path / "notice.pdf", tmp_path)
    assert document.title == "财政部 农业农村部关于做好农业生产发展等项目实施工作的通知"
    assert document.issuer == "财政部 农业农村部"
    texts = [p.text for p in document.paragraphs]
    assert texts == [
        "财政部 农业农村部关于做好农业生产发展等项目实施工作的通知",
        "各省、自治区、直辖市、计划单列市财政厅（局）、农业农村（农牧）厅（局、委）：",
        "为贯彻落实党中央、国务院决策部署，做好农业生产发展等项目实施工作，现就有关事项通知如下。",
        "各地要强化项目管理，确保资金安全，提高资金使用效益，推动农业高质量发展。",
        "财政部 农业农村部 2024年5月10日",
    ]
    assert document.date == "2024-05-10"


def test_docx_notice_dated_only_by_its_doc_number(tmp_path):
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    word = docx.Document()
    for text in ("中共中央办公厅　国务院办公厅印发《关于促进劳动力和人才社会性流动体制机制改革的意见》的通知",
                 "（厅字﹝2019﹞33号）"):
        word.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    word.add_paragraph("新华社北京12月25日电　近日，中共中央办公厅、国务院办公厅印发了《关于促进劳动力和人才"
                       "社会性流动体制机制改革的意见》，并发出通知，要求各地区各部门结合实际认真贯彻落实。")
    word.add_paragraph("一、总体要求")
    word.add_paragraph("（一）指导思想。以习近平新时代中国特色社会主义思想为指导，全面贯彻党的十九大精神。")
    word.save(tmp_path / "notice.docx")
    document = read_document(tmp_path / "notice.docx", tmp_path)
    assert document.doc_number == "厅字〔2019〕33号"
    assert document.year == 2019
    assert document.date is None
    assert document.title == ("中共中央办公厅国务院办公厅印发《关于促进劳动力和人才社会性流动体制机制改革的意见》"
                              "的通知")


_GOV_CN_PAGE = """<div class="wrap"><table class="bd1"><tbody>
<tr><td><b>索 引 号：</b></td><td>000014349/2018-00181</td><td><b>主题分类：</b></td><td>综合政务\\其他</td></tr>
<tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2018年12月04日</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">国务院办公厅关于2019年部分节假日安排的通知</td></tr>
<tr><td><b>发文字号：</b></td><td>国办发明电〔2018〕15号</td><td><b>发布日期：</b></td><td>2018年12月06日</td></tr>
</tbody></table>
<table><tbody><tr><td class="b12c" id="UCAP-CONTENT">
<p style="text-align: center;"><span>国务院办公厅关于2019年部分节假日安排的通知</span></p>
<p style="text-align: center;">国办发明电〔2018〕15号</p>
<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
<p style="text-indent: 2em;">经国务院批准，现将2019年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。</p>
<p style="text-indent: 2em;">一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。</p>
<p style="text-indent: 2em;">节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。</p>
<p style="text-align: right;">国务院办公厅</p>
<p style="text-align: right;">2018年12月4日</p>
</td></tr></tbody></table></div>
"""


def test_gov_cn_notice_on_next_years_holidays_has_the_year_it_was_written(tmp_path):
    (tmp_path / "content_5345827.htm").write_text(_GOV_CN_PAGE, encoding="utf-8")
    document = read_document(tmp_path / "content_5345827.htm", tmp_path)
    assert document.title == "国务院办公厅关于2019年部分节假日安排的通知"
    assert document.date == "2018-12-04"
    assert document.year == 2018
    assert document.doc_number == "国办发明电〔2018〕15号"


@needs_libreoffice
def test_doc_heading_run_into_the_item_under_it_is_split(tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph("关于进一步加强农田水利建设的实施意见")
    # The whole body in one Word paragraph, its parts set apart by full-width indents.
    word.add_paragraph("　　为加快农田水利建设，提高农业综合生产能力，现提出如下实施意见。　　一、总体要求　　"
                       "（一）指导思想。以提高农业综合生产能力为目标，统筹推进农田水利建设。　　"
                       "（二）基本原则。坚持统筹规划、分步实施。")
    word.save(tmp_path / "source.docx")
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([msword.soffice(), f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp_path / "corpus"),
                    str(tmp_path / "source.docx")], check=True, capture_output=True, timeout=300)
    document = read_document(tmp_path / "corpus" / "source.doc", tmp_path / "corpus")
    shown = [(p.text, p.heading, p.section) for p in document.paragraphs]
    assert shown == [
        ("关于进一步加强农田水利建设的实施意见", True, ""),
        ("为加快农田水利建设，提高农业综合生产能力，现提出如下实施意见。", False, ""),
        ("一、总体要求", True, ""),
        ("（一）指导思想。以提高农业综合生产能力为目标，统筹推进农田水利建设。", False, "一、总体要求"),
        ("（二）基本原则。坚持统筹规划、分步实施。", False, "一、总体要求"),
    ]
