"""The stock recipe: what a newcomer builds from jieba's README and Whoosh's tutorial.

jieba's own ``ChineseAnalyzer`` (``jieba.analyse``: search-mode segmentation, stop list,
Porter stemmer, jieba's default dictionary without our policy terms), a Whoosh schema with
one stored text field, Whoosh's default writer (one process, or ``procs=2``: Whoosh's own
multi-process writer), and Whoosh's ``QueryParser``
(every word required) with its default BM25F weighting. It indexes exactly the paragraphs
the engine indexed (``baselines.load_indexed_paragraphs``), so the comparison is on the same
units. The relevance benchmark ranks with it; the main benchmark times ``build`` against the
engine's build of the same files:

    python -m tests.bench.stock CORPUS INDEX [PROCS]     prints one JSON line (wall and CPU seconds)

(the paragraphs are read and cleaned by ``indexer.ingest.documents`` first and only the indexing is
timed, so the stock figure does not pay for reading the files; the engine's does).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from jieba.analyse import ChineseAnalyzer
from whoosh import index as windex
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.qparser import QueryParser

from .baselines import IndexedParagraph

TOP_K = 10


def stock_schema() -> Schema:
    """One paragraph a record: its analysed text and where it came from."""
    return Schema(text=TEXT(analyzer=ChineseAnalyzer(), stored=True),
                  doc_id=ID(stored=True), para=NUMERIC(stored=True))


def build(paragraphs: list[IndexedParagraph], index_dir: Path,
          procs: int = 1) -> tuple[windex.Index, float]:
    """Index the paragraphs into a new Whoosh index at index_dir with Whoosh's writer of
    ``procs`` processes; returns it and the seconds taken."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ix = windex.create_in(str(index_dir), stock_schema())
    writer = ix.writer(procs=procs) if procs > 1 else ix.writer()
    for paragraph in paragraphs:
        writer.add_document(text=paragraph.text, doc_id=paragraph.doc_id, para=paragraph.para)
    writer.commit()
    return ix, time.perf_counter() - started


def search(ix: windex.Index, query: str, limit: int = TOP_K) -> tuple[int, list[tuple[str, int]]]:
    """The total and the top ``limit`` (doc_id, para) of a query typed into Whoosh's QueryParser."""
    parsed = QueryParser("text", ix.schema).parse(query)
    with ix.searcher() as searcher:
        results = searcher.search(parsed, limit=limit)
        return len(results), [(hit["doc_id"], hit["para"]) for hit in results]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children so far."""
    return sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def build_corpus(corpus_dir: Path, index_dir: Path, procs: int = 1) -> dict:
    """Time ``build`` on every paragraph of a corpus folder (the build baseline)."""
    from indexer.ingest.documents import Document, read_corpus

    from .probes import vm_status_kb

    paragraphs = [IndexedParagraph(document.doc_id, paragraph.para, paragraph.text)
                  for document in read_corpus(Path(corpus_dir)) if isinstance(document, Document)
                  for paragraph in document.paragraphs]
    ChineseAnalyzer()("预热")  # load jieba's dictionary before the clock starts (the engine does too)
    cpu_before = cpu_seconds()
    _, seconds = build(paragraphs, index_dir, procs)
    return {"seconds": seconds, "cpu_seconds": cpu_seconds() - cpu_before, "procs": procs,
            "paragraphs": len(paragraphs), "peak_rss_self_kb": vm_status_kb("VmHWM")}


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(build_corpus(Path(sys.argv[1]), Path(sys.argv[2]), *map(int, sys.argv[3:]))))
