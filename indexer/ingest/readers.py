"""Choosing a format reader for a file's bytes and running it where a hostile file cannot hurt.

The bytes decide first (PDF magic, a ZIP's members, OLE magic, HTML text), the extension second:
WPS saves HTML under ``.doc``, sites serve HTML as ``.docx``. Each reader runs in a forked child
with a time limit and an address-space limit, so a ZIP bomb, a 2,000-page PDF or a hung converter
costs one skipped file with a named reason, never the build. Reader modules are imported only in
that child, so a missing optional library breaks only its own format.

The limits are ``LIMITS`` (``set_limits`` changes them for a process and the workers it forks);
``register_reader`` adds a reader module for a suffix, as a plug-in or a test would.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import resource
import select
import signal
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable

from indexer.errors import DocumentError
from indexer.ingest import ocr
from indexer.ingest.formats import Extracted

TEXT_SUFFIXES = (".txt", ".md")
READER_BY_SUFFIX = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html",
    ".pdf": "pdf", ".docx": "docx", ".doc": "msword", ".wps": "msword", ".ofd": "ofd",
    ".jpg": "image", ".jpeg": "image", ".png": "image", ".tif": "image", ".tiff": "image",
}
FORMAT_NAMES = {"html": "web page", "pdf": "PDF", "docx": "DOCX", "msword": "Word/WPS", "ofd": "OFD",
                "image": "image"}
# Reader modules outside indexer.ingest.formats (register_reader): name → module path.
_MODULES: dict[str, str] = {}


@dataclass
class Limits:
    """What one reader may take: wall time, extra address space, file size, and time per OCR page."""

    seconds: float = 180  # above msword's own 120 s LibreOffice limit
    memory_bytes: int = 3 * 1024 ** 3  # address space a reader may add to what the build maps
    file_bytes: int = 200 * 1024 * 1024
    # OCR starting on a file, and each page it finishes, give the reader this much more time (a
    # page takes ~5 s on two free cores, minutes on a crowded machine; a 30-page scan is long).
    seconds_per_ocr_page: float = 300


LIMITS = Limits()
# In a reader's child process: the pid of the process that forked it (its build worker).
CHILD_OF: int | None = None

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<table", b"<p>", b"<meta")


def set_limits(seconds: float | None = None, memory_bytes: int | None = None,
               file_bytes: int | None = None, seconds_per_ocr_page: float | None = None) -> None:
    """Change the readers' limits in this process (and the build workers it forks later)."""
    for name, value in (("seconds", seconds), ("memory_bytes", memory_bytes),
                        ("file_bytes", file_bytes), ("seconds_per_ocr_page", seconds_per_ocr_page)):
        if value is not None:
            setattr(LIMITS, name, value)


def register_reader(suffix: str, module: str, label: str | None = None) -> None:
    """Read files ending in ``suffix`` with ``module`` (importable, with ``read(data, source)``)."""
    name = module.rsplit(".", 1)[-1]
    READER_BY_SUFFIX[suffix.lower()] = name
    _MODULES[name] = module
    FORMAT_NAMES[name] = label or name


def choose_reader(data: bytes, name: str) -> str | None:
    """The reader module for a file ("text" for .txt/.md), or None for an unsupported format."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if READER_BY_SUFFIX.get(suffix) in _MODULES:
        return READER_BY_SUFFIX[suffix]
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_reader(data, suffix)
    if data.startswith(_OLE):
        return "msword" if suffix in (".doc", ".wps", ".docx", "") else None
    if data.startswith(_IMAGE_MAGIC):
        return "image" if READER_BY_SUFFIX.get(suffix) == "image" else None
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


def extract(reader: str, data: bytes, source: str,
            on_page: Callable[[int, int], None] | None = None) -> Extracted:
    """Run the named reader on ``data`` in a child process with time and memory limits.

    ``on_page(done, total)`` hears of each page OCR finishes in the child.
    """
    if len(data) > LIMITS.file_bytes:
        raise DocumentError(f"file too large ({len(data):,} bytes, the limit is "
                            f"{LIMITS.file_bytes:,})")
    if not data:
        raise DocumentError("empty file")
    load_reader(reader)  # once per process, before the fork: children then start warm
    # A bare fork, not multiprocessing: build workers are daemonic processes, which
    # multiprocessing forbids to have children.
    read_end, write_end = os.pipe()
    page_read, page_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        os.close(page_read)
        _child(write_end, page_write, reader, data, source)
    os.close(write_end)
    os.close(page_write)
    try:
        payload = _receive(read_end, page_read, on_page)
    finally:
        os.close(read_end)
        os.close(page_read)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    if payload is None:
        raise DocumentError(f"reading took longer than {LIMITS.seconds:g} s")
    if not payload:
        raise DocumentError(f"the {FORMAT_NAMES.get(reader, reader)} reader crashed "
                            f"(exit status {os.waitstatus_to_exitcode(status)})")
    outcome, value = pickle.loads(payload)
    if outcome == "ok":
        return value
    raise DocumentError(value)


def _receive(fd: int, page_fd: int, on_page) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when the deadline passes.

    Each OCR page the child reports on ``page_fd`` moves the deadline on.
    """
    deadline = time.monotonic() + LIMITS.seconds
    chunks, watched, pending = [], [fd, page_fd], b""
    while True:
        remaining = deadline - time.monotonic()
        ready = select.select(watched, [], [], remaining)[0] if remaining > 0 else []
        if not ready:
            return None
        if page_fd in ready:
            report = os.read(page_fd, 4096)
            if not report:
                watched.remove(page_fd)
            *reports, pending = (pending + report).split(b"\n")
            for line in reports:
                done, total = map(int, line.split())
                deadline = max(deadline, time.monotonic() + LIMITS.seconds_per_ocr_page)
                if on_page:
                    on_page(done, total)
        if fd in ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _child(fd: int, page_fd: int, reader: str, data: bytes, source: str) -> None:
    global CHILD_OF
    CHILD_OF = os.getppid()
    ocr.progress = lambda done, total: os.write(page_fd, f"{done} {total}\n".encode())
    try:
        _limit_memory()
        result = ("ok", run_reader(reader, data, source))
    except DocumentError as error:
        result = ("skip", error.reason)
    except MemoryError:
        result = ("skip", f"reading needs more than {LIMITS.memory_bytes // 1024 ** 2:,} MB "
                          "of memory")
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
    limit = mapped + LIMITS.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def load_reader(reader: str):
    """The reader's module, imported on first use; DocumentError when it or a library it needs is missing."""
    module_name = _MODULES.get(reader, f"indexer.ingest.formats.{reader}")
    label = FORMAT_NAMES.get(reader, reader)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise DocumentError(f"no reader for {label} files in this version") from None
        raise DocumentError(f"the {label} reader needs the Python package {error.name!r}, "
                            "which is not installed") from None


def close_readers() -> None:
    """Let loaded readers free what they keep between files (msword's LibreOffice)."""
    for name in ("msword",):
        module = sys.modules.get(f"indexer.ingest.formats.{name}")
        if module is not None:
            module.close()


def run_reader(reader: str, data: bytes, source: str) -> Extracted:
    """Run the reader in this process (the child calls this)."""
    return load_reader(reader).read(data, source)
