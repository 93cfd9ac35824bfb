"""New formulations (新提法): the words and phrases of a document no earlier document of its
series used.

Candidates are the document's jieba words and policy-dictionary terms, and runs of two to
six words that recur in it; numbers, dates and runs that start or end on a function word are
not candidates. A candidate is new when it occurs literally (after normalisation) in none of
the series' earlier documents: one Aho-Corasick scan of their text decides that for all
candidates at once. Of the new ones only the shortest are kept (发展新质生产力 is new because
新质生产力 is), and combinations of old words used in one paragraph only are dropped. The rest are
ranked by prominence: occurrences, weighted up in headings.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, defaultdict

import ahocorasick

from indexer.analysis import active_dictionary, builtin_dictionary_path, literal_text
from indexer.features.series import earlier_in_series, series_key

MAX_WORDS = 6        # longest run of words that is a candidate phrase
MAX_CHARS = 16
HEADING_WEIGHT = 3   # an occurrence in a heading counts as three in the body
SHOWN_PARAGRAPHS = 20
CACHED_RESULTS = 32

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NUMERAL = set("〇零一二三四五六七八九十百千万亿两几第余多半壹贰叁肆伍陆柒捌玖拾佰仟")
_DATE_OR_AMOUNT = set("年月日号时分秒元角个次届倍成")
# Words an editor would never start or end a phrase with.
_EDGE_WORDS = set("""的 地 得 了 着 过 和 与 及 或 并 而 且 在 是 为 对 把 将 被 让 使 以 于 由 从 向 给 等
    之 其 这 那 此 该 各 每 所 也 都 又 还 就 才 更 最 很 要 会 能 可 已 不 没 有 上 下 中 里 内 外
    着力 进一步 我们 我国 全国 一批 一些 这些 以及 并且 同时 通过 进行 加以 予以 有关 相关 方面 工作""".split())
_LOCK = threading.Lock()
_CACHE: OrderedDict = OrderedDict()


def new_formulations(engine, doc_id: str) -> dict | None:
    """The object of ``policy-search new DOC_ID --json``, or None for an unknown document."""
    started = time.perf_counter()
    document = engine.document(doc_id)
    if document is None:
        return None
    records = engine.documents()
    record = next(r for r in records if r["doc_id"] == doc_id)
    earlier = earlier_in_series(records, record)
    key = (engine.version(), doc_id)
    with _LOCK:
        phrases = _CACHE.get(key)
    if phrases is None:
        texts = [p["text"] for r in earlier for p in engine.document(r["doc_id"])["paragraphs"]]
        phrases = _new_phrases(document["paragraphs"], texts) if earlier else []
        with _LOCK:
            _CACHE[key] = phrases
            while len(_CACHE) > CACHED_RESULTS:
                _CACHE.popitem(last=False)
    region, kind = series_key(record)
    return {
        "doc_id": doc_id, "title": document["title"], "year": document["year"],
        "series": {"region": region or None, "kind": kind,
                   "earlier": [{"doc_id": r["doc_id"], "title": r["title"], "year": r["year"]}
                               for r in earlier]},
        "phrases": phrases,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _new_phrases(paragraphs: list[dict], earlier_texts: list[str]) -> list[dict]:
    """The minimal new phrases of ``paragraphs``, most prominent first."""
    found = _candidates(paragraphs)
    unseen = _absent_from(list(found), earlier_texts)
    # Keep the shortest new units: a phrase containing another new phrase is new because of it.
    unseen_set = set(unseen)
    minimal = [p for p in unseen if not any(
        p[i:j] in unseen_set for i in range(len(p)) for j in range(i + 2, len(p) + 1)
        if j - i < len(p))]
    phrases = []
    for phrase in minimal:
        seen = found[phrase]
        if seen["words"] > 1 and not seen["term"] and (
                not seen.get("closed", True) or (len(seen["paras"]) < 2 and not seen["headings"])):
            continue  # a fragment of a longer run, or old words combined in one paragraph only
        if seen["count"] < 2 and not seen["headings"] and not seen["term"] and len(phrase) < 3:
            continue  # a rare two-character word used once: usually a name or a typo
        phrases.append({
            "phrase": phrase, "count": seen["count"], "in_headings": seen["headings"],
            "score": seen["count"] + (HEADING_WEIGHT - 1) * seen["headings"],
            "paragraphs": sorted(seen["paras"])[:SHOWN_PARAGRAPHS],
            "first": seen["first"],
        })
    phrases.sort(key=lambda p: (-p["score"], -len(p["phrase"]), p["first"], p["phrase"]))
    return phrases


def _candidates(paragraphs: list[dict]) -> dict[str, dict]:
    """Candidate phrase → how the document uses it (count, headings, paragraphs)."""
    dictionary = active_dictionary()
    terms = _policy_terms()
    found: dict[str, dict] = defaultdict(lambda: {"count": 0, "headings": 0, "paras": set(),
                                                  "words": 1, "term": False, "first": 0})
    extensions: dict[str, set] = defaultdict(set)
    for order, paragraph in enumerate(paragraphs):
        text = literal_text(paragraph["text"])
        spans: dict[tuple[int, str], int] = {}  # (start, phrase) → words in it (0: a term)
        for run in _HAN.finditer(text):
            words = dictionary.cut(run.group())
            offset = run.start()
            starts = []
            for word in words:
                starts.append(offset)
                offset += len(word)
            starts.append(offset)
            for i in range(len(words)):
                if _edge(words[i]):
                    continue
                for j in range(i + 1, min(i + MAX_WORDS, len(words)) + 1):
                    phrase = run.string[starts[i]:starts[j]]
                    if len(phrase) > MAX_CHARS:
                        break
                    if len(phrase) >= 2 and not _edge(words[j - 1]) and not _numeric(words[i:j]):
                        spans.setdefault((starts[i], phrase), j - i)
                        if j - i > 1:  # the phrase one word longer either side, for closure
                            extensions[phrase].add(run.string[starts[max(i - 1, 0)]:starts[j]])
                            extensions[phrase].add(run.string[starts[i]:starts[min(j + 1, len(words))]])
        for term in terms:
            start = text.find(term)
            while start >= 0:
                spans[(start, term)] = 0
                start = text.find(term, start + 1)
        for (start, phrase), size in spans.items():
            seen = found[phrase]
            if not seen["paras"]:
                seen["first"] = order
                seen["words"] = size
            seen["term"] = seen["term"] or size == 0 or (size == 1 and phrase in terms)
            seen["count"] += 1
            seen["headings"] += 1 if paragraph.get("heading") else 0
            seen["paras"].add(paragraph["para"])
    for phrase, longer in extensions.items():
        # A run of words is a phrase only if it is closed: no one-word-longer run occurs as
        # often (领域安全能力 always sits in 重点领域安全能力建设: it is a fragment).
        count = found[phrase]["count"]
        found[phrase]["closed"] = not any(
            found[e]["count"] >= count for e in longer if e != phrase and e in found)
    return found


def _absent_from(phrases: list[str], texts: list[str]) -> list[str]:
    """The phrases that occur literally in none of ``texts`` (one Aho-Corasick scan)."""
    if not phrases:
        return []
    automaton = ahocorasick.Automaton()
    for number, phrase in enumerate(phrases):
        automaton.add_word(phrase, number)
    automaton.make_automaton()
    present = set()
    for text in texts:
        for _, number in automaton.iter(literal_text(text)):
            present.add(number)
    return [phrase for number, phrase in enumerate(phrases) if number not in present]


def _edge(word: str) -> bool:
    return word in _EDGE_WORDS


def _numeric(words: list[str]) -> bool:
    """True for numbers, dates and amounts (二〇二四年, 第十四届, 三个, 百分之五)."""
    return any(all(c in _NUMERAL or c in _DATE_OR_AMOUNT for c in word) for word in words) \
        or "百分之" in "".join(words)


_TERMS: list[str] = []


def _policy_terms() -> set[str]:
    if not _TERMS:
        for line in builtin_dictionary_path().read_text(encoding="utf-8").splitlines():
            if line.strip():
                _TERMS.append(line.split()[0])
    return set(_TERMS)
