"""The Whoosh schema: one record per paragraph, one per document, one for the index's metadata.

The word and gram fields index through ``analysis`` directly instead of through Whoosh's
token stream: the terms are the same the analyzers produce (a test checks it), but building
skips a Python object per token, which is most of the indexing time for the gram field.
"""

from __future__ import annotations

from collections import Counter

from whoosh import fields
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from .analysis import (GramTokenizer, cached_word_spans, gram_terms, literal_form,
                       word_analyzer, word_spans)

SCHEMA_VERSION = "6"  # 6: posting arrays beside each segment (arrays.py)

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
        # Always scorable: even the gram field, so each segment has its length column, because
        # Whoosh re-checks the file system for a missing column on every posting it writes.
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


class GramField(_AnalyzedField):
    """Unigrams and bigrams of the normalised text with character positions (literal search)."""

    def __init__(self):
        super().__init__(GramTokenizer(), Positions(), False, "phrase")

    def index(self, value, **kwargs):
        encode = self.format.encode
        single = _SINGLE_POSITION
        for gram, positions in gram_terms(literal_form(value)[0]).items():
            if len(positions) == 1:
                # Most grams occur once in a paragraph: reuse the encoding of that position.
                encoded = single.get(positions[0])
                if encoded is None:
                    encoded = single[positions[0]] = encode(positions)
                    _POSITION_OF_SINGLE[encoded] = tuple(positions)
            else:
                encoded = encode(positions)
            yield gram.encode("utf-8"), len(positions), float(len(positions)), encoded


_SINGLE_POSITION: dict[int, bytes] = {}
_POSITION_OF_SINGLE: dict[bytes, tuple[int]] = {}
_POSITIONS = Positions()


def gram_positions(encoded: bytes):
    """The positions a gram posting's value encodes (the inverse of ``GramField.index``)."""
    positions = _POSITION_OF_SINGLE.get(encoded)
    if positions is None:
        positions = _POSITIONS.decode_positions(encoded)
        if len(positions) == 1:
            _POSITION_OF_SINGLE[encoded] = positions = tuple(positions)
    return positions


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
        grams=GramField(),
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
    )
