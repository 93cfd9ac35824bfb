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

import errno
import fcntl
import hmac
import json
import multiprocessing
import os
import queue
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from indexer import PolicySearchError
from indexer.embedded import store

TOKEN_ENV = "POLICY_SEARCH_REINDEX_TOKEN"
PROGRESS_INTERVAL = 0.2  # seconds between progress messages from the build
STATE_FILE = "reindex.json"  # in the index folder: progress and outcome, for every worker
CLAIM_FILE = "reindex.lock"  # flock'd by the worker process running a build

blueprint = Blueprint("reindex", __name__, url_prefix="/api")


class Reindexer:
    """Runs one build at a time in a child process and remembers its progress and outcome.

    The state lives in the index folder (``reindex.json``, replaced atomically; the right to
    build is an flock on ``reindex.lock``), not in this process: a server with several worker
    processes answers the POST in one of them and ``/api/stats`` in any other.
    """

    def __init__(self, corpus_dir: Path, index_dir: Path):
        self.corpus_dir, self.index_dir = Path(corpus_dir), Path(index_dir)
        self._lock = threading.Lock()
        self._claim = None  # the open, locked reindex.lock while this process builds
        self._running: dict | None = None

    def start(self, full: bool = False) -> bool:
        """Start a build in the background; False when one is already running."""
        with self._lock:
            if self._claim is not None:
                return False
            self.index_dir.mkdir(parents=True, exist_ok=True)
            claim = open(self.index_dir / CLAIM_FILE, "a+")
            try:
                fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                claim.close()
                if error.errno in (errno.EAGAIN, errno.EACCES):
                    return False  # another worker process is running one
                raise
            self._claim = claim
            self._running = {"full": full, "started_at": _now(), "progress": None}
            self._save(running=self._running, last=self._read().get("last"))
        threading.Thread(target=self._watch, args=(full,), name="reindex", daemon=True).start()
        return True

    def snapshot(self) -> dict:
        """The "reindex" part of /api/stats."""
        state = self._read()
        running = state.get("running")
        if running is not None and not self._claimed():
            running = None  # the worker that ran it died mid-build: nothing is running now
        return {"running": running is not None, "current": running, "last": state.get("last")}

    def _claimed(self) -> bool:
        with self._lock:
            if self._claim is not None:
                return True
        try:
            with open(self.index_dir / CLAIM_FILE) as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except OSError:
                    return True
                return False
        except FileNotFoundError:
            return False

    def _read(self) -> dict:
        try:
            return json.loads((self.index_dir / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # no web build yet (or the file is unreadable)
            return {}

    def _save(self, **state) -> None:
        path = self.index_dir / STATE_FILE
        temporary = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def _watch(self, full: bool) -> None:
        outcome = {"status": "failed", "summary": None, "error": None}
        previous = self._read().get("last")
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
                        self._save(running=self._running, last=previous)
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
                last = {"full": full, "started_at": self._running["started_at"],
                        "finished_at": _now(), **outcome}
                try:
                    self._save(running=None, last=last)
                finally:
                    self._running = None
                    self._claim.close()  # releases the flock: the next build may start
                    self._claim = None


def _build_in_child(corpus_dir: Path, index_dir: Path, full: bool, messages) -> None:
    last = 0.0

    def progress(done: int, total: int, source: str) -> None:
        nonlocal last
        if done == total or time.monotonic() - last >= PROGRESS_INTERVAL:
            last = time.monotonic()
            messages.put(("progress", {"done": done, "total": total, "source": source}))

    try:
        from indexer.embedded.build import build_index  # in the child: the server never loads it
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
