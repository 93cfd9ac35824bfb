"""Similar passages (相似表述) on an OpenSearch cluster: computed by the build, kept in the index.

After loading, the build fingerprints every document of the index and finds the pairs with the
embedded build's code (``relations.fingerprints``, ``relations.similar.neighbour_lists``), so
both backends hold the same lists; like the duplicate groups, this runs over every document of
the index, so a partitioned build (``--part i/n``) does it once, in the part that completes the
set. The lists are stored in records of their own (kind ``s``, id ``s:<doc_id>:<n>``): per
document, its compared paragraphs, how many similar passages each has and their lists
``[doc_id, para, similarity in thousandths]``, in a non-indexed object field. A long document's
lists are cut into several records of at most RECORD_ENTRIES entries, so no record grows past
about a megabyte whatever the collection. Each record carries a digest of its content: an
incremental build rewrites only the records whose lists changed and deletes those that are gone.

``ClusterLookup`` reads them per request (a search on the document's records, with only the
wanted part of their source) for ``relations.similar``'s answers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterator

import numpy as np

from indexer.errors import IndexNotFoundError
from indexer.relations import duplicates, similar
from indexer.relations.fingerprints import Fingerprints

KIND_SIMILAR = "s"
RECORD_ENTRIES = 20_000  # paragraphs + listed passages per record (≈ 36 bytes each; one list is never cut)
MAX_RECORDS = 10_000  # records read for one document (far above any real document's)


# ---------------------------------------------------------------- build

def write(client, index: str, prints: Fingerprints, documents: dict[str, dict],
          groups: list[dict], bulk: dict) -> tuple[int, int]:
    """Compute every passage's similar passages (copies in ``groups`` are not each other's)
    and bring ``index``'s similar-passage records up to date; (records written, deleted)."""
    from opensearchpy import helpers
    offsets, neighbours, similarity, *_capped = similar.neighbour_lists(
        prints, documents, duplicates.group_numbers(prints.doc_ids, groups))
    stored = {hit["_id"]: (hit["_source"].get("similar") or {}).get("digest")
              for hit in helpers.scan(client, index=index, _source=["similar.digest"],
                                      query={"query": {"term": {"kind": KIND_SIMILAR}}})}
    written = 0

    def actions():
        nonlocal written
        for record_id, source in records(prints, offsets, neighbours, similarity):
            if stored.pop(record_id, None) != source["similar"]["digest"]:
                written += 1
                yield {"_index": index, "_id": record_id, "_source": source}
        for record_id in sorted(stored):  # documents gone, or lists grown shorter
            yield {"_op_type": "delete", "_index": index, "_id": record_id}

    for _ in helpers.streaming_bulk(client, actions(), raise_on_error=True, **bulk):
        pass
    client.indices.refresh(index=index)
    return written, len(stored)


def records(prints: Fingerprints, offsets: np.ndarray, neighbours: np.ndarray,
            similarity: np.ndarray) -> Iterator[tuple[str, dict]]:
    """(id, source) of the similar-passage records of every document with compared passages,
    from ``neighbour_lists``' arrays."""
    doc_names = np.asarray(prints.doc_ids, dtype=object)
    for number, doc_id in enumerate(prints.doc_ids):
        start, end = prints.passage_range(number)
        # this document's entries only: memory stays that of the longest document
        base, top = int(offsets[start]), int(offsets[end])
        listed = neighbours[base:top]
        names = doc_names[prints.passage_docs[listed]].tolist()
        paras = prints.passage_paras[listed].tolist()
        thousandths = np.rint(similarity[base:top].astype(np.float64) * 1000).astype(
            np.int64).tolist()
        part, chunk, entries = 0, _empty(), 0
        for row in range(start, end):
            low, high = int(offsets[row]) - base, int(offsets[row + 1]) - base
            if chunk["paras"] and entries + 1 + high - low > RECORD_ENTRIES:
                yield _record(doc_id, part, chunk)
                part, chunk, entries = part + 1, _empty(), 0
            para = int(prints.passage_paras[row])
            chunk["paras"].append(para)
            chunk["counts"].append(high - low)
            if high > low:
                chunk["lists"][str(para)] = [list(entry) for entry in zip(
                    names[low:high], paras[low:high], thousandths[low:high])]
            entries += 1 + high - low
        if chunk["paras"]:
            yield _record(doc_id, part, chunk)


def _empty() -> dict:
    return {"paras": [], "counts": [], "lists": {}}


def _record(doc_id: str, part: int, chunk: dict) -> tuple[str, dict]:
    content = {"first": chunk["paras"][0], **chunk}
    digest = hashlib.blake2b(json.dumps(content, ensure_ascii=False, sort_keys=True,
                                        separators=(",", ":")).encode("utf-8"),
                             digest_size=16).hexdigest()
    return f"s:{doc_id}:{part}", {"kind": KIND_SIMILAR, "doc_id": doc_id,
                                  "similar": {**content, "digest": digest}}


# ---------------------------------------------------------------- reading

class ClusterLookup:
    """The similar passages stored in the index an ``OpenSearchEngine`` reads (the
    ``relations.similar.PassageLookup`` of that backend)."""

    def __init__(self, engine):
        self.engine = engine
        self.version = engine._activate()

    def neighbours(self, doc_id: str, para: int) -> list[similar.Neighbour] | None:
        """A paragraph's similar passages, earliest document first (None: not compared)."""
        for record in self._records(doc_id, ["similar.paras", f"similar.lists.{para}"]):
            if para in record.get("paras", []):
                return _decoded(record.get("lists", {}).get(str(para), []))
        return None

    def compared(self, doc_id: str) -> list[tuple[int, list[similar.Neighbour]]]:
        """Each compared paragraph of a document, in order, with its similar passages."""
        return [(para, _decoded(record.get("lists", {}).get(str(para), [])))
                for record in self._records(doc_id, ["similar.paras", "similar.lists"])
                for para in record.get("paras", [])]

    def counts(self, doc_id: str) -> dict[int, int]:
        """para → how many similar passages, for the paragraphs of a document that have any."""
        return {para: count
                for record in self._records(doc_id, ["similar.paras", "similar.counts"])
                for para, count in zip(record.get("paras", []), record.get("counts", []))
                if count}

    def texts(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The text of each wanted (doc_id, para) paragraph that exists (one ``_mget``)."""
        from opensearchpy.exceptions import NotFoundError
        if not wanted:
            return {}
        engine = self.engine
        try:
            answer = engine._call(engine.client.mget, index=engine._searched_index(),
                                  body={"ids": [f"p:{doc_id}:{para}" for doc_id, para in wanted]},
                                  _source=["doc_id", "para", "text"])
        except NotFoundError:
            raise IndexNotFoundError(f"the index {engine.cluster.index!r} is gone from the "
                                     "OpenSearch cluster: rebuild it") from None
        found = {}
        for document in answer["docs"]:
            stored = document.get("_source") if document.get("found") else None
            if stored:
                found[(stored["doc_id"], stored["para"])] = stored.get("text", "")
        return found

    def _records(self, doc_id: str, fields: list[str]) -> list[dict]:
        """The ``similar`` object of a document's records (``fields`` of it), in paragraph order."""
        body = {"query": {"bool": {"filter": [{"term": {"kind": KIND_SIMILAR}},
                                              {"term": {"doc_id": doc_id}}]}},
                "size": MAX_RECORDS, "_source": fields, "track_total_hits": False}
        hits = self.engine._search(self.version, body)["hits"]["hits"]
        return sorted((hit["_source"].get("similar") or {} for hit in hits),
                      key=lambda record: record.get("paras", [0])[0])


def _decoded(entries: list) -> list[similar.Neighbour]:
    """Stored entries → (doc_id, para, similarity), the similarity as the embedded build's
    float32 value (so both backends round it alike)."""
    return [(doc_id, para, float(np.float32(thousandths / 1000)))
            for doc_id, para, thousandths in entries]
