"""The analysis contract: exact offsets, ordinal positions, normalisation, policy terms, grams."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import (Dictionary, _literal_form_by_character, JiebaTokenizer, active_dictionary, fold, gram_terms,
                              literal_form, literal_grams, literal_text, normalize, query_words,
                              use_dictionary, word_analyzer, word_spans)
from indexer import build_index
from indexer.embedded.grams import gram_arrays
from indexer.embedded.schema import WordField

SAMPLE = ("２０２２年ＧＤＰ增长 9.4%，高新技术企业、专精特新“小巨人”企业和「鄉村振興」示范村；"
          "碳达峰碳中和，石墨烯新材料。Hello  World\n营商环境")


def test_every_token_offset_points_at_its_own_text():
    tokens = list(JiebaTokenizer()(SAMPLE, positions=True, chars=True))
    assert tokens
    for token in tokens:
        assert SAMPLE[token.startchar:token.endchar] == token.text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_offsets_are_exact_for_arbitrary_text(text):
    for token in JiebaTokenizer()(text, positions=True, chars=True):
        assert text[token.startchar:token.endchar] == token.text
    literal, origin = literal_form(text)
    for i, char in enumerate(literal):
        if not char.isspace():
            assert char in normalize(text[origin[i]])


def test_positions_are_word_ordinals_not_character_offsets():
    tokens = [(t.text, t.pos) for t in
              word_analyzer()("推进乡村振兴和高新技术企业发展", positions=True, mode="query")]
    assert tokens == [("推进", 0), ("乡村振兴", 1), ("和", 2), ("高新技术企业", 3), ("发展", 4)]


def test_index_mode_adds_sub_words_at_the_same_position_query_mode_does_not():
    index = [(w, p) for w, p, _, _ in word_spans("培育高新技术企业", "index")]
    query = [(w, p) for w, p, _, _ in word_spans("培育高新技术企业", "query")]
    assert query == [("培育", 0), ("高新技术企业", 1)]
    assert ("高新技术企业", 1) in index and ("技术", 1) in index and ("企业", 1) in index
    assert {p for _, p in index} == {0, 1}


def test_no_stemming_and_no_stop_list():
    words = query_words("碳中和 the and of 的 了")
    assert words == ["碳中和", "the", "and", "of", "的", "了"]


def test_punctuation_is_dropped_width_and_case_are_folded():
    assert query_words("ＧＤＰ，gdp。GDP！１２") == ["gdp", "gdp", "gdp", "12"]


def test_traditional_and_simplified_fold_to_one_script():
    assert normalize("鄉村振興") == "乡村振兴"
    assert query_words("鄉村振興") == query_words("乡村振兴") == ["乡村振兴"]


@pytest.mark.parametrize("term", ["乡村振兴", "专精特新", "小巨人", "放管服", "碳达峰", "碳中和",
                                  "新质生产力", "营商环境", "一网统管", "高新技术企业"])
def test_policy_terms_are_single_tokens(term):
    assert query_words(f"我们要推进{term}工作") == ["我们", "要", "推进", term, "工作"]


def test_dictionary_is_described_and_fingerprinted():
    dictionary = active_dictionary()
    assert len(dictionary.fingerprint) == 16
    assert "policy_terms.txt" in dictionary.description


def test_fold_keeps_one_character_per_character():
    for text in (SAMPLE, "ﬁ㍿Ⅻ", "e\u0301", "İstanbul"):
        assert len(fold(text)) == len(text)


def test_literal_form_drops_whitespace_only_between_cjk():
    normalised, origin = literal_form("高新 技术\n企业  New   York")
    assert normalised == "高新技术企业 new york"
    assert [normalised[i] for i in range(6)] == list("高新技术企业")
    assert origin[:6] == [0, 1, 3, 4, 6, 7]


def test_grams_are_unigrams_and_bigrams_at_character_positions():
    assert gram_terms("侨梦苑") == {"侨": [0], "梦": [1], "苑": [2], "侨梦": [0], "梦苑": [1]}
    assert literal_grams("侨") == ["侨"]
    assert literal_grams("侨梦") == ["侨梦"]
    assert literal_grams("侨梦苑") == ["侨梦", "梦苑"]


def test_fast_field_indexing_matches_the_analyzers():
    word_terms = {t[0].decode() for t in WordField().index(SAMPLE)}
    analyzer_terms = {t.text for t in word_analyzer()(SAMPLE, mode="index")}
    assert word_terms == analyzer_terms


# Characters whose folding is awkward: NFKC expansions (… ⑵ Ⅱ ¨ with a space inside), full
# width, a soft hyphen, white space of several kinds, CJK Extension B, traditional script.
AWKWARD = list("乡村振興 \u3000\t\n\x1c…⑵Ⅱ¨ａＢ𠀀𠀁a.,，\u00ad〔〕")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.text(alphabet=st.sampled_from(AWKWARD), max_size=30))
def test_literal_text_is_literal_form_without_offsets(text):
    assert literal_text(text) == literal_form(text)[0]
    assert literal_form(text) == _literal_form_by_character(text)  # its fast path, too


def test_literal_text_folds_and_joins_as_the_query_side_does():
    assert literal_text("  银河—Ⅱ 巨型\n计算机 (⑵) Hello   World …") == \
        "银河—ii 巨型计算机 ((2)) hello world ..."  # a space stays unless CJK on both sides


def postings_of(arrays) -> dict[str, dict[int, list[int]]]:
    """{gram: {paragraph: positions}} read back from ``gram_arrays``' columns."""
    terms, offsets = bytes(arrays["terms"]), arrays["term_offsets"].tolist()
    found = {}
    for number in range(len(offsets) - 1):
        gram = terms[offsets[number]:offsets[number + 1]].decode("utf-8")
        at = int(arrays["position_starts"][number])
        for posting in range(arrays["starts"][number], arrays["starts"][number + 1]):
            count = int(arrays["weights"][posting])
            found.setdefault(gram, {})[int(arrays["ids"][posting])] = \
                arrays["positions"][at:at + count].tolist()
            at += count
        assert at == arrays["position_starts"][number + 1]
    return found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
                | st.text(alphabet=st.sampled_from(AWKWARD), max_size=20), max_size=6))
def test_segment_gram_arrays_are_every_paragraphs_gram_terms(texts):
    docnums = [3 * i + 1 for i in range(len(texts))]
    expected = {}
    for docnum, text in zip(docnums, texts):
        for gram, positions in gram_terms(literal_form(text)[0]).items():
            expected.setdefault(gram, {})[docnum] = positions
    arrays = gram_arrays(docnums, texts)
    assert (postings_of(arrays) if arrays else {}) == expected
    if arrays:  # terms in UTF-8 byte order, as Whoosh and the arrays' binary search want them
        terms = [bytes(arrays["terms"][a:b]) for a, b in
                 zip(arrays["term_offsets"][:-1], arrays["term_offsets"][1:])]
        assert terms == sorted(terms)


# ---------------------------------------------------------------- the jieba-rs accelerator

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SEED = Path(__file__).resolve().parents[1] / "corpus"


def _lines(paths):
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield fold(line)


@pytest.fixture()
def accelerated():
    """The active dictionary, which must be running on jieba-rs: rjieba is a pinned dependency,
    and without it every comparison below would compare jieba with itself."""
    import rjieba  # noqa: F401 - a failing import must fail these tests, not skip them
    dictionary = active_dictionary()
    assert dictionary.accelerated
    return dictionary


def test_accelerator_is_in_use(accelerated):
    assert accelerated.cut("专精特新企业") == ["专精特新", "企业"]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(
    "高新技术企业专精特新乡村振兴碳达峰中和的了在发展建设石墨烯侨梦苑 ,.。，0123456789abcXYZ%+-#&_\u3000")),
    max_size=40))
def test_accelerator_segments_exactly_like_jieba(text):
    dictionary = active_dictionary()
    assert dictionary.accelerated  # (a hypothesis test cannot take a function fixture)
    assert dictionary.cut(fold(text)) == dictionary.reference_cut(fold(text))


def test_accelerator_segments_the_seed_corpus_like_jieba(accelerated):
    for line in _lines(sorted(SEED.glob("*.txt"))):
        assert accelerated.cut(line) == accelerated.reference_cut(line)


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/corpus is not present")
def test_accelerator_segments_real_reports_like_jieba(accelerated):
    dictionary = accelerated
    paths = sorted((SHARED / "national-reports").glob("*.txt")) + \
        sorted((SHARED / "provincial-2026").glob("*.txt"))
    differing = [line for line in _lines(paths) if dictionary.cut(line) != dictionary.reference_cut(line)]
    assert differing == []


def test_a_compiled_dictionary_segments_like_jieba_without_loading_it(tmp_path):
    """A search process starts from the build's compiled file: the same words and sub-words
    as jieba's own dictionary gives, and jieba's Python dictionary is never loaded for them."""
    reference = Dictionary(extra_words=("双区驱动",))
    reference.save_compiled(tmp_path / "dictionary.json")
    compiled = Dictionary(extra_words=("双区驱动",), compiled=tmp_path / "dictionary.json")
    lines = list(_lines(sorted(SEED.glob("*.txt")))) + ["坚持双区驱动，培育专精特新企业"]
    try:
        spans = {}
        for dictionary in (reference, compiled):
            use_dictionary(dictionary)
            spans[dictionary] = [word_spans(line, "index") for line in lines]
        assert spans[compiled] == spans[reference]
        assert spans[compiled][-1] == (
            ("坚持", 0, 0, 2), ("双区驱动", 1, 2, 6), ("驱动", 1, 4, 6), ("培育", 2, 7, 9),
            ("专精特新", 3, 9, 13), ("专精", 3, 9, 11), ("企业", 4, 13, 15))
        assert not compiled.reference_loaded
        # a file of another dictionary (other glossary terms) is not used
        other = Dictionary(compiled=tmp_path / "dictionary.json")
        other.cut("预热")
        assert other.reference_loaded
    finally:
        use_dictionary(Dictionary())


def test_a_search_process_never_loads_jiebas_own_dictionary(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2024_某市_政府工作报告.txt").write_text(
        "2024年某市政府工作报告\n\n培育专精特新企业，全面推进乡村振兴。\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    script = ("import sys; from indexer import SearchEngine; "
              "from indexer.analysis import active_dictionary; "
              "hits = SearchEngine(sys.argv[1]).search('专精特新 企业')['hits']; "
              "print(hits[0]['snippet'], active_dictionary().reference_loaded)")
    completed = subprocess.run([sys.executable, "-c", script, str(tmp_path / "index")],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["培育<mark>专精特新</mark><mark>企业</mark>，全面推进乡村振兴。",
                                        "False"]


def test_a_server_process_imports_neither_jieba_nor_the_build(tmp_path):
    """The web server's start pays for neither jieba (with pkg_resources) nor the build and
    its format readers: they load on first use, which a search process never makes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2024_某市_政府工作报告.txt").write_text(
        "2024年某市政府工作报告\n\n培育专精特新企业，全面推进乡村振兴。\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index")
    script = ("import sys; import indexer.cli; from webapp import create_app; "
              "app = create_app({'INDEX_DIR': sys.argv[1], 'CORPUS_DIR': 'corpus', "
              "'PAGE_SIZE': 10, 'REINDEX_TOKEN': 'x' * 32}); "
              "print(app.test_client().get('/api/search?q=专精特新').get_json()['total'], "
              "*[m in sys.modules for m in ('jieba', 'pkg_resources', 'indexer.embedded.build', "
              "'indexer.ingest.documents', 'indexer.ingest.formats')])")
    completed = subprocess.run([sys.executable, "-c", script, str(tmp_path / "index")],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["1", "False", "False", "False", "False", "False"]


def test_the_fingerprint_names_the_installed_jieba_without_importing_it():
    """The version read from the package metadata is jieba's own ``__version__`` (so the
    fingerprints of existing indexes are unchanged), and the dictionary says it."""
    from indexer.analysis import jieba_version
    import jieba
    assert jieba_version() == jieba.__version__ == "0.42.1"
    assert Dictionary().description.startswith("jieba 0.42.1 + policy_terms.txt (analysis v5, ")
