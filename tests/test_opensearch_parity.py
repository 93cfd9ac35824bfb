"""Parity: the same corpus in the embedded index and in OpenSearch gives the same answers.

The corpus: the seed report, a slice of ../shared/corpus (national and provincial work
reports) and the files of ../shared/formats the readers take without LibreOffice. For a fixed
list of queries both backends must find the same paragraphs (the whole hit set, both groups)
with the same totals; the top-10 overlap is printed. Document pages, trends, 新提法, compare
and export rows must be identical, and so must citations, statuses and the status filter
(with a pair written here: a document that ends another by its 文号).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest

from indexer import build_index
from indexer.backends import open_engine
from indexer.features import export
from indexer.features.compare import compare_documents
from indexer.features.novelty import new_formulations
from indexer.cli import main
from indexer.errors import QueryError
from indexer.features.trends import trends
from indexer.ingest.documents import make_doc_id
from indexer.opensearch.build import build_opensearch
from indexer.relations import similar
from tests.opensearch_support import fresh_index, opensearch_url  # noqa: F401 - fixture
from test_engine import BAD_ARGUMENTS

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
NATIONAL = ["2019", "2021", "2023", "2024"]
PROVINCIAL = ["上海市", "云南省", "内蒙古自治区", "广东省"]
FORMAT_SUFFIXES = (".htm", ".html", ".docx", ".ofd", ".txt")
FORMAT_PDFS = ("P020260204573316810122.pdf", "W020121206499335373486.pdf")

# A document that ends another by its 文号 alone (…某政发〔2016〕2号文件不再执行), in a subfolder
# so the random queries (top-level .txt files) stay as they were.
RELATED = {
    "relations/old-identify.txt": "# 古树认定暂行办法\n\n某政发〔2016〕2号\n\n古树由园林部门认定。\n\n"
                                  "本办法自2016年3月1日起施行。\n\n某市人民政府\n\n2016年2月1日\n",
    "relations/identify.txt": "# 某市人民政府关于印发古树认定办法的通知\n\n现将《古树认定办法》印发给你们。\n\n"
                              "本办法自2021年1月1日起施行，某政发〔2016〕2号文件不再执行。\n\n"
                              "某市人民政府\n\n2020年12月1日\n",
}
OLD_ID, NEW_ID = (make_doc_id(name) for name in RELATED)

pytestmark = [pytest.mark.shared, pytest.mark.opensearch]


def _parity_corpus(folder: Path) -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is absent")
    folder.mkdir()
    for path in (ROOT / "corpus").iterdir():
        shutil.copy(path, folder / path.name)
    national = SHARED / "corpus" / "national-reports"
    for path in sorted(national.iterdir()):
        if path.name[:4] in NATIONAL:
            shutil.copy(path, folder / path.name)
    for path in sorted((SHARED / "corpus" / "provincial-2026").iterdir()):
        if any(name in path.name for name in PROVINCIAL):
            shutil.copy(path, folder / path.name)
    formats = SHARED / "formats"
    if formats.is_dir():
        (folder / "formats").mkdir()
        for path in sorted(formats.iterdir()):
            if path.suffix.lower() in FORMAT_SUFFIXES or path.name in FORMAT_PDFS:
                shutil.copy(path, folder / "formats" / path.name)
    for name, text in RELATED.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def backends(tmp_path_factory, opensearch_url):  # noqa: F811
    """(embedded engine, OpenSearch engine, corpus folder) over the same corpus."""
    base = tmp_path_factory.mktemp("parity")
    corpus = _parity_corpus(base / "corpus")
    build_index(corpus, base / "index")
    with fresh_index(opensearch_url, "parity") as cluster:
        summary = build_opensearch(corpus, cluster, shards=2)
        assert summary.documents > 10
        embedded, clustered = open_engine(base / "index"), open_engine(cluster=cluster)
        yield embedded, clustered, corpus, opensearch_url


def _random_substrings(corpus: Path, count: int) -> list[str]:
    """Substrings of the raw text of the corpus's .txt files (plain string operations)."""
    chooser = random.Random(17)
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    found = []
    while len(found) < count:
        text = chooser.choice(texts)
        line = chooser.choice([x.strip() for x in text.splitlines() if len(x.strip()) > 12])
        size = chooser.randint(2, 9)
        start = chooser.randrange(0, len(line) - size)
        piece = re.sub(r"\s+", "", line[start:start + size])
        if len(piece) >= 2 and not any(c in piece for c in "\"“”「」『』|-"):
            found.append(piece)
    return found


# (query, keyword arguments of search)
FIXED = [
    ("乡村振兴", {}), ("高质量发展", {}), ("新质生产力", {}), ("营商环境", {}),
    ("科技创新 人才", {}), ("“碳达峰”", {}), ("稳就业 保民生", {}), ("人工智能", {}),
    ("推动高质量发展", {"mode": "exact"}), ("国发[2019]4号", {"mode": "exact"}),
    ("政府工作报告", {"mode": "exact"}), ("碳达峰 OR 碳中和", {}), ("乡村振兴 -农业", {}),
    ("教育 | 医疗 -养老", {}), ("鄉村振興", {}), ("經濟發展", {}), ("ＧＤＰ", {}),
    ("gdp 增长", {}), ("5G", {}), ("创新", {"year_from": 2023}),
    ("改革", {"year_from": 2019, "year_to": 2021}), ("发展", {"year_to": 2020}),
    ("国务院", {"issuer": "国务院"}), ("就业", {"sort": "date"}),
    ("消费", {"sort": "date", "year_from": 2024}), ("双碳", {}), ("双碳", {"expand": False}),
    ("三农", {}), ("放管服", {}), ("的", {}), ("农业 农村", {"page": 2, "per_page": 7}),
    ("制造业", {"page": 3, "per_page": 1}), ("经济", {"page": 999, "per_page": 10}),
    ("乡村振兴", {"dedupe": False}), ("农村", {"dedupe": False, "sort": "date"}),
]


def _all_hits(engine, query: str, options: dict) -> tuple[dict, list[tuple]]:
    """The answer of one page, and every hit of the query over both groups."""
    page = engine.search(query, **options)
    wide = {k: v for k, v in options.items() if k not in ("page", "per_page")}
    everything = engine.search(query, per_page=max(page["total"], 1), **wide)
    return page, [(h["doc_id"], h["para"], h["group"]) for h in everything["hits"]]


def test_the_same_hits_for_every_query_of_the_list(backends, capsys):
    """Every query: identical totals, hit sets and page sizes; top-10 overlap printed."""
    embedded, clustered, corpus, _ = backends
    doc_id = embedded.documents()[0]["doc_id"]
    queries = FIXED + [("农业", {"doc": doc_id})] + \
        [(q, {}) for q in _random_substrings(corpus, 25)] + \
        [(q, {"mode": "exact"}) for q in _random_substrings(corpus, 5)]
    overlaps = []
    for query, options in queries:
        ours, all_ours = _all_hits(embedded, query, options)
        theirs, all_theirs = _all_hits(clustered, query, options)
        label = f"{query!r} {options}"
        assert theirs["total"] == ours["total"], label
        for key in ("total_with_copies", "total_deduplicated", "dedupe"):
            assert theirs[key] == ours[key], (key, label)
        assert theirs["expansion_total"] == ours["expansion_total"], label
        assert theirs["expansions"] == ours["expansions"], label
        assert theirs["tokens"] == ours["tokens"], label
        assert sorted(all_theirs) == sorted(all_ours), label
        assert len(theirs["hits"]) == len(ours["hits"]), label
        top_ours = {(d, p) for d, p, _ in all_ours[:10]}
        top_theirs = {(d, p) for d, p, _ in all_theirs[:10]}
        if top_ours:
            overlaps.append(len(top_ours & top_theirs) / len(top_ours))
        if options.get("sort") == "date":  # newest first on both sides
            years = [h["year"] or 0 for h in clustered.search(query, **options)["hits"]]
            assert years == sorted(years, reverse=True), label
    with capsys.disabled():
        stats = embedded.stats()
        print(f"\nparity corpus: {stats['documents']} documents, {stats['paragraphs']} paragraphs")
        print(f"parity: {len(queries)} queries, identical hit sets; top-10 overlap mean "
              f"{sum(overlaps) / len(overlaps):.3f}, min {min(overlaps):.2f}, "
              f"{sum(o == 1 for o in overlaps)}/{len(overlaps)} identical")


def test_hits_carry_the_same_snippets_and_reasons(backends):
    """A hit found by both backends is shown the same way (snippet, matched_by, fields)."""
    embedded, clustered, _, _ = backends
    for query in ("乡村振兴", "鄉村振興 -农业", "双碳"):
        ours = {(h["doc_id"], h["para"]): h for h in embedded.search(query, per_page=500)["hits"]}
        theirs = clustered.search(query, per_page=500)["hits"]
        assert theirs
        for hit in theirs:
            expected = dict(ours[(hit["doc_id"], hit["para"])])
            got = dict(hit)
            expected.pop("score"), got.pop("score")
            assert got == expected


def test_stats_and_document_pages_are_identical(backends):
    embedded, clustered, _, _ = backends
    ours, theirs = embedded.stats(), clustered.stats()
    for key in ("documents", "paragraphs", "docs", "dictionary"):
        assert theirs[key] == ours[key], key
    assert clustered.documents() == embedded.documents()
    for record in embedded.documents():
        doc_id = record["doc_id"]
        assert clustered.document(doc_id) == embedded.document(doc_id), doc_id
        assert clustered.document(doc_id, query="发展 改革") == \
            embedded.document(doc_id, query="发展 改革"), doc_id
    assert clustered.document("no-such-document") is None
    assert clustered.document("../etc") is None


def _without_timing(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "took_ms"}


def test_trends_new_formulations_and_compare_are_identical(backends):
    embedded, clustered, _, _ = backends
    for queries, options in ((["乡村振兴", "高质量发展", "碳达峰"], {}),
                             (["科技创新"], {"by": "region"}),
                             (["推动高质量发展"], {"mode": "exact", "year_from": 2021})):
        assert _without_timing(trends(clustered, queries, **options)) == \
            _without_timing(trends(embedded, queries, **options))
    national = [d for d in embedded.documents() if "国务院政府工作报告" in d["title"]]
    assert len(national) >= 3
    for record in national[:2]:
        assert _without_timing(new_formulations(clustered, record["doc_id"])) == \
            _without_timing(new_formulations(embedded, record["doc_id"]))
    newer, older = national[0]["doc_id"], national[1]["doc_id"]
    assert _without_timing(compare_documents(clustered, older, newer)) == \
        _without_timing(compare_documents(embedded, older, newer))


def test_export_rows_are_identical(backends):
    """The same rows (an export lists every hit; within a group the order may differ where
    the two BM25 implementations score differently)."""
    embedded, clustered, _, _ = backends
    for query, options in (("乡村振兴", {}), ("双碳", {}), ("就业", {"sort": "date"})):
        link = export.document_link(query)
        ours = [export.row(h, link) for h in export.start(embedded, query, **options).hits()]
        theirs = [export.row(h, link) for h in export.start(clustered, query, **options).hits()]
        assert ours
        key = lambda row: sorted(row.items())  # noqa: E731
        assert sorted(theirs, key=key) == sorted(ours, key=key)
        assert [r["group"] for r in theirs] == [r["group"] for r in ours]


def test_the_web_pages_and_json_api_answer_the_same(backends, tmp_path):
    """The real Flask app over each backend: the JSON API and the CSV export agree."""
    from webapp import create_app
    embedded, clustered, corpus, _ = backends
    apps = [create_app({"INDEX_DIR": str(embedded.index_dir), "CORPUS_DIR": str(corpus),
                        "PAGE_SIZE": 10, "OPENSEARCH": cluster})
            for cluster in (None, clustered.cluster)]
    ours, theirs = (app.test_client() for app in apps)
    for path in ("/api/search?q=乡村振兴&per_page=100", "/api/search?q=鄉村振興&sort=date&per_page=100",
                 "/api/search?q=双碳&per_page=100"):
        a, b = ours.get(path).get_json(), theirs.get(path).get_json()
        assert 0 < b["total"] == a["total"] <= 100, path  # every hit on the one page
        key = lambda hit: (hit["doc_id"], hit["para"], hit["snippet"], hit["group"])  # noqa: E731
        assert sorted(map(key, b["hits"])) == sorted(map(key, a["hits"])), path
    doc_id = embedded.documents()[0]["doc_id"]
    assert theirs.get(f"/api/doc/{doc_id}").get_json() == ours.get(f"/api/doc/{doc_id}").get_json()
    for related in (OLD_ID, NEW_ID):
        path = f"/api/doc/{related}/citations"
        assert theirs.get(path).get_json() == ours.get(path).get_json(), path
    path = "/api/search?q=古树&status=repealed&per_page=100"
    assert OLD_ID in {h["doc_id"] for h in theirs.get(path).get_json()["hits"]}
    a, b = ours.get("/api/stats").get_json(), theirs.get("/api/stats").get_json()
    assert (b["documents"], b["paragraphs"]) == (a["documents"], a["paragraphs"])
    csv_a = ours.get("/api/search/export?q=乡村振兴&format=csv").get_data(as_text=True)
    csv_b = theirs.get("/api/search/export?q=乡村振兴&format=csv").get_data(as_text=True)
    assert sorted(csv_b.splitlines()) == sorted(csv_a.splitlines())
    for path in (f"/search?q=乡村振兴", f"/doc/{doc_id}?q=发展", "/trends?q=乡村振兴"):
        page = theirs.get(path)
        assert page.status_code == 200, path


def test_duplicate_copies_count_once_on_both_backends(backends):
    """The 2026 中央一号文件 is in ../shared/formats as .docx and as .pdf: with dedupe both
    backends show the Word copy only, naming the PDF as its copy, and count the pair once in
    the facets; without dedupe both copies' paragraphs are hits."""
    embedded, clustered = backends[0], backends[1]
    if not (SHARED / "formats" / "P020260204573316810122.pdf").is_file():
        pytest.skip("../shared/formats is absent")
    word, pdf = "p020260204573316810122-3670c6f305", "p020260204573316810122-9d0ca0803c"
    phrase = "强农惠农富农政策效能"
    answers = []
    for engine in (embedded, clustered):
        shown = engine.search(phrase, mode="exact", per_page=100, facets=True)
        every = engine.search(phrase, mode="exact", per_page=100, dedupe=False)
        pair = [h for h in shown["hits"] if h["doc_id"] in (word, pdf)]
        assert [h["doc_id"] for h in pair] == [word]
        assert [(c["doc_id"], c["format"], c["source"]) for c in pair[0]["copies"]] == \
            [(pdf, "PDF", "formats/P020260204573316810122.pdf")]
        assert sorted({h["doc_id"] for h in every["hits"] if h["doc_id"] in (word, pdf)}) == \
            [word, pdf]
        assert {(c["doc_id"], c["format"]) for h in every["hits"] if h["doc_id"] == pdf
                for c in h["copies"]} == {(word, "Word")}
        assert (shown["total_with_copies"], every["total_deduplicated"]) == \
            (every["total"], shown["total"])
        assert every["total"] == shown["total"] + 1
        assert [d["doc_id"] for d in shown["facets"]["docs"] if d["doc_id"] in (word, pdf)] \
            == [word]
        answers.append((shown, every))
    (ours, ours_every), (theirs, theirs_every) = answers
    assert theirs["facets"]["docs"] == ours["facets"]["docs"]
    assert theirs["facets"]["years"] == ours["facets"]["years"]
    key = lambda h: (h["doc_id"], h["para"], str(h["copies"]))  # noqa: E731
    assert sorted(map(key, theirs["hits"])) == sorted(map(key, ours["hits"]))
    assert sorted(map(key, theirs_every["hits"])) == sorted(map(key, ours_every["hits"]))


def test_bad_arguments_are_refused_alike(backends):
    """Both backends refuse each bad argument with the same whole message."""
    embedded, clustered, _, _ = backends
    for kwargs, message in BAD_ARGUMENTS:
        for engine in (embedded, clustered):
            with pytest.raises(QueryError) as refused:
                engine.search("乡村", **kwargs)
            assert str(refused.value) == message, (type(engine).__name__, kwargs)


def test_similar_passages_and_echoes_are_identical(backends):
    """Every document's echoes and "相似表述" counts, and the similar passages of every paragraph
    that has some, agree; the document page shows the same links, the API the same JSON."""
    from webapp import create_app
    embedded, clustered, corpus = backends[:3]
    listed = 0
    for record in embedded.documents():
        doc_id = record["doc_id"]
        assert similar.echoes(clustered, doc_id) == similar.echoes(embedded, doc_id), doc_id
        counts = similar.counts(embedded, doc_id)
        assert similar.counts(clustered, doc_id) == counts, doc_id
        for para in counts:
            assert similar.similar_passages(clustered, doc_id, para) == \
                similar.similar_passages(embedded, doc_id, para), (doc_id, para)
        listed += len(counts)
    assert listed > 0
    config = {"INDEX_DIR": str(embedded.index_dir), "CORPUS_DIR": str(corpus)}
    on_cluster = create_app({**config, "OPENSEARCH": clustered.cluster}).test_client()
    local = create_app(config).test_client()
    links = re.compile(r'<a class="similar-link" href="([^"]+)">([^<]+)</a>')
    doc_id = next(d["doc_id"] for d in embedded.documents() if similar.counts(embedded, d["doc_id"]))
    page = on_cluster.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert links.findall(page) == links.findall(local.get(f"/doc/{doc_id}").get_data(as_text=True))
    para = min(similar.counts(embedded, doc_id))
    for path in (f"/api/para/{doc_id}/{para}/similar", f"/api/doc/{doc_id}/echoes"):
        answer = on_cluster.get(path)
        assert answer.status_code == 200, path
        assert answer.get_json() == local.get(path).get_json(), path


def test_citations_statuses_and_the_status_filter_are_identical(backends, capsys):
    """Every document's citations and status, and searches filtered by each status, agree;
    the pair written here comes out as written by hand."""
    embedded, clustered, _, url = backends
    for record in embedded.documents():
        doc_id = record["doc_id"]
        assert clustered.citations(doc_id) == embedded.citations(doc_id), doc_id
    assert clustered.citations("no-such-document") is None
    found = clustered.citations(NEW_ID)
    assert found["available"] is True
    assert [(c["number"], [t["doc_id"] for t in c["targets"]]) for c in found["cites"]
            if c["targets"]] == [("某政发〔2016〕2号", [OLD_ID])]
    old = clustered.citations(OLD_ID)
    assert old["status"]["status"] == "repealed"
    repealed = old["status"]["evidence"]["repealed"]
    assert (repealed["doc_id"], repealed["from"], repealed["text"]) == (
        NEW_ID, "2021-01-01", "本办法自2021年1月1日起施行，某政发〔2016〕2号文件不再执行。")
    assert [c["doc_id"] for c in old["cited_by"]] == [NEW_ID]
    assert clustered.citations(NEW_ID)["status"]["status"] == "current"
    for query in ("古树", "乡村振兴", "发展"):
        for status in ("current", "repealed", "amended", "expired", "pending", "unknown"):
            ours, theirs = (engine.search(query, status=status, per_page=1000, facets=True)
                            for engine in (embedded, clustered))
            label = f"{query} {status}"
            assert theirs["total"] == ours["total"], label
            assert sorted((h["doc_id"], h["para"], h["status"]) for h in theirs["hits"]) == \
                sorted((h["doc_id"], h["para"], h["status"]) for h in ours["hits"]), label
            assert {h["status"] for h in theirs["hits"]} <= {status}, label
            assert theirs["facets"]["status"] == ours["facets"]["status"], label
    old_hits = {h["doc_id"] for h in clustered.search("古树", status="repealed")["hits"]}
    assert OLD_ID in old_hits and NEW_ID not in old_hits
    new_hits = {h["doc_id"] for h in clustered.search("古树", status="current")["hits"]}
    assert NEW_ID in new_hits and OLD_ID not in new_hits
    with pytest.raises(QueryError):
        clustered.search("古树", status="valid")
    main(["cites", NEW_ID, "--index", str(embedded.index_dir), "--json"])
    main(["cites", NEW_ID, "--opensearch", url, "--os-index", clustered.cluster.index, "--json"])
    main(["cited-by", OLD_ID, "--opensearch", url, "--os-index", clustered.cluster.index,
          "--json"])
    ours, theirs, cited_by = map(json.loads, capsys.readouterr().out.splitlines())
    assert theirs == ours
    assert [c["doc_id"] for c in cited_by["cited_by"]] == [NEW_ID]
