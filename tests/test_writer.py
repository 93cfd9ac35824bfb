"""The fast segment writer writes the same index Whoosh's own writer does."""

from pathlib import Path

from whoosh import index as whoosh_index

from indexer.analysis import Dictionary, use_dictionary
from indexer.embedded.build import _add_document
from indexer.ingest.documents import read_corpus
from indexer.embedded.schema import make_schema
from indexer.embedded.writer import FastSegmentWriter

SEED = Path(__file__).resolve().parents[1] / "corpus"


def build_with(writer_class, folder, documents):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), make_schema())
    writer = writer_class(ix)
    for document in documents:
        _add_document(writer, document)
    writer.commit()
    return whoosh_index.open_dir(str(folder))


def everything(ix):
    with ix.reader() as reader:
        terms = {}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            postings = list(reader.postings(fieldname, text).items_as("weight"))
            values = [v for _, v in reader.postings(fieldname, text).all_items()]
            terms[(fieldname, text)] = (info.doc_frequency(), info.weight(), info.min_length(),
                                        info.max_length(), info.max_weight(), postings, values)
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        lengths = {f: [reader.doc_field_length(n, f) for n in range(reader.doc_count_all())]
                   for f in ("text", "title", "section")}
    return terms, stored, lengths


def test_fast_writer_matches_whoosh_writer(tmp_path):
    # The term count below is that of the built-in dictionary; an earlier test in the same
    # process may have left another active (a generation's, with its glossary terms).
    use_dictionary(Dictionary())
    documents = [d for d in read_corpus(SEED) if hasattr(d, "paragraphs")]
    assert len(documents) == 1
    stock = build_with(lambda ix: ix.writer(), tmp_path / "stock", documents)
    fast = build_with(FastSegmentWriter, tmp_path / "fast", documents)
    stock_terms, stock_stored, stock_lengths = everything(stock)
    fast_terms, fast_stored, fast_lengths = everything(fast)
    assert len(fast_terms) == len(stock_terms) == 2_888  # words and ids: the grams live in arrays
    assert fast_terms == stock_terms
    assert fast_stored == stock_stored
    assert fast_lengths == stock_lengths
