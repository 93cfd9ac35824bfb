"""How documents relate, on the pages and in the API: citations, cited-by lists, validity.

``GET /api/doc/<id>/citations`` answers what ``policy-search cites``/``cited-by --json`` print
(one object with both lists); the document page shows the same through ``relations_doc.html``,
and hits show their document's status and 被引用 count through ``relations_hit.html``.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from . import engine
from .views import doc_url

blueprint = Blueprint("relations", __name__)


def _with_links(found: dict) -> dict:
    """``found`` with a document-page link on every resolved target and citing paragraph."""
    for cite in found["cites"]:
        for target in cite["targets"]:
            target["url"] = doc_url(target["doc_id"])
    for citing in found["cited_by"]:
        citing["url"] = doc_url(citing["doc_id"], para=citing["para"])
    repealed = found["status"]["evidence"].get("repealed")
    if repealed:
        repealed["url"] = doc_url(repealed["doc_id"], para=repealed["para"])
    for amended in found["status"]["evidence"].get("amended", []):
        amended["url"] = doc_url(amended["doc_id"], para=amended["para"])
    return found


@blueprint.app_template_global()
def document_relations(doc_id: str) -> dict | None:
    """A document's citations, cited-by list and status, for its page."""
    found = engine().citations(doc_id)
    return _with_links(found) if found is not None else None


@blueprint.route("/api/doc/<doc_id>/citations")
def citations(doc_id: str):
    """What a document cites (resolved or as text), what cites it (newest first), its status."""
    found = engine().citations(doc_id)
    if found is None:
        abort(404, description=f"no document with id {doc_id[:80]!r}")
    return jsonify(_with_links(found))
