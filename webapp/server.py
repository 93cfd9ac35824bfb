"""Serving the front end with waitress, a production WSGI server with worker threads."""

from __future__ import annotations

from pathlib import Path

import waitress

from . import create_app


def run(corpus_dir: Path, index_dir: Path, host: str = "127.0.0.1", port: int = 5000,
        threads: int = 8, cluster=None) -> None:
    """Serve the app on ``host:port`` until interrupted, printing the URL to open."""
    app = create_app({"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir),
                      "OPENSEARCH": cluster} | _page_size())
    engine = app.extensions["search_engine"]
    engine.warm_up()
    engine.prepare_searchers(threads)  # one for each worker thread, ready before its first request
    shown_host = f"[{host}]" if ":" in host else host
    served = cluster.describe() if cluster is not None else index_dir
    print(f"policy-search: serving {served} on http://{shown_host}:{port}/ "
          f"({threads} threads; Ctrl-C stops)", flush=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="policy-search")


def _page_size() -> dict:
    from . import settings_from_environment
    return {"PAGE_SIZE": settings_from_environment()["PAGE_SIZE"]}
