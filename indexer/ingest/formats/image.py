"""Image files (.jpg, .jpeg, .png, .tif, .tiff) → blocks, by OCR (``indexer/ingest/ocr.py``).

A photographed or scanned notice is one image; a multi-page TIFF is a scanned file of several
pages. Each page is recognised (or taken from the OCR cache) and its lines go through the PDF
reader's layout rules, so paragraphs, titles and page furniture come out as for a PDF.
"""

from __future__ import annotations

import io
import warnings

from indexer.ingest import ocr
from indexer.ingest.formats import DocumentError, Extracted
from indexer.ingest.formats.pdf import layout_blocks, ocr_lines

# Pillow refuses to decode more pixels than this (a decompression bomb); a 600 dpi A3 scan is
# ~70 M pixels.
MAX_PIXELS = 120_000_000
# Longer sides are scaled down before OCR: the recogniser works at ~2,000 px anyway.
MAX_SIDE = 3600


def read(data: bytes, source: str) -> Extracted:
    """Recognise the text of an image file's page(s) into blocks."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            frames = getattr(image, "n_frames", 1)
    except UnidentifiedImageError as error:
        raise DocumentError("damaged image file (its format cannot be decoded)") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DocumentError(f"image too large to read (over {MAX_PIXELS:,} pixels)") from error
    except (OSError, ValueError, SyntaxError) as error:
        raise DocumentError(f"damaged image file ({error})") from error
    ocr.check_allowed(frames, "image file" if frames == 1 else f"image file of {frames} pages")
    digest = ocr.content_hash(data)
    pages, extracted = [], Extracted(blocks=[])
    if ocr.progress:
        ocr.progress(0, frames)
    for number in range(frames):
        def render(number=number):
            try:
                image.seek(number)
                page = ImageOps.exif_transpose(image).convert("RGB")
            except (OSError, ValueError, SyntaxError) as error:
                raise DocumentError(f"damaged image file (page {number + 1}: {error})") from error
            page.thumbnail((MAX_SIDE, MAX_SIDE))
            return page

        recognised = ocr.page_text(digest, number, render)
        extracted.ocr_pages += 1
        extracted.ocr_cached += recognised.cached
        extracted.ocr_seconds += recognised.seconds
        # Pixels as points: the layout rules measure in units of the text's own size.
        pages.append(ocr_lines(recognised, number, 1.0))
        if ocr.progress:
            ocr.progress(number + 1, frames)
    extracted.ocr_seconds = round(extracted.ocr_seconds, 2)
    if sum(len(line.text) for page in pages for line in page) < 2:
        raise DocumentError("image file: OCR found no text in it")
    extracted.blocks = layout_blocks(pages, "image file")
    return extracted
