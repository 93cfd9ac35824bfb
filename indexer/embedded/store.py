"""The index folder's layout: generations, the ``current`` pointer, the build lock.

    INDEX/current       symlink to the live generation (swapped with one atomic rename)
    INDEX/gen-…/        a complete Whoosh index, plus userdict.txt if the corpus had one
    INDEX/.tmp-…        a build (or a pointer swap) in progress; removed by the next build
    INDEX/build.lock    held (flock) by the one running build

Every build, full or incremental, writes a new generation and swaps ``current``; a published
generation is never written again. Readers resolve ``current`` once per (re)open, so they see
the old generation or the new one, never a half-written folder, and the files of the
generation they hold are never changed or deleted under them (Whoosh opens some files lazily).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import BuildLockedError, IndexNotFoundError

PAUSE_ENV = "POLICY_SEARCH_TEST_PAUSE"
CURRENT = "current"
LOCK_FILE = "build.lock"
GENERATIONS_KEPT = 2  # the live one and the one a running server may still be reading


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when nothing was built yet."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    generation = Path(index_dir) / target
    return generation if generation.is_dir() else None


def require_generation(index_dir: Path) -> Path:
    """The live generation folder, or IndexNotFoundError saying how to build one."""
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(
            f"no index in {index_dir} yet: build it with `policy-search index`")
    return generation


def new_build_folder(index_dir: Path, copy_of: Path | None = None) -> Path:
    """A fresh temporary folder for a build; with ``copy_of``, hard links to its files.

    An incremental build commits to such a copy: Whoosh never rewrites a file it has written
    (new segments and tables of contents get new names), so the links keep the live
    generation intact while the copy changes, and the copy costs no disk space.
    """
    # The random part keeps two builds in the same second (and process) apart.
    stamp = time.strftime("%Y%m%dT%H%M%S")
    folder = Path(index_dir) / f".tmp-gen-{stamp}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    if copy_of is not None:
        for item in Path(copy_of).iterdir():
            # Whoosh's write lock and temp folders belong to the writer of that folder.
            if item.is_file() and not item.is_symlink() and item.name != "WRITELOCK":
                try:
                    os.link(item, folder / item.name)
                except OSError:  # a file system without hard links: copy (slower, same result)
                    shutil.copy2(item, folder / item.name)
    return folder


def pause_for_tests(stage: str) -> None:
    """Test hook: with POLICY_SEARCH_TEST_PAUSE=<stage>[:seconds] a build says so on stderr
    and sleeps there (an hour unless seconds are given), so a test can kill it or start a
    second build at exactly that stage. Stages: workers (in a worker, after its first file),
    before-commit, before-publish, during-swap (new generation in place, `current` not yet
    switched)."""
    wanted, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if wanted == stage:
        print(f"paused at {stage} (pid {os.getpid()})", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 3600))


def generation_name(build_folder: Path) -> str:
    """The name a build folder will have once published."""
    return Path(build_folder).name.replace(".tmp-", "", 1)


def publish(index_dir: Path, build_folder: Path) -> Path:
    """Turn a finished build folder into a generation and make it live atomically."""
    index_dir = Path(index_dir)
    generation = index_dir / generation_name(build_folder)
    _fsync_files(build_folder)
    os.replace(build_folder, generation)
    _fsync_dir(index_dir)
    # A .tmp- name, so a build killed between these two steps leaves a link the next removes.
    temporary_link = index_dir / f".tmp-{CURRENT}-{uuid.uuid4().hex[:8]}"
    if temporary_link.is_symlink():
        temporary_link.unlink()
    os.symlink(generation.name, temporary_link)
    pause_for_tests("during-swap")
    os.replace(temporary_link, index_dir / CURRENT)
    _fsync_dir(index_dir)
    return generation


def remove_stale(index_dir: Path) -> list[str]:
    """Delete interrupted build folders and generations older than the kept ones."""
    index_dir = Path(index_dir)
    removed = []
    live = current_generation(index_dir)
    for leftover in index_dir.glob(".tmp-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
        removed.append(leftover.name)
    generations = sorted(index_dir.glob("gen-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    keep = {live} if live else set()
    for generation in generations:
        if len(keep) >= GENERATIONS_KEPT:
            break
        keep.add(generation)
    for generation in generations:
        if generation not in keep:
            shutil.rmtree(generation)
            removed.append(generation.name)
    return removed


def lock_holder(index_dir: Path) -> str | None:
    """Who holds the build lock (pid, command, start), or None when no build is running."""
    path = Path(index_dir) / LOCK_FILE
    try:
        handle = open(path)
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return _describe_holder(handle.read())
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


@contextmanager
def build_lock(index_dir: Path, wait: bool = False, command: str = "policy-search index"):
    """Hold the index folder's build lock; a second build waits or fails naming the holder."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = _describe_holder(handle.read())
            raise BuildLockedError(
                f"another build is running on {index_dir} ({holder}); "
                "wait for it to finish or use --wait") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": command,
                                 "started": time.strftime("%Y-%m-%d %H:%M:%S")}))
        handle.flush()
        yield
    finally:
        handle.close()


def _describe_holder(text: str) -> str:
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']}, `{holder['command']}`, started {holder['started']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


def _fsync_files(folder: Path) -> None:
    # Data first, then the rename that publishes it: after a power loss `current` never
    # points at a generation whose files were not yet on disk.
    for item in folder.iterdir():
        if item.is_file() and not item.is_symlink():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
