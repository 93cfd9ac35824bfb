"""A hostile corpus folder: every bad file is skipped with a named reason, every good one is
indexed and findable, and names full of markup render inert in every page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from indexer import SearchEngine, build_index
from test_web import assert_no_injection

REPO_ROOT = Path(__file__).resolve().parents[1]
NESTING = 50
BIG_LINE_BYTES = 50 * 1024 * 1024
# One sentence repeated to 50 MB on a single line. Every byte goes through decoding, cleanup and
# line splitting, and the duplicate remover then keeps one copy of the repeated 1000-character
# paragraph. Fifty megabytes of *distinct* text would be ~19,000 paragraphs to index: about two
# minutes on our 2 cores, over the CI budget; the distinct long line below covers that path.
BIG_LINE_SENTENCE = "坚持稳中求进工作总基调，推动经济实现质的有效提升和量的合理增长。"
DISTINCT_LINE_SENTENCES = 4000  # ~170 KB of distinct sentences on one line: 68 paragraphs

# source → the word only that file contains (good files; each must be found by its word).
GOOD = {
    "普通报告.md": "甲壹独有标记",
    "名字 有 空格 .txt": "乙贰独有标记",
    "中文目录/中文名称的文件.txt": "丙叁独有标记",
    "\"quoted\" 'name'.txt": "丁肆独有标记",
    "<script>alert(1).txt": "戊伍独有标记",
    "\"><img src=x onerror=alert(1)>.md": "己陆独有标记",
    "javascript:alert(1).md": "庚柒独有标记",
    "/".join(f"d{n:02d}" for n in range(NESTING)) + "/深层文件.txt": "辛捌独有标记",
    "single-line-50mb.txt": "壬玖开头标记",
    "distinct-long-line.txt": "癸拾开头标记",
}
BIG_LINE_END = "壬玖结尾标记"
DISTINCT_LINE_END = "癸拾结尾标记"
# source → the exact reason the build gives for skipping it.
SKIPPED = {
    "binary.txt": "binary file (NUL bytes)",
    "empty.txt": "empty file",
    "undecodable.txt": "cannot decode as UTF-8, UTF-16 or GB18030",
    "nul-in-text.txt": "binary file (NUL bytes)",
    "whitespace-only.md": "empty file (whitespace only)",
    "loop-a.txt": "unreadable: Too many levels of symbolic links",
    "loop-b.txt": "unreadable: Too many levels of symbolic links",
    "vanished.txt": "unreadable: No such file or directory",
}
MARKUP_TITLES = {
    "<script>alert(1).txt": "<script>alert(1)",
    "\"><img src=x onerror=alert(1)>.md": "\"><imgsrc=xonerror=alert(1)>",
    "javascript:alert(1).md": "javascript:alert(1)",
}


def write_hostile_corpus(corpus: Path) -> None:
    for source, word in GOOD.items():
        path = corpus / source
        path.parent.mkdir(parents=True, exist_ok=True)
        # No title line: the title comes from the file name, markup and all.
        path.write_text(f"本文件用于强化测试，其中的独有词是{word}。\n\n第二段说明文件内容完整。\n",
                        encoding="utf-8")
    with (corpus / "single-line-50mb.txt").open("wb") as big:
        head = f"{GOOD['single-line-50mb.txt']}。".encode()
        tail = f"{BIG_LINE_END}。".encode()
        sentence = BIG_LINE_SENTENCE.encode()
        repeats = (BIG_LINE_BYTES - len(head) - len(tail)) // len(sentence)
        big.write(head)
        big.write(sentence * repeats)
        big.write(tail)
    (corpus / "distinct-long-line.txt").write_text(
        f"{GOOD['distinct-long-line.txt']}。"
        + "".join(f"第{n}项措施推动区域协调发展。" for n in range(DISTINCT_LINE_SENTENCES))
        + f"{DISTINCT_LINE_END}。", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "empty.txt").write_bytes(b"")
    # Not UTF-8, not GB18030, and no BOM (a leading FF FE would be read as UTF-16).
    (corpus / "undecodable.txt").write_bytes(b"\x80\x81 not text \xff" * 10)
    (corpus / "nul-in-text.txt").write_bytes("政策文本\x00中间有空字符。".encode())
    (corpus / "whitespace-only.md").write_text(" \n\u3000\n\t\n", encoding="utf-8")
    os.symlink("loop-b.txt", corpus / "loop-a.txt")
    os.symlink("loop-a.txt", corpus / "loop-b.txt")
    # Listed, then gone when read: what a file deleted between listing and reading looks like.
    os.symlink("deleted-before-reading.txt", corpus / "vanished.txt")
    # A directory loop: followed once, never forever.
    os.symlink("..", corpus / "中文目录" / "back-to-top")
    os.symlink(".", corpus / "d00" / "myself")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile corpus, its index, and the summary and seconds of building it."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    write_hostile_corpus(corpus)
    index = tmp_path_factory.mktemp("hostile-index")
    started = time.monotonic()
    summary = build_index(corpus, index)
    return corpus, index, summary, time.monotonic() - started


def test_every_bad_file_is_skipped_with_its_reason(hostile):
    _, _, summary, _ = hostile
    assert summary.skipped == [{"source": source, "reason": reason}
                               for source, reason in sorted(SKIPPED.items())]


def test_every_good_file_is_indexed_once_and_nothing_else(hostile):
    _, index, summary, seconds = hostile
    assert (summary.mode, summary.documents, summary.added) == ("full", len(GOOD), len(GOOD))
    stats = SearchEngine(index).stats()
    assert stats["documents"] == len(GOOD)
    # Directory loops are entered once: no document is indexed twice under a looped path.
    sources = sorted(SearchEngine(index).document(d["doc_id"])["source"] for d in stats["docs"])
    assert sources == sorted(GOOD)
    assert seconds < 120, f"the hostile build took {seconds:.0f} s"


@pytest.mark.parametrize("source", sorted(GOOD))
def test_each_good_file_is_found_by_its_own_word(hostile, source):
    _, index, _, _ = hostile
    engine = SearchEngine(index)
    result = engine.search(GOOD[source], mode="exact")
    assert result["total"] == 1
    assert engine.document(result["hits"][0]["doc_id"])["source"] == source


def test_long_single_lines_keep_both_ends(hostile):
    _, index, _, _ = hostile
    engine = SearchEngine(index)
    for start, end, paragraphs in ((GOOD["single-line-50mb.txt"], BIG_LINE_END, 3),
                                   (GOOD["distinct-long-line.txt"], DISTINCT_LINE_END, 68)):
        first = engine.search(start, mode="exact")["hits"][0]
        last = engine.search(end, mode="exact")["hits"][0]
        assert first["doc_id"] == last["doc_id"]
        document = engine.document(first["doc_id"])
        assert (first["para"], last["para"], len(document["paragraphs"])) == (1, paragraphs, paragraphs)
        assert max(len(p["text"]) for p in document["paragraphs"]) <= 1000
    middle = engine.search(f"第{DISTINCT_LINE_SENTENCES // 2}项措施", mode="exact")
    assert middle["total"] == 1


def test_cli_update_names_every_skipped_file_and_keeps_the_rest(hostile):
    corpus, index, _, _ = hostile
    result = subprocess.run(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index),
         "--quiet"], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"incremental build: {len(GOOD)} documents, ")
    assert lines[1] == f"  added 0, changed 0, removed 0, unchanged {len(GOOD)}"
    assert lines[2:] == [f"  skipped {source}: {reason}" for source, reason in sorted(SKIPPED.items())]
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- markup in file names


@pytest.fixture(scope="module")
def hostile_client(hostile):
    from webapp import create_app
    corpus, index, _, _ = hostile
    app = create_app({"INDEX_DIR": str(index), "CORPUS_DIR": str(corpus), "PAGE_SIZE": 10,
                      "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("source", sorted(MARKUP_TITLES))
def test_markup_in_file_names_is_inert_everywhere(hostile_client, source):
    word = GOOD[source]
    api = hostile_client.get("/api/search?q=" + quote(word)).get_json()
    hit = api["hits"][0]
    assert hit["title"] == MARKUP_TITLES[source]
    doc_id = hit["doc_id"]
    title = MARKUP_TITLES[source]
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    urls = ["/search?q=" + quote(word),                      # results: title, snippet, facets
            "/search?q=" + quote(word) + "&doc=" + doc_id,  # the active document filter
            f"/doc/{doc_id}", f"/doc/{doc_id}?q=" + quote(word),
            "/search?q=" + quote(title),                    # the title as a query, echoed
            "/search?q=" + quote(title) + "&page=0",        # ... in an error page
            "/doc/" + quote(title, safe="")]                 # ... as a 404 id
    for url in urls:
        response = hostile_client.get(url)
        assert response.status_code in (200, 400, 404), url
        body = response.get_data(as_text=True)
        assert_no_injection(body)
        assert title not in body or title == "javascript:alert(1)", url
    assert escaped in hostile_client.get("/search?q=" + quote(word)).get_data(as_text=True)
    assert escaped in hostile_client.get(f"/doc/{doc_id}").get_data(as_text=True)
