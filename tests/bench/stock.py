"""The stock recipe as a build baseline: jieba's ``ChineseAnalyzer`` + Whoosh's default writer.

    python -m tests.bench.stock CORPUS INDEX     prints one JSON line

What a developer gets from the two libraries' documentation: one Whoosh record per paragraph
(title, section, text analysed by jieba's ChineseAnalyzer, doc_id and para stored), written by
``ix.writer()`` in one process and committed once. It runs on the same paragraphs the engine
indexes (read and cleaned by ``indexer.documents`` first); only the indexing is timed, so the
baseline does not pay for reading the files, and the engine's figure (which does) is compared
against it as is.
"""

from __future__ import annotations

import json
import sys
import time

from .probes import vm_status_kb


def stock_build(corpus_dir: str, index_dir: str) -> dict:
    """Index ``corpus_dir``'s paragraphs with the stock recipe; wall time of indexing only."""
    from pathlib import Path

    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index

    from indexer.documents import Document, read_corpus

    documents = [d for d in read_corpus(Path(corpus_dir)) if isinstance(d, Document)]
    analyzer = ChineseAnalyzer()
    schema = fields.Schema(doc_id=fields.ID(stored=True), para=fields.NUMERIC(stored=True),
                           title=fields.TEXT(stored=True, analyzer=analyzer),
                           section=fields.TEXT(stored=True, analyzer=analyzer),
                           text=fields.TEXT(stored=True, analyzer=analyzer))
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    analyzer("预热")  # load jieba's dictionary before the clock starts (the engine does too)
    started = time.perf_counter()
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    paragraphs = 0
    for document in documents:
        for paragraph in document.paragraphs:
            writer.add_document(doc_id=document.doc_id, para=paragraph.para,
                                title=document.title, section=paragraph.section,
                                text=paragraph.text)
            paragraphs += 1
    writer.commit()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "documents": len(documents), "paragraphs": paragraphs,
            "peak_rss_self_kb": vm_status_kb("VmHWM")}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(stock_build(sys.argv[1], sys.argv[2])))
