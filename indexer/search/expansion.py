"""Abbreviation expansion and "why this hit", on top of ``matching``.

A words-mode query term with an expansion (``abbreviations.py``: 双碳 → 碳达峰 碳中和) also
finds the paragraphs that contain the expansion — every part literally — as a second group,
ranked below every hit of the query itself:

    hits      = match(query)                                  (unchanged: the recall guarantee)
    expansion = match(query with each term t → t ∨ (p1 ∧ p2 …)) − hits

The replacement is written in the query's own form (an AND of OR-groups) by distribution:
a group {t, a} becomes the groups {t, a, p1}, {t, a, p2}, …; the parts are literal-only
terms. Exact mode, and quoted terms, never expand. Pages run over the two groups in order.

``matched_by`` says, per hit and per query term, how the paragraph matched: ``literal`` (it
contains the term), ``words`` (it contains the jieba words the term was split into) or
``expansion`` (it contains every part of the term's expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np

from indexer.features import glossary as corpus_glossary
from indexer.search.abbreviations import Expansion
from indexer.analysis import fold, literal_form, literal_query_form, query_words, word_spans
from indexer.embedded.matching import Matches, match, rank
from indexer.search.query import ParsedQuery, Term

MAX_GROUPS = 36  # OR-groups expansions may grow a query to (distribution multiplies them);
# the terms of a group that would pass it are left unexpanded

LITERAL, WORDS, EXPANSION = "literal", "words", "expansion"


@dataclass
class Expanded:
    """The expansion group of one search: its query, what expanded, and its own hits."""

    parsed: ParsedQuery
    expansions: dict[Term, list[Expansion]]
    matches: Matches

    def describe(self) -> list[dict]:
        """The ``expansions`` list of a search answer."""
        return [{"term": term.text, **expansion.to_dict()}
                for term, found in self.expansions.items() for expansion in found]


@lru_cache(maxsize=4)
def vocabulary(generation: Path) -> corpus_glossary.Glossary:
    """The glossary (with its abbreviations) of a generation; generations never change."""
    return corpus_glossary.load(generation)


def expanded_query(parsed: ParsedQuery, glossary: corpus_glossary.Glossary
                   ) -> tuple[ParsedQuery | None, dict[Term, list[Expansion]]]:
    """The query whose matches include the expansions' paragraphs (None: nothing expands)."""
    if parsed.mode != "words":
        return None, {}
    abbreviations = glossary.abbreviations()
    found: dict[Term, list[Expansion]] = {}
    groups: list[tuple[Term, ...]] = []
    for alternatives in parsed.groups:
        part_lists = []  # one list per expansion of any alternative: its parts, AND-ed
        for term in alternatives:
            expansions = [] if term.phrase else abbreviations.lookup(term.literal)
            if expansions:
                found[term] = expansions
                part_lists += [[_part(p) for p in e.parts] for e in expansions]
        if len(groups) + np.prod([len(parts) for parts in part_lists]) > MAX_GROUPS:
            part_lists = []  # too many combinations: these alternatives stay as written
            for term in alternatives:
                found.pop(term, None)
        # (t ∨ a ∨ (p1 ∧ p2)) = (t ∨ a ∨ p1) ∧ (t ∨ a ∨ p2): one part of each expansion
        for picks in product(*part_lists):
            groups.append(tuple(dict.fromkeys(alternatives + picks)))
    if not found:
        return None, {}
    return ParsedQuery(parsed.raw, parsed.mode, tuple(groups), parsed.excluded), found


def _part(text: str) -> Term:
    return Term(text, literal_query_form(text), tuple(query_words(text)), phrase=True)


def expand(searcher, parsed: ParsedQuery, glossary: corpus_glossary.Glossary, hits: Matches,
           filter_query=None) -> Expanded | None:
    """The expansion group of a query whose own hits are ``hits`` (None if nothing expands)."""
    query, found = expanded_query(parsed, glossary)
    if query is None:
        return None
    wider = match(searcher, query, filter_query)
    keep = ~np.isin(wider.ids, hits.ids, assume_unique=True)
    return Expanded(query, found, Matches(wider.ids[keep], wider.literal_counts[keep]))


def all_matches(hits: Matches, expanded: Expanded | None) -> Matches:
    """Both groups together (for facets and counts)."""
    if expanded is None or not len(expanded.matches.ids):
        return hits
    ids = np.concatenate((hits.ids, expanded.matches.ids))
    counts = np.concatenate((hits.literal_counts, expanded.matches.literal_counts))
    order = np.argsort(ids, kind="stable")
    return Matches(ids[order], counts[order])


def ranked_page(searcher, parsed: ParsedQuery, hits: Matches, expanded: Expanded | None,
                page: int, per_page: int, newest_first: bool = False
                ) -> list[tuple[int, float, ParsedQuery | None]]:
    """(document number, score, the expanded query or None) of one page over both groups."""
    end = page * per_page
    start = end - per_page
    found = [(docnum, score, None)
             for docnum, score in rank(searcher, parsed, hits, end, newest_first)[start:]]
    if expanded is not None and end > len(hits.ids):
        more = rank(searcher, expanded.parsed, expanded.matches, end - len(hits.ids),
                    newest_first)
        found += [(docnum, score, expanded.parsed)
                  for docnum, score in more[max(0, start - len(hits.ids)):]]
    return found


def matched_by(text: str, parsed: ParsedQuery, expanded: Expanded | None = None,
               in_expansion_group: bool = False) -> list[dict]:
    """How a paragraph matched each positive term of ``parsed`` (terms it lacks are left out)."""
    folded, literal, words = fold(text), None, None
    reasons = []
    for term in parsed.terms:
        if term.literal in folded:  # the common case, without literal_form's per-character loop
            reasons.append({"term": term.text, "how": LITERAL})
            continue
        if literal is None:
            literal = literal_form(text)[0]
        if term.literal in literal:
            reasons.append({"term": term.text, "how": LITERAL})
            continue
        if parsed.mode == "words" and not term.phrase and term.words:
            if words is None:
                words = {word for word, _, _, _ in word_spans(text, "index")}
            if all(word in words for word in term.words):
                reasons.append({"term": term.text, "how": WORDS, "words": list(term.words)})
                continue
        if in_expansion_group and expanded is not None:
            for expansion in expanded.expansions.get(term, []):
                if all(literal_query_form(p) in literal for p in expansion.parts):
                    reasons.append({"term": term.text, "how": EXPANSION,
                                    "expansion": expansion.to_dict()})
                    break
    return reasons


def highlight_query(query: str, reasons: list[dict]) -> str:
    """The query a hit's document link should highlight: for a hit of the expansion group,
    the expansion's parts (quoted: literal) in place of the abbreviation it lacks."""
    if not any(reason["how"] == EXPANSION for reason in reasons):
        return query
    terms = []
    for reason in reasons:
        if reason["how"] == EXPANSION:
            terms += [f"“{part}”" for part in reason["expansion"]["parts"]]
        else:
            terms.append(reason["term"])
    return " ".join(terms)
