"""Citation detection and resolution measured on ../shared/corpus/laws and ../shared/formats.

    .venv/bin/python -m tests.bench.citations

Reads both corpora as one (laws/… and formats/…, linked into a temporary folder), extracts and
resolves every document's references with the same functions the build uses
(``indexer.relations.graph.extract`` and ``resolve``), prints what was found and resolved, then
scores the hand-checked sample: ``drawn.tsv`` (80 markers drawn at random from the raw text by
``draw.py``) and ``checked.tsv`` (each read and annotated by hand before the rules were tuned).

Detection: a sampled marker counts as detected when a reference's span covers it; precision is
over the detected markers, recall over the markers that are references. Resolution: a detected
reference is resolved correctly when its targets are not empty and all are among the documents
the hand check names; precision is over the resolved ones, recall over the references whose
document the corpus holds.
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from indexer.ingest.documents import DocumentError, iter_corpus_files, read_document
from indexer.relations import graph, validity

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared"


def read_corpus(root: Path) -> dict[str, object]:
    """Every readable document of the combined corpus, by source path."""
    documents = {}
    for path in iter_corpus_files(root):
        try:
            document = read_document(path, root)
        except DocumentError:
            continue
        documents[document.source] = document
    return documents


def record(document) -> dict:
    """The index record fields ``graph.extract`` reads."""
    return {"doc_id": document.doc_id, "title": document.title, "date": document.date,
            "published": document.published, "doc_number": document.doc_number,
            "content_hash": document.content_hash}


def load_sample() -> list[dict]:
    """drawn.tsv joined with checked.tsv on n."""
    def rows(name):
        with open(HERE / name, encoding="utf-8") as handle:
            lines = [line for line in handle if not line.startswith("#")]
        return {row["n"]: row for row in csv.DictReader(lines, delimiter="\t",
                                                        quoting=csv.QUOTE_NONE)}
    drawn, checked = rows("drawn.tsv"), rows("checked.tsv")
    return [{**drawn[n], **checked[n]} for n in drawn]


def ratio(part: int, whole: int) -> str:
    """part/whole as a percentage with both counts."""
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a (0/0)"


def main() -> None:
    """Print the corpus-wide counts and the sample's precision and recall."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="citations-bench-") as tmp:
        root = Path(tmp)
        (root / "laws").symlink_to(SHARED / "corpus" / "laws")
        (root / "formats").symlink_to(SHARED / "formats")
        documents = read_corpus(root)
    read_seconds = time.monotonic() - started
    docs = {d.doc_id: graph.extract(record(d), [(p.para, p.text) for p in d.paragraphs])
            for d in documents.values()}
    graph.resolve(docs)
    by_source = {d.source: d.doc_id for d in documents.values()}
    print(f"read {len(documents)} documents in {read_seconds:.0f} s; extraction and resolution "
          f"{time.monotonic() - started - read_seconds:.1f} s")
    for corpus in ("laws", "formats"):
        ids = [d.doc_id for d in documents.values() if d.source.startswith(corpus + "/")]
        refs = [r for i in ids for r in docs[i]["refs"]]
        kinds = Counter(r["resolution"] for r in refs)
        print(f"\n{corpus}: {len(ids)} documents, {len(refs)} references "
              f"({sum(1 for r in refs if r['title'])} with a title, "
              f"{sum(1 for r in refs if r['number'])} with a 文号), "
              f"resolved {ratio(sum(1 for r in refs if r['targets']), len(refs))}")
        print("  by resolution: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
        repeals = sum(len(docs[i]["repeals"]) for i in ids)
        resolved_repeals = sum(1 for i in ids for a in docs[i]["repeals"]
                               if docs[i]["refs"][a["ref"]]["targets"])
        amends = sum(len(docs[i]["amends"]) for i in ids)
        print(f"  statements: effective date {sum(1 for i in ids if docs[i]['effective'])}, "
              f"expiry {sum(1 for i in ids if docs[i]['expiry'])}, repeals {repeals} "
              f"(resolved {resolved_repeals}), amends {amends}")
    statuses = _statuses(docs)
    print("\nstatus (today): " + ", ".join(f"{validity.LABELS[k]} {v}"
                                          for k, v in statuses.most_common()))
    score(load_sample(), documents, docs, by_source)
    print(f"\ntotal {time.monotonic() - started:.0f} s")


def _statuses(docs: dict) -> Counter:
    with tempfile.TemporaryDirectory(prefix="citations-bench-") as tmp:
        (Path(tmp) / graph.FILE_NAME).write_text(
            json.dumps({"format": graph.FORMAT, "docs": docs}, ensure_ascii=False),
            encoding="utf-8")
        relations = graph.RelationGraph(Path(tmp))
    return Counter(s["status"] for s in relations.statuses().values())


def score(sample, documents, docs, by_source) -> None:
    """Detection and resolution precision and recall on the hand-checked sample."""
    detected_true = detected_false = missed = 0
    resolved = correct = resolvable = resolvable_correct = 0
    wrong = []
    for row in sample:
        source = f"{row['corpus']}/{row['source']}"
        doc_id = by_source[source]
        para, offset = int(row["para"]), int(row["offset"])
        covering = [r for r in docs[doc_id]["refs"]
                    if r["para"] == para and r["start"] <= offset < r["end"]]
        primary = next((r for r in covering if r["via"] is None), covering[0] if covering else None)
        is_reference = row["is_reference"] == "1"
        truth = set() if row["targets"] == "-" else {by_source[t] for t in row["targets"].split(";")}
        if primary is None:
            missed += is_reference
            if is_reference and truth:
                resolvable += 1
            continue
        if not is_reference:
            detected_false += 1
            wrong.append(f"  #{row['n']} detected, not a reference: {row['reference']}")
            continue
        detected_true += 1
        if truth:
            resolvable += 1
        if primary["targets"]:
            resolved += 1
            ok = bool(truth) and set(primary["targets"]) <= truth
            correct += ok
            resolvable_correct += ok
            if not ok:
                wrong.append(f"  #{row['n']} resolved wrongly: {row['reference']} → "
                             f"{primary['targets']}")
        elif truth:
            wrong.append(f"  #{row['n']} not resolved ({primary['resolution']}): {row['reference']}")
    references = sum(1 for row in sample if row["is_reference"] == "1")
    print(f"\nhand-checked sample: {len(sample)} markers, {references} references, "
          f"{sum(1 for r in sample if r['targets'] != '-')} of them held by the corpus")
    print(f"  detection  precision {ratio(detected_true, detected_true + detected_false)}, "
          f"recall {ratio(detected_true, references)}")
    print(f"  resolution precision {ratio(correct, resolved)}, "
          f"recall {ratio(resolvable_correct, resolvable)}")
    missed_rows = [r for r in sample if r["is_reference"] == "1" and not any(
        ref["para"] == int(r["para"]) and ref["start"] <= int(r["offset"]) < ref["end"]
        for ref in docs[by_source[f"{r['corpus']}/{r['source']}"]]["refs"])]
    for row in missed_rows:
        wrong.append(f"  #{row['n']} missed: {row['reference']}")
    if wrong:
        print("errors:")
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
