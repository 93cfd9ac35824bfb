"""Outline headings of Chinese official documents and the section paths they give (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest.documents import Document, read_document

SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
shared = pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason=f"shared corpus not found at {SHARED_CORPUS}")


def read(tmp_path: Path, *lines: str) -> Document:
    path = tmp_path / "2026_示范市_政府工作报告.txt"
    path.write_text("\n".join(("示范市政府工作报告", "各位代表：") + lines) + "\n", encoding="utf-8")
    return read_document(path, tmp_path)


def outline(document: Document) -> list[tuple[str, bool, int, str]]:
    """(text, heading, level, section) of every paragraph after the title and the salutation."""
    return [(p.text, p.heading, p.level, p.section) for p in document.paragraphs[2:]]


def test_closed_enumerated_items_are_headings_with_their_body_under_them(tmp_path):
    document = read(tmp_path,
                    "一、2025年工作回顾",
                    "四是持续优化提升营商环境。",
                    "系统梳理全面优化涉企审批备案服务，891项省级事项办理时间全面压减。",
                    "五是全力保障和改善民生。",
                    "十件民生实事全面完成。")
    assert outline(document) == [
        ("一、2025年工作回顾", True, 2, ""),
        ("四是持续优化提升营商环境。", True, 3, "一、2025年工作回顾"),
        ("系统梳理全面优化涉企审批备案服务，891项省级事项办理时间全面压减。", False, 0,
         "一、2025年工作回顾 › 四是持续优化提升营商环境。"),
        ("五是全力保障和改善民生。", True, 3, "一、2025年工作回顾"),
        ("十件民生实事全面完成。", False, 0, "一、2025年工作回顾 › 五是全力保障和改善民生。"),
    ]


def test_closed_numbered_title_up_to_sixty_characters(tmp_path):
    title = "（一）久久为功推动粤港澳大湾区建设，打造富有活力和国际竞争力的一流湾区和世界级城市群。"
    document = read(tmp_path, "三、2026年工作安排", title, "深入推进重大合作平台建设。", "（二）着力扩大国内需求。",
                    "坚持内需主导。")
    assert len(title) == 43
    assert outline(document) == [
        ("三、2026年工作安排", True, 2, ""),
        (title, True, 3, "三、2026年工作安排"),
        ("深入推进重大合作平台建设。", False, 0, f"三、2026年工作安排 › {title}"),
        ("（二）着力扩大国内需求。", True, 3, "三、2026年工作安排"),
        ("坚持内需主导。", False, 0, "三、2026年工作安排 › （二）着力扩大国内需求。"),
    ]


def test_lists_are_not_headings(tmp_path):
    # Items closed by ；, a run of same-style items, and the last item of either, stay body text.
    document = read(tmp_path,
                    "一、技术改造",
                    "（1）节约能源，降低消耗；",
                    "（2）改革产品结构。",
                    "进行技术改造要有总体规划。",
                    "（3）合理利用资源。",
                    "（4）提高综合利用水平。",
                    "各地要抓紧落实。")
    assert [(text, heading) for text, heading, _, _ in outline(document)] == [
        ("一、技术改造", True), ("（1）节约能源，降低消耗；", False), ("（2）改革产品结构。", False),
        ("进行技术改造要有总体规划。", False), ("（3）合理利用资源。", False), ("（4）提高综合利用水平。", False),
        ("各地要抓紧落实。", False),
    ]
    assert {section for _, _, _, section in outline(document)[1:]} == {"一、技术改造"}


def test_closed_item_never_climbs_above_or_back_in_the_outline(tmp_path):
    document = read(tmp_path,
                    "六、关于财政和物价",
                    "第一、严格控制固定资产投资的总规模",
                    "国务院作出了以下规定。",
                    "三、所有建设项目必须严格按照基本建设程序办事。",
                    "事前没有进行可行性研究的，不得建设。",
                    "第二、坚决调整和全面整顿现有企业",
                    "一是",
                    "要进一步整顿企业。")
    assert outline(document) == [
        ("六、关于财政和物价", True, 2, ""),
        ("第一、严格控制固定资产投资的总规模", True, 3, "六、关于财政和物价"),
        ("国务院作出了以下规定。", False, 0, "六、关于财政和物价 › 第一、严格控制固定资产投资的总规模"),
        ("三、所有建设项目必须严格按照基本建设程序办事。", False, 0,
         "六、关于财政和物价 › 第一、严格控制固定资产投资的总规模"),
        ("事前没有进行可行性研究的，不得建设。", False, 0, "六、关于财政和物价 › 第一、严格控制固定资产投资的总规模"),
        ("第二、坚决调整和全面整顿现有企业", True, 3, "六、关于财政和物价"),
        ("一是", False, 0, "六、关于财政和物价 › 第二、坚决调整和全面整顿现有企业"),
        ("要进一步整顿企业。", False, 0, "六、关于财政和物价 › 第二、坚决调整和全面整顿现有企业"),
    ]


def test_sentences_that_are_not_outline_titles_stay_body(tmp_path):
    document = read(tmp_path,
                    "一、工作回顾",
                    "这是经济实力持续提升的五年。",
                    "一是关于经济增长速度问题。《纲要（草案）",
                    "二是抑制投机性购房。加大差别化信贷政策执行力度。",
                    "过去一年，全市经济运行稳中向好。",
                    "结束语",
                    "各位代表！")
    assert [(text, heading, section) for text, heading, _, section in outline(document)] == [
        ("一、工作回顾", True, ""),
        ("这是经济实力持续提升的五年。", False, "一、工作回顾"),
        ("一是关于经济增长速度问题。《纲要（草案）", False, "一、工作回顾"),
        ("二是抑制投机性购房。加大差别化信贷政策执行力度。", False, "一、工作回顾"),
        ("过去一年，全市经济运行稳中向好。", False, "一、工作回顾"),
        ("结束语", True, ""),
        ("各位代表！", False, "结束语"),
    ]


# ---------------------------------------------------------------- shared corpus


def shared_document(subset: str, name: str) -> Document:
    return read_document(SHARED_CORPUS / subset / name, SHARED_CORPUS / subset)


def paragraph(document: Document, number: int):
    return document.paragraphs[number - 1]


@pytest.mark.shared
@shared
def test_shared_guangdong_outline():
    document = shared_document("provincial-2026", "2026_广东省_政府工作报告.txt")
    fourth = paragraph(document, 15)
    assert (fourth.text, fourth.heading, fourth.level, fourth.section) == (
        "四是持续优化提升营商环境。", True, 3, "一、2025年和“十四五”时期工作回顾")
    assert paragraph(document, 16).section == "一、2025年和“十四五”时期工作回顾 › 四是持续优化提升营商环境。"
    bay = "三、2026年工作安排 › （一）久久为功推动粤港澳大湾区建设，打造富有活力和国际竞争力的一流湾区和世界级城市群。"
    assert paragraph(document, 63).text.startswith("深入推进重大合作平台建设。牢牢把握“澳门+横琴”新定位")
    assert [p.para for p in document.paragraphs if p.section == bay] == [61, 62, 63, 64]


@pytest.mark.shared
@shared
def test_shared_1982_enumerations_stay_inside_their_part():
    document = shared_document("national-reports", "1982_1982年中华人民共和国国务院政府工作报告.txt")
    item = paragraph(document, 74)
    assert (item.text, item.heading) == ("五、用于基本建设的投资，由建设银行统一管起来，按计划监督使用。", False)
    part = paragraph(document, 77)
    assert (part.text, part.heading, part.section) == (
        "第二、坚决调整和全面整顿现有企业，努力提高企业的经营管理水平", True, "六、关于财政、信贷的基本平衡和物价的基本稳定")
    assert [p.text for p in document.paragraphs if p.heading and p.level == 2][-1] == "结束语"


@pytest.mark.shared
@shared
def test_shared_2005_closed_titles():
    document = shared_document("national-reports", "2005_2005年中华人民共和国国务院政府工作报告.txt")
    titles = [(p.text, p.section) for p in document.paragraphs if p.heading and p.text.endswith("。")]
    assert titles[:2] == [
        ("（一）采取更直接、更有力的政策措施，促进粮食增产和农民增收。", "一、过去一年工作回顾"),
        ("（二）控制固定资产投资过快增长，大力加强薄弱环节。", "一、过去一年工作回顾"),
    ]
