"""Serving the front end with waitress, a production WSGI server with worker threads, in one
process or in several forked worker processes (``prefork.py``)."""

from __future__ import annotations

from pathlib import Path

import waitress

from . import create_app, prefork


def run(corpus_dir: Path, index_dir: Path, host: str = "127.0.0.1", port: int = 5000,
        threads: int = 8, workers: int = 1) -> None:
    """Serve the app on ``host:port`` until interrupted, printing the URL to open.

    ``threads`` is the server's total, shared out among ``workers`` processes."""
    app = create_app({"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir)} | _page_size())
    if workers > 1:
        _run_workers(app, index_dir, host, port, threads, workers)
        return
    prefork.limit_malloc_arenas()
    engine = app.extensions["search_engine"]
    engine.warm_up()
    engine.prepare_searchers(threads)  # one for each worker thread, ready before its first request
    shown_host = f"[{host}]" if ":" in host else host
    print(f"policy-search: serving {index_dir} on http://{shown_host}:{port}/ "
          f"({threads} threads; Ctrl-C stops)", flush=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="policy-search")


def _page_size() -> dict:
    from . import settings_from_environment
    return {"PAGE_SIZE": settings_from_environment()["PAGE_SIZE"]}


def _run_workers(app, index_dir: Path, host: str, port: int, threads: int, workers: int) -> None:
    each = prefork.threads_per_worker(threads, workers)
    sock = prefork.listening_socket(host, port)
    app.extensions["search_engine"].preload()  # shared by the workers, copy-on-write

    def serve_worker(inherited):
        prefork.limit_malloc_arenas()
        engine = app.extensions["search_engine"]
        engine.warm_up()
        engine.prepare_searchers(each)
        waitress.serve(app, sockets=[inherited], threads=each, ident="policy-search")

    shown_host = f"[{host}]" if ":" in host else host
    print(f"policy-search: serving {index_dir} on http://{shown_host}:{port}/ "
          f"({each * workers} threads: {workers} worker processes × {each}; Ctrl-C stops)",
          flush=True)
    prefork.supervise(sock, workers, serve_worker)
