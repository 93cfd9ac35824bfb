"""The judged set as data: queries, the blind pool, the judgments, and the metrics over them.

A paragraph is keyed by ``source#para#hash`` (its corpus file, its paragraph number and the
first 8 hex digits of sha1 of its text), so judgments survive re-indexing; a key whose
paragraph number moved is found again by source and text hash.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "queries.txt"
POOL = HERE / "pool.tsv"
JUDGMENTS = HERE / "judgments.tsv"
# The held-out set: queries pooled and judged blind before any further tuning, and never tuned
# on; the ranking constants are chosen on the tuning set (the files above) only.
HELDOUT_QUERIES = HERE / "heldout-queries.txt"
HELDOUT_POOL = HERE / "heldout-pool.tsv"
HELDOUT_JUDGMENTS = HERE / "heldout-judgments.tsv"
DEPTH = 10
GRADES = (0, 1, 2)


@dataclass(frozen=True)
class JudgedSet:
    """One set of queries with its blind pool and its judgments."""

    name: str
    queries: Path
    pool: Path
    judgments: Path


TUNING = JudgedSet("tuning", QUERIES, POOL, JUDGMENTS)
HELDOUT = JudgedSet("heldout", HELDOUT_QUERIES, HELDOUT_POOL, HELDOUT_JUDGMENTS)
SETS = {s.name: s for s in (TUNING, HELDOUT)}


def paragraph_key(source: str, para: int, text: str) -> str:
    """The key a judgment is stored under."""
    return f"{source}#{para}#{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def read_queries(path: Path = QUERIES) -> list[str]:
    """The benchmark queries, in file order (lines starting with # are comments)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a tab-separated file without its header line; [] if it does not exist."""
    if not Path(path).exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row for row in rows[1:] if row]


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write rows under a header line, tab-separated."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@dataclass
class Judgments:
    """Grades by (query, key), with the (query, source, hash) fallback for moved paragraphs."""

    grades: dict[tuple[str, str], int] = field(default_factory=dict)
    by_text: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path = JUDGMENTS) -> "Judgments":
        """Load judgments.tsv (query, key, grade)."""
        judgments = cls()
        for query, key, grade, *_ in read_tsv(path):
            judgments.add(query, key, int(grade))
        return judgments

    def add(self, query: str, key: str, grade: int) -> None:
        """Record one grade."""
        if grade not in GRADES:
            raise ValueError(f"grade must be one of {GRADES}, not {grade} ({query} {key})")
        self.grades[(query, key)] = grade
        source, _, digest = key.split("#")
        self.by_text[(query, source, digest)] = grade

    def grade(self, query: str, key: str) -> int | None:
        """The grade of a paragraph for a query, or None when it was never judged."""
        found = self.grades.get((query, key))
        if found is None:
            source, _, digest = key.split("#")
            found = self.by_text.get((query, source, digest))
        return found

    def ideal(self, query: str) -> list[int]:
        """Every grade judged for the query, best first (the ideal ranking of nDCG)."""
        return sorted((g for (q, _), g in self.grades.items() if q == query), reverse=True)


def dcg(grades: list[int]) -> float:
    """Discounted cumulative gain with linear gains: sum of grade / log2(rank + 1)."""
    return sum(g / math.log2(rank + 2) for rank, g in enumerate(grades[:DEPTH]))


@dataclass(frozen=True)
class Scores:
    """One system's top 10 for one query, measured."""

    ndcg: float
    precision: float      # share of the 10 places holding a paragraph of grade >= 1
    substantive: float    # share of the 10 places holding a grade-2 paragraph
    unjudged: tuple[str, ...]


def score(judgments: Judgments, query: str, keys: list[str]) -> Scores:
    """nDCG@10, P@10 and grade-2 share of a ranked list; unjudged keys count 0 and are listed."""
    keys = keys[:DEPTH]
    grades = [judgments.grade(query, key) for key in keys]
    unjudged = tuple(key for key, g in zip(keys, grades) if g is None)
    known = [g or 0 for g in grades]
    ideal = dcg(judgments.ideal(query))
    return Scores(
        ndcg=dcg(known) / ideal if ideal else 0.0,
        precision=sum(g >= 1 for g in known) / DEPTH,
        substantive=sum(g == 2 for g in known) / DEPTH,
        unjudged=unjudged,
    )
