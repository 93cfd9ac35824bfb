"""Drawing the blind sample of candidate pairs (run once, before the threshold was chosen).

Candidate pairs come from the same MinHash LSH banding the build uses (``similar.find_pairs``),
with a floor far below any threshold considered (0.2), drawn evenly over similarity bands so
that the sample covers the range a threshold could be put in; the scores are not written, and
the order is shuffled. sample.tsv was drawn when find_pairs still filled datasketch's
``MinHashLSH`` itself (the same pairs, found in another order): a redraw gives other rows.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from indexer.relations import fingerprints, similar

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample.tsv"
FLOOR = 0.2
BANDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
PER_BAND = 15
SEED = 21


def draw(searcher) -> list[dict]:
    """The sample's rows (id, both passages and their texts), shuffled, without scores."""
    prints = fingerprints.compute(searcher)
    pairs = similar.find_pairs(prints, FLOOR)
    a, b, similarity = pairs.a, pairs.b, pairs.similarity
    chooser = random.Random(SEED)
    chosen = []
    for low, high in zip(BANDS, BANDS[1:]):
        inside = np.flatnonzero((similarity >= low) & (similarity < high)).tolist()
        chosen += chooser.sample(inside, min(PER_BAND, len(inside)))
    chooser.shuffle(chosen)
    rows = []
    for number, pair in enumerate(chosen, 1):
        row = {"id": number}
        for side, passage in (("a", a[pair]), ("b", b[pair])):
            doc_id = prints.doc_ids[prints.passage_docs[passage]]
            para = int(prints.passage_paras[passage])
            text = searcher.document(key=f"{doc_id}:{para}")["text"]
            row.update({f"{side}_doc": doc_id, f"{side}_para": para, f"{side}_text": text})
        rows.append(row)
    return rows


def write(rows: list[dict], path: Path = SAMPLE) -> None:
    """Write the sample as TSV."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
