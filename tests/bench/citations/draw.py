"""Draw the hand-checked sample of references (run once, before the rules were tuned).

    .venv/bin/python -m tests.bench.citations.draw > tests/bench/citations/drawn.tsv

A "marker" is a place in the text where a reference may start, found with plain string
operations independent of ``indexer.relations``: every outermost 《 and every bracketed
year followed by a number and 号 (〔2018〕115号 in any bracket). The sample is random markers
(seeded): 50 《 and 15 numbers from ../shared/corpus/laws, 15 markers from ../shared/formats,
each with its file, paragraph and 60 characters either side, to be read and annotated by hand.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from indexer.ingest.documents import DocumentError, iter_corpus_files, read_document

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SEED = 20
NUMBER_MARKER = re.compile(r"[〔\[［（(﹝【]\s*(?:19|20)\d\d\s*[〕\]］）)﹞】]\s*第?\s*\d{1,5}\s*号")


def markers(corpus: Path):
    """(corpus name, source, para, offset, kind, context) of every marker of a corpus."""
    for path in iter_corpus_files(corpus):
        try:
            document = read_document(path, corpus)
        except DocumentError:
            continue
        for paragraph in document.paragraphs:
            text = paragraph.text
            depth = 0
            for offset, char in enumerate(text):
                if char == "《":
                    if depth == 0:
                        yield corpus.name, document.source, paragraph.para, offset, "title", text
                    depth += 1
                elif char == "》" and depth:
                    depth -= 1
            for found in NUMBER_MARKER.finditer(text):
                yield corpus.name, document.source, paragraph.para, found.start(), "number", text


def main() -> None:
    """Print the sample as TSV, with empty columns for the hand annotation."""
    rng = random.Random(SEED)
    laws = list(markers(SHARED / "corpus" / "laws"))
    formats = list(markers(SHARED / "formats"))
    sample = (rng.sample([m for m in laws if m[4] == "title"], 50)
              + rng.sample([m for m in laws if m[4] == "number"], 15)
              + rng.sample(formats, 15))
    print(f"# markers: laws {len(laws)}, formats {len(formats)}", file=sys.stderr)
    print("n\tcorpus\tsource\tpara\toffset\tkind\tcontext")
    for n, (corpus, source, para, offset, kind, text) in enumerate(sample, 1):
        context = text[max(0, offset - 60):offset] + "▲" + text[offset:offset + 80]
        print(f"{n}\t{corpus}\t{source}\t{para}\t{offset}\t{kind}\t{context}")


if __name__ == "__main__":
    main()
