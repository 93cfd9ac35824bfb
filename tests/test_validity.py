"""Validity (时效性): each statement pattern in documents written here, the status filter and
facet, and real repeal statements of ../shared/corpus/laws with pairs written out by hand."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from indexer import SearchEngine, build_index
from indexer.cli import main
from indexer.embedded import store
from indexer.ingest import officialmeta
from indexer.ingest.documents import make_doc_id, read_document
from indexer.relations import graph
from indexer.relations.citations import find_references
from indexer.relations.validity import parse_date, read_statements

from conftest import app_over

SHARED_LAWS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "laws"
TODAY = dt.date(2026, 12, 1)
QUICK_START_CORPUS = Path(__file__).resolve().parents[1] / "corpus"  # the README's Quick start


def test_dates_in_digits_and_in_chinese_numerals():
    assert parse_date("2020年1月1日") == "2020-01-01"
    assert parse_date("2024年 12 月 1 日") == "2024-12-01"
    assert parse_date("一九九九年十二月二十五日") == "1999-12-25"
    assert parse_date("二〇二〇年十月一日") == "2020-10-01"
    assert parse_date("2021年2月30日") is None


@pytest.mark.parametrize("written, iso", [
    ("2019年2月1日", "2019-02-01"), ("2024年 12 月 1 日", "2024-12-01"),
    ("二〇一九年二月一日", "2019-02-01"), ("二○二○年十二月三十一日", "2020-12-31"),
    ("二ＯＯ九年三月十日", "2009-03-10")])
def test_a_signature_date_is_one_the_metadata_and_the_validity_readers_both_take(written, iso):
    meta = officialmeta.from_text(["各区人民政府：", "古树是珍贵的自然遗产。", "某市人民政府", written],
                                  "关于加强古树保护的意见")
    assert (meta.issuer, meta.signed) == ("某市人民政府", written)
    assert parse_date(written) == iso


# One document per pattern; the comment says what each should end up as on TODAY.
FILES = {
    # 自印发之日起施行; repealed by decision.txt's list (from its date, 2024-06-01)
    "opinion.txt": "# 关于加强古树保护的意见\n\n各区人民政府：\n\n古树是珍贵的自然遗产。\n\n"
                   "本意见自印发之日起施行。\n\n某市人民政府\n\n2010年6月1日\n",
    # repealed by decision.txt's list, named there by its 文号
    "norm.txt": "# 古树名木养护规范\n\n某政发〔2010〕8号\n\n古树名木的养护应当科学规范。\n\n"
                "本规范自2011年1月1日起施行。\n\n某市人民政府\n\n2010年12月1日\n",
    # amended by amendment.txt (2022-10-01); repeals a document the corpus does not hold
    "regulation.txt": "# 某市古树名木保护条例\n\n第一条 为了保护古树名木，制定本条例。\n\n"
                      "第二条 本条例自2015年5月1日起施行。2001年发布的《某市古树管理办法》同时废止。\n\n"
                      "某市人民代表大会常务委员会\n\n2015年3月1日\n",
    # a 决定 that repeals a list (予以废止), citing its authority first
    "decision.txt": "# 某市人民政府关于废止部分文件的决定\n\n"
                    "根据《中华人民共和国立法法》，市人民政府决定对下列文件予以废止：\n\n"
                    "1.《关于加强古树保护的意见》\n\n2.《古树名木养护规范》（某政发〔2010〕8号）\n\n"
                    "本决定自公布之日起施行。\n\n某市人民政府\n\n2024年6月1日\n",
    # 关于修改《X》的决定 with 将《X》第二条修改为
    "amendment.txt": "# 某市人民代表大会常务委员会关于修改《某市古树名木保护条例》的决定\n\n"
                     "一、将《某市古树名木保护条例》第二条修改为：“古树名木应当挂牌保护。”\n\n"
                     "本决定自2022年10月1日起施行。\n\n某市人民代表大会常务委员会\n\n2022年9月1日\n",
    # 有效期至…: expired on 2021-12-31
    "campaign.txt": "# 关于开展古树普查的通知\n\n各区人民政府：\n\n请组织开展古树普查。\n\n"
                    "本通知自2020年1月1日起施行，有效期至2021年12月31日。\n\n某市人民政府\n\n2019年12月1日\n",
    # an effective date still ahead (and 有效期3年 after it)
    "plan.txt": "# 古树保护三年行动方案\n\n一、目标\n\n完成古树保护。\n\n"
                "本方案自2099年1月1日起施行，有效期3年。\n\n某市人民政府\n\n2025年1月1日\n",
    # no statement of its own; repealed by recheck.txt (同时废止) from 2023-01-01
    "note.txt": "# 关于古树名木的说明\n\n古树是指树龄在一百年以上的树木。\n\n某市园林局\n\n2018年3月1日\n",
    "recheck.txt": "# 关于开展古树复查的通知\n\n请组织开展古树复查。\n\n"
                   "本通知自2023年1月1日起施行。《关于古树名木的说明》同时废止。\n\n某市人民政府\n\n2022年12月1日\n",
    # 文号 … 不再执行
    "old-identify.txt": "# 古树认定暂行办法\n\n某政发〔2016〕2号\n\n古树由园林部门认定。\n\n"
                        "本办法自2016年3月1日起施行。\n\n某市人民政府\n\n2016年2月1日\n",
    "identify.txt": "# 某市人民政府关于印发古树认定办法的通知\n\n现将《古树认定办法》印发给你们。\n\n"
                    "本办法自2021年1月1日起施行，某政发〔2016〕2号文件不再执行。\n\n某市人民政府\n\n2020年12月1日\n",
    # says nothing about its force, and nobody says anything about it
    "list.txt": "# 古树名录\n\n一、银杏 一株\n\n二、樟树 两株\n\n某市园林局\n\n2017年5月1日\n",
}
ID = {name.removesuffix(".txt"): make_doc_id(name) for name in FILES}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("validity-corpus")
    for name, text in FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index = tmp_path_factory.mktemp("validity-index")
    build_index(corpus, index)
    return index


@pytest.fixture(scope="module")
def relations(index) -> graph.RelationGraph:
    return graph.RelationGraph(store.current_generation(index))


def test_status_of_each_pattern(relations):
    statuses = {name: relations.status(doc_id, TODAY)["status"] for name, doc_id in ID.items()}
    assert statuses == {
        "opinion": "repealed", "norm": "repealed", "regulation": "amended",
        "decision": "current", "amendment": "current", "campaign": "expired",
        "plan": "pending", "note": "repealed", "recheck": "current",
        "old-identify": "repealed", "identify": "current", "list": "unknown"}


def test_evidence_says_by_which_document_from_when_and_where(relations):
    repealed = relations.status(ID["opinion"], TODAY)["evidence"]["repealed"]
    assert (repealed["doc_id"], repealed["from"], repealed["para"], repealed["text"]) == (
        ID["decision"], "2024-06-01", 3, "1.《关于加强古树保护的意见》")
    norm = relations.status(ID["norm"], TODAY)["evidence"]["repealed"]
    assert (norm["doc_id"], norm["para"]) == (ID["decision"], 4)
    note = relations.status(ID["note"], TODAY)["evidence"]["repealed"]
    assert (note["doc_id"], note["from"], note["text"]) == (
        ID["recheck"], "2023-01-01", "《关于古树名木的说明》同时废止。")
    old = relations.status(ID["old-identify"], TODAY)["evidence"]["repealed"]
    assert (old["doc_id"], old["from"], old["text"]) == (
        ID["identify"], "2021-01-01", "本办法自2021年1月1日起施行，某政发〔2016〕2号文件不再执行。")
    amended = relations.status(ID["regulation"], TODAY)["evidence"]["amended"]
    assert [(a["doc_id"], a["from"]) for a in amended] == [(ID["amendment"], "2022-10-01")]
    campaign = relations.status(ID["campaign"], TODAY)
    assert (campaign["label"], campaign["evidence"]["expires"]) == ("已失效", "2021-12-31")
    plan = relations.status(ID["plan"], TODAY)
    assert (plan["label"], plan["evidence"]["effective_date"]) == ("尚未施行", "2099-01-01")
    decision = relations.status(ID["decision"], TODAY)
    assert (decision["label"], decision["evidence"]["effective_date"]) == ("现行有效", "2024-06-01")
    assert relations.status(ID["list"], TODAY) == {"status": "unknown", "label": "时效未知",
                                                   "evidence": {}}


def test_authority_cited_before_a_repeal_is_not_repealed(relations):
    decision = relations.docs[ID["decision"]]
    repealed = [decision["refs"][a["ref"]]["title"] for a in decision["repeals"]]
    assert repealed == ["关于加强古树保护的意见", "古树名木养护规范"]


def test_status_is_relative_to_the_day(relations):
    earlier = dt.date(2020, 6, 1)
    statuses = {name: relations.status(doc_id, earlier)["status"] for name, doc_id in ID.items()}
    assert statuses == {
        "opinion": "current", "norm": "current", "regulation": "current",
        "decision": "pending", "amendment": "pending", "campaign": "current",
        "plan": "pending", "note": "unknown", "recheck": "pending",
        "old-identify": "current", "identify": "pending", "list": "unknown"}


def test_search_filter_and_facet(index):
    engine = SearchEngine(index)
    result = engine.search("古树", per_page=100, facets=True)
    statuses = {h["doc_id"]: h["status"] for h in result["hits"]}
    assert statuses[ID["campaign"]] == "expired" and statuses[ID["list"]] == "unknown"
    facet = {f["status"]: (f["label"], f["docs"]) for f in result["facets"]["status"]}
    assert facet == {"current": ("现行有效", 4), "pending": ("尚未施行", 1),
                     "repealed": ("已废止", 4), "expired": ("已失效", 1),
                     "amended": ("已修改", 1), "unknown": ("时效未知", 1)}
    current = engine.search("古树", per_page=100, status="current")
    assert {h["doc_id"] for h in current["hits"]} == {
        ID["decision"], ID["amendment"], ID["recheck"], ID["identify"]}
    both = engine.search("古树", per_page=100, status="current", issuer="常务委员会")
    assert {h["doc_id"] for h in both["hits"]} == {ID["amendment"]}


def test_status_on_pages_api_and_cli(index, capsys):
    client = app_over(index, index).test_client()
    body = client.get("/api/search?q=古树普查&status=expired").get_json()
    assert [(h["doc_id"], h["status_label"]) for h in body["hits"]][:1] == [(ID["campaign"], "已失效")]
    answer = client.get("/api/search?q=古树&status=in-force")
    assert answer.status_code == 400
    assert "unknown status 'in-force'" in answer.get_json()["error"]
    page = client.get("/search?q=古树&status=current").get_data(as_text=True)
    assert "时效性：现行有效" in page and "已废止" not in page.split('class="hits"')[1].split("</ol>")[0]
    doc = client.get(f"/doc/{ID['opinion']}").get_data(as_text=True)
    assert "已废止" in doc and f'href="/doc/{ID["decision"]}#p3"' in doc
    main(["search", "古树", "--status", "current", "--json", "--index", str(index), "--limit", "50"])
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert {h["doc_id"] for h in hits} == {ID["decision"], ID["amendment"], ID["recheck"],
                                           ID["identify"]}



def _status_facet(page: str) -> list[str] | None:
    """The labels of the search page's 时效性 facet, in order (None when the page has none)."""
    if 'class="facet facet-status"' not in page:
        return None
    facet = page.split('class="facet facet-status"')[1].split("</section>")[0]
    return re.findall(r'<span class="status-dot status-\w+"></span>([^<]+)</span>', facet)


def test_the_status_facet_shows_only_when_a_hit_has_a_known_status(index, tmp_path):
    client = app_over(index, index).test_client()
    page = client.get("/search?q=古树").get_data(as_text=True)
    assert _status_facet(page) == ["现行有效", "尚未施行", "已废止", "已失效", "已修改", "时效未知"]
    only_unknown = client.get("/search?q=古树&status=unknown").get_data(as_text=True)
    assert _status_facet(only_unknown) is None
    assert "时效性：时效未知" in only_unknown  # the filter's chip still says what narrows
    # The Quick start's corpus: one report that states nothing about its force.
    quick_index = tmp_path / "quick-start-index"
    build_index(QUICK_START_CORPUS, quick_index)
    quick = app_over(quick_index, QUICK_START_CORPUS).test_client()
    page = quick.get("/search?q=政府").get_data(as_text=True)
    assert _status_facet(page) is None and "<h2>时效性</h2>" not in page
    assert "<h2>年份</h2>" in page and "<h2>文档</h2>" in page
    facet = SearchEngine(quick_index).search("政府", facets=True)["facets"]["status"]
    assert [(s["status"], s["label"], s["docs"]) for s in facet] == [("unknown", "时效未知", 1)]


# ---------------------------------------------------------------- real statements

REAL_REPEALS = [  # (repealing file, repealed file, from), read by hand in the files
    ("行政法规/人体器官捐献和移植条例(2023-12-04).txt",
     "行政法规/人体器官移植条例(2007-03-31).txt", "2024-05-01"),
    ("司法解释/最高人民法院、最高人民检察院关于办理拒不执行判决、裁定刑事案件适用法律若干问题的解释(2024-10-30).txt",
     "司法解释/最高人民法院关于审理拒不执行判决、裁定刑事案件适用法律若干问题的解释(2020-12-29).txt",
     "2024-12-01"),
    ("司法解释/最高人民法院、最高人民检察院关于办理破坏野生动物资源刑事案件适用法律若干问题的解释(2022-04-06).txt",
     "司法解释/最高人民法院关于审理破坏野生动物资源刑事案件具体应用法律若干问题的解释(2000-11-27).txt",
     "2022-04-09"),
    ("司法解释/最高人民法院关于适用《行政诉讼法》的解释(2018-02-06).txt",
     "司法解释/最高人民法院关于适用《行政诉讼法》若干问题的解释(2015-04-22).txt", "2018-02-08"),
    ("司法解释/人民检察院刑事诉讼规则(2019-12-02).txt",
     "司法解释/人民检察院刑事诉讼规则（试行）(2012-11-22).txt", "2019-12-30"),
]


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_LAWS.is_dir(), reason="needs ../shared/corpus/laws")
def test_real_repeals_of_the_laws_corpus(tmp_path):
    docs = {}
    for source in {f for pair in REAL_REPEALS for f in pair[:2]}:
        document = read_document(SHARED_LAWS / source, SHARED_LAWS)
        docs[document.doc_id] = graph.extract(
            {"title": document.title, "date": document.date, "doc_number": document.doc_number,
             "content_hash": document.content_hash},
            [(p.para, p.text) for p in document.paragraphs])
    graph.resolve(docs)
    (tmp_path / graph.FILE_NAME).write_text(
        json.dumps({"format": graph.FORMAT, "docs": docs}, ensure_ascii=False), encoding="utf-8")
    relations = graph.RelationGraph(tmp_path)
    found = set()
    for doc_id in docs:
        evidence = relations.status(doc_id, TODAY)["evidence"].get("repealed")
        if evidence:
            found.add((evidence["doc_id"], doc_id, evidence["from"]))
    assert found == {(make_doc_id(a), make_doc_id(b), when) for a, b, when in REAL_REPEALS}
    for repealing, _, _ in REAL_REPEALS:
        assert relations.status(make_doc_id(repealing), TODAY)["status"] == "current"


# ---------------------------------------------------------------- what is not a statement

def statements(*paragraphs: str, title: str = "某市某办法") -> dict:
    numbered = list(enumerate(paragraphs, 1))
    return read_statements(numbered, find_references(numbered), title)


def test_a_licence_term_is_not_the_documents_expiry():
    assert statements("对具备本条例规定条件的，准予延续，延续执业注册有效期为5年；")["expiry"] is None
    assert statements("本办法自2020年1月1日起施行，有效期5年。")["expiry"] == {
        "date": None, "years": 5, "para": 1, "text": "本办法自2020年1月1日起施行，有效期5年。"}


def test_a_part_that_no_longer_applies_is_not_a_repeal():
    found = statements("自本决定实施之日起，《关于审理某类案件的解释》（法释〔2015〕11号）"
                       "第一条第一款规定的数额标准不再适用。")
    assert found["repeals"] == []


def test_renaming_a_crime_is_not_amending_the_law_but_rewording_an_article_is():
    assert statements("将《中华人民共和国刑法》第一百六十九条的罪名由“甲罪”修改为“乙罪”。")["amends"] == []
    amends = statements("一、将《某市古树名木保护条例》第二条修改为：“古树应当挂牌。”")["amends"]
    assert [(a["ref"], a["para"]) for a in amends] == [(0, 1)]


def test_an_amendment_the_text_already_lists_leaves_it_current(tmp_path):
    law = {"title": "某市绿化条例", "date": "2023-12-29", "content_hash": "1"}
    amendment = {"title": "某市绿化条例修正案（二）", "date": "2024-03-01", "content_hash": "2"}
    docs = {
        "law": graph.extract(law, [(1, "某市绿化条例"), (2, "2023年12月29日 某市人大常委会通过的"
                                                       "《某市绿化条例修正案（二）》修正"),
                                   (3, "第九条 本条例自2010年1月1日起施行。")]),
        "amendment": graph.extract(amendment, [(1, "某市绿化条例修正案（二）"),
                                               (2, "本修正案自2024年3月1日起施行。")]),
    }
    graph.resolve(docs)
    assert docs["amendment"]["amends"][0]["text"] == "某市绿化条例修正案（二）"
    (tmp_path / graph.FILE_NAME).write_text(
        json.dumps({"format": graph.FORMAT, "docs": docs}, ensure_ascii=False), encoding="utf-8")
    relations = graph.RelationGraph(tmp_path)
    assert relations.status("law", TODAY)["status"] == "current"
    # the same amendment against a text that does not list it: amended
    docs["law"]["refs"], docs["law"]["date"] = [], "2020-01-01"
    (tmp_path / graph.FILE_NAME).write_text(
        json.dumps({"format": graph.FORMAT, "docs": docs}, ensure_ascii=False), encoding="utf-8")
    assert graph.RelationGraph(tmp_path).status("law", TODAY)["status"] == "amended"


def test_a_title_that_is_no_paragraph_still_states_what_it_amends(tmp_path):
    docs = {
        "decision": graph.extract(
            {"title": "关于修改《某市绿化条例》的决定", "date": "2022-09-01", "content_hash": "1"},
            [(1, "市人大常委会决定作如下修改。"), (2, "本决定自2022年10月1日起施行。")]),
        "law": graph.extract({"title": "某市绿化条例", "date": "2015-03-01", "content_hash": "2"},
                             [(1, "某市绿化条例"), (2, "本条例自2015年5月1日起施行。")]),
    }
    graph.resolve(docs)
    first = docs["decision"]["refs"][0]
    assert (first["title"], first["para"], first["context"], first["targets"]) == (
        "某市绿化条例", 0, "关于修改《某市绿化条例》的决定", ["law"])
    assert [a["ref"] for a in docs["decision"]["amends"]] == [0]
