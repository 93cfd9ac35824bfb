"""Duplicate documents: copies made here as .txt, .docx and .html form one group, search shows
the best-formed copy once and names the others; a revised regulation is a document of its own."""

from __future__ import annotations

import json

import docx as python_docx
import pytest
from click.testing import CliRunner

from indexer import SearchEngine, build_index
from indexer.cli import cli
from indexer.relations import duplicates

from conftest import app_over

TITLE = "关于做好春季农业生产工作的通知"
BODY = [
    "各区县人民政府，市政府各部门：",
    "为做好今年春季农业生产工作，稳定粮食播种面积，提高单产水平，保障重要农产品稳定安全供给，经市政府同意，现就有关事项通知如下。",
    "一、压实粮食生产责任。各区县要把粮食播种面积和产量目标逐级分解到乡镇和村，确保春播面积只增不减，严禁撂荒耕地。",
    "二、抓好春耕物资供应。农业农村部门要会同供销、市场监管部门加强种子、化肥、农药等农资调运和质量监管，保障农资价格总体稳定。",
    "三、强化农业科技服务。组织农技人员深入田间地头开展技术指导，推广良种良法配套，提高春播质量和农机作业水平。",
    "四、做好防灾减灾准备。气象、水利部门要加强灾害天气监测预警，及时发布农事建议，提前落实抗旱排涝设施和应急物资。",
    "五、加强组织领导。各区县要成立春季农业生产工作专班，主要负责同志亲自部署推动，确保各项措施落到实处。",
]
PLAIN = [TITLE, *BODY]

ARTICLES = [f"第{n}条 " + text for n, text in zip("一二三四五六七八九十", [
    "为了规范城市供水秩序，保障用水安全，根据有关法律法规，结合本市实际，制定本条例。",
    "本条例适用于本市行政区域内城市供水设施的规划、建设、管理和用水活动。",
    "市水务部门负责全市城市供水的监督管理工作，区水务部门按照职责负责本区域的有关工作。",
    "城市供水应当坚持统筹规划、合理布局、安全优先、节约用水的原则，保障居民生活用水。",
    "供水企业应当建立水质检测制度，按照国家标准每日检测出厂水水质，并向社会公布检测结果。",
    "任何单位和个人不得擅自拆除、改装或者迁移城市公共供水设施，不得在供水管道上直接装泵抽水。",
    "用水单位应当按照规定安装计量水表，按时足额缴纳水费，不得拖欠或者拒缴。",
    "发生供水事故时，供水企业应当立即组织抢修，并及时通知受影响的用户和有关部门。",
    "违反本条例规定的，由水务部门责令改正，给予警告，情节严重的依法处以罚款。",
    "本条例自公布之日起施行。",
])]
REVISED = "供水企业应当建立健全水质检测和信息公开制度，委托有资质的机构定期抽检管网末梢水，检测结果每月在政府网站公开。"


def write_copies(folder):
    """The notice as hard-wrapped text, as a Word file and as a saved web page with furniture."""
    wrapped = []
    for paragraph in PLAIN:
        wrapped += [paragraph[i:i + 30] for i in range(0, len(paragraph), 30)] + [""]
    (folder / "tongzhi.txt").write_text("\n".join(wrapped), encoding="utf-8")
    document = python_docx.Document()
    document.add_heading(TITLE, level=1)
    for paragraph in BODY:
        document.add_paragraph(paragraph)
    document.save(folder / "tongzhi.docx")
    body = "".join(f"<p>{p}</p>" for p in BODY)
    (folder / "tongzhi.html").write_text(
        f"<html><head><meta charset='utf-8'><title>{TITLE}_市人民政府网站</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> &gt; <a href='/zc'>政策文件</a></div>"
        f"<div class='article'><h1>{TITLE}</h1>{body}</div>"
        "<div class='footer'>打印本页 关闭窗口</div></body></html>", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("copies-corpus")
    write_copies(folder)
    (folder / "tiaoli-2019.md").write_text(
        "# 城市供水条例\n\n" + "\n\n".join(ARTICLES) + "\n", encoding="utf-8")
    revised = [REVISED if n == 4 else a for n, a in enumerate(ARTICLES)]
    revised[4] = "第五条 " + REVISED
    (folder / "tiaoli-2024.md").write_text(
        "# 城市供水条例\n\n" + "\n\n".join(revised) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("copies-index")
    build_index(corpus, folder)
    return folder


@pytest.fixture(scope="module")
def sources(index):
    engine = SearchEngine(index)
    return {d["doc_id"]: engine.document(d["doc_id"])["source"] for d in engine.documents()}


def test_the_same_text_in_three_formats_is_one_group_led_by_the_word_file(index, sources):
    from indexer.embedded import store
    groups = duplicates.load(store.current_generation(index)).groups
    assert [[sources[d] for d in g["documents"]] for g in groups] == [
        ["tongzhi.docx", "tongzhi.txt", "tongzhi.html"]]


def test_a_revised_article_makes_a_document_of_its_own(index, sources):
    from indexer.embedded import store
    grouped = {sources[d] for g in duplicates.load(store.current_generation(index)).groups
               for d in g["documents"]}
    assert "tiaoli-2019.md" not in grouped and "tiaoli-2024.md" not in grouped


def test_edges_do_not_matter_but_the_middle_does():
    body = "".join(BODY + ARTICLES)
    assert duplicates.same_text("首页正文" + body + "打印关闭", body)
    assert duplicates.same_text(body[:400] + "新华社记者摄" + body[400:], body)  # a caption
    assert not duplicates.same_text("".join(ARTICLES),
                                    "".join(ARTICLES[:4] + [REVISED] + ARTICLES[5:]))


def test_search_shows_each_group_once_and_names_the_other_copies(index, sources):
    engine = SearchEngine(index)
    result = engine.search("压实粮食生产责任", facets=True)
    assert (result["total"], result["total_with_copies"], result["total_deduplicated"]) == (1, 3, 1)
    [hit] = result["hits"]
    assert sources[hit["doc_id"]] == "tongzhi.docx"
    assert [(c["format"], c["source"]) for c in hit["copies"]] == [("文本", "tongzhi.txt"),
                                                                    ("网页", "tongzhi.html")]
    assert [d["count"] for d in result["facets"]["docs"]] == [1]
    every = engine.search("压实粮食生产责任", facets=True, dedupe=False)
    assert (every["total"], every["total_with_copies"], every["total_deduplicated"]) == (3, 3, 1)
    assert sorted(sources[h["doc_id"]] for h in every["hits"]) == [
        "tongzhi.docx", "tongzhi.html", "tongzhi.txt"]
    assert [d["count"] for d in every["facets"]["docs"]] == [1, 1, 1]
    txt = next(d for d, s in sources.items() if s == "tongzhi.txt")
    asked = engine.search("压实粮食生产责任", doc=txt)
    assert [sources[h["doc_id"]] for h in asked["hits"]] == ["tongzhi.txt"]
    both = engine.search("水质检测")
    assert both["total"] == 2 and all(h["copies"] == [] for h in both["hits"])


def test_api_page_and_cli(index, corpus):
    client = app_over(index, corpus).test_client()
    once = client.get("/api/search?q=压实粮食生产责任").get_json()
    every = client.get("/api/search?q=压实粮食生产责任&dedupe=0").get_json()
    assert (once["total"], every["total"]) == (1, 3)
    assert client.get("/api/search?q=x&dedupe=2").status_code == 400
    page = client.get("/search?q=压实粮食生产责任").get_data(as_text=True)
    assert "另有 2 份相同文件" in page and "（文本）" in page and "（网页）" in page
    assert '<span class="total-with-copies">3</span>' in page
    assert "dedupe=0" in page
    all_copies = client.get("/search?q=压实粮食生产责任&dedupe=0").get_data(as_text=True)
    assert '<span class="total-deduped">1</span>' in all_copies
    runner = CliRunner()
    shown = runner.invoke(cli, ["search", "压实粮食生产责任", "--index", str(index)])
    assert shown.output.splitlines()[0].endswith(
        "; 3 with every copy of duplicate documents")
    assert "also as 2 more:" in shown.output
    listed = json.loads(runner.invoke(cli, ["search", "压实粮食生产责任", "--no-dedupe", "--json",
                                            "--index", str(index)]).output)
    assert (listed["total"], listed["dedupe"]) == (3, False)


def test_the_same_doc_number_is_one_group_whatever_the_text(tmp_path):
    notice = ("国务院办公厅关于开展城镇小区配套幼儿园治理工作的通知\n国办发〔2019〕3号\n"
              "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
              "为贯彻落实党中央、国务院关于学前教育深化改革规范发展的决策部署，现就开展城镇小区"
              "配套幼儿园治理工作通知如下。\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.txt").write_text(notice, encoding="utf-8")
    (corpus / "notice-with-annex.txt").write_text(
        notice + "附件：城镇小区配套幼儿园治理工作台账（样表），包括小区名称、幼儿园名称、"
        "规划建设情况、移交情况、办园性质、整改措施和完成时限等栏目，由各地逐项填报。\n",
        encoding="utf-8")
    (corpus / "other.txt").write_text(notice.replace("国办发〔2019〕3号", "国办发〔2019〕4号")
                                      .replace("幼儿园", "托育机构"), encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    from indexer.embedded import store
    engine = SearchEngine(tmp_path / "index")
    source = {d["doc_id"]: engine.document(d["doc_id"])["source"] for d in engine.documents()}
    [group] = duplicates.load(store.current_generation(tmp_path / "index")).groups
    assert [source[d] for d in group["documents"]] == ["notice-with-annex.txt", "notice.txt"]
    assert list(group["why"].values()) == ["same_doc_number"]


def test_a_doc_number_cited_under_another_title_is_not_a_copy(tmp_path):
    # The 决定's 文号 is read from the list of what it repeals; the titles differ: two documents.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "norm.txt").write_text("# 古树名木养护规范\n\n某政发〔2010〕8号\n\n古树名木的养护应当科学规范。\n",
                                     encoding="utf-8")
    (corpus / "decision.txt").write_text(
        "# 某市人民政府关于废止部分文件的决定\n\n市人民政府决定对下列文件予以废止：\n\n"
        "1.《古树名木养护规范》（某政发〔2010〕8号）\n\n某市人民政府\n\n2024年6月1日\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    from indexer.embedded import store
    assert duplicates.load(store.current_generation(tmp_path / "index")).groups == ()
    found = SearchEngine(tmp_path / "index").search("古树名木养护规范")
    assert [(hit["title"], hit["para"]) for hit in found["hits"]] == [
        ("古树名木养护规范", 1), ("某市人民政府关于废止部分文件的决定", 3), ("古树名木养护规范", 3)]


def test_one_changed_character_in_the_middle_is_another_version():
    body = "".join(BODY + ARTICLES)
    middle = body.index("每日检测")  # article 5 of 10: 每日 → 每周
    assert not duplicates.same_text(body, body[:middle] + "每周" + body[middle + 2:])


def test_a_revision_that_only_adds_a_sentence_is_a_document_of_its_own(tmp_path):
    """计量法实施细则 of 2018 and of 2022 differ by one inserted sentence and the revision
    history: two documents, both found by search, neither hidden as the other's copy."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    history = ["2019年5月10日 市人民代表大会常务委员会通过"]
    # A regulation of 80 articles (计量法实施细则 has 66): the insertions are under 3 %.
    articles = [f"第{k + 1}条 " + ARTICLES[k % 10].split(" ", 1)[1] + f"（本条第{k + 1}项）"
                for k in range(80)]
    added = "供水企业自愿签署告知承诺书并按要求提交材料的，按照告知承诺相关程序办理。"
    revised = [a + added if n == 4 else a for n, a in enumerate(articles)]
    (corpus / "城市供水条例(2019-05-10).md").write_text(
        "# 城市供水条例\n\n" + "\n\n".join(history + articles) + "\n", encoding="utf-8")
    history_now = history + ["2024年3月1日 市人民代表大会常务委员会修正"]
    (corpus / "城市供水条例(2024-03-01).md").write_text(
        "# 城市供水条例\n\n" + "\n\n".join(history_now + revised) + "\n", encoding="utf-8")
    # The texts alone would make them copies: a line and a sentence added to one of them.
    assert duplicates.same_text("".join(history + articles), "".join(history_now + revised))
    build_index(corpus, tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    assert sorted(d["date"] for d in engine.documents()) == ["2019-05-10", "2024-03-01"]
    found = engine.search("本条第5项", mode="exact")
    assert found["total"] == 2
    assert sorted(engine.document(h["doc_id"])["date"] for h in found["hits"]) == [
        "2019-05-10", "2024-03-01"]
    assert all(h["copies"] == [] for h in found["hits"])
