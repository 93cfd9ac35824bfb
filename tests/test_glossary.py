"""The corpus glossary: extraction, its place in the dictionary and the index, define (CLI, API)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import app_over
from indexer import SearchEngine, build_index
from indexer.features import glossary as corpus_glossary
from indexer.analysis import query_words, use_dictionary
from indexer.embedded.build import generation_dictionary
from indexer.cli import main
from indexer.ingest.documents import build_document
from indexer.embedded import store

SEED = Path(__file__).resolve().parent.parent / "corpus"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def entries_of(text: str) -> list[tuple[str, str, str]]:
    document = build_document(text, "t.md", "0" * 64)
    return [(e.kind, e.term, e.definition) for e in corpus_glossary.extract(document)]


def test_section_entries_numbered_in_several_styles():
    text = ("# 报告\n\n正文一段。\n\n## 名词解释\n\n1.双区:粤港澳大湾区和深圳先行示范区。\n\n"
            "2、六稳：稳就业、稳金融。\n\n（3）四风：形式主义、官僚主义。\n\n"
            "四、一老一小:“一老”指养老服务,“一小”指婴幼儿照护服务。\n")
    assert entries_of(text) == [
        ("section", "双区", "粤港澳大湾区和深圳先行示范区。"),
        ("section", "六稳", "稳就业、稳金融。"),
        ("section", "四风", "形式主义、官僚主义。"),
        ("section", "一老一小", "“一老”指养老服务,“一小”指婴幼儿照护服务。"),
        ("section", "一老", "养老服务"),
        ("section", "一小", "婴幼儿照护服务"),
    ]


def test_an_entry_runs_on_over_lines_until_its_sentence_ends():
    text = ("# 报告\n\n名词解释\n\n1.“双高计划”：\n\n是中国特色高水平高职学校\n\n和专业建设计划的简称。\n\n"
            "江海区人大会议秘书处 2022\n")
    document = build_document(text, "t.md", "0" * 64)
    [entry] = corpus_glossary.extract(document)
    assert (entry.term, entry.written, entry.definition) == (
        "双高计划", "“双高计划”", "是中国特色高水平高职学校和专业建设计划的简称。")


def test_in_text_definitions_and_abbreviations():
    text = ("# 办法\n\n本办法所称“小微企业”是指小型企业和微型企业；“个体户”是指个体工商户。\n\n"
            "根据《中华人民共和国著作权法》（以下简称著作权法）制定。\n\n"
            "中国国际进口博览会（以下简称“进博会”）在上海举办。\n\n"
            "“63”是指63个服务点。本条所称“其他证明”是指：。\n")
    assert entries_of(text) == [
        ("defined", "小微企业", "小型企业和微型企业。"),
        ("defined", "个体户", "个体工商户。"),
        ("abbreviated", "著作权法", "《中华人民共和国著作权法》"),
        ("abbreviated", "进博会", "中国国际进口博览会"),
    ]


def test_the_seed_glossary_has_its_31_numbered_entries():
    glossary = corpus_glossary.collect(SEED)
    [double_zone] = glossary.define("双区")
    assert (double_zone.definition, double_zone.para) == (
        "粤港澳大湾区和深圳中国特色社会主义先行示范合作区。", 80)
    assert glossary.define("放管服")[0].definition == "简政放权、放管结合、优化服务。"
    # The seed's 名词解释 numbers its entries 1–31 (lines 182–240 of the file).
    raw = (SEED / "2022_江门市江海区_政府工作报告.txt").read_text(encoding="utf-8")
    heads = re.findall(r"^(\d+)\.", raw.split("名词解释", 1)[1], flags=re.M)
    assert heads == [str(n) for n in range(1, 32)]
    assert sorted({e.para for e in glossary.entries if e.kind == "section"}) == \
        list(range(80, 111))  # one paragraph each, right after the heading (paragraph 79)


def test_collect_reuses_unchanged_files_and_skips_files_without_markers(tmp_path):
    (tmp_path / "a.txt").write_text("标题\n\n“甲乙”是指丙丁。\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("标题\n\n没有定义的一段。\n", encoding="utf-8")
    first = corpus_glossary.collect(tmp_path)
    assert [(e.term, e.definition) for e in first.entries] == [("甲乙", "丙丁。")]
    assert first.files["b.txt"]["entries"] == []
    # A known hash is trusted: an entry planted in the previous glossary survives.
    first.files["a.txt"]["entries"][0].definition = "从上一代读出"
    again = corpus_glossary.collect(tmp_path, first)
    assert again.entries[0].definition == "从上一代读出"
    (tmp_path / "a.txt").write_text("标题\n\n“甲乙”是指戊己。\n", encoding="utf-8")
    assert corpus_glossary.collect(tmp_path, first).entries[0].definition == "戊己。"


def test_glossary_terms_are_single_tokens_of_the_index(shorthand_index):
    generation = store.current_generation(shorthand_index)
    stored = json.loads((generation / "glossary.json").read_text(encoding="utf-8"))
    assert sorted(stored["files"]) == ["2023_绿色发展工作报告.md", "2024_工作要点.md"]
    use_dictionary(generation_dictionary(generation))
    # jieba's own dictionary splits these: 双 / 减, 四 / 上 / 企业, 三个 / 一
    assert query_words("四上企业") == ["四上企业"]
    assert query_words("三个一") == ["三个一"]
    assert query_words("小微企业") == ["小微企业"]
    stats = SearchEngine(shorthand_index).stats()
    assert "glossary (" in stats["dictionary"]


def test_a_glossary_change_rebuilds_fully_and_says_why(shorthand_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(shorthand_corpus, corpus)
    index = tmp_path / "index"
    build_index(corpus, index)
    plain = corpus / "2024_工作要点.md"
    plain.write_text(plain.read_text(encoding="utf-8") + "\n新增一段普通文字。\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.changed) == ("incremental", 1)
    plain.write_text(plain.read_text(encoding="utf-8") + "\n“链主企业”是指产业链头部企业。\n",
                     encoding="utf-8")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.reason) == ("full", "the glossary or abbreviations.txt changed")
    assert [e.definition for e in SearchEngine(index).glossary().define("链主企业")] == \
        ["产业链头部企业。"]
    (corpus / "abbreviations.txt").write_text("碳双控\t碳排放总量 碳排放强度\n", encoding="utf-8")
    summary = build_index(corpus, index)
    assert (summary.mode, summary.reason, summary.documents) == (
        "full", "the glossary or abbreviations.txt changed", 2)
    [own] = SearchEngine(index).glossary().abbreviations().lookup("碳双控")
    assert (own.parts, own.source) == (("碳排放总量", "碳排放强度"), "corpus")
    assert build_index(corpus, index).mode == "incremental"


def test_define_cli(shorthand_index, capsys):
    main(["define", "四上", "--index", str(shorthand_index), "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert [(d["term"], d["written"], d["kind"], d["para"]) for d in answer["definitions"]] == \
        [("四上企业", "“四上”企业", "section", 13)]
    main(["define", "进博会", "--index", str(shorthand_index)])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "进博会：中国国际进口博览会"
    with pytest.raises(SystemExit) as stopped:
        main(["define", "没有这个词", "--index", str(shorthand_index)])
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "error: no definition of '没有这个词' in the corpus's glossary\n"


def test_define_api(shorthand_app):
    client = shorthand_app.test_client()
    answer = client.get("/api/define?term=小微企业")
    assert answer.status_code == 200
    [definition] = answer.get_json()["definitions"]
    assert (definition["definition"], definition["kind"], definition["para"]) == (
        "小型企业和微型企业。", "defined", 9)
    assert definition["url"].endswith("#p9")
    assert client.get("/api/define?term=没有").status_code == 404
    assert client.get("/api/define").status_code == 400
    assert client.get("/api/define?term=a&term=b").status_code == 400


def test_results_page_card_shows_the_definitions_of_terms_in_the_query(shorthand_app):
    client = shorthand_app.test_client()
    page = client.get("/search?q=三个一 蓝图").get_data(as_text=True)
    card = page.split('class="glossary-card"', 1)[1].split("</section>", 1)[0]
    assert "一张蓝图、一套机制、一个平台。" in card
    assert "#p14" in card
    assert 'class="glossary-card"' not in client.get("/search?q=蓝图").get_data(as_text=True)


@pytest.fixture(scope="module")
def seed_app(tmp_path_factory):
    index = tmp_path_factory.mktemp("seed-index")
    build_index(SEED, index)
    return app_over(index, SEED)


def test_seed_card_for_shuangqu(seed_app):
    page = seed_app.test_client().get("/search?q=双区").get_data(as_text=True)
    card = page.split('class="glossary-card"', 1)[1].split("</section>", 1)[0]
    assert '<h2 class="term">双区</h2>' in card
    assert '<p class="meaning">粤港澳大湾区和深圳中国特色社会主义先行示范合作区。</p>' in card
    assert "#p80" in card


@pytest.mark.shared
def test_shared_glossary_finds_the_guangdong_section():
    corpus = SHARED / "provincial-2026"
    if not corpus.is_dir():
        pytest.skip(f"needs {corpus}")
    glossary = corpus_glossary.collect(corpus)
    guangdong = [e for e in glossary.entries if e.kind == "section"
                 and e.title.startswith("2026年广东省")]
    # 名词解释 of the 2026 Guangdong report: 13 numbered entries (1.“四上”企业 … 13.“标准海”),
    # the term on one line and its definition on the next.
    raw = next(corpus.glob("2026_广东省_*")).read_text(encoding="utf-8")
    heads = re.findall(r"^\d+\.(.*)：$", raw.split("名词解释", 1)[1], flags=re.M)
    assert len(heads) == 13
    first_of_each = {}
    for entry in guangdong:
        first_of_each.setdefault(entry.para, entry.written)
    assert list(first_of_each.values()) == heads
    assert guangdong[0].term == "四上企业"
    assert guangdong[0].definition.startswith("现阶段统计工作实践中对达到一定规模")
    assert [e.definition for e in glossary.define("双一流")] == ["指世界一流大学和一流学科。"]
