"""Legacy Word .doc and WPS .wps files → blocks, by LibreOffice converting them to .docx.

No Python library reads the OLE binary formats well (antiword fails on WPS-saved Chinese files,
catdoc loses text), so LibreOffice headless (Debian ``libreoffice-writer-nogui``) converts the
file and the DOCX reader reads the result: field results without field codes, no deleted
revisions. WPS also saves WordML, HTML or RTF under these names, and a .doc is sometimes a
DOCX; the bytes, not the name, decide how LibreOffice is told to open it.

Each conversion runs with its process's own LibreOffice profile (parallel workers never share
one), an ASCII file name and a timeout. A build reads every file in a fresh reader process
(readers.py), so there each .doc/.wps pays for a new profile, removed by ``release()``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from indexer.ingest.formats import DocumentError, Extracted
from indexer.ingest.formats import docx as docx_reader

CONVERT_TIMEOUT_SECONDS = 120
MISSING = "needs LibreOffice (Debian package libreoffice-writer-nogui)"

_profiles: dict[tuple[int, int], Path] = {}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read(data: bytes, source: str) -> Extracted:
    """Read a .doc/.wps (or what WPS saved under that name) into blocks via LibreOffice."""
    if data.startswith(b"PK"):
        return docx_reader.read(data, source)
    suffix = _input_suffix(data)
    with tempfile.TemporaryDirectory(prefix="policy-search-office-") as work:
        work_dir = Path(work)
        source_file = work_dir / f"input{suffix}"
        source_file.write_bytes(data)
        converted = _convert_to_docx(source_file, work_dir)
        return docx_reader.read(converted.read_bytes(), source)


def soffice() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _input_suffix(data: bytes) -> str:
    """The extension that makes LibreOffice pick the right import filter for these bytes."""
    if data.startswith(_OLE):
        return ".doc"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"{\\rtf"):
        return ".rtf"
    if b"w:worddocument" in head or b"schemas.microsoft.com/office/word/2003/wordml" in head:
        return ".xml"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return ".html"
    raise DocumentError("not a Word or WPS file (neither OLE, DOCX, WordML, RTF nor HTML)")


def _profile_dir() -> Path:
    """This process and thread's own LibreOffice profile, made on first use and removed at exit.

    LibreOffice locks its profile, so two conversions never share one; reusing it within a
    process saves the seconds LibreOffice spends creating a fresh profile (a build's reader
    processes read one file each, so they do not).
    """
    key = (os.getpid(), threading.get_ident())
    if key not in _profiles:
        _profiles[key] = Path(tempfile.mkdtemp(prefix="policy-search-libreoffice-"))
        atexit.register(shutil.rmtree, _profiles[key], True)
    return _profiles[key]


def release() -> None:
    """Remove the LibreOffice profiles this process made: a reader process ends with
    ``os._exit``, which runs no atexit handler (readers.py calls this before it)."""
    for key in [key for key in _profiles if key[0] == os.getpid()]:
        shutil.rmtree(_profiles.pop(key), ignore_errors=True)


def _convert_to_docx(source_file: Path, work_dir: Path) -> Path:
    executable = soffice()
    if executable is None:
        raise DocumentError(MISSING)
    out_dir = work_dir / "out"
    profile = _profile_dir().as_uri()
    command = [executable, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--nolockcheck", "--nologo", "--convert-to", "docx:MS Word 2007 XML",
               "--outdir", str(out_dir), str(source_file)]
    # Its own session, so that a timeout ends soffice.bin too, not only the launcher.
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=CONVERT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise DocumentError(f"LibreOffice did not convert the file within "
                            f"{CONVERT_TIMEOUT_SECONDS} s") from exc
    converted = out_dir / f"{source_file.stem}.docx"
    if not converted.is_file() or converted.stat().st_size == 0:
        raise DocumentError("damaged Word/WPS file (LibreOffice could not convert it)")
    return converted
