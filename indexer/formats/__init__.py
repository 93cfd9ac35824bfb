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

from dataclasses import dataclass, field

from ..errors import DocumentError

META_KEYS = ("title", "issuer", "doc_number", "date", "published", "source_name")

BODY, TITLE, HEADING, TABLE_ROW = "body", "title", "heading", "table-row"


@dataclass(frozen=True)
class Block:
    """One paragraph, heading or table row of a file, in reading order."""

    text: str
    kind: str = BODY
    level: int = 0  # for headings that a style declares: 1 = top level; 0 = unknown


@dataclass
class Extracted:
    """What a reader found in a file: its blocks and the metadata the file declares."""

    blocks: list[Block]
    meta: dict[str, str] = field(default_factory=dict)


__all__ = ["BODY", "Block", "DocumentError", "Extracted", "HEADING", "META_KEYS", "TABLE_ROW",
           "TITLE"]
