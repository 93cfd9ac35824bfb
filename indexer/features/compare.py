"""Comparing two documents: B's paragraphs aligned to their closest counterparts in A.

Paragraphs are vectors of character bigrams weighted by TF-IDF over the two documents; an
inverted index over A's paragraphs finds each B paragraph's best cosine match without
comparing all pairs. A match in a section of the same name (or at the same heading level, for
headings) gets a small bonus, so repeated boilerplate lands in its own section. Pairs are
taken best first, one to one; B paragraphs left without a counterpart above ``MIN_SIMILARITY``
are new, A paragraphs left over are dropped. Inside each pair a character diff (difflib)
marks the added and removed wording.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from difflib import SequenceMatcher

from indexer.analysis import literal_text
from indexer.features.series import previous_in_series

MIN_SIMILARITY = 0.25
SECTION_BONUS = 0.05
SHORT_EQUAL = 2  # equal runs this short between two changes are shown as changed (readable diffs)


def compare_documents(engine, a_id: str | None, b_id: str) -> dict | None:
    """The object of ``policy-search compare A B --json``; None if a document is unknown.

    Without ``a_id``, A is B's series' previous year (raises LookupError if it has none).
    """
    started = time.perf_counter()
    b = engine.document(b_id)
    if b is None:
        return None
    if a_id is None:
        records = engine.documents()
        previous = previous_in_series(records, next(r for r in records if r["doc_id"] == b_id))
        if previous is None:
            raise LookupError(f"{b['title']} has no earlier document in its series")
        a_id = previous["doc_id"]
    a = engine.document(a_id)
    if a is None:
        return None
    rows = align(a["paragraphs"], b["paragraphs"])
    counts = Counter(row["status"] for row in rows)
    return {
        "a": _summary(a), "b": _summary(b),
        "counts": {status: counts.get(status, 0)
                   for status in ("same", "changed", "new", "dropped")},
        "rows": rows, "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _summary(document: dict) -> dict:
    return {"doc_id": document["doc_id"], "title": document["title"], "year": document["year"],
            "paragraphs": len(document["paragraphs"]),
            "chars": sum(len(p["text"]) for p in document["paragraphs"])}


def align(a_paragraphs: list[dict], b_paragraphs: list[dict]) -> list[dict]:
    """Rows in B's order (dropped A paragraphs after their nearest aligned neighbour)."""
    a_vectors = [_bigrams(p["text"]) for p in a_paragraphs]
    b_vectors = [_bigrams(p["text"]) for p in b_paragraphs]
    idf = _idf(a_vectors + b_vectors)
    a_weighted = [_weigh(v, idf) for v in a_vectors]
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for number, vector in enumerate(a_weighted):
        for gram, weight in vector.items():
            postings[gram].append((number, weight))
    candidates = []
    for b_number, vector in enumerate(_weigh(v, idf) for v in b_vectors):
        scores: dict[int, float] = defaultdict(float)
        for gram, weight in vector.items():
            for a_number, a_weight in postings.get(gram, ()):
                scores[a_number] += weight * a_weight
        for a_number, score in scores.items():
            score += _context_bonus(a_paragraphs[a_number], b_paragraphs[b_number])
            if score >= MIN_SIMILARITY:
                candidates.append((score, b_number, a_number))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    pair_of_b: dict[int, tuple[int, float]] = {}
    taken = set()
    for score, b_number, a_number in candidates:
        if b_number not in pair_of_b and a_number not in taken:
            pair_of_b[b_number] = (a_number, score)
            taken.add(a_number)
    return _rows(a_paragraphs, b_paragraphs, pair_of_b, taken)


def _rows(a_paragraphs, b_paragraphs, pair_of_b, taken) -> list[dict]:
    rows, a_anchor = [], {}
    for b_number, b_paragraph in enumerate(b_paragraphs):
        if b_number in pair_of_b:
            a_number, score = pair_of_b[b_number]
            a_paragraph = a_paragraphs[a_number]
            diff = diff_text(a_paragraph["text"], b_paragraph["text"])
            status = "same" if len(diff) == 1 and diff[0][0] == "equal" else "changed"
            rows.append(_row(status, a_paragraph, b_paragraph, round(min(score, 1.0), 3), diff))
            a_anchor[a_number] = len(rows) - 1
        else:
            rows.append(_row("new", None, b_paragraph, None,
                             [["insert", b_paragraph["text"]]]))
    # Dropped A paragraphs go right after the row of the nearest earlier aligned A paragraph.
    placed: dict[int, list[dict]] = defaultdict(list)
    anchor = -1
    for a_number, a_paragraph in enumerate(a_paragraphs):
        if a_number in taken:
            anchor = a_anchor[a_number]
        else:
            placed[anchor].append(_row("dropped", a_paragraph, None, None,
                                       [["delete", a_paragraph["text"]]]))
    ordered = list(placed.get(-1, []))
    for number, row in enumerate(rows):
        ordered.append(row)
        ordered.extend(placed.get(number, []))
    return ordered


def _row(status, a_paragraph, b_paragraph, similarity, diff) -> dict:
    def side(p):
        return None if p is None else {"para": p["para"], "section": p["section"],
                                       "heading": p["heading"], "level": p["level"]}
    return {"status": status, "a": side(a_paragraph), "b": side(b_paragraph),
            "similarity": similarity, "diff": diff}


def diff_text(a: str, b: str) -> list[list[str]]:
    """[op, text] runs turning ``a`` into ``b``: op is equal, delete or insert."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    # Fold very short equal runs between changes into the change: 5 one-character islands
    # in a rewritten clause read worse than one deletion and one insertion.
    runs: list[list[str]] = []
    for index, (op, a1, a2, b1, b2) in enumerate(opcodes):
        between = 0 < index < len(opcodes) - 1
        if op == "equal" and not (between and a2 - a1 <= SHORT_EQUAL):
            runs.append(["equal", a[a1:a2]])
            continue
        if a2 > a1:
            runs.append(["delete", a[a1:a2]])
        if b2 > b1:
            runs.append(["insert", b[b1:b2]])
    return _grouped(runs)


def _grouped(runs: list[list[str]]) -> list[list[str]]:
    """Merge each stretch of changes into one deletion followed by one insertion."""
    out: list[list[str]] = []
    pending = {"delete": "", "insert": ""}
    for op, text in runs:
        if op == "equal":
            out.extend([k, v] for k, v in pending.items() if v)
            pending = {"delete": "", "insert": ""}
            out.append([op, text])
        else:
            pending[op] += text
    out.extend([k, v] for k, v in pending.items() if v)
    return out


def _bigrams(text: str) -> Counter:
    form = literal_text(text)
    return Counter(form[i:i + 2] for i in range(len(form) - 1)) if len(form) > 1 \
        else Counter([form])


def _idf(vectors: list[Counter]) -> dict[str, float]:
    frequency = Counter(gram for vector in vectors for gram in vector)
    return {gram: math.log((1 + len(vectors)) / (1 + count)) + 1
            for gram, count in frequency.items()}


def _weigh(vector: Counter, idf: dict[str, float]) -> dict[str, float]:
    weighted = {gram: count * idf[gram] for gram, count in vector.items()}
    norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
    return {gram: w / norm for gram, w in weighted.items()}


def _context_bonus(a_paragraph: dict, b_paragraph: dict) -> float:
    if a_paragraph["heading"] != b_paragraph["heading"]:
        return -SECTION_BONUS
    if a_paragraph["section"] and a_paragraph["section"] == b_paragraph["section"]:
        return SECTION_BONUS
    return 0.0
