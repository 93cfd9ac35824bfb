"""Pages and JSON for reading documents against each other: phrase trends, new formulations
(新提法) and the comparison of two documents. Thin views over indexer.features.trends, indexer.features.novelty
and indexer.features.compare.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from indexer.features.compare import compare_documents
from indexer.features.novelty import new_formulations
from indexer.features.series import previous_in_series
from indexer.features.trends import MAX_QUERIES, trends, trends_csv

from . import engine
from .charts import bar_chart, line_chart
from .params import (DOC_ID, MAX_QUERY_CHARS, MODES, BadParameter, choice, single,
                     whole_number)
from .params import doc_id as doc_param
from .views import doc_url

blueprint = Blueprint("analysis", __name__)
BY = ("year", "region")


@blueprint.app_template_global()
def previous_document(doc_id: str) -> dict | None:
    """The previous year's document of ``doc_id``'s series (for "与上年对比"), or None."""
    records = engine().documents()
    record = next((r for r in records if r["doc_id"] == doc_id), None)
    return previous_in_series(records, record) if record else None


def _trend_args(args) -> dict:
    queries = [q for q in args.getlist("q") if q.strip()]
    if not queries:
        raise BadParameter("empty query: type a word or phrase to search for")
    if len(queries) > MAX_QUERIES:
        raise BadParameter(f"too many queries: compare at most {MAX_QUERIES} side by side")
    if any(len(q) > MAX_QUERY_CHARS for q in queries):
        raise BadParameter(f"query too long: at most {MAX_QUERY_CHARS} characters")
    year_from = whole_number(args, "year_from", None, minimum=0, maximum=9999)
    year_to = whole_number(args, "year_to", None, minimum=0, maximum=9999)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadParameter(f"year_from ({year_from}) is after year_to ({year_to})")
    return {"queries": queries, "mode": choice(args, "mode", MODES), "by": choice(args, "by", BY),
            "doc": doc_param(args), "year_from": year_from, "year_to": year_to}


def _trend_links(result: dict) -> None:
    """Give every first/last appearance its paragraph link."""
    for series in result["series"]:
        for end in ("first", "last"):
            if series[end]:
                series[end]["url"] = doc_url(series[end]["doc_id"], series["query"],
                                             result["mode"], series[end]["para"])


def _search_link(result: dict, key) -> str:
    """The search behind one year (or region) of the chart: all queries OR-ed, that year."""
    query = " OR ".join(result["queries"]) if len(result["queries"]) > 1 else result["queries"][0]
    values = {"q": query}
    if result["mode"] != "words":
        values["mode"] = result["mode"]
    if result["by"] == "year":
        values.update(year_from=key, year_to=key)
    else:
        values.update({k: v for k, v in result["filters"].items() if v is not None})
        bucket = next(b for b in result["buckets"] if b["key"] == key)
        if len(bucket["doc_ids"]) == 1:
            values["doc"] = bucket["doc_ids"][0]
    return url_for("views.search") + "?" + urlencode(values)


@blueprint.route("/trends")
def trends_page():
    """The trend chart of one or more queries, the numbers under it, and a CSV link."""
    if not request.args.getlist("q"):
        return render_template("trends.html", result=None, form={"queries": []})
    args = _trend_args(request.args)
    result = trends(engine(), **args)
    _trend_links(result)
    charts = {}
    def link(key):
        return _search_link(result, key)
    if result["by"] == "year":
        charts["wide"] = line_chart(result, link, 960, 340, max_labels=12)
        charts["narrow"] = line_chart(result, link, 360, 260, max_labels=5)
    else:
        charts["wide"] = bar_chart(result, link, 960, 150)
        charts["narrow"] = bar_chart(result, link, 360, 110)
    csv_url = url_for("analysis.trends_csv_download") + "?" + request.query_string.decode()
    return render_template("trends.html", result=result, form=args, charts=charts,
                           csv_url=csv_url, search_link=link)


@blueprint.route("/trends.csv")
def trends_csv_download():
    """The numbers of the trends page as a CSV file."""
    result = trends(engine(), **_trend_args(request.args))
    return Response(trends_csv(result), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=trends.csv"})


@blueprint.route("/api/trends")
def trends_api():
    """``policy-search trends --json``; first/last appearances carry their paragraph link."""
    result = trends(engine(), **_trend_args(request.args))
    _trend_links(result)
    return jsonify(result)


def _new_result(doc_id: str) -> dict:
    result = new_formulations(engine(), doc_id)
    if result is None:
        abort(404, description=f"no document with id {doc_id[:80]!r}")
    for phrase in result["phrases"]:
        phrase["url"] = doc_url(doc_id, phrase["phrase"], "exact", phrase["paragraphs"][0])
    return result


@blueprint.route("/new/<doc_id>")
def new_page(doc_id: str):
    """The new formulations of a document, each linked to its paragraphs."""
    return render_template("new.html", result=_new_result(doc_id))


@blueprint.route("/api/new/<doc_id>")
def new_api(doc_id: str):
    """``policy-search new DOC_ID --json``, each phrase with the link to its first paragraph."""
    return jsonify(_new_result(doc_id))


def _compare_result():
    b_id = single(request.args, "b")
    if b_id is None:
        raise BadParameter("b must name the document to compare (b=<doc_id>)")
    a_id = single(request.args, "a")
    for name, value in (("a", a_id), ("b", b_id)):
        if value is not None and not DOC_ID.fullmatch(value):
            raise BadParameter(f"{name} must be a document id (letters, digits, '-' and '_')")
    try:
        result = compare_documents(engine(), a_id, b_id)
    except LookupError as error:
        abort(404, description=str(error))
    if result is None:
        abort(404, description=f"no document with id {_unknown(a_id, b_id)[:80]!r}")
    return result


def _unknown(a_id: str | None, b_id: str) -> str:
    """Which of the two ids the index does not hold (B's when neither is known)."""
    known = {record["doc_id"] for record in engine().documents()}
    return a_id if b_id in known and a_id is not None else b_id


@blueprint.route("/compare")
def compare_page():
    """B's paragraphs beside their counterparts in A, changes marked (A defaults to the
    previous year of B's series)."""
    return render_template("compare.html", result=_compare_result())


@blueprint.route("/api/compare")
def compare_api():
    """``policy-search compare A B --json``."""
    return jsonify(_compare_result())
