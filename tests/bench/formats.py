"""Per-format reading speed over ../shared/formats, and the HTML extractor comparison.

    .venv/bin/python tests/bench/formats.py [--formats DIR] [--repeat N]
    .venv/bin/python tests/bench/formats.py --extractors   # needs the `bench` extra (trafilatura)

The first prints files/s and paragraphs/s per format, reading each file the way a build does
(reader chosen by the bytes, run in a child process, then the shared pipeline). The second runs
the content selectors the HTML reader uses, readability-lxml and trafilatura on the saved pages
and reports, per extractor: pages whose known first body paragraph was found, furniture strings
kept (menus, toolbars, footers, the metadata table), characters returned and ms per page.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexer.ingest.documents import read_document  # noqa: E402
from indexer.errors import DocumentError  # noqa: E402
from indexer.ingest import ocr, readers  # noqa: E402
from indexer.ingest.readers import choose_reader  # noqa: E402

FORMATS = ROOT.parent / "shared" / "formats"
HTML_SUFFIXES = (".htm", ".html", ".shtml", ".xhtml")
# What must not be in an article body: navigation, toolbars, footers, the gov.cn metadata table.
FURNITURE = ("首页", "打印", "关闭", "扫一扫", "版权所有", "ICP", "相关链接", "索引号", "主题分类",
             "网站地图", "无障碍", "登录")
# The first body sentence of each page (checked by hand against the page in a browser).
FIRST_BODY = {
    "art_1599546_58937012.html": "1-10月，全县固定资产投资完成246.79亿元",
    "content_5353307.htm": "为进一步支持海南省试点发展国际医疗旅游相关产业",
    "content_5354222.htm": "你们《关于呈报〈河北雄安新区总体规划",
    "content_5360002.htm": "城镇小区配套建设幼儿园是城镇公共服务设施建设的重要内容",
    "content_5365341.htm": "现将《国家职业教育改革实施方案》印发给你们",
    "content_5365945.htm": "在市场监管领域全面推行“双随机、一公开”监管",
    "content_732656.htm": "第十届全国人民代表大会常务委员会第二十八次会议，听取了财政部部长金人庆",
}


def bench_formats(folder: Path, repeat: int) -> None:
    """Print files/s and paragraphs/s per reader over the files of ``folder``."""
    seconds, files, paragraphs, skipped = (defaultdict(float), defaultdict(int), defaultdict(int),
                                           defaultdict(int))
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        reader = choose_reader(path.read_bytes(), path.name) or "unsupported"
        for _ in range(repeat):
            started = time.perf_counter()
            label = reader
            try:
                document = read_document(path, folder)
                label += " + OCR" if document.ocr_pages else ""
                paragraphs[label] += len(document.paragraphs)
            except DocumentError:
                skipped[label] += 1
            seconds[label] += time.perf_counter() - started
            files[label] += 1
    readers.close_readers()  # the .doc converter's LibreOffice
    print(f"{'format':<14}{'files':>7}{'skipped':>9}{'paragraphs':>12}{'files/s':>10}{'paras/s':>10}")
    for reader in sorted(files):
        total = seconds[reader] or 1e-9
        print(f"{reader:<14}{files[reader]:>7}{skipped[reader]:>9}{paragraphs[reader]:>12}"
              f"{files[reader] / total:>10.1f}{paragraphs[reader] / total:>10.0f}")


def bench_extractors(folder: Path) -> None:
    """Print how each main-content extractor does on the saved web pages of ``folder``."""
    import lxml.html
    from readability import Document as Readability

    from indexer.ingest.formats import html as html_reader

    def selectors(markup: str) -> str:
        page = lxml.html.document_fromstring(markup)
        element = html_reader._content_element(page)
        if element is None:
            marked = html_reader._MARKED_BODY.search(markup)
            return lxml.html.fromstring(f"<div>{marked.group(1)}</div>").text_content() if marked else ""
        return element.text_content()

    def readability(markup: str) -> str:
        return lxml.html.fromstring(Readability(markup).summary(html_partial=True)).text_content()

    extractors = {"selectors (chosen)": selectors, "readability-lxml": readability}
    try:
        import trafilatura

        extractors["trafilatura"] = lambda markup: trafilatura.extract(markup) or ""
    except ImportError:
        print("trafilatura is not installed (pip install -e '.[bench]'): left out")
    pages = {path.name: html_reader.decode(path.read_bytes())
             for path in sorted(folder.iterdir()) if path.suffix.lower() in HTML_SUFFIXES}
    print(f"{len(pages)} pages; a page passes when its first body sentence is found")
    print(f"{'extractor':<20}{'body found':>11}{'furniture kept':>16}{'chars':>8}{'ms/page':>9}")
    for name, extract in extractors.items():
        found = furniture = chars = 0
        started = time.perf_counter()
        for page_name, markup in pages.items():
            try:
                text = extract(markup)
            except Exception:  # noqa: BLE001 - an extractor failing on a page is a result too
                text = ""
            compact = "".join(text.split())
            found += FIRST_BODY.get(page_name, "\x00") in compact
            furniture += sum(word in compact for word in FURNITURE)
            chars += len(compact)
        took = (time.perf_counter() - started) * 1000 / max(1, len(pages))
        print(f"{name:<20}{found:>6}/{len(FIRST_BODY)}{furniture:>16}{chars:>8}{took:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", type=Path, default=FORMATS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--extractors", action="store_true")
    parser.add_argument("--no-ocr", action="store_true", help="scanned files are skipped")
    parser.add_argument("--ocr-cache", type=Path, help="take recognised pages from (and keep "
                        "them in) this folder, as a build does beside its index")
    args = parser.parse_args()
    if not args.formats.is_dir():
        sys.exit(f"no formats folder at {args.formats}")
    ocr.configure(enabled=not args.no_ocr, cache_dir=args.ocr_cache)
    if args.extractors:
        bench_extractors(args.formats)
    else:
        bench_formats(args.formats, args.repeat)


if __name__ == "__main__":
    main()
