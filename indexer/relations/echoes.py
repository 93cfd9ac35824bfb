"""The build step of wording that travels: fingerprints, duplicate groups, similar passages.

``build_index`` calls ``build`` once per build, on the committed build folder just before it
is published; everything is written as new files of that folder (docs/echoes.md).
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index

from indexer.embedded.schema import KIND_DOCUMENT
from indexer.relations import duplicates, fingerprints, similar


Collector = fingerprints.Collector  # what build workers hash each document they write with


def build(folder: Path, previous: Path | None = None) -> None:
    """Compute and store the relations data of a build folder; ``previous`` (the live
    generation, on incremental builds) lends the fingerprints of unchanged documents, and the
    part files the build's workers saved (``Collector``) those of the documents they wrote."""
    with whoosh_index.open_dir(str(folder)).searcher() as searcher:
        records = {r["doc_id"]: r for r in searcher.documents(kind=KIND_DOCUMENT)}
        known = [fingerprints.load(previous), fingerprints.load_parts(folder)]
        prints = fingerprints.compute(searcher, fingerprints.joined([k for k in known if k]))
        del known
        prints.save(folder)
        fingerprints.remove_parts(folder)
        groups = duplicates.build(folder, searcher, prints, records)
    similar.build(folder, prints, records, duplicates.group_numbers(prints.doc_ids, groups))
