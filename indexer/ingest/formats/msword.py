"""Legacy Word .doc and WPS .wps files → blocks, by LibreOffice converting them to .docx.

No Python library reads the OLE binary formats well (antiword fails on WPS-saved Chinese files,
catdoc loses text), so LibreOffice headless (Debian ``libreoffice-writer-nogui``) converts the
file and the DOCX reader reads the result: field results without field codes, no deleted
revisions. WPS also saves WordML, HTML or RTF under these names, and a .doc is sometimes a
DOCX; the bytes, not the name, decide how LibreOffice is told to open it.

Each build worker (or process) converts through its own long-lived LibreOffice: the first file
starts ``office_bridge.py`` (under a Python that has Debian's ``uno``), which keeps soffice
running with a profile in ``$TMPDIR/policy-search-libreoffice-<pid>`` and converts each file in
~0.2 s instead of soffice's ~3.5 s start. That folder goes when the worker closes its readers,
when the worker dies (the bridge checks every second), after five idle minutes, and at the next
start when a crash left it behind. Without ``uno`` each file is converted by its own soffice run,
with a profile of its own that is removed after it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.ingest.formats import DocumentError, Extracted
from indexer.ingest.formats import docx as docx_reader

CONVERT_TIMEOUT_SECONDS = 120
START_TIMEOUT_SECONDS = 120
MISSING = "needs LibreOffice (Debian package libreoffice-writer-nogui)"
FOLDER_PREFIX = "policy-search-libreoffice-"
_BRIDGE = Path(__file__).with_name("office_bridge.py")
_jobs = itertools.count()
_uno_python: list[str | None] = []  # found once per process

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read(data: bytes, source: str) -> Extracted:
    """Read a .doc/.wps (or what WPS saved under that name) into blocks via LibreOffice."""
    if data.startswith(b"PK"):
        return docx_reader.read(data, source)
    suffix = _input_suffix(data)
    if soffice() is None:
        raise DocumentError(MISSING)
    converter = _converter()
    if converter is None:
        return _read_with_own_soffice(data, suffix, source)
    job = converter / "jobs" / f"{os.getpid()}-{next(_jobs)}"
    try:
        job.mkdir(parents=True)
        source_file, converted = job / f"input{suffix}", job / "output.docx"
        source_file.write_bytes(data)
        _ask(converter, {"in": str(source_file), "out": str(converted),
                         "filter": "MS Word 2007 XML"})
        if not converted.is_file() or converted.stat().st_size == 0:
            raise DocumentError("damaged Word/WPS file (LibreOffice could not convert it)")
        return docx_reader.read(converted.read_bytes(), source)
    finally:
        shutil.rmtree(job, ignore_errors=True)


def close() -> None:
    """Stop this process's converter and remove its folder (a build worker calls this when done)."""
    folder = _folder(os.getpid())
    if not folder.exists():
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(10)
            connection.connect(str(folder / "socket"))
            connection.sendall(b'{"quit": true}\n')
            connection.recv(1)
    except OSError:
        _kill_office(folder)
    deadline = time.monotonic() + 10
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    shutil.rmtree(folder, ignore_errors=True)


def remove_stale_folders() -> list[str]:
    """Delete converter folders whose process is gone (a crash or SIGKILL left them)."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        owner = folder.name[len(FOLDER_PREFIX):]
        if owner.isdigit():
            try:
                os.kill(int(owner), 0)
                continue
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # another user's live process
        elif time.time() - folder.stat().st_mtime < 3600:
            continue  # an older version's per-file profile, maybe in use
        _kill_office(folder)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def _folder(owner: int) -> Path:
    return Path(tempfile.gettempdir()) / f"{FOLDER_PREFIX}{owner}"


def _owner() -> int:
    # In a reader's child process the converter belongs to the worker that forked it, so that
    # it serves the worker's next files.
    from indexer.ingest import readers

    return readers.CHILD_OF or os.getpid()


def _converter() -> Path | None:
    """This worker's converter folder, started if needed; None when no Python has uno."""
    folder = _folder(_owner())
    if (folder / "socket").exists():
        return folder
    python = _find_uno_python()
    if python is None:
        return None
    remove_stale_folders()
    _kill_office(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    subprocess.Popen([python, str(_BRIDGE), str(folder), str(_owner()), soffice()],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not (folder / "socket").exists():
        if time.monotonic() > deadline or not folder.exists():
            _kill_office(folder)
            shutil.rmtree(folder, ignore_errors=True)
            raise DocumentError("LibreOffice did not start")
        time.sleep(0.05)
    return folder


def _ask(folder: Path, request: dict) -> None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CONVERT_TIMEOUT_SECONDS)
            connection.connect(str(folder / "socket"))
            connection.sendall(json.dumps(request).encode() + b"\n")
            with connection.makefile("r", encoding="utf-8") as stream:
                answer = json.loads(stream.readline() or "{}")
    except socket.timeout:
        _kill_office(folder)  # the bridge then ends and removes its folder
        raise DocumentError(f"LibreOffice did not convert the file within "
                            f"{CONVERT_TIMEOUT_SECONDS} s") from None
    except (OSError, ValueError) as error:
        raise DocumentError(f"LibreOffice stopped while converting the file ({error})") from None
    if "error" in answer or not answer:
        raise DocumentError("damaged Word/WPS file (LibreOffice could not convert it: "
                            f"{answer.get('error', 'no answer')})")


def _kill_office(folder: Path) -> None:
    try:
        os.killpg(int((folder / "office.pid").read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def _find_uno_python() -> str | None:
    """A Python that can import LibreOffice's uno (Debian's python3-uno is for the system Python)."""
    if not _uno_python:
        program = Path(os.path.realpath(soffice())).parent
        candidates = [program / "python", Path("/usr/bin/python3"), Path(sys.executable)]
        found = None
        for python in candidates:
            if python.is_file():
                try:
                    subprocess.run([str(python), "-c", "import uno"], check=True, timeout=30,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                except (OSError, subprocess.SubprocessError):
                    continue
                found = str(python)
                break
        _uno_python.append(found)
    return _uno_python[0]


def _read_with_own_soffice(data: bytes, suffix: str, source: str) -> Extracted:
    with tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX + "run-") as work:
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


def _convert_to_docx(source_file: Path, work_dir: Path) -> Path:
    executable = soffice()
    if executable is None:
        raise DocumentError(MISSING)
    out_dir = work_dir / "out"
    profile = (work_dir / "profile").as_uri()
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
