"""Exporting a whole result list: CSV (UTF-8 with a BOM, so Excel reads it right) or JSON lines.

The rows are the search's hits in the order the result pages show them — both groups, the
query's own hits and then the expansion group — read ``CHUNK`` at a time and written as they
come, so memory stays flat. An export holds at most ``MAX_ROWS`` rows (the first ones);
``Export.truncated`` says when the search had more.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import urlencode

from indexer.search.expansion import highlight_query

MAX_ROWS = 10_000
CHUNK = 500
FORMATS = ("csv", "jsonl")
COLUMNS = ("document", "title", "year", "issuer", "section", "paragraph", "text", "group",
           "link")
BOM = "\ufeff"

Link = Callable[[dict], str]


def document_link(query: str, mode: str = "words", base: str = "") -> Link:
    """A function giving a hit's document-page link (``base`` + the path the web pages use)."""
    def link(hit: dict) -> str:
        params = {"q": highlight_query(query, hit.get("matched_by", []))}
        params |= {"mode": mode} if mode != "words" else {}
        return f"{base}/doc/{hit['doc_id']}?{urlencode(params)}#p{hit['para']}"
    return link


@dataclass
class Export:
    """A started export: the total is known before the first row is written."""

    total: int
    rows: int
    first: dict
    fetch: Callable[[int], dict] = field(repr=False)
    release: Callable[[], None] = field(repr=False, default=lambda: None)

    @property
    def truncated(self) -> bool:
        """Whether the search had more hits than the export holds."""
        return self.total > self.rows

    def hits(self) -> Iterator[dict]:
        """Every exported hit, in result order."""
        try:
            yield from self._pages()
        finally:
            self.release()

    def _pages(self) -> Iterator[dict]:
        written, page, result = 0, 1, self.first
        while True:
            for hit in result["hits"]:
                if written == self.rows:
                    return
                yield hit
                written += 1
            if written >= self.rows or not result["hits"]:
                return
            page += 1
            result = self.fetch(page)


def start(engine, query: str, limit: int = MAX_ROWS, chunk: int = CHUNK,
          **search_kwargs) -> Export:
    """Run the search's first chunk of ``chunk`` hits (a bad query raises here, before anything
    is written). Every chunk reads the generation live now, whatever a rebuild publishes
    while the export is written."""
    search_kwargs = {k: v for k, v in search_kwargs.items() if k not in ("page", "per_page")}
    pin = engine.pin()

    def fetch(page: int) -> dict:
        with engine.reading(pin):
            return engine.search(query, page=page, per_page=chunk, **search_kwargs)

    try:
        first = fetch(1)
    except BaseException:
        pin.close()
        raise
    return Export(first["total"], min(first["total"], limit), first, fetch, pin.close)


def row(hit: dict, link: Link) -> dict:
    """One export row (the keys of ``COLUMNS``)."""
    return {"document": hit["doc_id"], "title": hit.get("title", ""), "year": hit.get("year"),
            "issuer": hit.get("issuer") or "", "section": hit.get("section", ""),
            "paragraph": hit["para"], "text": hit["text"], "group": hit.get("group", "query"),
            "link": link(hit)}


def csv_chunks(export: Export, link: Link, rows_per_piece: int = 100) -> Iterator[str]:
    """The CSV text in pieces: BOM and header first, then ``rows_per_piece`` rows a piece."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for number, hit in enumerate(export.hits(), 1):
        values = row(hit, link)
        values["year"] = "" if values["year"] is None else values["year"]
        writer.writerow(values)
        if number % rows_per_piece == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def jsonl_chunks(export: Export, link: Link) -> Iterator[str]:
    """One JSON object a line, one line a piece."""
    for hit in export.hits():
        yield json.dumps(row(hit, link), ensure_ascii=False) + "\n"


def chunks(export: Export, fmt: str, link: Link, rows_per_piece: int = 100) -> Iterator[str]:
    """The export in ``fmt`` (one of ``FORMATS``); CSV in pieces of ``rows_per_piece`` rows."""
    return csv_chunks(export, link, rows_per_piece) if fmt == "csv" else jsonl_chunks(export, link)
