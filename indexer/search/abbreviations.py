"""Policy abbreviations and their expansions: 双碳 → 碳达峰 碳中和.

Three sources, in this order of precedence (``Expansion.source``):

- ``corpus``: ``abbreviations.txt`` at the top of a corpus folder (copied into each generation);
- ``shipped``: ``indexer/data/abbreviations.txt``, a curated list;
- ``glossary``: the corpus glossary's own terms, where a definition is a plain enumeration
  (六稳: 稳就业、稳金融、…) or a （以下简称X） gives X's full name.

The file format is one abbreviation a line, ``缩略语<TAB>展开词 [展开词 ...]`` (spaces work too),
``#`` starts a comment. What "a paragraph contains the expansion" means is fixed here once: it
contains every part literally, in any order, anywhere in the paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from indexer.analysis import fold, literal_query_form

ABBREVIATIONS_NAME = "abbreviations.txt"  # the corpus's own list, beside userdict.txt
MAX_PARTS = 8
_ENUMERATION_SPLIT = re.compile(r"[、，,；;]|(?<=[\u4e00-\u9fff]{2})(?:和|及|与)(?=[\u4e00-\u9fff]{2})")
_PART = re.compile(r"[\u3400-\u9fff]{2,12}")
_DICTIONARY_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]{2,12}")


@dataclass(frozen=True)
class Expansion:
    """What an abbreviation stands for: every part must occur in a paragraph."""

    abbreviation: str
    parts: tuple[str, ...]
    source: str
    doc_id: str | None = None
    para: int | None = None

    def to_dict(self) -> dict:
        """The JSON form (``expansions`` of a search answer)."""
        found = {"abbreviation": self.abbreviation, "parts": list(self.parts),
                 "source": self.source}
        if self.doc_id:
            found.update(doc_id=self.doc_id, para=self.para)
        return found


def builtin_path() -> Path:
    """Path of the shipped abbreviation list."""
    return Path(str(resources.files("indexer") / "data" / ABBREVIATIONS_NAME))


def parse(text: str, source: str) -> list[Expansion]:
    """The entries of an abbreviations file; lines that are not entries are ignored."""
    found = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        fields = line.split()
        if len(fields) < 2:
            continue
        abbreviation, parts = fields[0], tuple(dict.fromkeys(fields[1:MAX_PARTS + 1]))
        if any(literal_query_form(abbreviation) in literal_query_form(p) for p in parts):
            continue  # every paragraph with such an expansion already has the abbreviation
        found.append(Expansion(abbreviation, parts, source))
    return found


def from_glossary(entries) -> list[Expansion]:
    """Expansions the corpus defines (from glossary entries): enumerations, and full names."""
    found = []
    for entry in entries:
        if entry.kind == "abbreviated":
            full = entry.definition.strip("《》")
            parts = (full,) if 4 <= len(full) <= 30 and len(full) > len(entry.term) else ()
        else:
            pieces = [p.strip() for p in _ENUMERATION_SPLIT.split(entry.definition.rstrip("。."))]
            pieces = [p for p in pieces if p]
            parts = tuple(pieces) if 2 <= len(pieces) <= MAX_PARTS and all(
                _PART.fullmatch(p) for p in pieces) else ()
        term = literal_query_form(entry.term)
        if parts and not any(term in literal_query_form(p) for p in parts):
            found.append(Expansion(entry.term, parts, "glossary", entry.doc_id, entry.para))
    return found


class Abbreviations:
    """Every known expansion, looked up by the literal form of an abbreviation."""

    def __init__(self, expansions: list[Expansion]):
        self._by_key: dict[str, list[Expansion]] = {}
        for expansion in expansions:
            entries = self._by_key.setdefault(literal_query_form(expansion.abbreviation), [])
            if all(e.parts != expansion.parts for e in entries):
                entries.append(expansion)

    def __len__(self) -> int:
        return len(self._by_key)

    def lookup(self, term: str) -> list[Expansion]:
        """The expansions of ``term`` (compared width-, case- and script-blind)."""
        return list(self._by_key.get(literal_query_form(term), []))

    def expansions(self) -> list[Expansion]:
        """Every expansion, in the order loaded."""
        return [e for entries in self._by_key.values() for e in entries]

    def dictionary_terms(self) -> list[str]:
        """Folded abbreviations of the lists (not the glossary's) that join jieba's dictionary."""
        return sorted({fold(e.abbreviation) for e in self.expansions()
                       if e.source != "glossary" and _DICTIONARY_WORD.fullmatch(fold(e.abbreviation))})


def combine(corpus_text: str = "", glossary_entries=()) -> Abbreviations:
    """The corpus's own list (the text of its abbreviations.txt), the shipped list and the
    glossary's expansions, in that order of precedence."""
    return Abbreviations(parse(corpus_text, "corpus")
                         + parse(builtin_path().read_text(encoding="utf-8"), "shipped")
                         + from_glossary(glossary_entries))
