"""The two baselines the engine is measured against, on exactly the paragraphs it indexed.

* ``Fts5Baseline``: SQLite FTS5 with the trigram tokenizer, bm25() ranking, snippet() for the
  top 10 and count(*) for the total. A trigram index cannot answer a term shorter than three
  characters, so such terms become ``LIKE '%term%'`` conditions (a full table scan); a query
  with no term of three or more characters is then unranked (rowid order).
* ``ScanBaseline``: a brute-force Python loop over every paragraph's normalised text (the
  engine's ``literal_form``), keeping paragraphs that contain every term. It is also the
  ground truth of the recall check: the engine promises to find every paragraph that
  literally contains the query.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.analysis import literal_form
from indexer.embedded.schema import KIND_PARAGRAPH

TOP_K = 10
TRIGRAM = 3
SNIPPET_TOKENS = 16
SCAN_SNIPPET_BEFORE, SCAN_SNIPPET_AFTER = 24, 56


@dataclass(frozen=True)
class IndexedParagraph:
    """One paragraph as the engine stored it."""

    doc_id: str
    para: int
    text: str


@dataclass
class BaselineAnswer:
    """What a baseline found: the total, the top hits as (doc_id, para, snippet), how it searched."""

    total: int
    hits: list[tuple[str, int, str]]
    used_like: bool = False


def load_indexed_paragraphs(engine) -> list[IndexedParagraph]:
    """Every paragraph of the engine's index, in (doc_id, para) order, from its stored fields.

    One pass over the stored fields (~7 µs a record) rather than ``engine.document()`` per
    document, which costs ~2 ms a paragraph on the full corpus (minutes for 370 k paragraphs).
    """
    paragraphs = [IndexedParagraph(stored["doc_id"], stored["para"], stored["text"])
                  for stored in engine.searcher().all_stored_fields()
                  if stored.get("kind") == KIND_PARAGRAPH]
    paragraphs.sort(key=lambda p: (p.doc_id, p.para))
    return paragraphs


class Fts5Baseline:
    """An FTS5 trigram index of the paragraphs in an SQLite file; built by the constructor."""

    def __init__(self, paragraphs: list[IndexedParagraph], db_path: Path):
        self.db_path = Path(db_path)
        self.db_path.unlink(missing_ok=True)
        started = time.perf_counter()
        self.connection = sqlite3.connect(self.db_path)
        self.connection.execute(
            "CREATE VIRTUAL TABLE paragraphs USING fts5("
            "text, doc_id UNINDEXED, para UNINDEXED, tokenize='trigram')")
        with self.connection:
            self.connection.executemany(
                "INSERT INTO paragraphs (text, doc_id, para) VALUES (?, ?, ?)",
                ((p.text, p.doc_id, p.para) for p in paragraphs))
        self.build_seconds = time.perf_counter() - started
        self.size_bytes = self.db_path.stat().st_size

    def search(self, terms: list[str]) -> BaselineAnswer:
        """All terms must occur; ranked by bm25 when at least one term can use the trigram index."""
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        short_terms = [t for t in terms if len(t) < TRIGRAM]
        # ESCAPE is not decoration: SQLite 3.40 hands a short LIKE without it to the trigram
        # index, which then matches no row at all; with it, SQLite scans and answers correctly.
        likes = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in short_terms)
        like_args = [f"%{_escape_like(t)}%" for t in short_terms]
        if long_terms:
            match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            where = "paragraphs MATCH ?" + (f" AND {likes}" if likes else "")
            args = [match, *like_args]
            top = self.connection.execute(
                "SELECT doc_id, para, snippet(paragraphs, 0, '<mark>', '</mark>', '…', "
                f"{SNIPPET_TOKENS}) FROM paragraphs WHERE {where} "
                f"ORDER BY bm25(paragraphs) LIMIT {TOP_K}", args).fetchall()
        else:
            # No MATCH means no bm25() and no snippet(): cut a window around the first match.
            where, args = likes, like_args
            top = self.connection.execute(
                "SELECT doc_id, para, substr(text, max(1, instr(text, ?) - "
                f"{SCAN_SNIPPET_BEFORE}), {SCAN_SNIPPET_BEFORE + SCAN_SNIPPET_AFTER}) "
                f"FROM paragraphs WHERE {where} LIMIT {TOP_K}", [short_terms[0], *args]).fetchall()
        total = self.connection.execute(
            f"SELECT count(*) FROM paragraphs WHERE {where}", args).fetchone()[0]
        return BaselineAnswer(total, top, used_like=bool(short_terms))

    def close(self) -> None:
        """Close the database (the file stays for inspection until its folder is removed)."""
        self.connection.close()


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ScanBaseline:
    """Brute force over normalised paragraph texts; the constructor normalises them (timed)."""

    def __init__(self, paragraphs: list[IndexedParagraph]):
        started = time.perf_counter()
        self.paragraphs = paragraphs
        # The engine's own normalisation, so "contains" means what the engine promises.
        self.literal_texts = [literal_form(p.text)[0] for p in paragraphs]
        self.build_seconds = time.perf_counter() - started

    def matching_indexes(self, terms: list[str]) -> list[int]:
        """Positions (in paragraph order) of every paragraph containing every term literally."""
        literals = [literal_form(t)[0] for t in terms]
        first, rest = literals[0], literals[1:]
        found = [i for i, text in enumerate(self.literal_texts) if first in text]
        for literal in rest:
            found = [i for i in found if literal in self.literal_texts[i]]
        return found

    def search(self, terms: list[str]) -> BaselineAnswer:
        """The total and the first 10 matches in paragraph order, each with a window around the match."""
        found = self.matching_indexes(terms)
        first_literal = literal_form(terms[0])[0]
        hits = []
        for i in found[:TOP_K]:
            paragraph, text = self.paragraphs[i], self.literal_texts[i]
            at = text.find(first_literal)
            window = text[max(0, at - SCAN_SNIPPET_BEFORE):at + SCAN_SNIPPET_AFTER]
            hits.append((paragraph.doc_id, paragraph.para, window))
        return BaselineAnswer(len(found), hits)

    def matching_keys(self, terms: list[str]) -> set[tuple[str, int]]:
        """(doc_id, para) of every paragraph containing every term literally."""
        return {(self.paragraphs[i].doc_id, self.paragraphs[i].para)
                for i in self.matching_indexes(terms)}
