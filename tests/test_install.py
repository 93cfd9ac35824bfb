"""A normal install: the wheel built from this checkout, installed into a fresh venv outside it.

The editable install the other tests use reads the package from the work tree, so it cannot see
a subpackage or a data file the wheel leaves out. This test builds the sdist and the wheel with
``python -m build``, installs the wheel into a new venv in ``tmp_path`` and runs the installed
command from a folder outside the repository: ``--version``, an index of one file of each
supported format, a search, and ``serve`` answering ``/api/search``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PHRASE = "安装检验"  # a word no other text uses, one paragraph per file
pytestmark = pytest.mark.timeout(900)


def _ofd(text_lines: list[str]) -> bytes:
    """A one-page OFD (GB/T 33190) whose text objects are the given lines, top to bottom."""
    objects = "".join(
        f'<ofd:TextObject ID="{10 + n}" Font="1" Size="5.6" Boundary="30 {40 + 10 * n} 150 8">'
        f'<ofd:TextCode X="0" Y="5">{line}</ofd:TextCode></ofd:TextObject>'
        for n, line in enumerate(text_lines))
    parts = {
        "OFD.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
                   'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID>'
                   '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016">'
                              '<ofd:CommonData><ofd:MaxUnitID>99</ofd:MaxUnitID><ofd:PageArea>'
                              '<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                              '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>'
                              '<ofd:Page ID="2" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/PublicRes.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" '
                               'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/>'
                               '</ofd:Fonts></ofd:Res>',
        "Doc_0/Pages/Page_0/Content.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
                                          '<ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area>'
                                          f'<ofd:Content><ofd:Layer ID="3">{objects}</ofd:Layer></ofd:Content></ofd:Page>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml.encode("utf-8"))
    return buffer.getvalue()


def _corpus(folder: Path) -> dict[str, str]:
    """One file of each supported format, each with one paragraph naming PHRASE; name → title."""
    import docx
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    folder.mkdir()
    body = f"本段用于{PHRASE}，确认安装后的程序能够读取这种格式。"
    titles = {}
    (folder / "2024_文本格式报告.txt").write_text(f"2024年文本格式报告\n\n{body}\n", encoding="utf-8")
    titles["2024_文本格式报告.txt"] = "2024年文本格式报告"
    (folder / "2024_标记格式报告.md").write_text(f"# 2024年标记格式报告\n\n{body}\n", encoding="utf-8")
    titles["2024_标记格式报告.md"] = "2024年标记格式报告"
    (folder / "2024_网页格式通知.html").write_text(
        f"<html><head><meta charset='utf-8'><title>2024年网页格式通知</title></head><body>"
        f"<h1>2024年网页格式通知</h1><p>{body}</p></body></html>", encoding="utf-8")
    titles["2024_网页格式通知.html"] = "2024年网页格式通知"
    document = docx.Document()
    document.add_paragraph("2024年文字处理格式通知")
    document.add_paragraph(body)
    document.save(folder / "2024_文字处理格式通知.docx")
    titles["2024_文字处理格式通知.docx"] = "2024年文字处理格式通知"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    sheet = canvas.Canvas(str(folder / "2024_版式格式通知.pdf"), pagesize=A4)
    sheet.setFont("STSong-Light", 18)
    sheet.drawString(150, 760, "2024年版式格式通知")
    sheet.setFont("STSong-Light", 12)
    sheet.drawString(90, 700, body)
    sheet.save()
    titles["2024_版式格式通知.pdf"] = "2024年版式格式通知"
    (folder / "2024_电子公文格式通知.ofd").write_bytes(_ofd(["2024年电子公文格式通知", body]))
    titles["2024_电子公文格式通知.ofd"] = "2024年电子公文格式通知"
    return titles


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``policy-search`` command of a wheel of this checkout, installed into a fresh venv."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    # Build from a copy of the tracked files, as a clean clone would, so nothing of the work tree
    # (an editable install's egg-info, caches) can stand in for what the wheel should carry.
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if not (ROOT / name).is_file():
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(source)],
                   check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("policy_search-*.whl"))
    sdist = next(dist.glob("policy_search-*.tar.gz"))
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        sdist_names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("indexer/ingest/formats/pdf.py", "indexer/data/policy_terms.txt",
                 "webapp/templates/search.html", "webapp/static/style.css"):
        assert name in wheel_names, f"the wheel lacks {name}"
        assert name in sdist_names, f"the sdist lacks {name}"
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    return venv / "bin" / "policy-search"


def _run(command: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("POLICY_SEARCH_")}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(command), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_installed_command_indexes_every_format_searches_and_serves(installed, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    titles = _corpus(outside / "corpus")

    version = _run(installed, "--version", cwd=outside)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "policy-search, version 0.1.0"

    index = outside / "index"
    built = _run(installed, "index", "--corpus", "corpus", "--index", str(index), "-q", cwd=outside)
    assert built.returncode == 0, built.stderr[-3000:]

    shown = _run(installed, "show", "--all", "--json", "--index", str(index), cwd=outside)
    assert shown.returncode == 0, shown.stderr
    documents = {doc["source"]: doc["title"] for doc in map(json.loads, shown.stdout.splitlines())}
    assert documents == titles

    found = _run(installed, "search", PHRASE, "--json", "--index", str(index), cwd=outside)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] == 6
    assert sorted(hit["title"] for hit in result["hits"]) == sorted(titles.values())

    port = _free_port()
    server = subprocess.Popen(
        [str(installed), "serve", "--corpus", "corpus", "--index", str(index), "--port", str(port)],
        cwd=outside, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={key: value for key, value in os.environ.items() if not key.startswith("POLICY_SEARCH_")})
    try:
        url = f"http://127.0.0.1:{port}/api/search?q={urllib.request.quote(PHRASE)}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    answer = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert answer["total"] == 6
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q={urllib.request.quote(PHRASE)}",
                                    timeout=10) as response:
            page = response.read().decode("utf-8")
        assert "2024年电子公文格式通知" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
