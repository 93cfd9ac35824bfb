"""Searching an OpenSearch index: the answers of ``embedded.engine.SearchEngine``, from a cluster.

The cluster finds and ranks (``queries.py``); everything a reader sees of a hit — snippets,
highlights, "matched by", expansions, facets' titles — is made here by the same code the
embedded engine uses, from the stored text. The alias is checked at most once a second (one
small request: which index it names, and the version of that index's metadata record), so a
published rebuild is picked up within a second and an incremental one as soon as its metadata
is written; the metadata, dictionary and glossary are read again only when one of the two
changed.

A search costs one request when the words' document frequencies are known (they are kept per
index version, least recently used first out) and the index has one shard; otherwise one
``_msearch`` of counts before it, and ``dfs_query_then_fetch`` on an index of several shards.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from indexer.backends import pinned_reading
from indexer.analysis import Dictionary, active_dictionary, literal_text, use_dictionary
from indexer.embedded.engine import DOC_ID_PATTERN, OFFICIAL_FIELDS
from indexer.errors import (BackendUnavailableError, IndexNotFoundError, IndexVersionError,
                            PolicySearchError, QueryError)
from indexer.features import glossary as corpus_glossary
from indexer.opensearch import queries
from indexer.opensearch.build import DUPLICATES_ID, META_ID, RELATIONS_ID, SCHEMA_VERSION
from indexer.opensearch.connection import Cluster
from indexer.opensearch.tokens import literal_tokens, token
from indexer.relations import duplicates
from indexer.relations import graph as relations_graph
from indexer.search import expansion
from indexer.search.arguments import checked_search
from indexer.search.query import ParsedQuery, parse_query
from indexer.search.facets import facets
from indexer.search.snippets import highlight, snippet

RESOLVE_SECONDS = 1.0
FREQUENCIES_KEPT = 200_000  # document frequencies remembered per index version (≈ 30 MB at most)
PAGE = 5000  # paragraphs read per request when a whole document or hit set is needed
PARAGRAPH_FIELDS = ["doc_id", "para", "section", "text", "heading", "level", "title", "year",
                    "ocr", "confidence"]
log = logging.getLogger(__name__)


class _Pin:
    """One physical index held for a series of searches (``OpenSearchEngine.pin``)."""

    def __init__(self, version: "_Version"):
        self.version = version

    def close(self) -> None:
        """Nothing to release: the cluster keeps the index until a later build deletes it."""


class _Version:
    """What one resolution of the alias found: the physical index and its metadata."""

    def __init__(self, index: str, meta: dict):
        self.index, self.meta = index, meta
        self.key = f"{index}#{meta.get('updates', 0)}"
        self.stamp: tuple[str, int] | None = None  # (index, the metadata record's _version)
        self.glossary = corpus_glossary.Glossary.from_json(meta.get("glossary") or "{}") \
            if meta.get("glossary") else corpus_glossary.Glossary()
        self.dictionary = _dictionary(meta, self.glossary)
        self.records: tuple[list[dict], dict[str, dict]] | None = None
        self.field_counts: dict[str, int] | None = None  # records having each field
        self.shards = 0  # primary shards of the index, with the field counts
        self.frequencies = _Recent(FREQUENCIES_KEPT)  # (field, token) → document frequency
        self.copies: duplicates.Copies | None = None
        self.relations: relations_graph.RelationGraph | None = None


def _dictionary(meta: dict, glossary) -> Dictionary:
    """The dictionary the index was built with (its user dictionary is kept in the metadata)."""
    folder = Path(tempfile.gettempdir()) / "policy-search-opensearch" / meta["dictionary"]
    userdict = _cached(folder / "userdict.txt", meta.get("userdict"))
    compiled = _cached(folder / "dictionary.json", meta.get("compiled_dictionary"))
    dictionary = Dictionary(userdict, glossary.dictionary_terms(), compiled=compiled)
    if dictionary.fingerprint != meta.get("dictionary"):
        raise IndexVersionError("the OpenSearch index was built with another dictionary or "
                                "jieba version: rebuild it with 'policy-search index --full'")
    return dictionary


def _cached(path: Path, text: str | None) -> Path | None:
    """``text`` in a local file (dictionaries are read from files), written once per content."""
    if text is None:
        return None
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return path


class _Recent:
    """A bounded, thread-safe map that forgets its least recently used entries first."""

    def __init__(self, limit: int):
        self.limit = limit
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def known(self, keys) -> dict:
        """The entries of ``keys`` that are kept (each marked as just used)."""
        found = {}
        with self.lock:
            for key in keys:
                if key in self.entries:
                    self.entries.move_to_end(key)
                    found[key] = self.entries[key]
        return found

    def keep(self, entries: dict) -> None:
        """Remember ``entries``, forgetting the oldest beyond the limit."""
        with self.lock:
            self.entries.update(entries)
            for key in entries:
                self.entries.move_to_end(key)
            while len(self.entries) > self.limit:
                self.entries.popitem(last=False)


class OpenSearchEngine:
    """Searches the index an alias names on an OpenSearch cluster; safe to call from many threads."""

    backend = "opensearch"

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.client = cluster.client()
        self._lock = threading.Lock()
        self._pinned = threading.local()  # a thread's pinned index inside reading()
        self._version: _Version | None = None
        self._checked = 0.0

    # ------------------------------------------------------------ the live index

    def _call(self, method, *args, **kwargs):
        """A client call, with the cluster's failures turned into our errors."""
        from opensearchpy.exceptions import (ConnectionError as ClusterConnectionError,
                                             ConnectionTimeout, NotFoundError, TransportError)
        try:
            answer = method(*args, **kwargs)
        except (ClusterConnectionError, ConnectionTimeout) as error:
            raise self.cluster.unavailable(error) from None
        except NotFoundError:
            raise
        except TransportError as error:
            status = error.status_code if isinstance(error.status_code, int) else 0
            if status in (429, 502, 503, 504) or status == 0:
                raise self.cluster.unavailable(error) from None
            if status == 500 and error.error == "search_phase_execution_exception":
                # Every copy of a shard was out of reach (a node just died, its replica not yet
                # promoted): the cluster is briefly unavailable, not broken — a 503, try again.
                raise self.cluster.unavailable(error) from None
            raise PolicySearchError(self.cluster.scrub(
                f"OpenSearch answered {error.status_code}: {error.error}")) from None
        self._refuse_partial(answer)
        return answer

    def _refuse_partial(self, answer) -> None:
        # OpenSearch answers from the shards it reached when a node has just died: a count or a
        # hit list from part of the index would look like a true answer. Say "unavailable".
        if not isinstance(answer, dict):
            return
        answers = answer.get("responses") or [answer]
        for one in answers:
            shards = one.get("_shards") or {}
            if one.get("error") or shards.get("failed", 0) or one.get("timed_out"):
                failed = shards.get("failed", 0)
                total = shards.get("total", 0)
                raise BackendUnavailableError(self.cluster.scrub(
                    f"the OpenSearch cluster at {','.join(self.cluster.hosts)} answered from part "
                    f"of the index only ({failed} of {total} shards failed): try again in a "
                    "moment"))

    def version(self) -> str:
        """A key that changes whenever the searched index changes (new build or update)."""
        return self._current().key

    def pin(self) -> "_Pin":
        """Hold the index live now: searches inside ``with engine.reading(pin):`` read it even
        after a rebuild moves the alias (an export is one index, never a mix)."""
        return _Pin(self._current())

    def reading(self, pin: "_Pin"):
        """Within the block, this thread's searches read ``pin``'s physical index."""
        return pinned_reading(self._pinned, pin)

    def _searched_index(self) -> str:
        pin = getattr(self._pinned, "pin", None)
        return pin.version.index if pin is not None else self.cluster.index

    def _current(self) -> _Version:
        from opensearchpy.exceptions import NotFoundError
        pin = getattr(self._pinned, "pin", None)
        if pin is not None:
            return pin.version
        now = time.monotonic()
        if self._version is not None and now - self._checked < RESOLVE_SECONDS:
            return self._version
        with self._lock:
            if self._version is not None and now - self._checked < RESOLVE_SECONDS:
                return self._version
            try:
                # Through the alias and without its source: the answer names the physical index
                # and the metadata record's version; the record itself (megabytes: dictionary,
                # glossary) is read only when one of them changed.
                found = self._call(self.client.get, index=self.cluster.index, id=META_ID,
                                   _source="false")
                stamp = (found["_index"], found["_version"])
                current = self._version
                if current is None or current.stamp != stamp:
                    index = found["_index"]
                    meta = self._call(self.client.get, index=index, id=META_ID)["_source"]["meta"]
                    if meta.get("schema_version") != SCHEMA_VERSION:
                        raise IndexVersionError(
                            f"the OpenSearch index {index} has schema "
                            f"{meta.get('schema_version')}, this version reads {SCHEMA_VERSION}: "
                            "rebuild it with 'policy-search index --full'")
                    if current is None or current.index != index or \
                            current.meta.get("updates") != meta.get("updates"):
                        current = _Version(index, meta)
                    current.stamp = stamp
            except NotFoundError:
                raise IndexNotFoundError(
                    f"no index named {self.cluster.index!r} on the OpenSearch cluster yet: build "
                    f"it with 'policy-search index --opensearch URL --os-index "
                    f"{self.cluster.index}'") from None
            self._version, self._checked = current, time.monotonic()
        return current

    def _activate(self) -> _Version:
        version = self._current()
        if active_dictionary().fingerprint != version.dictionary.fingerprint:
            use_dictionary(version.dictionary)
        return version

    def warm_up(self) -> None:
        """Resolve the index, load the dictionary and the document list; never raises."""
        try:
            self._activate()
            active_dictionary().cut("预热")
            self.documents()
            self.search("政策", facets=True)
        except PolicySearchError:
            pass
        except Exception:  # noqa: BLE001 - reported, then left to the requests
            log.exception("warming up the OpenSearch index %s failed", self.cluster.index)

    def prepare_searchers(self, count: int) -> None:
        """Nothing to open ahead: the client's connection pool is shared by every thread."""
        return None

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    # ------------------------------------------------------------ search

    def _search(self, version: _Version, body: dict, **options) -> dict:
        # Through the alias, not the physical index ``version`` names: a rebuild may publish
        # and delete that one mid-request, the alias always names a complete index.
        from opensearchpy.exceptions import NotFoundError
        try:
            return self._call(self.client.search, index=self._searched_index(), body=body, **options)
        except NotFoundError:
            self._checked = 0.0
            raise IndexNotFoundError(f"the index {self.cluster.index!r} is gone from the "
                                     "OpenSearch cluster: rebuild it") from None

    def search(self, query: str, mode: str = "words", page: int = 1, per_page: int = 10,
               doc: str | None = None, year_from: int | None = None,
               year_to: int | None = None, sort: str = "relevance",
               facets: bool = False, issuer: str | None = None, expand: bool = True,
               status: str | None = None, dedupe: bool = True) -> dict:
        """Run a user query and return the result object of ``policy-search search --json``;
        ``status`` keeps documents of one validity status; with ``dedupe``, each group of
        duplicate documents counts once (as embedded)."""
        started = time.perf_counter()
        version, parsed, issued = checked_search(
            query, mode, page, per_page, sort, year_from, year_to, issuer, status,
            open_index=self._activate, records=lambda version: self._records(version)[0],
            relations=self._relations)
        where = queries.filters(doc, year_from, year_to, issued)
        copies = self._copies(version)
        hidden = sorted(copies.hidden - {doc})  # a copy asked for by its id is shown
        every_where, where = where, self._without(where, hidden) if dedupe else where
        wider, found = expansion.expanded_query(parsed, version.glossary) if expand \
            else (None, {})
        end, newest_first = page * per_page, sort == "date"
        start = end - per_page
        # Every count this search needs, in one request: the words' document frequencies
        # not yet known, and the other total of the duplicate copies.
        copy_counts = self._copy_counts(parsed, wider, every_where, hidden, dedupe)
        counts = self._counts(version, {**self._frequency_queries(parsed),
                                        **self._frequency_queries(wider)}, copy_counts)
        own_query = queries.paragraphs(parsed, where, idf=self._idf(version, parsed, counts))
        own = self._page(version, own_query, start, per_page, newest_first)
        total = own["hits"]["total"]["value"]
        expanded, expansion_total, rows = None, 0, [(h, None) for h in own["hits"]["hits"]]
        if wider is not None:
            expanded = expansion.Expanded(wider, found, None)
            more_query = queries.paragraphs(wider, where, exclude=parsed,
                                            idf=self._idf(version, wider, counts))
            offset = max(0, start - total)
            size = max(0, end - max(start, total))
            more = self._page(version, more_query, offset, size, newest_first)
            expansion_total = more["hits"]["total"]["value"]
            rows += [(h, wider) for h in more["hits"]["hits"]]
        records = self._records(version)[1]
        relations = self._relations(version)
        hits = [self._hit(h["_source"], h["_score"], parsed, records, expanded, group_query,
                          relations)
                for h, group_query in rows]
        for hit in hits:
            hit["copies"] = duplicates.describe(copies, copies.others(hit["doc_id"]), records)
        answer = {
            "query": query, "mode": mode, "tokens": parsed.tokens,
            "total": total + expansion_total,
            **self._copy_totals(counts, copy_counts, dedupe, total + expansion_total),
            "expansion_total": expansion_total,
            "expansions": expanded.describe() if expanded else [],
            "page": page, "per_page": per_page,
            "took_ms": round((time.perf_counter() - started) * 1000, 2), "hits": hits,
        }
        if facets:
            scope = [queries.paragraphs(parsed, where, scored=False)]
            if wider is not None and expansion_total:
                scope.append(queries.paragraphs(wider, where, scored=False))
            answer["facets"] = self._facets(version, scope)
        return answer

    # ------------------------------------------------------------ duplicate copies

    def _copies(self, version: _Version) -> duplicates.Copies:
        """The duplicate groups the build stored beside the metadata, read once per version."""
        if version.copies is None:
            answer = self._call(self.client.get, index=version.index, id=DUPLICATES_ID,
                                ignore=404)
            stored = json.loads((answer.get("_source") or {}).get("duplicates") or "{}")
            version.copies = duplicates.copies_of(stored.get("groups", [])) \
                if stored.get("version") == duplicates.VERSION else duplicates.Copies()
        return version.copies

    @staticmethod
    def _without(where: list[dict], hidden: list[str]) -> list[dict]:
        """Filter clauses ``where`` leaving out the documents ``hidden``."""
        return where + [{"bool": {"must_not": {"terms": {"doc_id": hidden}}}}] if hidden \
            else where

    def _copy_counts(self, parsed: ParsedQuery, wider, every_where: list[dict],
                     hidden: list[str], dedupe: bool) -> dict:
        """The counts of the total the search does not make (with the copies, or without
        them), keyed ("copies", n); none when no copy is hidden."""
        if not hidden:
            return {}
        scope = every_where if dedupe else self._without(every_where, hidden)
        searches = {("copies", 0): queries.paragraphs(parsed, scope, scored=False)}
        if wider is not None:
            searches[("copies", 1)] = queries.paragraphs(wider, scope, exclude=parsed,
                                                         scored=False)
        return searches

    @staticmethod
    def _copy_totals(counts: dict, copy_counts: dict, dedupe: bool, total: int) -> dict:
        """``total_with_copies`` and ``total_deduplicated`` (``total`` is one of them)."""
        other = sum(counts[key] for key in copy_counts) if copy_counts else total
        return {"total_with_copies": other if dedupe else total, "dedupe": dedupe,
                "total_deduplicated": total if dedupe else other}

    @staticmethod
    def _frequency_queries(parsed: ParsedQuery | None) -> dict:
        """The document frequencies the idf boosts of ``parsed`` need: (field, word) of its
        words (text and title), (field, gram) of its literals' grams, ("literal", literal)."""
        if parsed is None or not parsed.tokens:
            return {}
        literals = list(dict.fromkeys(term.literal for term in parsed.terms))
        searches = {(field, word): {"term": {field: token(word)}}
                    for word in dict.fromkeys(parsed.tokens) for field in ("words", "title_words")}
        searches.update({(field, gram): {"term": {field: gram}} for text in literals
                         for field, grams in [literal_tokens(text)] for gram in grams})
        searches.update({("literal", text): queries.literal(text) for text in literals})
        return searches

    def _counts(self, version: _Version, frequencies: dict, others: dict) -> dict:
        """Hit counts of ``frequencies`` and ``others`` (key → query) in one multi-search (a
        term's count comes from the term dictionary, not by visiting postings); document
        frequencies counted by earlier searches of this index version are not asked again."""
        counts = version.frequencies.known(frequencies)
        missing = {**{key: query for key, query in frequencies.items() if key not in counts},
                   **others}
        if missing:
            body = []
            for query in missing.values():
                body += [{}, {"size": 0, "track_total_hits": True, "query": query}]
            answers = self._call(self.client.msearch, index=self._searched_index(), body=body)
            counted = {key: answer["hits"]["total"]["value"]
                       for key, answer in zip(missing, answers["responses"]) if "hits" in answer}
            version.frequencies.keep({key: df for key, df in counted.items()
                                      if key in frequencies})
            counts.update(counted)
        return counts

    def _idf(self, version: _Version, parsed: ParsedQuery, counts: dict) -> dict:
        """Boosts giving each query word Whoosh's idf (``queries.idf_boosts``), from the
        document frequencies ``_frequency_queries`` names, as ``_counts`` found them."""
        fields = self._field_counts(version)
        wanted = self._frequency_queries(parsed)
        if not wanted:
            return {}
        frequencies = {key: counts[key] for key in wanted
                       if key in counts and key[0] in ("words", "title_words")}
        gram_counts = {key: counts[key] for key in wanted
                       if key in counts and key[0] in ("unigrams", "bigrams")}
        literal_counts = {key[1]: counts[key] for key in wanted
                          if key in counts and key[0] == "literal"}
        records = fields["records"] + 1
        return {**queries.idf_boosts(frequencies, records, fields),
                **queries.literal_boosts(literal_counts, gram_counts, records, fields)}

    def _field_counts(self, version: _Version) -> dict[str, int]:
        """Records having each scored field, and all records; counted once per index version,
        with the number of primary shards (the counts' answers name it)."""
        if version.field_counts is None:
            counts = {field: {"exists": {"field": field}}
                      for field in ("words", "title_words", "unigrams", "bigrams")}
            counts["records"] = {"terms": {"kind": [queries.KIND_PARAGRAPH,
                                                    queries.KIND_DOCUMENT]}}
            body = []
            for query in counts.values():
                body += [{}, {"size": 0, "track_total_hits": True, "query": query}]
            answers = self._call(self.client.msearch, index=self._searched_index(),
                                 body=body)["responses"]
            version.shards = max(answer["_shards"]["total"] for answer in answers)
            version.field_counts = {name: answer["hits"]["total"]["value"]
                                    for name, answer in zip(counts, answers)}
        return version.field_counts

    def _page(self, version: _Version, query: dict, start: int, size: int,
              newest_first: bool) -> dict:
        body = {"query": query, "sort": queries.order(newest_first), "track_total_hits": True,
                "track_scores": True, "from": start if size else 0, "size": size,
                "_source": PARAGRAPH_FIELDS}
        # dfs: every shard scores with the whole index's term statistics, as one index would;
        # one shard has them already, and the dfs phase would be one more round trip.
        self._field_counts(version)
        return self._search(version, body, search_type="query_then_fetch" if version.shards == 1
                            else "dfs_query_then_fetch")

    def _hit(self, stored: dict, score, parsed: ParsedQuery, records: dict, expanded,
             wider: ParsedQuery | None, relations: relations_graph.RelationGraph) -> dict:
        text = stored["text"]
        record = records.get(stored["doc_id"], {})
        return {
            "doc_id": stored["doc_id"], "title": stored.get("title", ""),
            "year": stored.get("year") or None, "para": stored["para"],
            "section": stored.get("section", ""), "snippet": snippet(text, wider or parsed),
            "text": text, "score": round(float(score or 0.0), 4),
            **{key: record.get(key) for key in OFFICIAL_FIELDS},
            "group": "expansion" if wider else "query",
            "matched_by": expansion.matched_by(text, parsed, expanded, wider is not None),
            **relations_graph.hit_fields(relations, stored["doc_id"]),
        }

    def _facets(self, version: _Version, scope: list[dict]) -> dict:
        query = scope[0] if len(scope) == 1 else {"bool": {"should": scope,
                                                           "minimum_should_match": 1}}
        doc_counts: dict[str, int] = {}
        after = None
        while True:
            composite = {"size": 1000, "sources": [{"doc": {"terms": {"field": "doc_id"}}}]}
            if after:
                composite["after"] = after
            answer = self._search(version, {"query": query, "size": 0,
                                            "aggs": {"docs": {"composite": composite}}})
            buckets = answer["aggregations"]["docs"]["buckets"]
            doc_counts.update((b["key"]["doc"], b["doc_count"]) for b in buckets)
            after = answer["aggregations"]["docs"].get("after_key")
            if not buckets or not after:
                break
        return facets(doc_counts, self._records(version)[1], self._relations(version))

    # ------------------------------------------------------------ relations

    def relations(self) -> relations_graph.RelationGraph:
        """The citations and statuses of the live index (indexer/relations/graph.py)."""
        return self._relations(self._activate())

    def _relations(self, version: _Version) -> relations_graph.RelationGraph:
        """The relations record the build wrote beside the metadata, read once per version."""
        if version.relations is None:
            answer = self._call(self.client.get, index=version.index, id=RELATIONS_ID,
                                ignore=404)
            if answer.get("error"):  # the index was replaced under us: read it next time
                self._checked = 0.0
                return relations_graph.RelationGraph(data={})
            stored = (answer.get("_source") or {}).get("relations")
            version.relations = relations_graph.RelationGraph(data=relations_graph.loads(stored))
        return version.relations

    def citations(self, doc_id: str) -> dict | None:
        """What a document cites and what cites it, with its status (None for an unknown id)."""
        if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
            return None
        version = self._activate()
        records = self._records(version)[1]
        if doc_id not in records:
            return None
        relations = self._relations(version)

        return relations_graph.citations_answer(relations, records, doc_id)

    def similar_lookup(self):
        """The similar passages the index stores, as ``relations.similar`` reads them."""
        from indexer.opensearch.similar import ClusterLookup
        return ClusterLookup(self)

    def hit_paragraphs(self, parsed: ParsedQuery, doc: str | None = None,
                       year_from: int | None = None, year_to: int | None = None):
        """Every paragraph ``parsed`` matches, as (doc_id, para, text), in no set order."""
        version = self._activate()
        query = queries.paragraphs(parsed, queries.filters(doc, year_from, year_to), scored=False)
        for source in self._scan(version, query, ["doc_id", "para", "text"]):
            yield source["doc_id"], source["para"], source["text"]

    def _scan(self, version: _Version, query: dict, fields: list[str]):
        """Every record ``query`` matches (``fields`` of it), paged with search_after."""
        after = None
        while True:
            body = {"query": query, "size": PAGE, "sort": [{"seq": "asc"}],
                    "_source": fields, "track_total_hits": False}
            if after:
                body["search_after"] = after
            hits = self._search(version, body)["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def glossary(self):
        """The glossary (and abbreviations) of the live index."""
        return self._activate().glossary

    # ------------------------------------------------------------ documents and stats

    def document(self, doc_id: str, query: str | None = None, mode: str = "words") -> dict | None:
        """The object of one ``show --json`` line, or None for an unknown id."""
        from opensearchpy.exceptions import NotFoundError
        if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
            return None
        version = self._activate()
        try:
            record = self._call(self.client.get, index=self._searched_index(),
                                id=f"d:{doc_id}")["_source"]
        except NotFoundError:
            return None
        parsed = parse_query(query, mode) if query else None
        in_document = {"bool": {"filter": [{"term": {"kind": queries.KIND_PARAGRAPH}},
                                           {"term": {"doc_id": doc_id}}]}}
        stored = sorted(self._scan(version, in_document, PARAGRAPH_FIELDS),
                        key=lambda p: p["para"])
        hits = set()
        if parsed is not None and stored:
            matched = queries.paragraphs(parsed, [{"term": {"doc_id": doc_id}}], scored=False)
            hits = {s["para"] for s in self._scan(version, matched, ["para"])}
        paragraphs = []
        for paragraph in stored:
            shown = {"para": paragraph["para"], "section": paragraph.get("section", ""),
                     "text": paragraph["text"], "heading": bool(paragraph.get("heading")),
                     "level": paragraph.get("level") or 0}
            if paragraph.get("ocr"):
                shown.update(ocr=True, confidence=paragraph.get("confidence"))
            if parsed is not None:
                is_hit = paragraph["para"] in hits
                marked = is_hit or _contains_a_term(paragraph["text"], parsed)
                shown["html"] = highlight(paragraph["text"], parsed if marked else None,
                                          is_hit=is_hit)
                shown["matched"] = is_hit
            paragraphs.append(shown)
        return {
            "doc_id": doc_id, "title": record.get("title", ""), "year": record.get("year") or None,
            "date": record.get("date"), "region": record.get("region"),
            "source": record.get("source"),
            **{key: record.get(key) for key in ("issuer", "doc_number", "published", "source_name")},
            "paragraphs": paragraphs,
        }

    def documents(self) -> list[dict]:
        """Every document's id, title, year and paragraph count, ordered by year then title."""
        return [dict(d) for d in self._records(self._activate())[0]]

    def _records(self, version: _Version) -> tuple[list[dict], dict[str, dict]]:
        if version.records is None:
            fields = ["doc_id", "title", "year", "paragraphs", "region", "chars",
                      *OFFICIAL_FIELDS]
            records = [{"doc_id": d["doc_id"], "title": d.get("title", ""),
                        "year": d.get("year") or None, "paragraphs": d.get("paragraphs", 0),
                        "region": d.get("region"), "chars": d.get("chars"),
                        **{key: d.get(key) for key in OFFICIAL_FIELDS}}
                       for d in self._scan(version, {"term": {"kind": queries.KIND_DOCUMENT}},
                                           fields)]
            records.sort(key=lambda d: (-(d["year"] or 0), d["title"], d["doc_id"]))
            version.records = (records, {d["doc_id"]: d for d in records})
        return version.records

    def stats(self) -> dict:
        """The object of ``policy-search stats --json`` (with where the index lives)."""
        version = self._activate()
        meta = version.meta
        docs = self.documents()
        return {
            "documents": len(docs), "paragraphs": sum(d["paragraphs"] for d in docs),
            "built_at": meta.get("built_at"), "dictionary": meta.get("dictionary_description"),
            "docs": docs, "last_build": meta.get("last_build"),
            "backend": {"name": "opensearch", "cluster": ",".join(self.cluster.hosts),
                        "alias": self.cluster.index, "index": version.index},
        }


def _contains_a_term(text: str, parsed: ParsedQuery) -> bool:
    """Whether a paragraph holds any positive term literally (its occurrences get marked)."""
    literal = literal_text(text)
    return any(term.literal in literal for term in parsed.terms)
