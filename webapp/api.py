"""The JSON API: the same objects as the CLI's ``--json`` output (hits also carry a "url")."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from . import engine
from .params import search_params
from .views import doc_url

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.route("/search")
def search():
    """``policy-search search --json``, plus each hit's document-page link."""
    params = search_params(request.args, current_app.config["PAGE_SIZE"])
    result = engine().search(params.q, **params.engine_kwargs())
    for hit in result["hits"]:
        hit["url"] = doc_url(hit["doc_id"], params.q, params.mode, hit["para"])
    return jsonify(result)


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
