"""Filling an OpenSearch index from a corpus folder: the same documents as the embedded build.

A full build creates a new physical index ``<index>-<timestamp>``, bulk-loads it and then moves
the alias ``<index>`` onto it in one ``_aliases`` request (remove + add), so searches see the
old index or the new one, never half of one; the old physical index is deleted after. A build
that dies leaves the alias where it was (the next full build deletes the orphan).

An incremental build compares each file's content hash with the document records of the live
index, deletes the documents of changed and removed files by query and sends the changed and
new ones again. ``part=(i, n)`` restricts a build to the files whose path hashes to slice i of n,
so several machines can fill one index: ``--full --part i/n`` on each machine fills the
staging index ``<index>-staging`` (created by the first), and the part that completes the set
publishes it.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import socket
import tempfile
import time
from importlib import resources
from pathlib import Path

from indexer.analysis import ANALYSIS_VERSION, Dictionary, use_dictionary
from indexer.embedded.build import USERDICT_NAME, BuildSummary, _read_or_skip, _file_hash
from indexer.embedded.matching import B, K1
from indexer.embedded.schema import NO_YEAR
from indexer.errors import BuildError, BuildLockedError, PolicySearchError
from indexer.features import glossary as corpus_glossary
from indexer.ingest.documents import Document, iter_corpus_files
from indexer.opensearch import tokens
from indexer.opensearch.connection import Cluster
from indexer.opensearch.queries import KIND_DOCUMENT, KIND_META, KIND_PARAGRAPH
from indexer.relations import duplicates, fingerprints
from indexer.relations import graph as relations_graph
from indexer.opensearch import similar as similar_passages

SCHEMA_VERSION = "os-3"  # 2: document records carry title_words; 3: gram fields have norms
META_ID = "__meta__"
RELATIONS_ID = "__relations__"  # relations.json of the embedded backend, as one stored string
DUPLICATES_ID = "__duplicates__"  # the duplicate groups (relations/duplicates.py), as JSON
PARA_BITS = 20  # seq = file ordinal << PARA_BITS | paragraph number (ties rank in corpus order)
BULK = {"chunk_size": 500, "max_chunk_bytes": 20 * 1024 * 1024, "max_retries": 8,
        "initial_backoff": 1, "max_backoff": 60}


def index_body(shards: int = 1, replicas: int = 0) -> dict:
    """``index.json`` with the shard and replica counts, and k1/b from the embedded engine."""
    body = json.loads((resources.files("indexer.opensearch") / "index.json").read_text("utf-8"))
    settings = body["settings"]["index"]
    settings.update(number_of_shards=shards, number_of_replicas=replicas)
    settings["similarity"]["policy_bm25"].update(k1=K1, b=B)
    return body


def in_part(source: str, part: tuple[int, int]) -> bool:
    """Whether the file ``source`` (its corpus-relative path) belongs to slice ``part`` = (i, n)."""
    number, count = part
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count == number - 1


def document_actions(document: Document, ordinal: int, index: str) -> list[dict]:
    """The bulk actions of one document: its record and one per paragraph."""
    year = NO_YEAR if document.year is None else document.year
    title_words, _ = tokens.words(document.title)
    actions = [{"_index": index, "_id": f"d:{document.doc_id}", "_source": {
        "kind": KIND_DOCUMENT, "doc_id": document.doc_id, "title": document.title, "year": year,
        "date": document.date, "region": document.region, "source": document.source,
        "content_hash": document.content_hash, "paragraphs": len(document.paragraphs),
        "issuer": document.issuer, "doc_number": document.doc_number,
        "published": document.published, "source_name": document.source_name,
        "chars": sum(len(p.text) for p in document.paragraphs), "seq": ordinal << PARA_BITS,
        # scored like Whoosh's title field, whose statistics count document records too
        "title_words": title_words}}]
    for paragraph in document.paragraphs:
        words, length = tokens.words(paragraph.text)
        unigrams, bigrams = tokens.characters(paragraph.text)
        actions.append({"_index": index, "_id": f"p:{document.doc_id}:{paragraph.para}",
                        "_source": {
            "kind": KIND_PARAGRAPH, "doc_id": document.doc_id, "para": paragraph.para,
            "seq": (ordinal << PARA_BITS) | paragraph.para, "year": year,
            "title": document.title, "section": paragraph.section, "text": paragraph.text,
            "heading": bool(paragraph.heading), "level": paragraph.level or 0,
            "length": length, "words": words, "title_words": title_words, "unigrams": unigrams,
            "bigrams": bigrams,
            # recognised from an image: marked, with the recogniser's confidence (as embedded)
            **({"ocr": True, "confidence": paragraph.confidence} if paragraph.ocr else {})}})
    return actions


def _read_file(job):
    """Worker: one file → ("added", source, paragraphs, actions) or ("skipped", source, reason)."""
    corpus_dir, path, ordinal, index = job
    summary = BuildSummary()
    document = _read_or_skip(path, corpus_dir, summary)
    source = path.relative_to(corpus_dir).as_posix()
    if document is None:
        return "skipped", source, summary.skipped[0]["reason"], None
    return "added", source, len(document.paragraphs), document_actions(document, ordinal, index)


class Builder:
    """One build against one cluster; ``run`` does it and returns the summary."""

    def __init__(self, corpus_dir: Path, cluster: Cluster, full: bool = False, progress=None,
                 procs: int | None = None, shards: int = 1, replicas: int = 0,
                 part: tuple[int, int] = (1, 1)):
        self.corpus_dir = Path(corpus_dir).resolve()
        self.cluster, self.full, self.progress = cluster, full, progress
        self.procs = procs or min(2, os.cpu_count() or 1)
        self.shards, self.replicas, self.part = shards, replicas, part
        self.client = cluster.client()
        self.alias = cluster.index

    # ------------------------------------------------------------------ entry point

    def run(self) -> BuildSummary:
        """Build (full or incremental), publish, and return what was done."""
        from opensearchpy.exceptions import (ConnectionError as ClusterConnectionError,
                                             ConnectionTimeout, TransportError)
        from opensearchpy.helpers import BulkIndexError
        if not self.corpus_dir.is_dir():
            raise BuildError(f"corpus folder not found: {self.corpus_dir}")
        number, count = self.part
        if not 1 <= number <= count:
            raise BuildError(f"--part {number}/{count}: the part must be from 1 to {count}")
        started = time.monotonic()
        try:
            with self._lock():
                summary = self._build()
        except (ClusterConnectionError, ConnectionTimeout) as error:
            raise BuildError("build failed, the alias still names the last complete index: "
                             + str(self.cluster.unavailable(error))) from None
        except TransportError as error:
            raise BuildError(self.cluster.scrub(
                "build failed, the alias still names the last complete index: OpenSearch "
                f"answered {error.status_code} {error.error}")) from None
        except BulkIndexError as error:  # records refused after the retries
            first = (error.errors or [{}])[0]
            reason = next(iter(first.values()), {}).get("error", first) if first else ""
            raise BuildError(self.cluster.scrub(
                "build failed, the alias still names the last complete index: the cluster "
                f"refused {len(error.errors)} records (first: {reason})")) from None
        summary.seconds = round(time.monotonic() - started, 2)
        return summary

    def _build(self) -> BuildSummary:
        live = self.live_index()
        live_meta = self.meta(live) if live else None
        previous = corpus_glossary.Glossary.from_json(live_meta["glossary"]) \
            if live_meta and live_meta.get("glossary") else None
        glossary = corpus_glossary.collect(self.corpus_dir, previous)
        dictionary = Dictionary(self.corpus_dir / USERDICT_NAME, glossary.dictionary_terms())
        use_dictionary(dictionary)
        dictionary.cut("预热")  # load jieba once, before the workers fork
        reason = "" if self.full else self._full_reason(live_meta, dictionary, glossary)
        if self.full or reason:
            if self.part != (1, 1):
                summary = self._partial_full(dictionary, glossary, live)
            else:
                summary = self._full(dictionary, glossary, live)
            summary.reason = reason or "--full requested"
            return summary
        return self._incremental(dictionary, glossary, live, live_meta)

    # ------------------------------------------------------------------ the live index

    def live_index(self) -> str | None:
        """The physical index the alias names (None before the first build)."""
        if not self.client.indices.exists_alias(name=self.alias):
            if self.client.indices.exists(index=self.alias):
                raise BuildError(f"{self.alias!r} is an index, not an alias: choose another "
                                 "--os-index or delete that index")
            return None
        return next(iter(self.client.indices.get_alias(name=self.alias)))

    def meta(self, index: str) -> dict | None:
        """The metadata record of a physical index (None if it has none)."""
        from opensearchpy.exceptions import NotFoundError
        try:
            return self.client.get(index=index, id=META_ID)["_source"].get("meta")
        except NotFoundError:
            return None

    def _full_reason(self, meta: dict | None, dictionary, glossary) -> str:
        if meta is None:
            return "no index yet"
        if meta.get("schema_version") != SCHEMA_VERSION:
            return "the index schema changed"
        if meta.get("analysis_version") != ANALYSIS_VERSION:
            return "the tokenizer changed"
        if meta.get("glossary_fingerprint") != glossary.fingerprint:
            return "the glossary or abbreviations.txt changed"
        if meta.get("dictionary") != dictionary.fingerprint:
            return "the user dictionary changed"
        if self.part == (1, 1) and meta.get("corpus") != str(self.corpus_dir) \
                and not meta.get("parts"):
            return f"the index was built from another corpus ({meta.get('corpus')})"
        return ""

    # ------------------------------------------------------------------ full builds

    def _full(self, dictionary, glossary, live: str | None) -> BuildSummary:
        summary = BuildSummary(mode="full")
        self._remove_orphans(live)
        index = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}{int(time.time() * 1e6) % 10**6:06d}"
        self._create(index)
        try:
            self._send_files(index, self._files(), summary)
            summary.documents = summary.added
            summary.generation = index
            self._write_relations(index, live)
            self._write_duplicates(index)
            self._write_meta(index, dictionary, glossary, summary, updates=0)
            self._publish(index, live)
        except BaseException:
            self._delete_quietly(index)
            raise
        return summary

    def _partial_full(self, dictionary, glossary, live: str | None) -> BuildSummary:
        """``--full --part i/n``: this slice into the shared staging index; the last part
        to finish publishes it."""
        from opensearchpy.exceptions import RequestError
        summary = BuildSummary(mode="full")
        number, count = self.part
        staging = f"{self.alias}-staging"
        if not self.client.indices.exists_alias(name=staging):
            index = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}p{count}"
            try:
                self._create(index, aliases={staging: {}})
            except RequestError as error:
                if "already_exists" not in str(error.error):
                    raise
        index = next(iter(self.client.indices.get_alias(name=staging)))
        self._send_files(index, self._files(), summary)
        summary.documents = summary.added
        summary.generation = index
        self.client.index(index=index, id=f"__part__{number}", refresh=True,
                          body={"kind": "part", "meta": {"part": number, "of": count,
                                                         "summary": summary.to_dict()}})
        done = self.client.count(index=index, body={"query": {"term": {"kind": "part"}}})["count"]
        if done >= count:
            totals = self._totals(index)
            summary.documents, summary.paragraphs = totals
            self._write_relations(index, live)
            self._write_duplicates(index)
            self._write_meta(index, dictionary, glossary, summary, updates=0, parts=count)
            actions = [{"remove": {"index": index, "alias": staging}}]
            self._publish(index, live, extra=actions)
        return summary

    def _files(self) -> list[tuple[int, Path, str]]:
        """(ordinal in the whole corpus, path, source) of this part's files."""
        found = []
        for ordinal, path in enumerate(iter_corpus_files(self.corpus_dir)):
            source = path.relative_to(self.corpus_dir).as_posix()
            if self.part == (1, 1) or in_part(source, self.part):
                found.append((ordinal, path, source))
        return found

    def _create(self, index: str, aliases: dict | None = None) -> None:
        body = index_body(self.shards, self.replicas)
        if aliases:
            body["aliases"] = aliases
        self.client.indices.create(index=index, body=body)
        # refresh off while loading: segments are written once, at the end
        self.client.indices.put_settings(index=index, body={"index": {"refresh_interval": "-1"}})

    def _send_files(self, index: str, files, summary: BuildSummary) -> None:
        from opensearchpy import helpers
        jobs = [(self.corpus_dir, path, ordinal, index) for ordinal, path, _ in files]
        done = 0

        def actions():
            nonlocal done
            context = multiprocessing.get_context("fork")
            with context.Pool(self.procs) as pool:
                for kind, source, detail, records in pool.imap(_read_file, jobs, chunksize=1):
                    done += 1
                    if kind == "skipped":
                        summary.skipped.append({"source": source, "reason": detail})
                    else:
                        summary.added += 1
                        summary.paragraphs += detail
                        yield from records
                    if self.progress:
                        self.progress(done, len(jobs), source)

        for ok, item in helpers.streaming_bulk(self.client, actions(), raise_on_error=True,
                                               **BULK):
            if not ok:  # pragma: no cover - raise_on_error raises first
                raise BuildError(f"bulk indexing failed: {item}")
        summary.skipped.sort(key=lambda s: s["source"])
        self.client.indices.put_settings(index=index, body={"index": {"refresh_interval": "1s"}})
        self.client.indices.refresh(index=index)

    def _totals(self, index: str) -> tuple[int, int]:
        count = self.client.count
        return (count(index=index, body={"query": {"term": {"kind": KIND_DOCUMENT}}})["count"],
                count(index=index, body={"query": {"term": {"kind": KIND_PARAGRAPH}}})["count"])

    def _publish(self, index: str, live: str | None, extra: list | None = None) -> None:
        """Move the alias onto ``index`` in one request, then delete the old index."""
        self.client.cluster.health(index=index, wait_for_status="yellow")
        actions = list(extra or [])
        if live:
            actions.append({"remove": {"index": live, "alias": self.alias}})
        actions.append({"add": {"index": index, "alias": self.alias}})
        self.client.indices.update_aliases(body={"actions": actions})
        if live and live != index:
            self._delete_quietly(live)

    def _remove_orphans(self, live: str | None) -> None:
        """Delete physical indices of this alias left by builds that died (never the live one,
        never a staging index of a partitioned build)."""
        pattern = f"{self.alias}-2*"
        found = self.client.indices.get(index=pattern, ignore_unavailable=True,
                                        allow_no_indices=True, expand_wildcards="open")
        for name, info in found.items():
            if name != live and not info.get("aliases") and name[len(self.alias) + 1:].isdigit():
                self._delete_quietly(name)

    def _delete_quietly(self, index: str) -> None:
        try:
            self.client.indices.delete(index=index, ignore_unavailable=True)
        except Exception:  # noqa: BLE001 - the next full build removes it
            pass

    # ------------------------------------------------------------------ incremental builds

    def _incremental(self, dictionary, glossary, live: str, live_meta: dict) -> BuildSummary:
        from opensearchpy import helpers
        summary = BuildSummary(mode="incremental", generation=live)
        indexed = {hit["_source"]["source"]: hit["_source"] for hit in helpers.scan(
            self.client, index=live, _source=["source", "content_hash", "doc_id", "paragraphs"],
            query={"query": {"term": {"kind": KIND_DOCUMENT}}})}
        files = self._files()
        pending, total = [], len(files)
        for number, (ordinal, path, source) in enumerate(files, 1):
            if self.progress:
                self.progress(number, total, source)
            previous = indexed.pop(source, None)
            if previous is not None and previous["content_hash"] == _file_hash(path):
                summary.unchanged += 1
                summary.paragraphs += previous["paragraphs"]
            else:
                pending.append((ordinal, path, source, previous))
        gone = [record for source, record in indexed.items()
                if self.part == (1, 1) or in_part(source, self.part)]
        stale = [record["doc_id"] for record in gone] + \
            [previous["doc_id"] for _, _, _, previous in pending if previous is not None]
        if stale:
            self._delete_documents(live, stale)
        summary.removed = len(gone)
        if pending:
            sent = BuildSummary()
            self._send_files(live, [(o, p, s) for o, p, s, _ in pending], sent)
            summary.skipped = sent.skipped
            summary.paragraphs += sent.paragraphs
            skipped_sources = {s["source"] for s in sent.skipped}
            for _, _, source, previous in pending:
                if source in skipped_sources:
                    summary.removed += previous is not None
                elif previous is None:
                    summary.added += 1
                else:
                    summary.changed += 1
        summary.documents = summary.added + summary.changed + summary.unchanged
        if summary.added or summary.changed or summary.removed:
            self._write_relations(live, live)
            self._write_duplicates(live)
            self._write_meta(live, dictionary, glossary, summary,
                             updates=live_meta.get("updates", 0) + 1,
                             parts=live_meta.get("parts"))
        return summary

    def _delete_documents(self, index: str, doc_ids: list[str]) -> None:
        """Delete every record of these documents (by id, found with a search: no plugin
        needed, unlike delete-by-query)."""
        from opensearchpy import helpers
        ids = [hit["_id"] for hit in helpers.scan(
            self.client, index=index, _source=False,
            query={"query": {"terms": {"doc_id": doc_ids}}})]
        actions = ({"_op_type": "delete", "_index": index, "_id": record_id} for record_id in ids)
        for _ in helpers.streaming_bulk(self.client, actions, raise_on_error=True, **BULK):
            pass
        self.client.indices.refresh(index=index)

    # ------------------------------------------------------------------ duplicate copies

    def _write_duplicates(self, index: str) -> None:
        """Find the groups of duplicate copies among ``index``'s documents (the embedded
        build's code, reading the texts from the cluster) and store them in its duplicates
        record, then the similar passages (opensearch/similar.py) from the same fingerprints;
        written before the metadata, whose update makes engines load it."""
        from opensearchpy import helpers
        records = {hit["_source"]["doc_id"]: hit["_source"] for hit in helpers.scan(
            self.client, index=index, query={"query": {"term": {"kind": KIND_DOCUMENT}}},
            _source=["doc_id", "title", "source", "content_hash", "doc_number", "year", "date"])}

        def paragraphs_of(doc_ids: set[str], every: bool = False) -> dict[str, list]:
            wanted = [{"term": {"kind": KIND_PARAGRAPH}}]
            if not every:
                wanted.append({"terms": {"doc_id": sorted(doc_ids)}})
            found: dict[str, list] = {}
            for hit in helpers.scan(self.client, index=index, _source=["doc_id", "para", "text",
                                                                        "heading"],
                                    query={"query": {"bool": {"filter": wanted}}}):
                stored = hit["_source"]
                if stored["doc_id"] in doc_ids:
                    found.setdefault(stored["doc_id"], []).append(
                        (stored["para"], stored.get("text", ""), bool(stored.get("heading"))))
            for paragraphs in found.values():
                paragraphs.sort()
            return found

        def recognised(doc_ids: set[str]) -> set[str]:
            # ``ocr`` is stored, not indexed: read it from the few grouped documents' paragraphs
            wanted = [{"term": {"kind": KIND_PARAGRAPH}}, {"terms": {"doc_id": sorted(doc_ids)}}]
            return {hit["_source"]["doc_id"] for hit in helpers.scan(
                self.client, index=index, _source=["doc_id", "ocr"],
                query={"query": {"bool": {"filter": wanted}}}) if hit["_source"].get("ocr")}

        prints = fingerprints.compute_from(records.values(), paragraphs_of)
        groups = duplicates.find_groups(paragraphs_of, prints, records, recognised)
        self.client.index(index=index, id=DUPLICATES_ID, refresh=True, body={
            "kind": KIND_META, "duplicates": json.dumps(
                {"version": duplicates.VERSION, "groups": groups}, ensure_ascii=False)})
        similar_passages.write(self.client, index, prints, records, groups, BULK)

    # ------------------------------------------------------------------ relations

    def _write_relations(self, index: str, previous: str | None) -> None:
        """Extract and resolve the citations and validity statements of ``index``'s documents
        (reusing ``previous``'s entries for unchanged ones) into its relations record; written
        before the metadata, whose update makes engines load it."""
        from opensearchpy import helpers
        from opensearchpy.exceptions import NotFoundError
        old = {}
        if previous:
            try:
                old = relations_graph.loads(self.client.get(
                    index=previous, id=RELATIONS_ID)["_source"].get("relations"))
            except NotFoundError:
                pass
        records = {hit["_source"]["doc_id"]: hit["_source"] for hit in helpers.scan(
            self.client, index=index, query={"query": {"term": {"kind": KIND_DOCUMENT}}},
            _source=["doc_id", "title", "content_hash", "doc_number", "published", "date"])}

        def paragraphs_of(doc_ids: set[str]) -> dict[str, list[tuple[int, str]]]:
            found: dict[str, list[tuple[int, str]]] = {}
            wanted = [{"term": {"kind": KIND_PARAGRAPH}}]
            if len(doc_ids) <= 1000:  # beyond, one pass over every paragraph is cheaper
                wanted.append({"terms": {"doc_id": sorted(doc_ids)}})
            for hit in helpers.scan(self.client, index=index,
                                    query={"query": {"bool": {"filter": wanted}}},
                                    _source=["doc_id", "para", "text"]):
                stored = hit["_source"]
                if stored["doc_id"] in doc_ids:
                    found.setdefault(stored["doc_id"], []).append((stored["para"], stored["text"]))
            for pairs in found.values():
                pairs.sort()
            return found

        data, _ = relations_graph.compute(records, paragraphs_of, old)
        self.client.index(index=index, id=RELATIONS_ID, refresh=True,
                          body={"kind": KIND_META, "relations": relations_graph.dumps(data)})

    # ------------------------------------------------------------------ metadata and lock

    def _write_meta(self, index: str, dictionary, glossary, summary: BuildSummary, updates: int,
                    parts: int | None = None) -> None:
        summary.finished_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        userdict = self.corpus_dir / USERDICT_NAME
        with tempfile.TemporaryDirectory() as folder:  # what a search process needs of it
            compiled = Path(folder) / "dictionary.json"
            dictionary.save_compiled(compiled)
            compiled_text = compiled.read_text(encoding="utf-8")
        meta = {
            "built_at": summary.finished_at, "schema_version": SCHEMA_VERSION,
            "analysis_version": ANALYSIS_VERSION, "dictionary": dictionary.fingerprint,
            "dictionary_description": dictionary.description,
            "glossary_fingerprint": glossary.fingerprint, "glossary": glossary.to_json(),
            "userdict": userdict.read_text(encoding="utf-8-sig") if userdict.is_file() else None,
            "compiled_dictionary": compiled_text,
            "corpus": str(self.corpus_dir), "updates": updates, "parts": parts,
            "last_build": summary.to_dict(),
        }
        self.client.index(index=index, id=META_ID, body={"kind": KIND_META, "meta": meta},
                          refresh=True)

    def _lock(self):
        return _BuildLock(self.client, f"{self.alias}-build-lock")


class _BuildLock:
    """One build at a time per index name: a small index created atomically, naming its holder.

    A holder on this machine whose process is gone is taken over (a killed build)."""

    def __init__(self, client, name: str):
        self.client, self.name = client, name
        self.holder = {"host": socket.gethostname(), "pid": os.getpid(),
                       "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}

    def __enter__(self):
        from opensearchpy.exceptions import RequestError
        body = {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0}},
                "mappings": {"dynamic": False, "_meta": {"holder": self.holder}}}
        try:
            self.client.indices.create(index=self.name, body=body)
        except RequestError as error:
            if "already_exists" not in str(error.error):
                raise
            holder = self._holder()
            if holder and holder.get("host") == self.holder["host"] \
                    and not _alive(holder.get("pid")):
                self.client.indices.delete(index=self.name, ignore_unavailable=True)
                return self.__enter__()
            raise BuildLockedError(
                f"another build of this index is running (process {holder.get('pid')} on "
                f"{holder.get('host')}, since {holder.get('started')}); if none is, delete the "
                f"index {self.name}") from None
        return self

    def _holder(self) -> dict:
        mapping = self.client.indices.get_mapping(index=self.name)
        return next(iter(mapping.values()))["mappings"].get("_meta", {}).get("holder", {})

    def __exit__(self, *exc):
        try:
            self.client.indices.delete(index=self.name, ignore_unavailable=True)
        except Exception:  # noqa: BLE001 - a dead cluster: the next build takes the lock over
            pass


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def build_opensearch(corpus_dir: Path, cluster: Cluster, full: bool = False, progress=None,
                     procs: int | None = None, shards: int = 1, replicas: int = 0,
                     part: tuple[int, int] = (1, 1)) -> BuildSummary:
    """Bring the OpenSearch index ``cluster.index`` up to date with ``corpus_dir``."""
    if shards < 1 or replicas < 0:
        raise PolicySearchError("--shards must be at least 1 and --replicas at least 0")
    return Builder(corpus_dir, cluster, full=full, progress=progress, procs=procs,
                   shards=shards, replicas=replicas, part=part).run()
