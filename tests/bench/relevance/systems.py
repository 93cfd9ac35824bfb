"""The three ranked systems of the relevance benchmark over the same indexed paragraphs.

``engine`` is this project's SearchEngine (its ranking constants can be overridden for a
tuning run), ``fts5`` SQLite FTS5 trigram with bm25(), ``stock`` jieba's ChineseAnalyzer with
Whoosh's default BM25F (tests/bench/stock.py). Each answers a query with its top 10 keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer import SearchEngine
from indexer.embedded import matching
from indexer.embedded.schema import KIND_DOCUMENT

from .. import stock
from ..baselines import Fts5Baseline, load_indexed_paragraphs
from .judged import DEPTH, paragraph_key

SYSTEMS = ("engine", "fts5", "stock")


# EngineParams field → the constant of indexer/embedded/matching.py it overrides
CONSTANTS = {"k1": "K1", "b": "B", "heading_prior": "HEADING_PRIOR", "lead_lift": "LEAD_LIFT",
             "lead_chars": "LEAD_CHARS", "lead_min_length": "LEAD_MIN_LENGTH"}


@dataclass(frozen=True)
class EngineParams:
    """Ranking constants of the engine; None keeps the value in matching.py."""

    k1: float | None = None
    b: float | None = None
    title_boost: float | None = None
    section_boost: float | None = None
    heading_prior: float | None = None
    lead_lift: float | None = None
    lead_chars: float | None = None
    lead_min_length: float | None = None

    def label(self) -> str:
        """k1=…, b=…, title=…, section=…, heading=…, lead=… as they are in force."""
        fields = dict(matching.SCORED_FIELDS)
        return (f"k1={matching.K1:g} b={matching.B:g} "
                f"title={fields['title']:g} section={fields['section']:g} "
                f"heading={matching.HEADING_PRIOR:g} lead={matching.LEAD_LIFT:g}@{matching.LEAD_CHARS:g}≥{matching.LEAD_MIN_LENGTH:g}")


def apply_engine_params(params: EngineParams) -> None:
    """Set the engine's ranking constants in this process (matching.py reads them per query)."""
    for name in (*CONSTANTS.values(), "SCORED_FIELDS"):
        if not hasattr(matching, name):
            raise SystemExit(f"indexer.embedded.matching has no {name}: update tests/bench/relevance/systems.py")
    for field, name in CONSTANTS.items():
        value = getattr(params, field)
        if value is not None:
            setattr(matching, name, int(value) if name in ("LEAD_CHARS", "LEAD_MIN_LENGTH") else value)
    boosts = dict(matching.SCORED_FIELDS)
    if params.title_boost is not None:
        boosts["title"] = params.title_boost
    if params.section_boost is not None:
        boosts["section"] = params.section_boost
    matching.SCORED_FIELDS = tuple(boosts.items())


class EngineTop:
    """The engine's top 10 keys for a query typed in words mode (no baselines built)."""

    def __init__(self, engine: SearchEngine):
        self.engine = engine
        self.sources = {d["doc_id"]: d["source"]
                        for d in engine.searcher().documents(kind=KIND_DOCUMENT)}

    def __call__(self, query: str) -> list[str]:
        hits = self.engine.search(query, per_page=DEPTH)["hits"]
        return [paragraph_key(self.sources[h["doc_id"]], h["para"], h["text"]) for h in hits]


class Systems:
    """The engine on an index folder, and both baselines built from its paragraphs in work_dir."""

    def __init__(self, index_dir: Path, work_dir: Path, log=print):
        self.engine = SearchEngine(index_dir)
        searcher = self.engine.searcher()
        self.sources = {d["doc_id"]: d["source"] for d in searcher.documents(kind=KIND_DOCUMENT)}
        paragraphs = load_indexed_paragraphs(self.engine)
        self.texts = {(p.doc_id, p.para): p.text for p in paragraphs}
        self.sections: dict[tuple[str, int], str] = {}
        log(f"{len(paragraphs)} paragraphs; building FTS5 trigram …")
        self.fts5 = Fts5Baseline(paragraphs, Path(work_dir) / "fts5.sqlite")
        log("building the stock jieba + Whoosh index …")
        self.stock, seconds = stock.build(paragraphs, Path(work_dir) / "stock")
        log(f"stock index built in {seconds:.1f} s")

    opensearch = None  # the same corpus on an OpenSearch cluster (``add_opensearch``)

    def add_opensearch(self, corpus: Path, url: str, index: str = "relevance-bench") -> None:
        """Index ``corpus`` (the engine index's corpus) on the cluster at ``url`` as the system
        ``opensearch``: the same analysis and priors, ranked by OpenSearch's BM25."""
        from indexer.backends import build, open_engine
        from indexer.opensearch.connection import Cluster
        cluster = Cluster(url, index=index)
        summary = build(corpus, cluster=cluster, full=True)
        self.opensearch = open_engine(cluster=cluster)
        self.opensearch_build = summary

    def key(self, doc_id: str, para: int) -> str:
        """The judgment key of an indexed paragraph."""
        return paragraph_key(self.sources[doc_id], para, self.texts[(doc_id, para)])

    def top(self, system: str, query: str) -> list[str]:
        """The top 10 keys of one system for a query typed in words mode."""
        if system in ("engine", "opensearch"):
            engine = self.engine if system == "engine" else self.opensearch
            hits = [(h["doc_id"], h["para"]) for h in
                    engine.search(query, per_page=DEPTH)["hits"]]
        elif system == "fts5":
            hits = [(doc_id, para) for doc_id, para, _ in self.fts5.search(query.split()).hits]
        elif system == "stock":
            hits = stock.search(self.stock, query, DEPTH)[1]
        else:
            raise ValueError(f"unknown system {system!r}")
        return [self.key(doc_id, para) for doc_id, para in hits]

    def paragraph(self, key: str) -> tuple[str, str]:
        """(section, text) of the paragraph a key names, for the judging view."""
        source, para, _ = key.split("#")
        doc_id = next(d for d, s in self.sources.items() if s == source)
        stored = self.engine.document(doc_id)
        found = next(p for p in stored["paragraphs"] if p["para"] == int(para))
        return found["section"], found["text"]
