"""``POST /api/reindex``: an operator rebuilds the index over HTTP with a secret token.

The route exists only when POLICY_SEARCH_REINDEX_TOKEN is set (otherwise 404, as for any
unknown URL). A request must carry ``Authorization: Bearer <token>``; the build then runs in a
child process watched by a background thread, one build at a time, and ``/api/stats`` shows
its progress and the last build's outcome under "reindex". Searches go on serving the old
index until the new one is published, then pick it up on their next request.

The child is spawned, not forked: a fork of a threaded server can inherit locks held by other
threads, and the build sets the analysis module's process-wide dictionary, which the server's
searches also use.
"""

from __future__ import annotations

import hmac
import multiprocessing
import os
import queue
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from indexer import PolicySearchError, build_index
from indexer.embedded import store

TOKEN_ENV = "POLICY_SEARCH_REINDEX_TOKEN"
PROGRESS_INTERVAL = 0.2  # seconds between progress messages from the build

blueprint = Blueprint("reindex", __name__, url_prefix="/api")


class Reindexer:
    """Runs one build at a time in a child process and remembers its progress and outcome."""

    def __init__(self, corpus_dir: Path, index_dir: Path):
        self.corpus_dir, self.index_dir = Path(corpus_dir), Path(index_dir)
        self._lock = threading.Lock()
        self._running: dict | None = None
        self._last: dict | None = None

    def start(self, full: bool = False) -> bool:
        """Start a build in the background; False when one is already running."""
        with self._lock:
            if self._running is not None:
                return False
            self._running = {"full": full, "started_at": _now(), "progress": None}
        threading.Thread(target=self._watch, args=(full,), name="reindex", daemon=True).start()
        return True

    def snapshot(self) -> dict:
        """The "reindex" part of /api/stats."""
        with self._lock:
            return {"running": self._running is not None,
                    "current": dict(self._running) if self._running else None,
                    "last": self._last}

    def _watch(self, full: bool) -> None:
        outcome = {"status": "failed", "summary": None, "error": None}
        try:
            context = multiprocessing.get_context("spawn")
            messages = context.Queue()
            child = context.Process(target=_build_in_child, name="policy-search reindex",
                                    args=(self.corpus_dir, self.index_dir, full, messages))
            child.start()
            while True:
                try:
                    kind, payload = messages.get(timeout=0.5)
                except queue.Empty:
                    if not child.is_alive():
                        outcome["error"] = f"the build process ended unexpectedly " \
                                           f"(exit code {child.exitcode})"
                        break
                    continue
                if kind == "progress":
                    with self._lock:
                        self._running["progress"] = payload
                    continue
                if kind == "done":
                    outcome.update(status="finished", summary=payload)
                else:
                    outcome["error"] = payload
                break
            child.join()
        except Exception as error:  # reported in /api/stats; the server goes on
            outcome["error"] = f"{type(error).__name__}: {error}"
        finally:
            with self._lock:
                self._last = {"full": full, "started_at": self._running["started_at"],
                              "finished_at": _now(), **outcome}
                self._running = None


def _build_in_child(corpus_dir: Path, index_dir: Path, full: bool, messages) -> None:
    last = 0.0

    def progress(done: int, total: int, source: str) -> None:
        nonlocal last
        if done == total or time.monotonic() - last >= PROGRESS_INTERVAL:
            last = time.monotonic()
            messages.put(("progress", {"done": done, "total": total, "source": source}))

    try:
        summary = build_index(corpus_dir, index_dir, full=full, progress=progress,
                              command=f"POST /api/reindex (server pid {os.getppid()})")
        messages.put(("done", summary.to_dict()))
    except PolicySearchError as error:
        messages.put(("failed", str(error)))
    except BaseException as error:  # the watcher reports it; a traceback helps nobody here
        messages.put(("failed", f"{type(error).__name__}: {error}"))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _authorised(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest takes as long whatever the first differing byte: no timing oracle
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8"), token.encode("utf-8"))


@blueprint.post("/reindex")
def reindex():
    """Start a rebuild (``?full=1`` for a full one): 202, or 401 / 409."""
    if not _authorised(current_app.config["REINDEX_TOKEN"]):
        return (jsonify({"error": "a valid 'Authorization: Bearer <token>' header is required"}),
                401, {"WWW-Authenticate": 'Bearer realm="policy-search reindex"'})
    reindexer: Reindexer = current_app.extensions["reindexer"]
    full = request.args.get("full", "").lower() in ("1", "true", "yes")
    holder = store.lock_holder(reindexer.index_dir)
    if holder is not None and not reindexer.snapshot()["running"]:
        return jsonify({"error": f"another build is running ({holder})",
                        "reindex": reindexer.snapshot()}), 409
    if not reindexer.start(full=full):
        return jsonify({"error": "a rebuild is already running",
                        "reindex": reindexer.snapshot()}), 409
    return jsonify({"status": "started", "full": full, "stats": "/api/stats",
                    "reindex": reindexer.snapshot()}), 202


def register(app) -> None:
    """Add the endpoint when the operator configured a token (REINDEX_TOKEN)."""
    token = app.config.get("REINDEX_TOKEN") or ""
    if not token.strip():
        return
    app.config["REINDEX_TOKEN"] = token.strip()
    app.extensions["reindexer"] = Reindexer(app.config["CORPUS_DIR"], app.config["INDEX_DIR"])
    app.register_blueprint(blueprint)
