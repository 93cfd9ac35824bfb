"""How many short lines look like outline headings but are not flagged as headings.

    .venv/bin/python -m tests.bench.headings [--corpus DIR ...] [--sample N] [--flagged-sample N]

Reads the documents (national-reports + provincial-2026 of ../shared/corpus by default) with
indexer.ingest.documents and counts the paragraphs under 40 characters: how many are flagged as
headings, and how many of the others look like one by a rule of thumb kept apart from the
detector (an outline marker 一、 （一） 1. （1） 第一， 一是 首先 with text after it, or no closing
punctuation at all; not a bare marker left by a broken line, not a name line). It prints both samples for reading: the unflagged look-alikes and the
flagged lines (where false positives hide).
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from indexer.ingest.documents import Document, read_corpus

SHARED_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SUBSETS = ("national-reports", "provincial-2026")
SHORT = 40
LOOKS_LIKE_OUTLINE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.．、](?!\d)"
    r"|第[一二三四五六七八九十]{1,3}[、，,]|[一二三四五六七八九十]{1,2}是|首先|其次|最后)\S{2,}")
UNPUNCTUATED = re.compile(r"[^。！？!?；;：:，,…、”’）)》」』]$")
# Not titles: a marker left alone by a broken line ("二是", "第一，") and name lines ("省长 孟凡利").
BARE_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,2}[是要]|第[一二三四五六七八九十]{1,3}[，,、]|首先[，,]?)$")
NAME_LINE = re.compile(r"\s|·")


def looks_like_heading(text: str) -> bool:
    """The rule of thumb: an outline marker with text after it, or a line with no closing punctuation."""
    if BARE_MARKER.match(text) or NAME_LINE.search(text):
        return False
    return bool(LOOKS_LIKE_OUTLINE.match(text) or UNPUNCTUATED.search(text))


def short_lines(folders: list[Path]) -> list[tuple[str, int, str, bool, str]]:
    """(source, para, text, heading, section) of every paragraph under 40 characters."""
    found = []
    for folder in folders:
        for document in read_corpus(folder):
            if not isinstance(document, Document):
                continue
            for paragraph in document.paragraphs:
                if len(paragraph.text) < SHORT and paragraph.para != 1:
                    found.append((f"{folder.name}/{document.source}", paragraph.para,
                                  paragraph.text, paragraph.heading, paragraph.section))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.headings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, nargs="*",
                        default=[SHARED_CORPUS / name for name in SUBSETS])
    parser.add_argument("--sample", type=int, default=40, help="unflagged look-alikes to print")
    parser.add_argument("--flagged-sample", type=int, default=40, help="flagged lines to print")
    args = parser.parse_args(argv)
    lines = short_lines(args.corpus)
    flagged = [line for line in lines if line[3]]
    missed = [line for line in lines if not line[3] and looks_like_heading(line[2])]
    print(f"paragraphs under {SHORT} characters: {len(lines)}; flagged as headings: {len(flagged)}; "
          f"not flagged but looking like a heading: {len(missed)}")
    rng = random.Random(13)
    for title, rows, count in (("not flagged, looks like a heading", missed, args.sample),
                               ("flagged", flagged, args.flagged_sample)):
        print(f"\n## sample: {title}")
        for source, para, text, _, section in sorted(rng.sample(rows, min(count, len(rows)))):
            print(f"{source.rsplit('/', 1)[-1][:16]}#{para}\t{text}\t§ {section[-40:]}")


if __name__ == "__main__":
    main()
