"""The HTML pages: home, search results, one document, all rendered on the server.

Everything works without JavaScript: toggles, facets, sorting and paging are plain links that
keep the other parameters of the search.
"""

from __future__ import annotations

from math import ceil
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for

from indexer import QueryError
from indexer.search.expansion import highlight_query

from . import engine
from .params import MAX_DEPTH, SearchParams, document_params, search_params

blueprint = Blueprint("views", __name__)

PAGE_WINDOW = 2  # page links shown either side of the current page
FACET_DOCS_SHOWN = 12
DEFINITIONS_SHOWN = 3
QUERY_HELP = {
    # Known engine messages (English) → what the reader should do, in Chinese.
    "empty query": "请输入要检索的词语或短语。",
    "query too long": "检索内容过长，请精简后再试。",
    "too many terms": "检索词过多，请减少检索词后再试。",
    "the query only excludes": "查询中只有排除词（以“-”开头），请加上要检索的词。",
    "nothing to search for": "查询中没有可检索的文字，请换一个说法。",
    "parameter": "链接中的参数重复，请重新检索。",
}


@blueprint.app_template_global()
def search_url(params: SearchParams, **changes) -> str:
    """A /search link: ``params`` with ``changes`` applied; defaults and None are left out."""
    values = {"q": params.q, "mode": params.mode, "doc": params.doc,
              "year_from": params.year_from, "year_to": params.year_to, "issuer": params.issuer,
              "sort": params.sort, "page": params.page, "expand": params.expand,
              "status": params.status, "dedupe": params.dedupe}
    values.update(changes)
    values["expand"] = None if values["expand"] else 0
    values["dedupe"] = None if values["dedupe"] else 0
    defaults = {"mode": "words", "sort": "relevance", "page": 1}
    if params.per_page != current_app.config["PAGE_SIZE"]:
        values["per_page"] = params.per_page
    query = {k: v for k, v in values.items() if v is not None and defaults.get(k) != v}
    return url_for("views.search") + "?" + urlencode(query)


def export_url(params: SearchParams) -> str:
    """The CSV export of a search (every hit, not just the page)."""
    query = {k: v for k, v in {"q": params.q, "mode": params.mode, "doc": params.doc,
                               "year_from": params.year_from, "year_to": params.year_to,
                               "issuer": params.issuer, "sort": params.sort,
                               "expand": None if params.expand else 0,
                               "status": params.status,
                               "dedupe": None if params.dedupe else 0,
                               "format": "csv"}.items() if v is not None}
    return url_for("api.search_export") + "?" + urlencode(query)


@blueprint.app_template_global()
def doc_url(doc_id: str, q: str | None = None, mode: str = "words", para: int | None = None) -> str:
    """The link to a document page, optionally highlighting ``q`` and jumping to ``para``."""
    query = {"q": q} if q else {}
    if q and mode != "words":
        query["mode"] = mode
    url = url_for("views.document", doc_id=doc_id)
    if query:
        url += "?" + urlencode(query)
    return url + (f"#p{para}" if para is not None else "")


@blueprint.app_template_filter()
def query_help(message: str) -> str:
    """The Chinese advice for an engine or parameter error message."""
    for prefix, advice in QUERY_HELP.items():
        if message.startswith(prefix):
            return advice
    return "检索参数有误，请检查后重试。"


@blueprint.route("/")
def home():
    """The search box, with a line on what the index holds."""
    return render_template("index.html", stats=engine().stats())


@blueprint.route("/search")
def search():
    """Ranked paragraph hits with facets, sorting, the mode toggle and pagination."""
    params = search_params(request.args, current_app.config["PAGE_SIZE"])
    result = engine().search(params.q, facets=True, **params.engine_kwargs())
    per_doc = {d["doc_id"]: d["count"] for d in result["facets"]["docs"]}
    first_on_page = set()
    for hit in result["hits"]:
        # "此文档中还有 N 段" once per document on a page, and only when not already narrowed.
        more = per_doc.get(hit["doc_id"], 1) - 1
        hit["more_in_doc"] = more if (not params.doc and hit["doc_id"] not in first_on_page) else 0
        first_on_page.add(hit["doc_id"])
        hit["link_q"] = highlight_query(params.q, hit["matched_by"])
    last_page = max(1, min(ceil(result["total"] / params.per_page), MAX_DEPTH // params.per_page))
    definitions = engine().glossary().found_in(params.q, limit=DEFINITIONS_SHOWN)
    doc_filter = next((d for d in result["facets"]["docs"] if d["doc_id"] == params.doc), None)
    return render_template(
        "search.html", params=params, result=result, last_page=last_page,
        pages=_page_window(params.page, last_page), doc_filter=doc_filter,
        facet_docs=result["facets"]["docs"][:FACET_DOCS_SHOWN], definitions=definitions,
        query_hits=[h for h in result["hits"] if h["group"] != "expansion"],
        expansion_hits=[h for h in result["hits"] if h["group"] == "expansion"],
        export_url=export_url(params),
        first_rank=(params.page - 1) * params.per_page + 1)


@blueprint.route("/doc/<doc_id>")
def document(doc_id: str):
    """A whole document: every paragraph anchored, matches marked, match-to-match links."""
    q, mode = document_params(request.args)
    unusable = None
    try:
        found = engine().document(doc_id, query=q, mode=mode)
    except QueryError as error:  # the document is still worth showing, just unhighlighted
        unusable, q = str(error), None
        found = engine().document(doc_id)
    if found is None:
        abort(404, description=f"no document with id {doc_id[:80]!r}")
    matched = [p["para"] for p in found["paragraphs"] if p.get("matched")]
    neighbours = {para: (matched[i - 1] if i else None,
                         matched[i + 1] if i + 1 < len(matched) else None)
                  for i, para in enumerate(matched)}
    return render_template("doc.html", doc=found, q=q, mode=mode, matched=matched,
                           neighbours=neighbours, unusable=unusable)


def _page_window(page: int, last_page: int) -> list[int | None]:
    """Page numbers to link: first, last, and a window around ``page``; None marks a gap."""
    shown = {1, last_page} | set(range(max(1, page - PAGE_WINDOW),
                                       min(last_page, page + PAGE_WINDOW) + 1))
    pages: list[int | None] = []
    for number in sorted(shown):
        if pages and number - pages[-1] > 1:
            pages.append(None)
        pages.append(number)
    return pages
