"""Optical character recognition of scanned pages, offline, with a cache by the file's content.

RapidOCR (``rapidocr-onnxruntime``: PaddleOCR's PP-OCRv4 Chinese models inside the wheel, run
by ONNX Runtime) reads a page image into lines with boxes and confidences; nothing is
downloaded at run time. It was chosen over Debian's Tesseract ``chi_sim`` by accuracy on the
same damaged pages (docs/scans.md has the table).

A build configures this module once, before its workers fork (``configure``): whether OCR runs
at all, how many pages of one file it may recognise, and the cache folder beside the index.
Each recognised page is stored there under the file's SHA-256, the page and the engine's
version, so a page is never recognised twice, across builds too. Readers report each page to
``progress`` (readers.py passes it to the build, which counts pages and extends the file's
time limit while pages keep coming).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from indexer.errors import DocumentError

ENGINE = "rapidocr-onnxruntime 1.4.4 PP-OCRv4, red channel"  # part of the cache key: a new model reads anew
RENDER_DPI = 200  # docs/scans.md: 200 dpi reads as well as 300 at half the time
DEFAULT_MAX_PAGES = 30  # a longer scan is a named skip unless --ocr-pages allows more
MIN_CONFIDENCE = 0.5  # lines RapidOCR itself scores lower are noise (specks, seal fragments)
CACHE_FOLDER = "ocr-cache"


@dataclass
class Settings:
    """What a build allows OCR to do; set in the build process, inherited by its workers."""

    enabled: bool = True
    max_pages: int = DEFAULT_MAX_PAGES
    cache_dir: Path | None = None


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, its box in image pixels and RapidOCR's confidence."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float


@dataclass
class PageText:
    """A recognised page: its lines, the image size and whether the cache held it."""

    lines: list[OcrLine]
    width: int
    height: int
    cached: bool = False
    seconds: float = 0.0


SETTINGS = Settings()
_engine = None
# Set by readers.py in a reader's child: called with (pages done, pages to do) when OCR starts
# on a file and after each page, to tell the build.
progress: Callable[[int, int], None] | None = None


def configure(enabled: bool = True, max_pages: int = DEFAULT_MAX_PAGES,
              cache_dir: Path | None = None) -> None:
    """Set what OCR may do in this process and the workers it forks."""
    if max_pages < 0:
        raise ValueError("the OCR page limit cannot be negative")
    SETTINGS.enabled, SETTINGS.max_pages = enabled, max_pages
    SETTINGS.cache_dir = Path(cache_dir) if cache_dir else None


def check_allowed(pages: int, what: str) -> None:
    """DocumentError when OCR is off or ``pages`` exceed the per-file limit."""
    if not SETTINGS.enabled:
        raise DocumentError(f"{what}: needs OCR, which is off (--no-ocr)")
    if pages > SETTINGS.max_pages:
        raise DocumentError(f"{what}: {pages} pages to recognise, over the limit of "
                            f"{SETTINGS.max_pages} a file (--ocr-pages)")


def engine():
    """This process's RapidOCR, loaded on first use (after fork: ONNX Runtime's threads do not survive one)."""
    global _engine
    if _engine is None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as error:
            raise DocumentError("OCR needs the Python package 'rapidocr-onnxruntime', "
                                "which is not installed") from error
        # No angle classifier: it only tells upright lines from upside-down ones, and costs time.
        _engine = RapidOCR(use_cls=False, print_verbose=False)
    return _engine


def recognise(image) -> list[OcrLine]:
    """The lines of a page image (PIL image), top to bottom, without low-confidence noise.

    The page is read in its red channel: a red seal stamped over the text (on every signature
    of a 公文) turns pale there while black and blue ink stay dark. On damaged pages this cut
    the error rate from 6.9% to 0.7% (docs/scans.md); the price is that red print, such as a
    red head's 某某文件 line, is not read.
    """
    import numpy as np

    red = np.asarray(image.convert("RGB").getchannel("R"))
    result, _ = engine()(np.dstack([red, red, red]))
    lines = []
    for box, text, confidence in result or []:
        xs, ys = [point[0] for point in box], [point[1] for point in box]
        text = text.strip()
        if text and float(confidence) >= MIN_CONFIDENCE:
            lines.append(OcrLine(text, float(min(xs)), float(min(ys)), float(max(xs)),
                                 float(max(ys)), round(float(confidence), 4)))
    lines.sort(key=lambda line: (line.y0 + line.y1) / 2)
    return lines


def rows(found: list[OcrLine]) -> list[list[OcrLine]]:
    """Recognised pieces on one height of the page (a signature's name and date, split by a
    wide gap) as one row, left to right."""
    grouped: list[list[OcrLine]] = []
    for piece in sorted(found, key=lambda line: (line.y0 + line.y1) / 2):
        middle, height = (piece.y0 + piece.y1) / 2, piece.y1 - piece.y0
        if grouped:
            last = grouped[-1]
            last_middle = statistics.fmean((p.y0 + p.y1) / 2 for p in last)
            if abs(middle - last_middle) < 0.35 * max(height, last[0].y1 - last[0].y0) \
                    and all(piece.x0 >= p.x1 or piece.x1 <= p.x0 for p in last):
                last.append(piece)
                continue
        grouped.append([piece])
    return [sorted(row, key=lambda line: line.x0) for row in grouped]


def page_text(content_hash: str, page: int, render: Callable[[], object]) -> PageText:
    """Page ``page`` of the file with ``content_hash``: from the cache, or rendered and recognised."""
    cached = _load(content_hash, page)
    if cached is not None:
        return cached
    started = time.monotonic()
    image = render()
    lines = recognise(image)
    result = PageText(lines, image.width, image.height, seconds=time.monotonic() - started)
    _store(content_hash, page, result)
    return result


def content_hash(data: bytes) -> str:
    """The cache's name for a file: the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def _cache_file(content_hash: str, page: int) -> Path | None:
    if SETTINGS.cache_dir is None:
        return None
    engine_key = hashlib.sha1(f"{ENGINE} {RENDER_DPI} {MIN_CONFIDENCE}".encode()).hexdigest()[:8]
    return SETTINGS.cache_dir / content_hash[:2] / f"{content_hash}-{engine_key}-p{page}.json"


def _load(content_hash: str, page: int) -> PageText | None:
    path = _cache_file(content_hash, page)
    if path is None:
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        lines = [OcrLine(*line) for line in record["lines"]]
        return PageText(lines, record["width"], record["height"], cached=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: recognise again


def _store(content_hash: str, page: int, result: PageText) -> None:
    path = _cache_file(content_hash, page)
    if path is None:
        return
    record = {"engine": ENGINE, "width": result.width, "height": result.height,
              "lines": [[line.text, line.x0, line.y0, line.x1, line.y1, line.confidence]
                        for line in result.lines]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a worker killed mid-write leaves no half record.
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         prefix=".tmp-", suffix=".json") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only or full disk costs the cache, not the document
