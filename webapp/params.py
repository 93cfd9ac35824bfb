"""Strict request-parameter parsing shared by the HTML pages and the JSON API.

Anything malformed becomes a 400 with a message a person can act on, before the engine is
asked: a typo in a bookmarked URL should say what is wrong, not silently search for something
else. Empty optional values (``year_from=`` from a form) count as absent.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from indexer.relations.validity import STATUSES

MODES = ("words", "exact")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 1000
MAX_DEPTH = 10_000  # page * per_page: the engine collects every hit up to the page's end
MAX_QUERY_CHARS = 200
DOC_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
SEARCH_KEYS = ("q", "mode", "page", "per_page", "doc", "year_from", "year_to", "sort", "issuer",
               "expand", "status", "dedupe")
MAX_ISSUER_CHARS = 100


class BadParameter(BadRequest):
    """A request parameter that cannot be used; its description is shown to the reader."""

    def __init__(self, message: str):
        super().__init__(description=message)


@dataclass(frozen=True)
class SearchParams:
    """One validated search request."""

    q: str
    mode: str = "words"
    page: int = 1
    per_page: int = 10
    doc: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    issuer: str | None = None  # documents whose 发文机关 contains this
    expand: bool = True
    status: str | None = None  # documents of one validity status (current = 现行有效)
    dedupe: bool = True  # each group of duplicate documents once (docs/echoes.md)

    def engine_kwargs(self) -> dict:
        """Keyword arguments for ``SearchEngine.search`` (everything but the query)."""
        values = asdict(self)
        del values["q"]
        return values

    def filtered(self) -> bool:
        """Whether a document or year filter narrows this search."""
        return (bool(self.doc) or bool(self.issuer) or self.year_from is not None
                or self.year_to is not None or self.status is not None)


def single(args: MultiDict, key: str) -> str | None:
    """The one value of ``key`` (None when absent or empty); a repeated key is a 400."""
    values = args.getlist(key)
    if len(values) > 1:
        raise BadParameter(f"parameter {key!r} was given {len(values)} times: give it once")
    if not values or values[0].strip() == "":
        return None
    return values[0]


def whole_number(args: MultiDict, key: str, default: int | None, minimum: int = 1,
                 maximum: int | None = None) -> int | None:
    """A bounded whole number parameter, or ``default`` when absent."""
    raw = single(args, key)
    if raw is None:
        return default
    raw = raw.strip()
    if not WHOLE_NUMBER.fullmatch(raw):
        raise BadParameter(f"{key} must be a whole number, not {raw[:40]!r}")
    value = int(raw)
    if value < minimum:
        raise BadParameter(f"{key} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise BadParameter(f"{key} must be at most {maximum}")
    return value


def choice(args: MultiDict, key: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first is the default)."""
    raw = single(args, key)
    if raw is None:
        return allowed[0]
    if raw not in allowed:
        raise BadParameter(f"unknown {key} {raw[:40]!r}: use " + " or ".join(map(repr, allowed)))
    return raw


def query_text(args: MultiDict, required: bool = True) -> str | None:
    """The query string ``q``; the engine judges its content, this only checks presence and size."""
    raw = single(args, "q")
    if raw is None:
        if required:
            raise BadParameter("empty query: type a word or phrase to search for")
        return None
    if len(raw) > MAX_QUERY_CHARS:
        raise BadParameter(f"query too long: at most {MAX_QUERY_CHARS} characters")
    return raw


def doc_id(args: MultiDict) -> str | None:
    """An optional document filter, which must look like a document id."""
    raw = single(args, "doc")
    if raw is not None and not DOC_ID.fullmatch(raw):
        raise BadParameter("doc must be a document id (letters, digits, '-' and '_')")
    return raw


def search_params(args: MultiDict, default_per_page: int = 10) -> SearchParams:
    """Validate every search parameter of a request; raises BadParameter (a 400)."""
    per_page = whole_number(args, "per_page", default_per_page, maximum=MAX_PER_PAGE)
    page = whole_number(args, "page", 1, maximum=MAX_DEPTH)
    if page * per_page > MAX_DEPTH:
        raise BadParameter(f"page {page} is too deep: page × per_page may be at most {MAX_DEPTH}"
                           f" (narrow the search instead)")
    year_from = whole_number(args, "year_from", None, minimum=0, maximum=9999)
    year_to = whole_number(args, "year_to", None, minimum=0, maximum=9999)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadParameter(f"year_from ({year_from}) is after year_to ({year_to})")
    return SearchParams(q=query_text(args), mode=choice(args, "mode", MODES), page=page,
                        per_page=per_page, doc=doc_id(args), year_from=year_from,
                        year_to=year_to, sort=choice(args, "sort", SORTS), issuer=issuer(args),
                        expand=choice(args, "expand", ("1", "0")) == "1",
                        status=status(args),
                        dedupe=choice(args, "dedupe", ("1", "0")) == "1")


def issuer(args: MultiDict) -> str | None:
    """An optional issuer filter (part of a 发文机关 name)."""
    raw = single(args, "issuer")
    if raw is not None and len(raw.strip()) > MAX_ISSUER_CHARS:
        raise BadParameter(f"issuer too long: at most {MAX_ISSUER_CHARS} characters")
    return raw.strip() if raw is not None else None


def status(args: MultiDict) -> str | None:
    """An optional validity status filter (current, pending, repealed, expired, amended, unknown)."""
    if single(args, "status") is None:
        return None
    return choice(args, "status", STATUSES)


def document_params(args: MultiDict) -> tuple[str | None, str]:
    """The optional highlighting query and mode of a document page."""
    return query_text(args, required=False), choice(args, "mode", MODES)
