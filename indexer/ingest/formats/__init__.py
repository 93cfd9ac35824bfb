"""Format readers: one module per file format, each turning a file's bytes into text blocks.

The contract every reader keeps (``documents.py`` chooses the reader and does what all formats
share — cleanup, duplicates, sections, paragraph numbers, metadata from the text):

    read(data: bytes, source: str) -> Extracted

- ``blocks`` are in reading order, one paragraph (or heading, or table row) each, with no line
  breaks inside a paragraph: a reader re-joins lines that only the layout broke.
- ``meta`` holds what the file itself declares (a page's ``<meta>`` tags, gov.cn's metadata table,
  a DOCX's core title…), keyed by the names in ``META_KEYS``; values are plain strings.
- A file that cannot become a document raises ``DocumentError`` with a reason a user reads in
  the build summary ("scanned PDF without a text layer", "encrypted PDF", …).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from indexer.errors import DocumentError

META_KEYS = ("title", "issuer", "doc_number", "date", "published", "source_name")

BODY, TITLE, HEADING, TABLE_ROW = "body", "title", "heading", "table-row"


@dataclass(frozen=True)
class Block:
    """One paragraph, heading or table row of a file, in reading order."""

    text: str
    kind: str = BODY
    level: int = 0  # for headings that a style declares: 1 = top level; 0 = unknown
    confidence: float | None = None  # recognised from an image (OCR): its lines' mean confidence


@dataclass
class Extracted:
    """What a reader found in a file: its blocks and the metadata the file declares."""

    blocks: list[Block]
    meta: dict[str, str] = field(default_factory=dict)
    ocr_pages: int = 0  # pages recognised by OCR for this file (cached ones included)
    ocr_cached: int = 0  # of those, pages the OCR cache already held
    ocr_seconds: float = 0.0  # time spent recognising the others


# A DOCX or OFD is a ZIP: its members may unpack to no more than this (a ZIP bomb stops here).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 10_000


def open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """Open a ZIP-based file after checking its declared sizes; DocumentError when it is no ZIP or a bomb.

    Python's zipfile never inflates a member past its declared size, so checking the declared
    sizes bounds the memory a reader can use.
    """
    if not data.startswith(b"PK"):
        head = data[:512].lstrip().lower()
        what = "an HTML file" if head.startswith((b"<!doctype html", b"<html")) else "not a ZIP archive"
        raise DocumentError(f"not a real {kind} file ({what})")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(f"damaged {kind} file (broken ZIP archive: {exc})") from exc
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(f"{kind} file would unpack to {unpacked:,} bytes in {len(members):,} "
                            f"parts, over the {MAX_UNPACKED_BYTES:,}-byte limit (a ZIP bomb?)")
    return archive


__all__ = ["BODY", "Block", "DocumentError", "Extracted", "HEADING", "META_KEYS", "TABLE_ROW",
           "TITLE", "open_zip"]
