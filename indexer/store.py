"""The index folder's layout: generations, the ``current`` pointer, the build lock.

    INDEX/current       symlink to the live generation (swapped with one atomic rename)
    INDEX/gen-…/        a complete Whoosh index, plus userdict.txt if the corpus had one
    INDEX/.tmp-…/       a build in progress; removed by the next build if it was interrupted
    INDEX/build.lock    held (flock) by the one running build

Readers resolve ``current`` once per (re)open, so they see the old generation or the new one,
never a half-written folder.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildLockedError, IndexNotFoundError

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


def new_build_folder(index_dir: Path) -> Path:
    """A fresh temporary folder for a full build."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    folder = Path(index_dir) / f".tmp-gen-{stamp}-{os.getpid()}"
    folder.mkdir(parents=True)
    return folder


def publish(index_dir: Path, build_folder: Path) -> Path:
    """Turn a finished build folder into a generation and make it live atomically."""
    index_dir = Path(index_dir)
    generation = index_dir / build_folder.name.replace(".tmp-", "", 1)
    os.replace(build_folder, generation)
    _fsync_dir(index_dir)
    temporary_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary_link.is_symlink():
        temporary_link.unlink()
    os.symlink(generation.name, temporary_link)
    os.replace(temporary_link, index_dir / CURRENT)
    _fsync_dir(index_dir)
    return generation


def remove_stale(index_dir: Path) -> list[str]:
    """Delete interrupted build folders and generations older than the kept ones."""
    index_dir = Path(index_dir)
    removed = []
    live = current_generation(index_dir)
    for leftover in index_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
        removed.append(leftover.name)
    generations = sorted(index_dir.glob("gen-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    keep = {live} if live else set()
    for generation in generations:
        if len(keep) >= GENERATIONS_KEPT:
            break
        keep.add(generation)
    for generation in generations:
        if generation not in keep:
            shutil.rmtree(generation, ignore_errors=True)
            removed.append(generation.name)
    return removed


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
