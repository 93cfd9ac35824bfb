"""The readers' limits, for real: a reader that hangs, one that allocates too much, one that dies,
and a file over the size limit are each a named skip, and the build goes on with the rest. And
LibreOffice's converter leaves no folder behind, after a build or a crash.

A test-only reader module (written to tmp_path, registered for ``.probe`` files) does what each
file's first word asks; the limits are set small for the test and restored after it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from indexer.embedded.build import build_index
from indexer.embedded.engine import SearchEngine
from indexer.ingest import readers
from indexer.ingest.formats import msword

PROBE_READER = '''
import os
import signal
import time

from indexer.ingest.formats import Block, Extracted


def read(data, source):
    word = data.split()[0]
    if word == b"hang":
        time.sleep(3600)
    elif word == b"allocate":
        hog = bytearray(2 * 1024 ** 3)  # 2 GiB: past a 256 MB limit
        hog[::4096] = b"x" * len(hog[::4096])
    elif word == b"die":
        os.kill(os.getpid(), signal.SIGKILL)
    return Extracted(blocks=[Block("探针文件正常读完。")])
'''


@pytest.fixture()
def probe_reader(tmp_path, monkeypatch):
    """``.probe`` files read by the test reader, with a 3 s, 256 MB, 4 KB reader limit."""
    module_dir = tmp_path / "modules"
    module_dir.mkdir()
    (module_dir / "probe_reader.py").write_text(textwrap.dedent(PROBE_READER), encoding="utf-8")
    monkeypatch.syspath_prepend(str(module_dir))
    saved_limits, saved_suffixes = asdict(readers.LIMITS), dict(readers.READER_BY_SUFFIX)
    readers.register_reader(".probe", "probe_reader", "probe")
    readers.set_limits(seconds=3, memory_bytes=256 * 1024 ** 2, file_bytes=4096)
    yield tmp_path / "corpus"
    readers.set_limits(**saved_limits)
    readers.READER_BY_SUFFIX.clear()
    readers.READER_BY_SUFFIX.update(saved_suffixes)
    sys.modules.pop("probe_reader", None)


def _build_with(corpus, files: dict[str, bytes], index):
    corpus.mkdir(exist_ok=True)
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    (corpus / "fine.probe").write_bytes(b"fine")
    summary = build_index(corpus, index, full=True)
    # The build went on: the good file is in the index.
    assert summary.documents == 1
    assert SearchEngine(index).search("探针文件正常读完", mode="exact")["total"] == 1
    return {skipped["source"]: skipped["reason"] for skipped in summary.skipped}


@pytest.mark.timeout(120)
def test_a_reader_that_hangs_is_stopped_at_the_time_limit(probe_reader, tmp_path):
    skipped = _build_with(probe_reader, {"hangs.probe": b"hang"}, tmp_path / "index")
    assert skipped == {"hangs.probe": "reading took longer than 3 s"}


@pytest.mark.timeout(120)
def test_a_reader_that_allocates_past_the_memory_limit_is_stopped(probe_reader, tmp_path):
    skipped = _build_with(probe_reader, {"hog.probe": b"allocate"}, tmp_path / "index")
    assert skipped == {"hog.probe": "reading needs more than 256 MB of memory"}


@pytest.mark.timeout(120)
def test_a_reader_that_dies_is_a_named_skip(probe_reader, tmp_path):
    skipped = _build_with(probe_reader, {"dies.probe": b"die"}, tmp_path / "index")
    assert skipped == {"dies.probe": "the probe reader crashed (exit status -9)"}


@pytest.mark.timeout(120)
def test_a_file_over_the_size_limit_is_not_read(probe_reader, tmp_path):
    skipped = _build_with(probe_reader, {"big.probe": b"fine " + b"x" * 5000}, tmp_path / "index")
    assert skipped == {"big.probe": "file too large (5,005 bytes, the limit is 4,096)"}


# ---------------------------------------------------------------- LibreOffice's converter

needs_libreoffice = pytest.mark.skipif(
    msword.soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) is not installed")


def _converter_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{msword.FOLDER_PREFIX}*")}


@pytest.fixture(scope="module")
def doc_corpus(tmp_path_factory) -> Path:
    """Two .doc files LibreOffice makes from DOCX files written here."""
    import docx

    work = tmp_path_factory.mktemp("doc-sources")
    corpus = tmp_path_factory.mktemp("doc-corpus")
    for name, title in (("one", "关于加强档案管理的通知"), ("two", "关于做好防汛工作的通知")):
        word = docx.Document()
        word.add_paragraph(title)
        word.add_paragraph("各单位要高度重视，认真落实。")
        word.save(work / f"{name}.docx")
    subprocess.run([msword.soffice(), f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless", "--convert-to", "doc", "--outdir", str(corpus),
                    str(work / "one.docx"), str(work / "two.docx")],
                   check=True, capture_output=True, timeout=300)
    return corpus


@needs_libreoffice
@pytest.mark.timeout(600)
def test_a_build_leaves_no_libreoffice_folders_and_clears_a_crashed_ones(doc_corpus, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid no process has: what a crashed build leaves in a folder's name
    stale = Path(tempfile.gettempdir()) / f"{msword.FOLDER_PREFIX}{dead.pid}"
    (stale / "profile").mkdir(parents=True)
    before = _converter_folders() - {stale.name}
    summary = build_index(doc_corpus, tmp_path / "index", full=True)
    assert summary.skipped == []
    assert summary.documents == 2
    assert not stale.exists()
    assert _converter_folders() - before == set()


CRASHING_READ = """
import os, signal, sys
from pathlib import Path
from indexer.ingest.documents import read_document
corpus = Path(sys.argv[1])
read_document(corpus / "one.doc", corpus)
print(os.getpid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@needs_libreoffice
@pytest.mark.timeout(600)
def test_the_converter_of_a_killed_process_removes_its_folder(doc_corpus):
    crashed = subprocess.run([sys.executable, "-c", CRASHING_READ, str(doc_corpus)],
                             capture_output=True, text=True, timeout=500)
    assert crashed.returncode == -9
    folder = Path(tempfile.gettempdir()) / f"{msword.FOLDER_PREFIX}{crashed.stdout.strip()}"
    deadline = time.monotonic() + 30  # the converter looks for its owner every second
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not folder.exists()
