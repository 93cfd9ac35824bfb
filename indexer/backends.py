"""The seam between the product and where its index lives: one interface, two backends.

``embedded`` keeps a Whoosh index in a folder (the default: one analyst, one machine);
``opensearch`` keeps it on an OpenSearch cluster (collections past one machine). Both read
the corpus through the same ingest pipeline and analysis, and answer the same calls — the
``SearchBackend`` protocol — with the same objects, so the CLI, the web app and the reading
features (trends, 新提法, compare, export) never ask which one they talk to. Adding a backend
is adding a package and a branch in ``open_engine`` and ``build``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

if TYPE_CHECKING:  # the build loads when a command builds, not in a search process
    from indexer.embedded.build import BuildSummary
    from indexer.relations.graph import RelationGraph
    from indexer.relations.similar import PassageLookup
    from indexer.search.query import ParsedQuery


class SearchBackend(Protocol):
    """What the CLI, the web app and the features call on an engine."""

    backend: str  # "embedded" or "opensearch"

    def search(self, query: str, mode: str = "words", page: int = 1, per_page: int = 10,
               doc: str | None = None, year_from: int | None = None,
               year_to: int | None = None, sort: str = "relevance", facets: bool = False,
               issuer: str | None = None, expand: bool = True,
               status: str | None = None, dedupe: bool = True) -> dict:
        """A page of ranked hits (``search --json``), each with its document's status and
        cited-by count; ``status`` keeps documents of one validity status; with ``dedupe``
        each group of duplicate copies counts once, its best copy's hits carrying ``copies``."""

    def document(self, doc_id: str, query: str | None = None,
                 mode: str = "words") -> dict | None:
        """One whole document, its paragraphs marked for ``query`` (``show --json``)."""

    def documents(self) -> list[dict]:
        """Every document's record, newest year first."""

    def stats(self) -> dict:
        """Counts, dictionary and last build (``stats --json``)."""

    def glossary(self):
        """The corpus glossary and abbreviations the index was built with."""

    def hit_paragraphs(self, parsed: ParsedQuery, doc: str | None = None,
                       year_from: int | None = None,
                       year_to: int | None = None) -> Iterator[tuple[str, int, str]]:
        """Every matching paragraph as (doc_id, para, text) (trends count over these)."""

    def relations(self) -> RelationGraph:
        """The citations and validity statuses of the live index, read once per version."""

    def citations(self, doc_id: str) -> dict | None:
        """What a document cites and what cites it, with its status (``cites --json``)."""

    def similar_lookup(self) -> PassageLookup:
        """The similar passages the index stores (``relations.similar`` answers from it)."""

    def version(self) -> str:
        """A key that changes whenever the index changes (caches of derived results)."""

    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for; never raises."""

    def prepare_searchers(self, count: int):
        """Open per-thread resources ahead of a server's worker threads."""


@contextlib.contextmanager
def pinned_reading(local, pin):
    """Within the block, this thread (``local``: a ``threading.local``) reads ``pin``; the
    ``reading`` of both engines, which nest."""
    previous = getattr(local, "pin", None)
    local.pin = pin
    try:
        yield
    finally:
        local.pin = previous


def open_engine(index_dir: Path | str | None = None, cluster=None) -> SearchBackend:
    """The engine of an OpenSearch ``cluster`` (``opensearch.connection.Cluster``) when one is
    given, else of the embedded index in ``index_dir``."""
    if cluster is not None:
        from indexer.opensearch.engine import OpenSearchEngine
        return OpenSearchEngine(cluster)
    from indexer.embedded.engine import SearchEngine
    return SearchEngine(Path(index_dir))


def build(corpus_dir: Path, index_dir: Path | None = None, cluster=None, full: bool = False,
          progress=None, wait: bool = False, shards: int = 1, replicas: int = 0,
          part: tuple[int, int] = (1, 1), use_ocr: bool = True,
          ocr_pages: int | None = None) -> BuildSummary:
    """Build or update the index of ``corpus_dir`` on the backend the arguments name.

    ``shards``, ``replicas`` and ``part`` apply to a cluster only; scans are recognised (OCR)
    unless ``use_ocr`` is false, at most ``ocr_pages`` pages of one file."""
    from indexer.ingest import ocr
    pages = ocr.DEFAULT_MAX_PAGES if ocr_pages is None else ocr_pages
    if cluster is not None:
        from indexer.opensearch.build import build_opensearch
        # The recognised pages are cached on this machine, beside the local index folder.
        cache = Path(index_dir) / ocr.CACHE_FOLDER if index_dir is not None else None
        ocr.configure(enabled=use_ocr, max_pages=pages, cache_dir=cache)
        return build_opensearch(corpus_dir, cluster, full=full, progress=progress,
                                shards=shards, replicas=replicas, part=part)
    from indexer.embedded.build import build_index
    return build_index(corpus_dir, index_dir, full=full, progress=progress, wait=wait,
                       use_ocr=use_ocr, ocr_pages=pages)
