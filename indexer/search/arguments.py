"""The checks of a search's arguments and the issuer / status narrowing, shared by every backend.

Each backend's ``search()`` hands its own way of opening the index and of reading the document
records and the relation graph; what is refused, and with which message, is decided here once.
"""

from __future__ import annotations

import re
from typing import Callable, TypeVar

from indexer.analysis import normalize
from indexer.errors import QueryError
from indexer.relations import graph as relations_graph
from indexer.search.query import ParsedQuery, parse_query

SORTS = ("relevance", "date")
ISSUER_MAX = 100

Handle = TypeVar("Handle")  # what a backend's search reads through: a searcher, an index version


def checked_search(query: str, mode: str, page, per_page, sort: str, year_from, year_to,
                   issuer: str | None, status: str | None, *, open_index: Callable[[], Handle],
                   records: Callable[[Handle], list[dict]],
                   relations: Callable[[Handle], relations_graph.RelationGraph],
                   ) -> tuple[Handle, ParsedQuery, list[str] | None]:
    """Check a search's arguments, open the index, parse the query, narrow by issuer and status."""
    check_positive("page", page)
    check_positive("per_page", per_page)
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use 'relevance' or 'date'")
    for name, year in (("year_from", year_from), ("year_to", year_to)):
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            raise QueryError(f"{name} must be a whole number")
    handle = open_index()  # before parsing: it makes the index's dictionary the active one
    parsed = parse_query(query, mode)
    allowed = issued_by(records(handle), issuer) if issuer else None
    if status is not None:
        try:
            allowed = relations_graph.only_status(relations(handle), status, allowed)
        except ValueError as error:
            raise QueryError(str(error)) from None
    return handle, parsed, allowed


def check_positive(name: str, value) -> None:
    """Refuse ``value`` unless it is a whole number of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise QueryError(f"{name} must be a positive whole number")


def issued_by(records: list[dict], issuer: str) -> list[str]:
    """Ids of the documents whose issuer contains ``issuer`` (width, case and script folded)."""
    if not isinstance(issuer, str) or not issuer.strip() or len(issuer) > ISSUER_MAX:
        raise QueryError(f"issuer must be 1 to {ISSUER_MAX} characters")
    wanted = normalize(re.sub(r"\s+", "", issuer))
    return [d["doc_id"] for d in records
            if d.get("issuer") and wanted in normalize(re.sub(r"\s+", "", d["issuer"]))]
