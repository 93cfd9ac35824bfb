"""User string → parsed query (``matching.py`` finds and ranks its paragraphs).

The syntax is small on purpose: words (all must occur), quoted phrases ("…" “…” 「…」 『…』),
``-word`` to exclude, ``A OR B`` / ``A | B`` for alternatives. Nothing else is syntax: ``*``,
``?``, ``:``, brackets and stray quotes are ordinary characters, so no user string can become a
wildcard, a field query or a match-everything query.

A word matches a paragraph that contains it literally (character grams) or that contains all
of its jieba words. Literal matches get a constant bonus far above any BM25 score, so
paragraphs containing every term literally rank above those that only match segmented words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from indexer.analysis import literal_query_form, query_words
from indexer.errors import QueryError

MODES = ("words", "exact")
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
LITERAL_BONUS = 1000.0
TITLE_BOOST = 2.0
SECTION_BOOST = 0.0  # measured: 1.5 costs 0.011 nDCG@10 (tests/bench/relevance grid)

QUOTE_PAIRS = {'"': '"', "“": "”", "「": "」", "『": "』", "”": "”"}
CLOSING_QUOTES = set(QUOTE_PAIRS.values()) | {"＂"}
# Characters that stay inside a word when they sit between letters or digits (3.5%, 5G+, COVID-19).
JOINERS = set(".%+#/&_-·'")


@dataclass(frozen=True)
class Term:
    """One thing to look for: what the user wrote, its literal form and its jieba words."""

    text: str
    literal: str
    words: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A query as understood: an AND of alternatives, and terms to exclude."""

    raw: str
    mode: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> list[Term]:
        """Every positive term, in the order written."""
        return [term for group in self.groups for term in group]

    @property
    def tokens(self) -> list[str]:
        """How the query was segmented: the words of every positive term."""
        return [word for term in self.terms for word in (term.words or (term.literal,))]


def parse_query(raw: str, mode: str = "words") -> ParsedQuery:
    """Parse a user's query string; raise QueryError with a clear message if it cannot be searched."""
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode!r}: use 'words' or 'exact'")
    if not isinstance(raw, str):
        raise QueryError("the query must be text")
    raw = _clean(raw)
    if not raw.strip():
        raise QueryError("empty query: type a word or phrase to search for")
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: at most {MAX_QUERY_CHARS} characters")
    if mode == "exact":
        term = _make_term(_unquote(raw.strip()), phrase=True)
        if term is None:
            raise QueryError("nothing to search for in the query")
        return ParsedQuery(raw, mode, ((term,),))
    groups, excluded = _group(_lex(raw))
    if len([t for g in groups for t in g]) + len(excluded) > MAX_TERMS:
        raise QueryError(f"too many terms: at most {MAX_TERMS}")
    if not groups:
        if excluded:
            raise QueryError("the query only excludes: add a word to search for")
        raise QueryError("nothing to search for in the query")
    return ParsedQuery(raw, mode, groups, excluded)


def _unquote(text: str) -> str:
    """Drop one pair of quotes around the whole text (exact mode needs none, users add them)."""
    if len(text) >= 2 and QUOTE_PAIRS.get(text[0]) == text[-1] and \
            text[-1] not in text[1:-1] and text[0] not in text[1:-1]:
        return text[1:-1]
    return text


def _clean(raw: str) -> str:
    # Control and format characters (NUL, RTL marks, lone surrogates) are never searchable text.
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c
                   for c in raw if unicodedata.category(c) not in ("Cf", "Co", "Cn"))


def _lex(raw: str) -> list[tuple[str, Term | None, bool]]:
    """Split into (kind, term, negated) items, kind being 'term' or 'or'."""
    items: list[tuple[str, Term | None, bool]] = []
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char.isspace():
            i += 1
            continue
        if char == "|":
            items.append(("or", None, False))
            i += 1
            continue
        negated = char == "-" and i + 1 < n and not raw[i + 1].isspace()
        start = i + 1 if negated else i
        if start < n and raw[start] in QUOTE_PAIRS:
            close = raw.find(QUOTE_PAIRS[raw[start]], start + 1)
            if close > start:
                term = _make_term(raw[start + 1:close], phrase=True)
                if term is not None:
                    items.append(("term", term, negated))
                i = close + 1
                continue
            i = start + 1  # an unbalanced quote is just a separator
            continue
        end = start
        while end < n and not raw[end].isspace() and raw[end] not in QUOTE_PAIRS \
                and raw[end] != "|":
            end += 1
        word = raw[start:end]
        i = max(end, i + 1)
        if word == "OR" and not negated:
            items.append(("or", None, False))
            continue
        for piece in _split_plain(word):
            term = _make_term(piece, phrase=False)
            if term is not None:
                items.append(("term", term, negated))
    return items


def _split_plain(word: str) -> list[str]:
    """Split an unquoted word at punctuation and symbols, keeping joiners between alphanumerics."""
    pieces, current = [], []
    for index, char in enumerate(word):
        if char.isalnum() or unicodedata.category(char).startswith("M"):
            current.append(char)
            continue
        between = (0 < index < len(word) - 1 and word[index - 1].isalnum()
                   and word[index + 1].isalnum())
        if char in JOINERS and between:
            current.append(char)
        elif char == "%" and index > 0 and word[index - 1].isdigit():
            current.append(char)
        else:
            if current:
                pieces.append("".join(current))
            current = []
    if current:
        pieces.append("".join(current))
    return pieces


def _make_term(text: str, phrase: bool) -> Term | None:
    literal = literal_query_form(text)
    if not literal.strip():
        return None
    return Term(text, literal.strip(), tuple(query_words(text)), phrase)


def _group(items) -> tuple[tuple[tuple[Term, ...], ...], tuple[Term, ...]]:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for kind, term, negated in items:
        if kind == "or":
            join_next = bool(groups)
            continue
        if negated:
            excluded.append(term)
            join_next = False
        elif join_next:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    return tuple(tuple(g) for g in groups), tuple(excluded)
