"""Speed of the PDF, DOCX and DOC/WPS readers: files/s, pages/s, blocks/s, and one long PDF.

    python -m tests.bench.office_readers [--formats ../shared/formats] [--repeat 3] [--long-pages 2000]

Each real file is read the way a build reads it: ``readers.extract``, a fresh forked reader
process per file with its limits, and for .doc/.wps a fresh LibreOffice profile (the reader
process makes its own). Each file is read --repeat times, each time like that; the median
counts and the slowest is shown. The long PDF is made with reportlab (--long-pages pages of
Chinese body text) and read once in this process, with the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pypdfium2

from indexer.ingest import readers
from indexer.ingest.formats import DocumentError, msword, pdf

READERS = {".pdf": "pdf", ".docx": "docx", ".doc": "msword", ".wps": "msword"}
DEFAULT_FORMATS = Path(__file__).resolve().parents[2].parent / "shared" / "formats"
PROFILES = "policy-search-libreoffice-*"  # the reader processes' LibreOffice profiles


def _as_a_build_reads(data: bytes, name: str, repeat: int):
    """(median seconds, slowest seconds, blocks or the skip reason) of ``repeat`` reads, each
    in a fresh reader process as a build does it."""
    times, outcome = [], None
    reader = readers.choose_reader(data, name)
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            outcome = len(readers.extract(reader, data, name).blocks)
        except DocumentError as error:
            outcome = f"skipped: {error.reason}"
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], times[-1], outcome


def real_files(folder: Path, repeat: int) -> None:
    """One line per file, then totals per reader (of the median times)."""
    totals: dict[str, list[float]] = {}
    private = tempfile.mkdtemp(prefix="office-readers-")
    tempfile.tempdir = private  # the reader processes' temporary folders go here, counted below
    print(f"{'file':<34} {'pages':>5} {'median s':>8} {'slowest':>8}  result")
    for path in sorted(folder.iterdir()):
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            continue
        data = path.read_bytes()
        pages = len(pypdfium2.PdfDocument(data)) if path.suffix.lower() == ".pdf" else 0
        seconds, slowest, outcome = _as_a_build_reads(data, path.name, repeat)
        print(f"{path.name[:34]:<34} {pages or '':>5} {seconds:8.3f} {slowest:8.3f}  {outcome}")
        row = totals.setdefault(reader, [0, 0, 0.0, 0])
        row[0] += 1
        row[1] += pages
        row[2] += seconds
        row[3] += outcome if isinstance(outcome, int) else 0
    print()
    for name, (files, pages, seconds, blocks) in totals.items():
        per_page = f", {pages / seconds:6.0f} pages/s" if pages else ""
        print(f"{name:<7} {files} files in {seconds:6.3f} s: {files / seconds:7.2f} files/s"
              f"{per_page}, {blocks / seconds:7.0f} blocks/s")
    left = list(Path(private).glob(PROFILES))
    print(f"LibreOffice profiles the reader processes left behind: {len(left)}")
    tempfile.tempdir = None
    shutil.rmtree(private, ignore_errors=True)


def long_pdf(pages: int) -> None:
    """Make a PDF of `pages` pages of Chinese text and read it once."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    line = "坚持以人民为中心的发展思想，推进乡村全面振兴，建设宜居宜业和美乡村。"[:25]
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "long.pdf"
        sheet = canvas.Canvas(str(path), pagesize=A4)
        for number in range(1, pages + 1):
            sheet.setFont("STSong-Light", 16)
            for row in range(22):
                sheet.drawString(72, 760 - row * 28, ("\u3000\u3000" + line[:23]) if row % 5 == 0 else line)
            sheet.setFont("STSong-Light", 10)
            sheet.drawCentredString(297, 30, f"- {number} -")
            sheet.showPage()
        sheet.save()
        data = path.read_bytes()
    start = time.perf_counter()
    blocks = len(pdf.read(data, "long.pdf").blocks)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nlong PDF: {pages} pages ({len(data) / 1e6:.1f} MB) → {blocks} blocks in {seconds:.1f} s "
          f"({pages / seconds:.0f} pages/s); peak memory of this process {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", type=Path, default=DEFAULT_FORMATS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--long-pages", type=int, default=2000)
    args = parser.parse_args()
    if msword.soffice() is None:
        print("note: LibreOffice is not installed; .doc/.wps files show as skipped")
    if args.formats.is_dir():
        real_files(args.formats, args.repeat)
    else:
        print(f"{args.formats} not found: real files skipped")
    if args.long_pages:
        long_pdf(args.long_pages)


if __name__ == "__main__":
    main()
