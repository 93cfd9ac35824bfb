"""Choosing a format reader for a file's bytes and running it where a hostile file cannot hurt.

The bytes decide first (PDF magic, a ZIP's members, OLE magic, HTML text), the extension second:
WPS saves HTML under ``.doc``, sites serve HTML as ``.docx``. Each reader runs in a forked child
with a time limit and an address-space limit, so a ZIP bomb, a 2,000-page PDF or a hung converter
costs one skipped file with a named reason, never the build. Reader modules are imported only in
that child, so a missing optional library breaks only its own format.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import resource
import select
import signal
import time
import zipfile
from pathlib import PurePosixPath

from indexer.errors import DocumentError
from indexer.ingest.formats import Extracted

TEXT_SUFFIXES = (".txt", ".md")
READER_BY_SUFFIX = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html",
    ".pdf": "pdf", ".docx": "docx", ".doc": "msword", ".wps": "msword", ".ofd": "ofd",
}
FORMAT_NAMES = {"html": "web page", "pdf": "PDF", "docx": "DOCX", "msword": "Word/WPS", "ofd": "OFD"}
READ_TIMEOUT_SECONDS = 180  # above msword's own 120 s LibreOffice limit
READ_MEMORY_BYTES = 3 * 1024 ** 3  # address space a reader may add to what the build already maps
MAX_FILE_BYTES = 200 * 1024 * 1024

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<table", b"<p>", b"<meta")


def choose_reader(data: bytes, name: str) -> str | None:
    """The reader module for a file ("text" for .txt/.md), or None for an unsupported format."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_reader(data, suffix)
    if data.startswith(_OLE):
        return "msword" if suffix in (".doc", ".wps", ".docx", "") else None
    text_head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"w:worddocument" in text_head or text_head.startswith(b"{\\rtf"):
        return "msword" if suffix in (".doc", ".wps", ".docx") else None
    if any(mark in text_head for mark in _HTML_MARKS) and suffix in READER_BY_SUFFIX:
        return "html"  # a saved page, whatever its name says (.doc from WPS, .docx from a site)
    return READER_BY_SUFFIX.get(suffix)


def _zip_reader(data: bytes, suffix: str) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return READER_BY_SUFFIX.get(suffix)  # let the reader name the damage
    if "word/document.xml" in names:
        return "docx"
    if any(n.lower() == "ofd.xml" for n in names):
        return "ofd"
    return None


def unsupported_reason(name: str) -> str:
    """The build summary's reason for a file no reader takes."""
    suffix = PurePosixPath(name).suffix.lower()
    return f"unsupported format: {suffix}" if suffix else "unsupported format: no file extension"


def extract(reader: str, data: bytes, source: str) -> Extracted:
    """Run the named reader on ``data`` in a child process with time and memory limits."""
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(f"file too large ({len(data):,} bytes, the limit is {MAX_FILE_BYTES:,})")
    if not data:
        raise DocumentError("empty file")
    load_reader(reader)  # once per process, before the fork: children then start warm
    # A bare fork, not multiprocessing: build workers are daemonic processes, which
    # multiprocessing forbids to have children.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        _child(write_end, reader, data, source)
    os.close(write_end)
    try:
        payload = _receive(read_end, time.monotonic() + READ_TIMEOUT_SECONDS)
    finally:
        os.close(read_end)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    if payload is None:
        raise DocumentError(f"reading took longer than {READ_TIMEOUT_SECONDS} s")
    if not payload:
        raise DocumentError(f"the {FORMAT_NAMES.get(reader, reader)} reader crashed "
                            f"(exit status {os.waitstatus_to_exitcode(status)})")
    outcome, value = pickle.loads(payload)
    if outcome == "ok":
        return value
    raise DocumentError(value)


def _receive(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when the deadline passes."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _child(fd: int, reader: str, data: bytes, source: str) -> None:
    try:
        _limit_memory()
        result = ("ok", run_reader(reader, data, source))
    except DocumentError as error:
        result = ("skip", error.reason)
    except MemoryError:
        result = ("skip", f"reading needs more than {READ_MEMORY_BYTES // 1024 ** 2:,} MB of memory")
    except BaseException as error:  # noqa: BLE001 - one odd file must not stop a whole build
        result = ("skip", f"internal error: {type(error).__name__}: {error}")
    _release(reader)  # before the answer: the parent kills this process once it has it
    try:
        payload = pickle.dumps(result)
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(0)  # no atexit handlers or finalizers of the parent's state


def _release(reader: str) -> None:
    """Let the reader remove what it made in this child (``release()``, where it has one)."""
    try:
        release = getattr(load_reader(reader), "release", None)
        if release is not None:
            release()
    except BaseException:  # noqa: BLE001 - a left-over temporary folder must not cost the file
        pass


def _limit_memory() -> None:
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = mapped + READ_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def load_reader(reader: str):
    """The reader's module, imported on first use; DocumentError when it or a library it needs is missing."""
    module_name = f"indexer.ingest.formats.{reader}"
    label = FORMAT_NAMES.get(reader, reader)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise DocumentError(f"no reader for {label} files in this version") from None
        raise DocumentError(f"the {label} reader needs the Python package {error.name!r}, "
                            "which is not installed") from None


def run_reader(reader: str, data: bytes, source: str) -> Extracted:
    """Run the reader in this process (the child calls this)."""
    return load_reader(reader).read(data, source)
