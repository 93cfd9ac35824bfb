"""Searching a built index: ranked, highlighted paragraph hits, documents and statistics.

One ``SearchEngine`` serves a whole process. Whoosh searchers are not safe to share between
threads (a shared one fails with "Block tag error" under concurrent queries), so each thread
keeps its own, and reopens it when a build has published a new generation or committed to the
live one.
"""

from __future__ import annotations

import logging
import pickle
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
import time
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq

from indexer.backends import pinned_reading
from indexer.relations import graph as relations_graph
from indexer.search import expansion
from indexer.embedded import store
from indexer.analysis import active_dictionary, use_dictionary
from indexer.embedded.dictionaries import generation_dictionary
from indexer.embedded.matching import Postings, facet_counts, match, without_documents
from indexer.errors import IndexVersionError, PolicySearchError
from indexer.relations import duplicates
from indexer.search.arguments import checked_search
from indexer.search.query import ParsedQuery, parse_query
from indexer.embedded.schema import KIND_DOCUMENT, KIND_PARAGRAPH, META_KEY, SCHEMA_VERSION
from indexer.search.facets import facets
from indexer.search.snippets import highlight, snippet

OFFICIAL_FIELDS = ("issuer", "doc_number", "date", "published")  # on each hit, from its document
CACHED_DOCUMENTS = 64
DOC_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,200}")


REBUILD = "rebuild it with 'policy-search index --full'"


def _open_current_version(generation: Path):
    """The Whoosh index of a generation this version can search, or IndexVersionError."""
    try:  # the schema is pickled in the index: an older one may name classes that are gone
        ix = whoosh_index.open_dir(str(generation))
        with ix.searcher() as searcher:
            meta = (searcher.document(key=META_KEY) or {}).get("meta", {})
    except (AttributeError, ImportError, pickle.UnpicklingError) as error:
        raise IndexVersionError(f"the index in {generation.parent} was built by another version "
                                f"of policy-search ({error}): {REBUILD}") from None
    if meta.get("schema_version") not in (None, SCHEMA_VERSION):
        raise IndexVersionError(f"the index in {generation.parent} has schema version "
                                f"{meta['schema_version']}, this version reads {SCHEMA_VERSION}: "
                                f"{REBUILD}")
    return ix


@dataclass
class Pin:
    """One generation held for a series of searches (``SearchEngine.pin``): its own searcher,
    dictionary and glossary, so a rebuild published meanwhile changes none of their answers."""

    searcher: object
    generation: Path
    dictionary: object
    glossary: object

    def close(self) -> None:
        """Let the generation go (its searcher's files close)."""
        self.searcher.close()


class SearchEngine:
    """Searches the live generation of an index folder; safe to call from many threads."""

    backend = "embedded"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: dict[Path, tuple[object, object]] = {}
        self._spares: list[tuple[Path, object]] = []  # searchers opened ahead for new threads
        self._records: tuple[tuple, tuple[list[dict], dict[str, dict]]] = ((), ([], {}))
        self._paragraph_cache: OrderedDict = OrderedDict()

    # ------------------------------------------------------------ searcher management

    def _index(self, generation: Path):
        with self._lock:
            if generation not in self._opened:
                self._opened = {generation: (_open_current_version(generation),
                                             generation_dictionary(generation))}
            return self._opened[generation]

    def searcher(self):
        """This thread's searcher on the live generation, reopened if the index changed (inside
        ``reading(pin)``: the pinned generation's searcher)."""
        local = self._local
        pin = getattr(local, "pin", None)
        if pin is not None:
            if active_dictionary().fingerprint != pin.dictionary.fingerprint:
                use_dictionary(pin.dictionary)
            return pin.searcher
        generation = store.require_generation(self.index_dir)
        current = getattr(local, "searcher", None)
        if current is None or local.generation != generation or not current.up_to_date():
            ix, dictionary = self._index(generation)
            if current is not None:
                current.close()
            opened = self._spare(generation) or ix.searcher()
            local.searcher, local.generation, local.dictionary = opened, generation, dictionary
        if active_dictionary().fingerprint != local.dictionary.fingerprint:
            use_dictionary(local.dictionary)
        return local.searcher

    def _generation(self) -> Path:
        """The generation this thread's searcher reads (the pinned one inside ``reading``)."""
        pin = getattr(self._local, "pin", None)
        return pin.generation if pin is not None else self._local.generation

    def pin(self) -> Pin:
        """Hold the live generation: searches inside ``with engine.reading(pin):`` read it even
        after a rebuild publishes another (an export of many pages must not mix two)."""
        generation = store.require_generation(self.index_dir)
        ix, dictionary = self._index(generation)
        return Pin(self._spare(generation) or ix.searcher(), generation, dictionary,
                   expansion.vocabulary(generation))

    def reading(self, pin: Pin):
        """Within the block, this thread's searches read ``pin``'s generation."""
        return pinned_reading(self._local, pin)

    def _spare(self, generation: Path):
        with self._lock:
            while self._spares:
                spare_generation, spare = self._spares.pop()
                if spare_generation == generation and spare.up_to_date():
                    return spare
                spare.close()
        return None

    def prepare_searchers(self, count: int) -> threading.Thread:
        """Open ``count`` searchers in the background for threads that have none yet.

        Opening one reads every segment's term table (≈0.1–0.3 s on 369 k paragraphs); a
        server's worker threads would otherwise each pay that on their first request.
        """
        def open_spares():
            try:
                generation = store.require_generation(self.index_dir)
                ix, _ = self._index(generation)
                for _ in range(count):
                    spare = ix.searcher()
                    with self._lock:
                        self._spares.append((generation, spare))
            except Exception:  # noqa: BLE001 - only a head start: threads open their own
                logging.getLogger(__name__).exception("opening searchers ahead failed")

        opener = threading.Thread(target=open_spares, name="open-searchers", daemon=True)
        opener.start()
        return opener

    def warm_up(self) -> None:
        """Load the dictionary and the document list now, so the first reader does not wait.

        Never raises: with no index, or a broken one, the requests themselves answer (a page
        saying how to build it, or a 500), and the server must be up to give that answer.
        """
        try:
            self.searcher()
            active_dictionary().cut("预热")
            self.documents()
            self.search("政策", facets=True)  # facets: the per-paragraph document codes too
        except PolicySearchError:
            pass
        except Exception:  # noqa: BLE001 - reported, then left to the requests
            logging.getLogger(__name__).exception("warming up the index in %s failed",
                                                  self.index_dir)

    def preload(self) -> None:
        """Load the live generation's dictionary, index description and document records,
        leaving no file open.

        A server that forks worker processes calls this first, so the workers share what it
        loaded; each then opens its own searchers (Whoosh file objects must not cross a fork).
        Never raises, like ``warm_up``.
        """
        try:
            _, dictionary = self._index(store.require_generation(self.index_dir))
            use_dictionary(dictionary)
            dictionary.cut("预热")
            self.documents()  # the document records, read once for every worker
        except PolicySearchError:
            pass
        except Exception:  # noqa: BLE001 - reported, then left to the workers
            logging.getLogger(__name__).exception("preloading the index in %s failed",
                                                  self.index_dir)
        finally:
            self.close()  # this thread's searcher: its files must not be inherited

    def close(self) -> None:
        """Close this thread's searcher."""
        current = getattr(self._local, "searcher", None)
        if current is not None:
            current.close()
            self._local.searcher = None

    # ------------------------------------------------------------ search

    def search(self, query: str, mode: str = "words", page: int = 1, per_page: int = 10,
               doc: str | None = None, year_from: int | None = None,
               year_to: int | None = None, sort: str = "relevance",
               facets: bool = False, issuer: str | None = None, expand: bool = True,
               status: str | None = None, dedupe: bool = True) -> dict:
        """Run a user query and return the result object of ``policy-search search --json``.

        With ``expand``, paragraphs found only through an abbreviation's expansion follow the
        query's own hits (``expansion.py``); ``status`` keeps documents of one validity status;
        with ``dedupe``, each group of duplicate documents counts once
        (``indexer/relations/duplicates.py``)."""
        started = time.perf_counter()
        searcher, parsed, issued = checked_search(
            query, mode, page, per_page, sort, year_from, year_to, issuer, status,
            open_index=self.searcher, records=self._document_records,
            relations=lambda searcher: self._relations_now())
        where = filter_query(doc, year_from, year_to, issued)
        matches = match(searcher, parsed, where)
        # the glossary of this searcher's generation (self.glossary() could reopen the searcher)
        pin = getattr(self._local, "pin", None)
        glossary = pin.glossary if pin is not None else expansion.vocabulary(self._local.generation)
        expanded = expansion.expand(searcher, parsed, glossary, matches, where) if expand else None
        copies = duplicates.load(self._generation())  # each group once unless not dedupe
        hidden = copies.hidden - {doc}  # a copy asked for by its id is shown
        unique = [without_documents(searcher, found, hidden)
                  for found in (matches, expanded.matches if expanded else None) if found]
        every = len(matches.ids) + (len(expanded.matches.ids) if expanded else 0)
        totals = {"total_with_copies": every, "dedupe": dedupe,
                  "total_deduplicated": sum(len(found.ids) for found in unique)}
        if dedupe:
            matches = unique[0]
            if expanded is not None:
                expanded.matches = unique[1]
        ranked = expansion.ranked_page(searcher, parsed, matches, expanded, page, per_page,
                                       newest_first=sort == "date")
        records = self._records_by_id(searcher)
        hits = [self._hit(searcher.stored_fields(docnum), score, parsed, records, expanded, wider)
                for docnum, score, wider in ranked]
        for hit in hits:
            hit["copies"] = duplicates.describe(copies, copies.others(hit["doc_id"]), records)
        everything = expansion.all_matches(matches, expanded)
        answer = {
            "query": query, "mode": mode, "tokens": parsed.tokens, "total": len(everything.ids),
            **totals,
            "expansion_total": len(expanded.matches.ids) if expanded else 0,
            "expansions": expanded.describe() if expanded else [],
            "page": page, "per_page": per_page,
            "took_ms": round((time.perf_counter() - started) * 1000, 2), "hits": hits,
        }
        if facets:
            answer["facets"] = self._facets(everything, searcher)
        return answer

    def _hit(self, stored: dict, score: float, parsed: ParsedQuery, records: dict,
             expanded=None, wider: ParsedQuery | None = None) -> dict:
        text = stored["text"]
        record = records.get(stored["doc_id"], {})
        return {
            "doc_id": stored["doc_id"], "title": stored.get("title", ""),
            "year": stored.get("year") or None, "para": stored["para"],
            "section": stored.get("section", ""), "snippet": snippet(text, wider or parsed),
            "text": text, "score": round(float(score), 4),
            **{key: record.get(key) for key in OFFICIAL_FIELDS},
            "group": "expansion" if wider else "query",
            "matched_by": expansion.matched_by(text, parsed, expanded, wider is not None),
            **relations_graph.hit_fields(self._relations_now(), stored["doc_id"]),
        }

    def hit_paragraphs(self, parsed: ParsedQuery, doc: str | None = None,
                       year_from: int | None = None, year_to: int | None = None):
        """Every paragraph ``parsed`` matches, as (doc_id, para, text), in index order."""
        searcher = self.searcher()
        for docnum in match(searcher, parsed, filter_query(doc, year_from, year_to)).ids.tolist():
            stored = searcher.stored_fields(docnum)
            yield stored["doc_id"], stored["para"], stored["text"]

    def version(self) -> str:
        """A key that changes whenever the live index changes (a new generation)."""
        return str(store.current_generation(self.index_dir))

    def glossary(self):
        """The glossary (and abbreviations) of the live generation."""
        self.searcher()
        return expansion.vocabulary(self._generation())

    def _facets(self, matches, searcher) -> dict:
        doc_counts = facet_counts(searcher, matches)
        return facets(doc_counts, self._records_by_id(searcher), self._relations_now())

    # ------------------------------------------------------------ relations

    def relations(self) -> relations_graph.RelationGraph:
        """The citations and statuses of the live generation (indexer/relations/graph.py)."""
        self.searcher()
        return self._relations_now()

    def _relations_now(self) -> relations_graph.RelationGraph:
        # The generation of the searcher this request already holds: asking for the searcher
        # again could reopen it under the request when a build has just published.
        return relations_graph.for_generation(self._generation())

    def citations(self, doc_id: str) -> dict | None:
        """What a document cites and what cites it, with its status (None for an unknown id)."""
        if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
            return None
        records = self._records_by_id(self.searcher())
        relations = self._relations_now()
        if doc_id not in records:
            return None

        return relations_graph.citations_answer(relations, records, doc_id)

    def similar_lookup(self):
        """The similar passages the live generation stores, as ``relations.similar`` reads them."""
        from indexer.relations.similar import GenerationLookup
        return GenerationLookup(self)

    # ------------------------------------------------------------ documents and stats

    def document(self, doc_id: str, query: str | None = None, mode: str = "words") -> dict | None:
        """The object of one ``show --json`` line, or None for an unknown id.

        With ``query``, each paragraph also gets ``html`` with the query's literal occurrences
        marked (and, in paragraphs that are hits, the words they matched through) and
        ``matched`` telling whether the paragraph is a hit of the query.
        """
        if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
            return None
        searcher = self.searcher()
        record = searcher.document(key=f"d:{doc_id}")
        if record is None:
            return None
        parsed = parse_query(query, mode) if query else None
        stored_paragraphs = self._stored_paragraphs(searcher, doc_id)
        hits, marked = set(), set()
        if parsed is not None and stored_paragraphs:
            within = np.array(sorted(n for n, _ in stored_paragraphs), dtype=np.int64)
            matches = match(searcher, parsed, within=within)
            hits = set(matches.ids.tolist())
            # Only hits and paragraphs holding a term literally have anything to mark: the
            # others (most of a long document) skip the per-character highlighting.
            marked = hits.union(*(literal.tolist() for literal in matches.literals))
        paragraphs = []
        for docnum, stored in stored_paragraphs:
            paragraph = {"para": stored["para"], "section": stored.get("section", ""),
                         "text": stored["text"], "heading": bool(stored.get("heading")),
                         "level": stored.get("level") or 0}
            if stored.get("ocr"):
                paragraph.update(ocr=True, confidence=stored.get("confidence"))
            if parsed is not None:
                paragraph["html"] = highlight(stored["text"], parsed if docnum in marked else None,
                                              is_hit=docnum in hits)
                paragraph["matched"] = docnum in hits
            paragraphs.append(paragraph)
        return {
            "doc_id": doc_id, "title": record.get("title", ""), "year": record.get("year") or None,
            "date": record.get("date"), "region": record.get("region"),
            "source": record.get("source"),
            **{key: record.get(key) for key in ("issuer", "doc_number", "published", "source_name")},
            "paragraphs": paragraphs,
        }

    def _stored_paragraphs(self, searcher, doc_id: str) -> list[tuple[int, dict]]:
        # Whoosh unpickles stored fields one document at a time (~0.15 ms each); a long law
        # has 1,800 paragraphs, and readers page back and forth through the same documents.
        key = (self._generation(), searcher.ixreader.generation(), doc_id)
        with self._lock:
            cached = self._paragraph_cache.get(key)
            if cached is not None:
                self._paragraph_cache.move_to_end(key)
                return cached
        numbers = Postings.of(searcher).document_numbers(doc_id, KIND_PARAGRAPH)
        stored = sorted(((n, searcher.stored_fields(n)) for n in numbers.tolist()),
                        key=lambda item: item[1]["para"])
        with self._lock:
            self._paragraph_cache[key] = stored
            while len(self._paragraph_cache) > CACHED_DOCUMENTS:
                self._paragraph_cache.popitem(last=False)
        return stored

    def documents(self) -> list[dict]:
        """Every document's id, title, year and paragraph count, ordered by year then title."""
        return [dict(d) for d in self._document_records(self.searcher())]

    def _document_records(self, searcher) -> list[dict]:
        return self._read_records(searcher)[0]

    def _records_by_id(self, searcher) -> dict[str, dict]:
        return self._read_records(searcher)[1]

    def _read_records(self, searcher) -> tuple[list[dict], dict[str, dict]]:
        # Read once per index version: hits, facets and the front page need them on every
        # request (as a list in display order and by id).
        key = (self._generation(), searcher.ixreader.generation())
        cached_key, cached = self._records
        if cached_key == key:
            return cached
        records = [{"doc_id": d["doc_id"], "title": d.get("title", ""), "year": d.get("year") or None,
                    "paragraphs": d.get("paragraphs", 0), "region": d.get("region"),
                    "chars": d.get("chars"), **{key: d.get(key) for key in OFFICIAL_FIELDS}}
                   for d in searcher.documents(kind=KIND_DOCUMENT)]
        records.sort(key=lambda d: (-(d["year"] or 0), d["title"], d["doc_id"]))
        cached = (records, {d["doc_id"]: d for d in records})
        self._records = (key, cached)
        return cached

    def stats(self) -> dict:
        """The object of ``policy-search stats --json``."""
        searcher = self.searcher()
        meta = (searcher.document(key=META_KEY) or {}).get("meta", {})
        docs = [dict(d) for d in self._document_records(searcher)]
        return {
            "documents": len(docs), "paragraphs": sum(d["paragraphs"] for d in docs),
            "built_at": meta.get("built_at"), "dictionary": meta.get("dictionary_description"),
            "docs": docs, "last_build": meta.get("last_build"),
        }


def filter_query(doc=None, year_from=None, year_to=None, doc_ids=None):
    """The Whoosh filter of a document, a year range and a set of documents (None when nothing narrows)."""
    parts = []
    if doc_ids is not None:
        # No document of that issuer: a term no document has, so nothing matches.
        parts.append(wq.Or([wq.Term("doc_id", d) for d in doc_ids]) if doc_ids
                     else wq.Term("doc_id", "\x00none"))
    if doc:
        parts.append(wq.Term("doc_id", doc))
    if year_from is not None or year_to is not None:
        parts.append(wq.NumericRange("year", year_from, year_to))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)

