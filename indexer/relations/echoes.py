"""The build step of wording that travels: fingerprints, duplicate groups, similar passages.

``build_index`` calls ``build`` once per build, on the committed build folder just before it
is published; everything is written as new files of that folder (docs/echoes.md).
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index

from indexer.embedded.schema import KIND_DOCUMENT
from indexer.relations import duplicates, fingerprints, similar


def build(folder: Path, previous: Path | None = None) -> None:
    """Compute and store the relations data of a build folder; ``previous`` (the live
    generation, on incremental builds) lends the fingerprints of unchanged documents."""
    with whoosh_index.open_dir(str(folder)).searcher() as searcher:
        records = {r["doc_id"]: r for r in searcher.documents(kind=KIND_DOCUMENT)}
        prints = fingerprints.compute(searcher, fingerprints.load(previous))
        prints.save(folder)
        groups = duplicates.build(folder, searcher, prints, records)
    similar.build(folder, prints, records, duplicates.group_numbers(prints.doc_ids, groups))
