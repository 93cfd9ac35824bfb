"""Pages and JSON for wording that travels: a paragraph's similar passages (相似表述) and a
document's echoes of earlier documents of other series (跟进中央表述). Thin views over
indexer.relations.similar; duplicate copies show on the search page (views.search).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from indexer.relations import similar

from . import engine
from .params import DOC_ID
from .views import doc_url

blueprint = Blueprint("echoes", __name__)


@blueprint.app_template_global()
def similar_counts(doc_id: str) -> dict[int, int]:
    """para → how many similar passages, for a document page's "相似表述 N" links."""
    return similar.counts(engine(), doc_id)


@blueprint.app_template_global()
def document_echoes(doc_id: str) -> dict | None:
    """A document's paragraphs echoing earlier documents of other series (its page's summary)."""
    return similar.echoes(engine(), doc_id)


def _similar_or_404(doc_id: str, para: int) -> dict:
    found = similar.similar_passages(engine(), doc_id, para) if DOC_ID.fullmatch(doc_id) else None
    if found is None:
        abort(404, description=f"no paragraph {para} in a document {doc_id[:80]!r}")
    for passage in [found] + found["similar"]:
        passage["url"] = doc_url(passage["doc_id"], para=passage["para"])
    return found


@blueprint.route("/api/para/<doc_id>/<int:para>/similar")
def similar_api(doc_id: str, para: int):
    """``policy-search similar DOC_ID PARA --json``, each passage with its page link."""
    return jsonify(_similar_or_404(doc_id, para))


@blueprint.route("/doc/<doc_id>/similar/<int:para>")
def similar_page(doc_id: str, para: int):
    """A paragraph and its similar passages in other documents, earliest first."""
    return render_template("similar.html", found=_similar_or_404(doc_id, para))


@blueprint.route("/api/doc/<doc_id>/echoes")
def echoes_api(doc_id: str):
    """Which paragraphs of a document echo earlier documents of other series, and their share."""
    found = similar.echoes(engine(), doc_id) if DOC_ID.fullmatch(doc_id) else None
    if found is None:
        abort(404, description=f"no document with id {doc_id[:80]!r}")
    for passage in found["paragraphs"]:
        passage["url"] = doc_url(doc_id, para=passage["para"])
        passage["earliest"]["url"] = doc_url(passage["earliest"]["doc_id"],
                                             para=passage["earliest"]["para"])
    return jsonify(found)
