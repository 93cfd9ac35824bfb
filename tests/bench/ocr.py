"""OCR accuracy against text we know: character error rate per dpi and engine.

    .venv/bin/python tests/bench/ocr.py [--engines rapidocr,tesseract] [--dpi 150,200,300]
                                        [--pages N] [--out DIR]

The pages: pages of the text PDFs in ../shared/formats, and the opening of a national report
from ../shared/corpus typeset to PDF with reportlab's STSong-Light. The truth of each page is its
own text layer. Each page is rendered at each dpi and damaged the way a scan is — turned by under
a degree, blurred, a red seal stamped over the text, saved as JPEG at quality 70 — then
recognised. The error rate is the edit distance between the recognised and the true characters
over the true characters, both NFKC-folded and without whitespace (so a full-width ， read as ,
is no error, a missed or extra character is). Both engines get the page's red channel, as the
reader does. Tesseract is Debian's ``tesseract-ocr`` with ``tesseract-ocr-chi-sim`` (skipped
when absent); RapidOCR is what the reader uses.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
# (file in ../shared/formats, page index): a standard's page (Latin, symbols, a list), report text.
FORMAT_PAGES = [("W020121206499335373486.pdf", 4), ("P020260204573316810122.pdf", 1)]
REPORTS = ["national-reports/2019_2019年中华人民共和国国务院政府工作报告.txt"]
TYPESET_CHARS = 900


def typeset(text: str, path: Path) -> None:
    """One A4 page of ``text`` in STSong-Light 12 pt, a 公文-like layout (title, indents)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    y, size = height - 90, 12.5
    per_line = int((width - 180) // size)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    page.setFont("STSong-Light", 20)
    page.drawCentredString(width / 2, y, lines[0][:24])
    y -= 40
    page.setFont("STSong-Light", size)
    for paragraph in lines[1:]:
        paragraph = "\u3000\u3000" + paragraph
        for start in range(0, len(paragraph), per_line):
            if y < 80:
                break
            page.drawString(90, y, paragraph[start:start + per_line])
            y -= size * 1.8
    page.save()


def page_sources(out: Path, limit: int) -> list[tuple[str, bytes, int]]:
    """(name, PDF bytes, page index) of every page measured."""
    pages = []
    for name, index in FORMAT_PAGES:
        path = SHARED / "formats" / name
        if path.is_file():
            pages.append((f"{name} p{index + 1}", path.read_bytes(), index))
    for report in REPORTS:
        path = SHARED / "corpus" / report
        if path.is_file():
            text = path.read_text(encoding="utf-8")[:TYPESET_CHARS]
            pdf = out / (path.stem[:4] + "-typeset.pdf")
            typeset(text, pdf)
            pages.append((f"{path.stem[:4]} report (typeset)", pdf.read_bytes(), 0))
    return pages[:limit] if limit else pages


def truth(pdf_bytes: bytes, index: int) -> str:
    """The page's own text layer."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        page = pdf[index]
        return page.get_textpage().get_text_range()
    finally:
        pdf.close()


def render(pdf_bytes: bytes, index: int, dpi: int):
    """The page as a white-backed RGB image at ``dpi``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        return pdf[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        pdf.close()


def damage(image, dpi: int, seed: int):
    """What scanning does: a small turn, blur, a red seal over the text, JPEG."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    angle = rng.choice((-1, 1)) * rng.uniform(0.4, 1.0)
    image = image.rotate(angle, resample=Image.BICUBIC, fillcolor="white")
    image = image.filter(ImageFilter.GaussianBlur(0.6 * dpi / 200))
    seal = Image.new("RGB", image.size, "white")
    draw = ImageDraw.Draw(seal)
    radius = int(0.8 * dpi)  # a 4 cm seal
    cx = int(image.width * rng.uniform(0.55, 0.7))
    cy = int(image.height * rng.uniform(0.35, 0.6))
    red = (225, 40, 40)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red,
                 width=max(3, dpi // 25))
    star = [(cx + 0.35 * radius * math.cos(math.radians(90 + k * 144)),
             cy - 0.35 * radius * math.sin(math.radians(90 + k * 144))) for k in range(5)]
    draw.polygon(star, fill=red)
    font_path = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
    try:
        font = ImageFont.truetype(font_path, int(0.16 * radius * 1.5))
        for k, char in enumerate("某某市人民政府办公室"):
            theta = math.radians(200 - k * 25)
            x = cx + 0.72 * radius * math.cos(theta)
            y = cy - 0.72 * radius * math.sin(theta)
            draw.text((x, y), char, fill=red, font=font, anchor="mm")
    except OSError:
        pass  # no CJK font: the ring and the star still cover text
    image = ImageChops.multiply(image, seal)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def normalise(text: str) -> str:
    """NFKC-folded, without whitespace: what the error rate compares."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def rapidocr(image) -> str:
    """The reader's OCR, lines top to bottom."""
    from indexer.ingest import ocr

    return "\n".join(" ".join(piece.text for piece in row)
                     for row in ocr.rows(ocr.recognise(image)))


def tesseract(image) -> str:
    """Debian's Tesseract 5 with the chi_sim model, automatic page segmentation, on the page's
    red channel as the reader gives RapidOCR (a red seal fades there)."""
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        image.convert("RGB").getchannel("R").save(png.name)
        return subprocess.run(["tesseract", png.name, "stdout", "-l", "chi_sim", "--psm", "3"],
                              capture_output=True, text=True, check=True).stdout


ENGINES = {"rapidocr": rapidocr, "tesseract": tesseract}


def main() -> None:
    """Print the error-rate table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--dpi", default="150,200,300")
    parser.add_argument("--pages", type=int, default=0, help="measure only the first N pages")
    parser.add_argument("--out", type=Path, help="keep the damaged images here")
    args = parser.parse_args()
    if not (SHARED / "formats").is_dir():
        sys.exit(f"needs {SHARED / 'formats'}")
    engines = [name for name in args.engines.split(",")
               if name != "tesseract" or shutil.which("tesseract")]
    dpis = [int(d) for d in args.dpi.split(",")]
    with tempfile.TemporaryDirectory() as work:
        pages = page_sources(Path(work), args.pages)
        truths = {name: normalise(truth(data, index)) for name, data, index in pages}
        totals = {}
        for name, data, index in pages:
            for dpi in dpis:
                image = damage(render(data, index, dpi), dpi, seed=hash(name) & 0xFFFF)
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    image.save(args.out / f"{normalise(name)}-{dpi}.jpg")
                for engine in engines:
                    started = time.monotonic()
                    found = normalise(ENGINES[engine](image))
                    seconds = time.monotonic() - started
                    errors = edit_distance(truths[name], found)
                    print(f"{engine:10} {dpi:4} dpi  {name:40} {len(truths[name]):5} chars  "
                          f"CER {errors / max(1, len(truths[name])):6.2%}  {seconds:5.1f} s",
                          flush=True)
                    total = totals.setdefault((engine, dpi), [0, 0, 0.0, 0])
                    total[0] += errors
                    total[1] += len(truths[name])
                    total[2] += seconds
                    total[3] += 1
    print()
    print("| engine | dpi | pages | characters | character error rate | s/page |")
    print("|---|---|---|---|---|---|")
    for (engine, dpi), (errors, chars, seconds, count) in sorted(totals.items()):
        print(f"| {engine} | {dpi} | {count} | {chars:,} | {errors / max(1, chars):.2%} | "
              f"{seconds / count:.1f} |")


if __name__ == "__main__":
    main()
