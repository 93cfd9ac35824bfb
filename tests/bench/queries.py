"""The benchmark's query set: six classes of queries, reproducible from the index and a seed.

Classes (see issue 5):
  policy       every phrase of ../shared/queries/public.txt, words mode
  common       very frequent words (tens of thousands of paragraphs each)
  single_char  one character, from rare (侨) to the most frequent one (的)
  multi_word   two- and three-word queries (every word must occur)
  exact        the policy phrases again, exact mode
  substring    random 2–4 character substrings of real paragraphs (seeded RNG)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from indexer.analysis import is_cjk

CLASSES = ("policy", "common", "single_char", "multi_word", "exact", "substring")

COMMON_WORDS = ("发展", "建设", "经济", "改革", "人民", "社会", "工作", "国家")
SINGLE_CHARACTERS = ("侨", "粮", "税", "水", "法", "的")
MULTI_WORD = (
    "乡村振兴 人才",
    "科技创新 企业 融资",
    "粮食安全 耕地保护",
    "生态文明 建设",
    "对外开放 自由贸易",
    "国有企业 改革 监管",
    "教育 医疗 养老",
    "新型城镇化 户籍",
    "污染防治 大气",
    "安全生产 责任",
    "数字经济 平台",
    "就业 创业 高校毕业生",
)
SUBSTRING_COUNT = 20
DEFAULT_SEED = 20260501


@dataclass(frozen=True)
class BenchQuery:
    """One query of the set: the class it belongs to, the text typed and the engine mode."""

    query_class: str
    text: str
    mode: str = "words"

    @property
    def terms(self) -> list[str]:
        """What the baselines must find, all of it: the whole phrase in exact mode, else each word."""
        return [self.text] if self.mode == "exact" else self.text.split()


def read_policy_phrases(path: Path) -> list[str]:
    """The non-empty lines of the public query file, in file order."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def substring_queries(engine, count: int = SUBSTRING_COUNT, seed: int = DEFAULT_SEED) -> list[str]:
    """``count`` distinct 2–4 character substrings of indexed paragraphs, chosen by a seeded RNG.

    Only runs of CJK ideographs are sampled: a substring such as "，我" says nothing about
    search speed and the baselines would treat its punctuation differently. The same index
    and seed always give the same queries.
    """
    rng = random.Random(seed)
    documents = sorted(d["doc_id"] for d in engine.documents())
    if not documents:
        return []
    found: list[str] = []
    attempts = 0
    while len(found) < count and attempts < count * 50:
        attempts += 1
        paragraphs = engine.document(rng.choice(documents))["paragraphs"]
        text = rng.choice(paragraphs)["text"] if paragraphs else ""
        candidate = random_substring(rng, text)
        if candidate is not None and candidate not in found:
            found.append(candidate)
    return found


def random_substring(rng: random.Random, text: str) -> str | None:
    """A random run of 2–4 CJK ideographs of ``text`` (None if it has no such run)."""
    runs = _ideograph_runs(text, min_length=2)
    if not runs:
        return None
    run = rng.choice(runs)
    length = rng.randint(2, min(4, len(run)))
    start = rng.randrange(len(run) - length + 1)
    return run[start:start + length]


def _ideograph_runs(text: str, min_length: int) -> list[str]:
    # is_cjk also accepts CJK punctuation blocks; a run must be ideographs only.
    runs, current = [], []
    for char in text + " ":
        if is_cjk(char) and char.isalpha():
            current.append(char)
            continue
        if len(current) >= min_length:
            runs.append("".join(current))
        current = []
    return runs


def build_query_set(policy_file: Path, engine, seed: int = DEFAULT_SEED) -> list[BenchQuery]:
    """Every benchmark query, grouped by class in the order of ``CLASSES``."""
    phrases = read_policy_phrases(policy_file)
    return (
        [BenchQuery("policy", p) for p in phrases]
        + [BenchQuery("common", w) for w in COMMON_WORDS]
        + [BenchQuery("single_char", c) for c in SINGLE_CHARACTERS]
        + [BenchQuery("multi_word", q) for q in MULTI_WORD]
        + [BenchQuery("exact", p, mode="exact") for p in phrases]
        + [BenchQuery("substring", s) for s in substring_queries(engine, seed=seed)]
    )
