"""The posting arrays beside each segment hold exactly Whoosh's postings, and exactly the
character grams of the segment's stored paragraphs, in every build.

The references are Whoosh's own reader (``reader.postings(...).all_items()``) for the word and
id fields, and ``analysis.gram_terms`` of each stored paragraph's literal form (one paragraph
at a time, in plain Python) for the grams; never the arrays code.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query

from indexer import IndexVersionError, SearchEngine, build_index
from indexer.embedded import store
from indexer.analysis import gram_terms, literal_form
from indexer.embedded.arrays import ARRAY_FIELDS, SegmentArrays, arrays_path
from indexer.embedded.matching import Postings

DOCS = {
    "2021_甲市_政府工作报告.txt": "2021年甲市政府工作报告\n\n一、工作回顾\n\n"
                              "乡村振兴扎实推进，乡村振兴示范村12个。\n推动石墨烯新材料产业发展。\n\n"
                              "二、工作安排\n\n加强水利枢纽建设，的的确确。\n",
    "2022_乙市_政府工作报告.txt": "2022年乙市政府工作报告\n\n一、工作回顾\n\n"
                              "乡村振兴取得新进展。\n营商环境持续优化。\n",
    "laws/示范条例.txt": "示范条例\n\n第一条 为了推进乡村振兴，制定本条例。\n"
                     "第二条 本条例自公布之日起施行。\n",
}


def whoosh_postings(reader, field, term):
    """{local id: weight} as Whoosh's reader gives them (no deletions)."""
    return dict(reader.postings(field, term).items_as("weight"))


def stored_grams(reader) -> dict[bytes, dict[int, list[int]]]:
    """{gram: {local id: positions}} of the segment's live stored paragraph texts."""
    grams = {}
    for docnum, stored in reader.iter_docs():
        for gram, positions in gram_terms(literal_form(stored.get("text") or "")[0]).items():
            grams.setdefault(gram.encode("utf-8"), {})[docnum] = positions
    return grams


def check_segment_arrays(generation: Path) -> int:
    """Compare every term of every segment with Whoosh (words, ids) or with the stored texts'
    grams; return the number of terms checked."""
    ix = whoosh_index.open_dir(str(generation))
    checked = 0
    with ix.reader() as multi:
        for reader, _ in multi.leaf_readers():
            arrays = SegmentArrays(arrays_path(generation, reader.segment()))
            deleted = np.array(sorted(reader.segment().deleted_docs()), dtype=np.int64)
            grams = stored_grams(reader)
            headings = [n for n, stored in reader.iter_docs() if stored.get("heading")]
            listed = arrays.fields["heading"]["ids"]
            assert listed[~np.isin(listed, deleted)].tolist() == headings
            for field in ARRAY_FIELDS:
                if field == "grams":
                    checked += check_grams(arrays, grams, deleted)
                    continue
                terms = [t for f, t in reader.all_terms() if f == field]
                columns = arrays.fields.get(field)  # the metadata segment has few fields
                assert (len(columns["term_offsets"]) - 1 if columns else 0) == len(terms)
                for term in terms:
                    ids, weights, number = arrays.postings(field, term)
                    # deleted documents keep their postings (Whoosh's too: its reader skips them)
                    assert len(ids) == reader.doc_frequency(field, term)
                    live = np.flatnonzero(~np.isin(ids, deleted))
                    expected = whoosh_postings(reader, field, term)
                    assert ids[live].tolist() == sorted(expected)
                    assert weights[live].tolist() == [expected[d] for d in sorted(expected)]
                    checked += 1
                assert arrays.postings(field, "不存在的词".encode())[0].tolist() == []
    return checked


def check_grams(arrays: SegmentArrays, expected: dict, deleted: np.ndarray) -> int:
    """The segment's gram arrays hold exactly ``expected`` for its live paragraphs."""
    terms = arrays.terms("grams")
    live_terms = [t for t in terms if any(d not in deleted for d in
                                          arrays.postings("grams", t)[0].tolist())]
    assert sorted(live_terms) == sorted(expected)
    for term in terms:
        ids, weights, number = arrays.postings("grams", term)
        live = np.flatnonzero(~np.isin(ids, deleted))
        wanted = expected.get(bytes(term), {})
        assert ids[live].tolist() == sorted(wanted)
        assert weights[live].tolist() == [len(wanted[d]) for d in sorted(wanted)]
        assert [p.tolist() for p in arrays.positions("grams", number, live)] == \
            [wanted[d] for d in sorted(wanted)]
    assert arrays.postings("grams", "不存在".encode())[0].tolist() == []
    return len(terms)


@pytest.fixture()
def corpus(tmp_path) -> Path:
    for name, text in DOCS.items():
        path = tmp_path / "corpus" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "corpus"


def test_full_build_arrays_equal_whoosh_postings(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", full=True)
    generation = store.current_generation(tmp_path / "index")
    assert check_segment_arrays(generation) == 335  # every term of the six fields, per segment


def test_incremental_build_arrays_and_engine_agree_with_whoosh(corpus, tmp_path):
    index = tmp_path / "index"
    build_index(corpus, index, full=True)
    first = store.current_generation(index)
    first_files = sorted(p.name for p in first.iterdir())
    (corpus / "2022_乙市_政府工作报告.txt").write_text(
        "2022年乙市政府工作报告\n\n乡村振兴取得新进展，水利枢纽竣工。\n", encoding="utf-8")
    (corpus / "laws/示范条例.txt").unlink()
    summary = build_index(corpus, index)
    assert (summary.mode, summary.changed, summary.removed) == ("incremental", 1, 1)
    second = store.current_generation(index)
    assert second != first
    # the live generation was not written; the new one has arrays for exactly its segments
    assert sorted(p.name for p in first.iterdir()) == first_files
    ix = whoosh_index.open_dir(str(second))
    with ix.reader() as reader:
        segments = [r.segment().segment_id() for r, _ in reader.leaf_readers()]
    assert sorted(p.stem for p in second.glob("*.arrays")) == sorted(segments)
    check_segment_arrays(second)
    # through the engine: deletions removed, statistics as Whoosh counts them
    engine = SearchEngine(index)
    searcher = engine.searcher()
    postings = Postings.of(searcher)
    doc_ids = sorted(d["doc_id"] for d in engine.documents())
    assert len(doc_ids) == 2
    for field, term in [("text", "乡村振兴"), ("text", "水利枢纽"), ("kind", "p"),
                        ("doc_id", doc_ids[0]), ("doc_id", doc_ids[1])]:
        live = sorted(searcher.docs_for_query(query.Term(field, term)))
        assert len(live) > 0
        assert postings.term(field, term).tolist() == live
        assert postings.doc_frequency(field, term) == searcher.doc_frequency(field, term)
    reader = searcher.reader()
    texts = {n: literal_form(reader.stored_fields(n).get("text") or "")[0]
             for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}
    for gram, paragraphs in [("乡村", 2), ("的", 1), ("枢纽", 2), ("示范", 1)]:
        live = sorted(n for n, text in texts.items() if gram in text)
        assert len(live) == paragraphs
        assert postings.term("grams", gram).tolist() == live
    codes, names = postings.doc_codes()
    live = [n for n in range(reader.doc_count_all()) if not reader.is_deleted(n)]
    assert [names[codes[n]] for n in live] == \
        [reader.stored_fields(n).get("doc_id", "") for n in live]
    engine.close()


def test_index_without_arrays_is_a_clear_error(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", full=True)
    for path in store.current_generation(tmp_path / "index").glob("*.arrays"):
        path.unlink()
    engine = SearchEngine(tmp_path / "index")
    with pytest.raises(IndexVersionError, match="policy-search index --full"):
        engine.search("乡村振兴")


def test_threads_share_one_posting_cache(corpus, tmp_path):
    build_index(corpus, tmp_path / "index", full=True)
    engine = SearchEngine(tmp_path / "index")
    seen = []

    def search():
        engine.search("乡村振兴")
        seen.append(Postings.of(engine.searcher()))

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(p is seen[0] for p in seen)
    assert seen[0] is Postings.of(engine.searcher())


def test_an_index_of_an_older_version_is_a_clear_error(corpus, tmp_path):
    """An index whose pickled schema names a class this version no longer has (schema 6's
    GramField) is refused with the way out, by the engine and by the command line."""
    build_index(corpus, tmp_path / "index", full=True)
    for toc in store.current_generation(tmp_path / "index").glob("_MAIN_*.toc"):
        toc.write_bytes(toc.read_bytes().replace(b"WordField", b"GoneField"))  # same length
    with pytest.raises(IndexVersionError, match="built by another version of policy-search.*"
                                                "rebuild it with 'policy-search index --full'"):
        SearchEngine(tmp_path / "index").search("乡村振兴")
    done = subprocess.run([str(Path(sys.executable).with_name("policy-search")), "search",
                           "--index", str(tmp_path / "index"), "乡村振兴"],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("error: the index in ")
    assert done.stderr.endswith("rebuild it with 'policy-search index --full'\n")
