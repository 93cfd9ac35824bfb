"""The Whoosh schema: one record per paragraph, one per document, one for the index's metadata.

The word fields index through ``analysis`` directly instead of through Whoosh's token stream:
the terms are the same the analyzer produces (a test checks it), but building skips a Python
object per token. The literal character grams are not a Whoosh field: each segment's posting
arrays hold them (``grams.py``), made from the stored ``text`` field.
"""

from __future__ import annotations

from collections import Counter

from whoosh import fields
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from indexer.analysis import cached_word_spans, word_analyzer, word_spans

SCHEMA_VERSION = "8"  # 6: posting arrays beside each segment; 7: grams only there (grams.py); 8: ocr

KIND_PARAGRAPH = "p"
KIND_DOCUMENT = "d"
KIND_META = "m"
META_KEY = "__meta__"
NO_YEAR = 0  # indexed year of documents without one (stored as None): sorts last, newest first


class _AnalyzedField(fields.FieldType):
    """A text field whose ``index`` computes postings itself (no vectors, spelling or column)."""

    def __init__(self, analyzer, format_, stored: bool, multitoken_query: str):
        self.analyzer = analyzer
        self.format = format_
        self.stored = stored
        # Always scorable, so each segment has its length column: Whoosh re-checks the file
        # system for a missing column on every posting it writes.
        self.scorable = True
        self.multitoken_query = multitoken_query
        self.vector = None
        self.column_type = None
        self.spelling = False
        self.sortable_typename = None


class WordField(_AnalyzedField):
    """jieba words, normalised, with frequencies (BM25 ranks on these)."""

    def __init__(self, stored: bool = False):
        super().__init__(word_analyzer(), Frequency(), stored, "and")

    def index(self, value, **kwargs):
        # Titles and section paths repeat on every paragraph they cover: segment them once.
        spans = cached_word_spans(value, "index") if len(value) <= 64 else \
            word_spans(value, "index")
        counts = Counter(word for word, _, _, _ in spans)
        for word, frequency in counts.items():
            yield word.encode("utf-8"), frequency, float(frequency), pack_uint(frequency)


def make_schema() -> fields.Schema:
    """The schema every index of this version is built with."""
    return fields.Schema(
        key=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        doc_id=fields.ID(stored=True, sortable=True),
        para=fields.NUMERIC(stored=True, sortable=True),
        year=fields.NUMERIC(stored=True, sortable=True),
        title=WordField(stored=True),
        section=WordField(stored=True),
        text=WordField(stored=True),
        heading=fields.STORED(),
        level=fields.STORED(),
        date=fields.STORED(),
        region=fields.STORED(),
        issuer=fields.ID(stored=True),  # 发文机关, on document records
        doc_number=fields.STORED(),
        published=fields.STORED(),
        source_name=fields.STORED(),
        source=fields.STORED(),
        content_hash=fields.STORED(),
        paragraphs=fields.STORED(),
        chars=fields.STORED(),  # characters of the document's paragraphs (trends per 10,000)
        meta=fields.STORED(),
        ocr=fields.STORED(),  # on paragraphs recognised from an image: True
        confidence=fields.STORED(),  # and the recogniser's confidence for them
    )
