"""The web front end: a thin Flask layer over ``indexer.SearchEngine``.

``create_app`` reads its configuration from environment variables (README.md, "Web front
end"), holds one engine for the whole process (the engine keeps one Whoosh searcher per
thread), and answers every error with a page or JSON object of its own, never a traceback.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import IndexNotFoundError, PolicySearchError, QueryError, SearchEngine
from indexer.backends import open_engine
from indexer.errors import BackendUnavailableError
from indexer.opensearch import connection

from .params import MAX_PER_PAGE

INDEX_ENV = "POLICY_SEARCH_INDEX"
CORPUS_ENV = "POLICY_SEARCH_CORPUS"
PAGE_SIZE_ENV = "POLICY_SEARCH_PAGE_SIZE"

# No inline scripts or styles and nothing from another origin: a snippet that somehow escaped
# escaping still could not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger(__name__)


def settings_from_environment() -> dict:
    """INDEX_DIR, CORPUS_DIR and PAGE_SIZE from the environment, with their defaults."""
    page_size = os.environ.get(PAGE_SIZE_ENV, "10").strip()
    if not page_size.isdigit() or not 1 <= int(page_size) <= MAX_PER_PAGE:
        raise ValueError(f"{PAGE_SIZE_ENV} must be a whole number from 1 to {MAX_PER_PAGE}")
    return {
        "INDEX_DIR": os.environ.get(INDEX_ENV) or os.path.join("var", "index"),
        "CORPUS_DIR": os.environ.get(CORPUS_ENV) or "corpus",
        "PAGE_SIZE": int(page_size),
    }


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application; ``config`` overrides the environment's settings."""
    app = Flask(__name__)
    app.config.update(settings_from_environment() if not _complete(config) else {})
    app.config.update(config or {})
    app.config.setdefault("PAGE_SIZE", 10)
    app.config["DEBUG"] = False  # never the Werkzeug debugger, whatever the caller asked
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keep the engine's key order, as `--json` prints it
    cluster = cluster_from_config(app.config)
    app.extensions["search_engine"] = open_engine(Path(app.config["INDEX_DIR"]), cluster)

    from . import analysis, api, echoes, reindex, relations, views
    app.register_blueprint(views.blueprint)
    app.register_blueprint(analysis.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(relations.blueprint)
    app.register_blueprint(echoes.blueprint)
    # POST /api/reindex exists only when the operator set a token (README.md, "Rebuilding the index")
    app.config.setdefault("REINDEX_TOKEN", os.environ.get(reindex.TOKEN_ENV, ""))
    if cluster is None:  # a cluster's index is built with `policy-search index --opensearch`
        reindex.register(app)
    _register_error_handlers(app)

    @app.after_request
    def add_security_headers(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def cluster_from_config(config) -> connection.Cluster | None:
    """The OpenSearch cluster the app searches: config OPENSEARCH (a ``Cluster``) or the
    POLICY_SEARCH_OPENSEARCH* environment; None for the embedded index."""
    if "OPENSEARCH" in config:
        return config["OPENSEARCH"]
    return connection.cluster_from_options(
        os.environ.get(connection.URL_ENV), os.environ.get(connection.INDEX_ENV),
        os.environ.get(connection.API_KEY_ENV), os.environ.get(connection.CA_FILE_ENV),
        os.environ.get(connection.INSECURE_ENV, "") not in ("", "0", "false"))


def _complete(config: dict | None) -> bool:
    # A caller that names every setting should not fail on an odd environment.
    return bool(config) and all(k in config for k in ("INDEX_DIR", "CORPUS_DIR", "PAGE_SIZE"))


def engine() -> SearchEngine:
    """The application's one search engine."""
    from flask import current_app
    return current_app.extensions["search_engine"]


def wants_json() -> bool:
    """Whether this request is for the JSON API (errors then answer in JSON)."""
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    def answer(status: int, kind: str, message: str, details: dict | None = None):
        if wants_json():
            return jsonify({"error": message, **(details or {})}), status
        return render_template("error.html", status=status, kind=kind, message=message,
                               **(details or {})), status

    @app.errorhandler(QueryError)
    def bad_query(error):
        return answer(400, "query", str(error))

    @app.errorhandler(IndexNotFoundError)
    def no_index(error):
        details = {"command": f"policy-search index --corpus {app.config['CORPUS_DIR']} "
                              f"--index {app.config['INDEX_DIR']}"}
        cluster = getattr(app.extensions["search_engine"], "cluster", None)
        if cluster is not None:  # the URL without credentials: the page shows it
            details["command"] = (f"policy-search index --corpus {app.config['CORPUS_DIR']} "
                                  f"--opensearch {','.join(cluster.hosts)} --os-index {cluster.index}")
        if wants_json() and "reindexer" in app.extensions:  # a first build started over HTTP
            details["reindex"] = app.extensions["reindexer"].snapshot()
        return answer(503, "no_index", str(error), details)

    @app.errorhandler(BackendUnavailableError)
    def cluster_down(error):
        log.error("search cluster unavailable on %s: %s", request.path, error)
        return answer(503, "unavailable", str(error))

    @app.errorhandler(PolicySearchError)
    def engine_error(error):
        log.error("engine error on %s: %s", request.path, error)
        return answer(500, "server", str(error))

    @app.errorhandler(HTTPException)
    def http_error(error):
        kind = {400: "query", 404: "not_found", 405: "method"}.get(error.code, "server")
        return answer(error.code or 500, kind, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error):
        # Logged with its traceback for the operator; the reader only sees a calm page.
        log.exception("unexpected error on %s", request.path)
        return answer(500, "server", InternalServerError.description)
