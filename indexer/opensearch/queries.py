"""A parsed query as OpenSearch query DSL: the same hit set and ranking as ``matching.py``.

Matching (filter context, no scores) follows ``matching.match`` term by term:

    term   = literal(term) ∪ ⋂ words(term)          (a quoted or exact term: literal only)
    group  = ⋃ alternatives
    query  = ⋂ groups − ⋃ literal(excluded) [∩ filter]

where literal(t) is a phrase of t's consecutive literal bigrams (or its one character), exact
over positions. Scores are summed ``should`` clauses: ``LITERAL_BONUS`` per term contained
literally (a constant, so all-literal paragraphs come first), plus BM25 over the words (text,
and title × TITLE_BOOST; k1 and b of the index's ``policy_bm25`` similarity), multiplied by the
lead prior (1 + LEAD_LIFT × the share of terms starting within the first LEAD_CHARS characters
of a paragraph of ≥ LEAD_MIN_LENGTH words, a ``span_first``) and the heading prior.
"""

from __future__ import annotations

import math

from indexer.embedded.matching import HEADING_PRIOR, K1, LEAD_CHARS, LEAD_LIFT, LEAD_MIN_LENGTH
from indexer.opensearch.tokens import literal_tokens, token
from indexer.search.query import LITERAL_BONUS, TITLE_BOOST, ParsedQuery, Term

KIND_PARAGRAPH, KIND_DOCUMENT, KIND_META = "p", "d", "m"


def literal(text: str) -> dict:
    """Paragraphs whose literal form contains ``text`` (a normalised literal)."""
    field, tokens = literal_tokens(text)
    if len(tokens) == 1:
        return {"term": {field: tokens[0]}}
    return {"match_phrase": {field: {"query": " ".join(tokens), "slop": 0}}}


def all_words(words) -> dict:
    """Paragraphs containing every one of ``words`` (index words of the text)."""
    return {"bool": {"filter": [{"term": {"words": token(w)}} for w in dict.fromkeys(words)]}}


def term_query(term: Term, words_mode: bool) -> dict:
    """One term: literally, or (words mode, unquoted, split into other words) all its words."""
    options = [literal(term.literal)]
    if words_mode and not term.phrase and term.words and list(term.words) != [term.literal]:
        options.append(all_words(term.words))
    return options[0] if len(options) == 1 else {"bool": {"should": options,
                                                          "minimum_should_match": 1}}


def matching(parsed: ParsedQuery) -> dict:
    """The paragraphs ``parsed`` matches (no filters, no scores)."""
    words_mode = parsed.mode == "words"
    groups = []
    for alternatives in parsed.groups:
        options = [term_query(term, words_mode) for term in alternatives]
        groups.append(options[0] if len(options) == 1 else
                      {"bool": {"should": options, "minimum_should_match": 1}})
    query = {"filter": groups}
    if parsed.excluded:
        query["must_not"] = [literal(term.literal) for term in parsed.excluded]
    return {"bool": query}


def lead(text: str) -> dict:
    """Paragraphs of ≥ LEAD_MIN_LENGTH words where ``text`` starts in the first LEAD_CHARS."""
    field, tokens = literal_tokens(text)
    spans = [{"span_term": {field: t}} for t in tokens]
    span = spans[0] if len(spans) == 1 else {"span_near": {"clauses": spans, "slop": 0,
                                                           "in_order": True}}
    return {"bool": {"filter": [
        {"span_first": {"match": span, "end": LEAD_CHARS + len(tokens) - 1}},
        {"range": {"length": {"gte": LEAD_MIN_LENGTH}}}]}}


def scoring(parsed: ParsedQuery, idf: dict | None = None) -> list[dict]:
    """The ``should`` clauses that score a matching paragraph (they never change the hit set).

    ``idf`` maps (field, word) to a boost that turns Lucene's BM25 term score into Whoosh's
    (``idf_boosts``); without it, Lucene's own idf ranks."""
    idf = idf or {}
    bonuses = [{"constant_score": {"filter": literal(term.literal), "boost": LITERAL_BONUS}}
               for term in parsed.terms]
    terms = list(dict.fromkeys(parsed.terms))
    words, scored = [], set()
    for term in terms:
        # A term's words, or its literal occurrences where they are more (the embedded
        # engine's _literal_tf: 乡村建设 inside 和美乡村建设 is no word of the paragraph).
        own = [{"term": {"words": {"value": token(word), "boost": idf.get(("words", word), 1.0)}}}
               for word in dict.fromkeys(term.words or (term.literal,)) if word not in scored]
        scored.update(term.words or (term.literal,))
        options = [{"bool": {"should": own}}] if own else []
        if ("literal", term.literal) in idf:
            options.append(_boosted(literal(term.literal), idf[("literal", term.literal)]))
        if options:
            words.append(options[0] if len(options) == 1 else {"dis_max": {"queries": options}})
    if TITLE_BOOST:
        for word in dict.fromkeys(parsed.tokens):
            words.append({"term": {"title_words": {
                "value": token(word), "boost": TITLE_BOOST * idf.get(("title_words", word), 1.0)}}})
    lifted = {"function_score": {
        "query": {"bool": {"should": words}},
        "functions": [{"weight": 1.0}] + [{"filter": lead(term.literal),
                                            "weight": LEAD_LIFT / len(terms)} for term in terms],
        "score_mode": "sum", "boost_mode": "multiply"}}
    relevance = {"function_score": {
        "query": lifted,
        "functions": [{"filter": {"term": {"heading": True}}, "weight": HEADING_PRIOR}],
        "score_mode": "multiply", "boost_mode": "multiply"}}
    return bonuses + [relevance]


def _boosted(query: dict, boost: float) -> dict:
    """``literal``'s query with a boost (a term or a phrase query)."""
    kind, = query
    field, = query[kind]
    value = query[kind][field]
    if kind == "term":
        return {"term": {field: {"value": value, "boost": boost}}}
    return {"match_phrase": {field: {**value, "boost": boost}}}


def literal_boosts(literal_counts: dict, token_counts: dict, records: int, fields: dict) -> dict:
    """("literal", literal) → the boost making Lucene's score of the literal's phrase (whose
    idf is the sum of its bigrams' idfs) BM25 with Whoosh's idf of the literal itself."""
    boosts = {}
    for text, df in literal_counts.items():
        field, grams = literal_tokens(text)
        n = fields.get(field, 0)
        lucene = sum(math.log(1 + (max(n, c) - c + 0.5) / (c + 0.5))
                     for c in (token_counts.get((field, g), 0) for g in grams))
        whoosh = math.log(records / (df + 1)) + 1
        if lucene > 0 and whoosh > 0 and df:
            boosts[("literal", text)] = (K1 + 1) * whoosh / lucene
    return boosts


def idf_boosts(counts: dict, records: int, fields: dict) -> dict:
    """(field, word) → the boost making Lucene's BM25 term score Whoosh's, as the embedded
    engine scores: (k1 + 1) × Whoosh idf / Lucene idf.

    ``counts`` maps (field, word) to its document frequency, ``records`` is the number of
    records Whoosh's idf counts (paragraphs, documents and the metadata record), ``fields``
    the number of records having each field (Lucene's N)."""
    boosts = {}
    for (field, word), df in counts.items():
        whoosh = math.log(records / (df + 1)) + 1
        n = max(fields.get(field, 0), df)
        lucene = math.log(1 + (n - df + 0.5) / (df + 0.5))
        if lucene > 0 and whoosh > 0:
            boosts[(field, word)] = (K1 + 1) * whoosh / lucene
    return boosts


def paragraphs(parsed: ParsedQuery, filters: list[dict], exclude: ParsedQuery | None = None,
               scored: bool = True, idf: dict | None = None) -> dict:
    """The paragraphs of ``parsed`` within ``filters`` (less those of ``exclude``), scored."""
    query = {"filter": [{"term": {"kind": KIND_PARAGRAPH}}, *filters, matching(parsed)]}
    if exclude is not None:
        query["must_not"] = [matching(exclude)]
    if scored:
        query["should"] = scoring(parsed, idf)
    return {"bool": query}


def filters(doc: str | None = None, year_from: int | None = None, year_to: int | None = None,
            doc_ids: list[str] | None = None) -> list[dict]:
    """Filter clauses of a document, a year range and a set of documents."""
    clauses = []
    if doc_ids is not None:
        clauses.append({"terms": {"doc_id": doc_ids}})
    if doc:
        clauses.append({"term": {"doc_id": doc}})
    if year_from is not None or year_to is not None:
        bounds = {}
        if year_from is not None:
            bounds["gte"] = year_from
        if year_to is not None:
            bounds["lte"] = year_to
        clauses.append({"range": {"year": bounds}})
    return clauses


def order(newest_first: bool) -> list:
    """Sort: score (then ingest order), or year first for ``sort=date``."""
    by_score = [{"_score": {"order": "desc"}}, {"seq": {"order": "asc"}}]
    return ([{"year": {"order": "desc"}}] + by_score) if newest_first else by_score
