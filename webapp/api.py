"""The JSON API: the same objects as the CLI's ``--json`` output (hits also carry a "url")."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, jsonify, request, stream_with_context

from indexer.features import export
from indexer.search.expansion import highlight_query

from . import engine
from .params import choice, search_params, single
from .views import doc_url

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.route("/search")
def search():
    """``policy-search search --json``, plus each hit's document-page link."""
    params = search_params(request.args, current_app.config["PAGE_SIZE"])
    result = engine().search(params.q, **params.engine_kwargs())
    for hit in result["hits"]:
        hit["url"] = doc_url(hit["doc_id"], highlight_query(params.q, hit["matched_by"]),
                             params.mode, hit["para"])
    return jsonify(result)


@blueprint.route("/search/export")
def search_export():
    """Every hit of a search (at most ``export.MAX_ROWS``) as CSV or JSON lines, streamed."""
    params = search_params(request.args, current_app.config["PAGE_SIZE"])
    fmt = choice(request.args, "format", export.FORMATS)
    started = export.start(engine(), params.q, chunk=current_app.config.get("EXPORT_CHUNK", export.CHUNK),
                           **params.engine_kwargs())
    base = request.url_root.rstrip("/")

    def link(hit: dict) -> str:
        return base + doc_url(hit["doc_id"], highlight_query(params.q, hit["matched_by"]),
                                     params.mode, hit["para"])

    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    pieces = export.chunks(started, fmt, link, current_app.config.get("EXPORT_PIECE_ROWS", 100))
    response = Response(stream_with_context(pieces),
                        mimetype=mimetype)
    name = f"policy-search-{params.q[:40]}.{fmt}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"policy-search.{fmt}\"; filename*=UTF-8''{quote(name)}")
    response.headers["X-Total-Hits"] = str(started.total)
    response.headers["X-Exported-Rows"] = str(started.rows)
    return response


@blueprint.route("/define")
def define():
    """What the corpus's documents say a term means: ``policy-search define TERM --json``."""
    term = single(request.args, "term")
    if term is None or len(term) > 100:
        abort(400, description="give the term to define: /api/define?term=… (at most 100 characters)")
    entries = engine().glossary().define(term)
    if not entries:
        abort(404, description=f"no definition of {term[:40]!r} in the corpus's glossary")
    return jsonify({"term": term, "definitions": [
        {**e.to_dict(), "url": doc_url(e.doc_id, e.term, "words", e.para)} for e in entries]})


@blueprint.route("/doc/<doc_id>")
def document(doc_id: str):
    """One line of ``policy-search show --json``."""
    found = engine().document(doc_id)
    if found is None:
        abort(404, description=f"no document with id {doc_id[:80]!r}")
    return jsonify(found)


@blueprint.route("/stats")
def stats():
    """``policy-search stats --json``; with the reindex endpoint on, also its "reindex" state."""
    result = engine().stats()
    reindexer = current_app.extensions.get("reindexer")
    if reindexer is not None:
        result["reindex"] = reindexer.snapshot()
    return jsonify(result)
