"""Citations: detection in text, resolution to corpus documents, the index, pages, API and CLI.

Expected values are written out by hand from the texts below (and, for the shared corpus, from
reading its files), never computed with the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexer import SearchEngine, build_index
from indexer.cli import main
from indexer.embedded import store
from indexer.ingest.documents import make_doc_id, read_document
from indexer.relations import graph
from indexer.relations.citations import Candidate, Resolver, find_references

from conftest import app_over

SHARED_LAWS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "laws"


def found(text: str, own: str | None = None) -> list[tuple]:
    """(title, number, via, start, end) of each reference in one paragraph."""
    return [(r.title, r.number, r.via, r.start, r.end) for r in find_references([(1, text)], own)]


# ---------------------------------------------------------------- detection

def test_title_with_nested_marks_is_one_reference():
    text = "依照《重庆市实施〈中华人民共和国监督法〉办法》的规定执行。"
    assert found(text) == [("重庆市实施〈中华人民共和国监督法〉办法", None, None, 2, 23)]


def test_nested_title_marks_and_angle_brackets():
    assert found("根据《关于修改<中华人民共和国对外贸易法>等十二部法律的决定》修正") == [
        ("关于修改<中华人民共和国对外贸易法>等十二部法律的决定", None, None, 2, 31)]
    assert found("按《最高人民法院关于适用《中华人民共和国民法典》的解释》执行") == [
        ("最高人民法院关于适用《中华人民共和国民法典》的解释", None, None, 1, 28)]


@pytest.mark.parametrize("number_text", [
    "国办发〔2018〕115号", "国办发[2018]115号", "国办发［2018］115号", "国办发（2018）115号",
    "国办发(2018)115号", "国办发﹝2018﹞115号", "国办发【2018】115号", "国办发〔2018〕第115号",
    "国办发 〔 2018 〕 115 号"])
def test_document_number_in_any_bracket(number_text):
    text = f"请按照{number_text}文件执行。"
    start = text.index("国")
    assert found(text) == [(None, "国办发〔2018〕115号", None, start, start + len(number_text))]


def test_title_with_number_after_it_is_one_reference():
    text = "《最高人民法院关于审理拒不执行判决、裁定刑事案件适用法律若干问题的解释》（法释〔2015〕16号）同时废止。"
    assert found(text) == [("最高人民法院关于审理拒不执行判决、裁定刑事案件适用法律若干问题的解释",
                            "法释〔2015〕16号", None, 0, 49)]


def test_issuing_notice_refers_to_what_it_issues():
    text = "根据《国务院关于印发〈国家职业教育改革实施方案〉的通知》要求"
    assert found(text) == [
        ("国务院关于印发〈国家职业教育改革实施方案〉的通知", None, None, 2, 28),
        ("国家职业教育改革实施方案", None, "印发", 2, 28)]
    assert found("按《关于印发城市绿地养护办法的通知》执行")[1][:3] == ("城市绿地养护办法", None, "印发")


def test_certificates_newspapers_and_self_mentions_are_not_references():
    text = ("经考核合格发给《技术等级证书》或者《特种作业人员操作证》，刊登于《人民日报》，"
            "违反本《条例》规定的，收回《收费许可证》；继续办好《向前一步》栏目。")
    assert found(text) == []


def test_own_number_is_not_a_reference():
    assert find_references([(2, "法释〔2023〕11号")]) == []
    assert found("本办法（国办发〔2018〕115号）印发", own="国办发[2018]115号") == []
    # the same line further down the body is a reference to that number
    assert [(r.number, r.para) for r in find_references([(30, "国发〔2019〕4号")])] == \
        [("国发〔2019〕4号", 30)]


def test_words_before_a_number_are_not_its_issuer_code():
    assert found("按国办发(1985)49号执行")[0][1] == "国办发〔1985〕49号"


# ---------------------------------------------------------------- resolution

CANDIDATES = [
    Candidate("notice", "国务院办公厅关于加强城市绿地管理的通知", "国办发〔2018〕115号"),
    Candidate("measures-notice", "某市人民政府关于印发城市绿地养护办法的通知", "某政发〔2019〕3号"),
    Candidate("law", "中华人民共和国水法"),
    Candidate("interpretation", "最高人民法院关于适用《中华人民共和国行政诉讼法》若干问题的解释"),
    Candidate("civil-2021", "中华人民共和国民事诉讼法"),
    Candidate("civil-2023", "中华人民共和国民事诉讼法"),
    Candidate("decision-bj", "关于修改部分地方性法规的决定"),
    Candidate("decision-sh", "关于修改部分地方性法规的决定"),
]


def resolved(text: str, citing: str = "citing") -> list[tuple]:
    resolver = Resolver(CANDIDATES)
    references = find_references([(1, text)])
    for reference in references:
        resolver.resolve(reference, citing)
    return [(r.title or r.number, r.targets, r.resolution) for r in references]


def test_resolves_by_number_with_brackets_and_width_folded():
    assert resolved("根据国办发［２０１８］１１５号文件") == [
        ("国办发〔2018〕115号", ["notice"], "number")]


def test_resolves_by_title_without_issuer_or_with_another_mark():
    assert resolved("依照《关于加强城市绿地管理的通知》") == [
        ("关于加强城市绿地管理的通知", ["notice"], "title")]
    assert resolved("《最高人民法院关于适用〈中华人民共和国行政诉讼法〉若干问题的解释》") == [
        ("最高人民法院关于适用〈中华人民共和国行政诉讼法〉若干问题的解释", ["interpretation"], "title")]
    assert resolved("遵守《水法》和本办法") == [("水法", ["law"], "title")]


def test_resolves_the_document_inside_an_issuing_notice():
    assert resolved("《城市绿地养护办法》同时废止") == [
        ("城市绿地养护办法", ["measures-notice"], "title")]


def test_versions_of_one_law_are_all_targets_but_shared_generic_titles_are_not():
    assert resolved("依照《中华人民共和国民事诉讼法》") == [
        ("中华人民共和国民事诉讼法", ["civil-2021", "civil-2023"], "versions")]
    assert resolved("《关于修改部分地方性法规的决定》修正") == [
        ("关于修改部分地方性法规的决定", [], "ambiguous")]


def test_never_a_guess_and_never_itself():
    assert resolved("《中华人民共和国城乡规划法》《城市绿地条例》《关于加强绿地管理的通知》") == [
        ("中华人民共和国城乡规划法", [], "none"), ("城市绿地条例", [], "none"),
        ("关于加强绿地管理的通知", [], "none")]
    assert resolved("《中华人民共和国水法》", citing="law") == [("中华人民共和国水法", [], "none")]


# ---------------------------------------------------------------- the index, incrementally

NOTICE = """# 国务院办公厅关于加强城市绿地管理的通知

国办发〔2018〕115号

各省、自治区、直辖市人民政府：

为加强城市绿地管理，现就有关事项通知如下。

本通知自印发之日起施行。

国务院办公厅

2018年11月20日
"""
MEASURES = """# 某市人民政府关于印发城市绿地养护办法的通知

某政发〔2019〕3号

根据《国务院办公厅关于加强城市绿地管理的通知》（国办发[2018]115号），现将《城市绿地养护办法》印发给你们，请认真执行。

城市绿地养护办法

第一条 绿地养护按照国办发（2018）115号文件的要求进行。

第二条 本办法自2019年3月1日起施行。

某市人民政府

2019年2月1日
"""
REGULATION = """# 某市城市绿地条例

2020年3月1日 某市人民代表大会常务委员会通过

<!-- INFO END -->

第一条 为了保护城市绿地，根据《中华人民共和国城乡规划法》和《国务院办公厅关于加强城市绿地管理的通知》，制定本条例。

第二条 占用绿地的，应当取得《城市绿地占用许可证》。

第三条 本条例自2020年5月1日起施行。《城市绿地养护办法》同时废止。
"""


@pytest.fixture()
def corpus(tmp_path) -> Path:
    return written_corpus_in(tmp_path / "corpus", {"notice.txt": NOTICE, "measures.txt": MEASURES,
                                                   "regulation.txt": REGULATION})


def written_corpus_in(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


NOTICE_ID, MEASURES_ID, REGULATION_ID = (make_doc_id(n) for n in
                                         ("notice.txt", "measures.txt", "regulation.txt"))


def test_engine_lists_citations_and_cited_by_newest_first(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index)
    engine = SearchEngine(index)
    cites = engine.citations(REGULATION_ID)
    assert [(c["text"], [t["doc_id"] for t in c["targets"]], c["para"]) for c in cites["cites"]] == [
        ("《中华人民共和国城乡规划法》", [], 3),
        ("《国务院办公厅关于加强城市绿地管理的通知》", [NOTICE_ID], 3),
        ("《城市绿地养护办法》", [MEASURES_ID], 5)]
    assert cites["cites"][1]["targets"][0]["title"] == "国务院办公厅关于加强城市绿地管理的通知"
    cited = engine.citations(NOTICE_ID)["cited_by"]
    # regulation (2020) before measures (2019), which cites it twice (¶3 title and number, ¶5)
    assert [(c["doc_id"], c["para"]) for c in cited] == [
        (REGULATION_ID, 3), (MEASURES_ID, 3), (MEASURES_ID, 5)]
    assert engine.citations(NOTICE_ID)["counts"]["cited_by"] == 2
    assert engine.citations("no-such-doc") is None


def test_hits_carry_cited_by_counts(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index)
    hits = SearchEngine(index).search("城市绿地管理", per_page=50)["hits"]
    by_doc = {h["doc_id"]: h["cited_by"] for h in hits}
    assert by_doc[NOTICE_ID] == 2
    assert by_doc[REGULATION_ID] == 0


def test_a_changed_document_updates_its_references_and_the_cited_by_lists(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index)
    first = store.current_generation(index)
    (corpus / "regulation.txt").write_text(REGULATION.replace(
        "和《国务院办公厅关于加强城市绿地管理的通知》", ""), encoding="utf-8")
    (corpus / "later.txt").write_text(
        "# 某区绿地实施细则\n\n2021年5月1日 某区人民政府发布\n\n"
        "第一条 根据《某市城市绿地条例》，制定本细则。\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.changed, summary.added) == ("incremental", 1, 1)
    assert store.current_generation(index) != first
    engine = SearchEngine(index)
    assert [(c["doc_id"], c["para"]) for c in engine.citations(NOTICE_ID)["cited_by"]] == [
        (MEASURES_ID, 3), (MEASURES_ID, 5)]
    assert [c["doc_id"] for c in engine.citations(REGULATION_ID)["cited_by"]] == [
        make_doc_id("later.txt")]
    # the unchanged document's references were copied, not read again
    data = json.loads((store.current_generation(index) / graph.FILE_NAME).read_text("utf-8"))
    assert data["docs"][MEASURES_ID]["refs"][0]["targets"] == [NOTICE_ID]
    (corpus / "notice.txt").unlink()
    build_index(corpus, index)
    engine = SearchEngine(index)
    measures = engine.citations(MEASURES_ID)["cites"]
    assert [(c["text"], c["targets"]) for c in measures][:2] == [
        ("《国务院办公厅关于加强城市绿地管理的通知》（国办发〔2018〕115号）", []),
        ("《城市绿地养护办法》", [])]


# ---------------------------------------------------------------- pages, API and CLI

def test_api_and_pages_show_both_lists(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index)
    client = app_over(index, corpus).test_client()
    answer = client.get(f"/api/doc/{NOTICE_ID}/citations")
    assert answer.status_code == 200
    body = answer.get_json()
    assert [c["url"] for c in body["cited_by"]] == [
        f"/doc/{REGULATION_ID}#p3", f"/doc/{MEASURES_ID}#p3", f"/doc/{MEASURES_ID}#p5"]
    assert client.get("/api/doc/nope/citations").status_code == 404
    assert client.get("/api/doc/nope/citations").get_json()["error"] == "no document with id 'nope'"
    page = client.get(f"/doc/{REGULATION_ID}").get_data(as_text=True)
    assert "本文引用" in page and "被引用" in page
    assert f'href="/doc/{NOTICE_ID}"' in page  # the resolved citation links
    assert "《中华人民共和国城乡规划法》" in page  # the unresolved one stays as text
    page = client.get(f"/doc/{NOTICE_ID}").get_data(as_text=True)
    assert f'href="/doc/{MEASURES_ID}#p5"' in page
    results = client.get("/search?q=城市绿地管理").get_data(as_text=True)
    assert "被引用 2" in results


def test_cli_cites_and_cited_by(corpus, tmp_path, capsys):
    index = tmp_path / "index"
    build_index(corpus, index)
    main(["cites", MEASURES_ID, "--index", str(index), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert [(c["text"], [t["doc_id"] for t in c["targets"]]) for c in data["cites"]] == [
        ("《国务院办公厅关于加强城市绿地管理的通知》（国办发〔2018〕115号）", [NOTICE_ID]),
        ("《城市绿地养护办法》", []),
        ("国办发〔2018〕115号", [NOTICE_ID])]
    main(["cites", MEASURES_ID, "--index", str(index)])
    assert capsys.readouterr().out.splitlines() == [
        "某市人民政府关于印发城市绿地养护办法的通知  [已废止]",
        "¶3     《国务院办公厅关于加强城市绿地管理的通知》（国办发〔2018〕115号）"
        f"  → 国务院办公厅关于加强城市绿地管理的通知 [{NOTICE_ID}]",
        "¶3     《城市绿地养护办法》  (not in the index)",
        f"¶5     国办发〔2018〕115号  → 国务院办公厅关于加强城市绿地管理的通知 [{NOTICE_ID}]",
        "3 references, 2 in the index"]
    main(["cited-by", NOTICE_ID, "--index", str(index)])
    assert capsys.readouterr().out.splitlines() == [
        "国务院办公厅关于加强城市绿地管理的通知  [现行有效]",
        f"2020-03-01  某市城市绿地条例  [{REGULATION_ID} ¶3]",
        "    第一条 为了保护城市绿地，根据《中华人民共和国城乡规划法》和《国务院办公厅关于加强城市绿地管理的通知》，"
        "制定本条例。",
        f"2019-02-01  某市人民政府关于印发城市绿地养护办法的通知  [{MEASURES_ID} ¶3]",
        "    根据《国务院办公厅关于加强城市绿地管理的通知》（国办发[2018]115号），现将《城市绿地养护办法》印发给你们，"
        "请认真执行。",
        f"2019-02-01  某市人民政府关于印发城市绿地养护办法的通知  [{MEASURES_ID} ¶5]",
        "    第一条 绿地养护按照国办发（2018）115号文件的要求进行。",
        "cited by 2 documents"]
    main(["cited-by", NOTICE_ID, "--index", str(index), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (sorted(data), data["title"], len(data["cited_by"])) == (
        ["cited_by", "doc_id", "status", "title"], "国务院办公厅关于加强城市绿地管理的通知", 3)
    with pytest.raises(SystemExit) as stopped:
        main(["cited-by", "nope", "--index", str(index)])
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "error: no document with id 'nope' (list them with `show`)\n"


# ---------------------------------------------------------------- real statements

@pytest.mark.shared
@pytest.mark.skipif(not SHARED_LAWS.is_dir(), reason="needs ../shared/corpus/laws")
def test_real_citations_resolve_to_the_documents_named(tmp_path):
    files = {  # citing file → (the citation as written, the file it names), read by hand
        "行政法规/基本农田保护条例(2011-01-08).txt": "行政法/土地管理法(2019-08-26).txt",
        "司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).txt": None,
        "案例/劳动人事/劳动者在离职文件上签字确认加班费已结清，是否有权请求支付欠付的加班费.txt":
            "司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).txt",
    }
    docs = {}
    for source in list(files) + [f for f in files.values() if f]:
        document = read_document(SHARED_LAWS / source, SHARED_LAWS)
        docs[document.doc_id] = graph.extract(
            {"title": document.title, "date": document.date, "doc_number": document.doc_number,
             "content_hash": document.content_hash},
            [(p.para, p.text) for p in document.paragraphs])
    graph.resolve(docs)
    farm = docs[make_doc_id("行政法规/基本农田保护条例(2011-01-08).txt")]
    # 第一条: 根据《中华人民共和国农业法》和《中华人民共和国土地管理法》，制定本条例。
    assert [(r["title"], r["targets"]) for r in farm["refs"] if r["title"] in (
        "中华人民共和国土地管理法", "中华人民共和国农业法")][:2] == [
        ("中华人民共和国农业法", []),
        ("中华人民共和国土地管理法", [make_doc_id("行政法/土地管理法(2019-08-26).txt")])]
    case = docs[make_doc_id("案例/劳动人事/劳动者在离职文件上签字确认加班费已结清，是否有权请求支付欠付的加班费.txt")]
    # …《最高人民法院关于审理劳动争议案件适用法律问题的解释（一）》（法释〔2020〕26号）第三十五条规定…
    first = next(r for r in case["refs"] if r["number"])
    assert (first["title"], first["number"], first["targets"]) == (
        "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", "法释〔2020〕26号",
        [make_doc_id("司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).txt")])


# ---------------------------------------------------------------- in a real browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_following_citations_and_the_status_facet_in_chromium(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from load.server import production_server

    corpus = written_corpus_in(tmp_path / "corpus", {
        "notice.txt": NOTICE, "measures.txt": MEASURES, "regulation.txt": REGULATION})
    index = tmp_path / "index"
    build_index(corpus, index)
    with production_server(index, corpus, threads=2) as server, \
            sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.goto(f"{server.base}/doc/{NOTICE_ID}")
        assert page.locator("#cited-by .citing").all_inner_texts() == [
            "某市城市绿地条例", "某市人民政府关于印发城市绿地养护办法的通知",
            "某市人民政府关于印发城市绿地养护办法的通知"]
        page.locator("#cited-by .citing").first.click()
        page.wait_for_url(f"**/doc/{REGULATION_ID}#p3")
        assert page.evaluate("document.querySelector(':target').id") == "p3"
        assert page.locator(".relations .status-badge").inner_text() == "现行有效"
        page.locator(".cites .cite-target").first.click()  # back to the notice it cites
        page.wait_for_url(f"**/doc/{NOTICE_ID}")
        page.goto(f"{server.base}/search?q=城市绿地")
        page.locator(".facet-status a", has_text="已废止").click()
        page.wait_for_url("**status=repealed*")
        assert set(page.locator(".hit-title").all_inner_texts()) == {"某市人民政府关于印发城市绿地养护办法的通知"}
        assert page.locator(".hit .status-badge").first.inner_text() == "已废止"
        assert problems == []
        browser.close()


def test_a_number_after_and_is_another_document():
    assert found("依照《城市绿地条例》和国办发〔2018〕115号执行") == [
        ("城市绿地条例", None, None, 2, 10), (None, "国办发〔2018〕115号", None, 11, 24)]
