"""The ``policy-search`` command line: a thin layer over the engine's public functions."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from indexer.backends import build as build_index_of, open_engine
from indexer.features import export
from indexer.embedded import store
from indexer.errors import PolicySearchError
from indexer.opensearch import connection
from indexer.relations.validity import STATUSES
from indexer.relations.similar import similar_passages
from indexer.ingest.ocr import DEFAULT_MAX_PAGES as DEFAULT_OCR_PAGES

if TYPE_CHECKING:  # the build is imported by the commands that build, not by `search` or `serve`
    from indexer.embedded.build import BuildSummary

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = os.path.join("var", "index")
CORPUS_ENV = "POLICY_SEARCH_CORPUS"
INDEX_ENV = "POLICY_SEARCH_INDEX"

corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(path_type=Path), envvar=CORPUS_ENV,
    default=DEFAULT_CORPUS, show_default=True, help=f"Folder of .txt/.md documents (env {CORPUS_ENV}).")
index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), envvar=INDEX_ENV,
    default=DEFAULT_INDEX, show_default=True, help=f"Index folder (env {INDEX_ENV}).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
CLUSTER_OPTIONS = (
    click.option("--opensearch", metavar="URL", envvar=connection.URL_ENV, default=None,
                 help="Use the index on this OpenSearch cluster instead of --index (comma-"
                      f"separated node URLs; user:password@ for basic auth; env {connection.URL_ENV})."),
    click.option("--os-index", metavar="NAME", envvar=connection.INDEX_ENV,
                 default=connection.DEFAULT_INDEX, show_default=True,
                 help=f"Index (alias) name on the cluster, so corpora can share it (env {connection.INDEX_ENV})."),
    click.option("--os-api-key", metavar="KEY", envvar=connection.API_KEY_ENV, default=None,
                 help=f"API key sent as 'Authorization: ApiKey KEY' (env {connection.API_KEY_ENV})."),
    click.option("--os-ca-file", type=click.Path(exists=True, dir_okay=False),
                 envvar=connection.CA_FILE_ENV, default=None,
                 help=f"CA certificate to verify the cluster's TLS certificate (env {connection.CA_FILE_ENV})."),
    click.option("--os-insecure", is_flag=True, envvar=connection.INSECURE_ENV,
                 help="Do not verify the cluster's TLS certificate."),
)


def cluster_options(command):
    """Add the OpenSearch options; the command receives ``cluster`` (None: the embedded index)."""
    @functools.wraps(command)
    def with_cluster(*args, opensearch, os_index, os_api_key, os_ca_file, os_insecure, **kwargs):
        cluster = connection.cluster_from_options(opensearch, os_index, os_api_key, os_ca_file,
                                                  os_insecure)
        return command(*args, cluster=cluster, **kwargs)
    for option in reversed(CLUSTER_OPTIONS):
        with_cluster = option(with_cluster)
    return with_cluster


def parse_part(value: str | None) -> tuple[int, int]:
    """``--part i/n`` → (i, n)."""
    if not value:
        return 1, 1
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise click.BadParameter(f"{value!r}: use i/n with 1 ≤ i ≤ n, e.g. 2/4", param_hint="--part")
    return int(found.group(1)), int(found.group(2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-search")
def cli():
    """Full-text search over Chinese policy documents."""


@cli.command()
@cluster_options
@corpus_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option("--wait", is_flag=True, help="Wait for a running build instead of stopping.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--shards", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --opensearch: primary shards of a new index.")
@click.option("--replicas", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --opensearch: replicas of each shard of a new index.")
@click.option("--part", metavar="I/N", default=None,
              help="With --opensearch: ingest only slice I of N of the corpus (by path hash), "
                   "so N machines can fill one index.")
@click.option("--no-ocr", is_flag=True,
              help="Do not recognise scanned pages and images (such files are skipped).")
@click.option("--ocr-pages", type=click.IntRange(min=0), default=DEFAULT_OCR_PAGES,
              show_default=True, help="Most pages of one file to recognise by OCR.")
def index(corpus_dir, index_dir, full, wait, quiet, shards, replicas, part, no_ocr, ocr_pages,
          cluster):
    """Build or update the index of a corpus folder."""
    slice_ = parse_part(part)
    if cluster is None and (part or shards != 1 or replicas):
        raise click.UsageError("--shards, --replicas and --part need --opensearch")
    try:
        summary = run_build(corpus_dir, index_dir, full=full, wait=wait, quiet=quiet,
                            cluster=cluster, shards=shards, replicas=replicas, part=slice_,
                            use_ocr=not no_ocr, ocr_pages=ocr_pages)
    except KeyboardInterrupt:  # before click turns it into a bare "Aborted!"
        click.echo("interrupted: the live index is untouched", err=True)
        sys.exit(130)
    click.echo(describe_build(summary))


def run_build(corpus_dir: Path, index_dir: Path, full: bool = False, wait: bool = False,
              quiet: bool = False, cluster=None, use_ocr: bool = True,
              ocr_pages: int = DEFAULT_OCR_PAGES, **cluster_build) -> BuildSummary:
    """Build with a progress bar on stderr; shared by ``index`` and ``serve``."""
    bar = None

    def progress(done: int, total: int, source: str) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="indexing", file=sys.stderr,
                                    show_pos=True, item_show_func=lambda s: s)
            bar.__enter__()
        bar.update(done - bar.pos, source[-40:])  # OCR pages report without a file done

    try:
        return build_index_of(corpus_dir, index_dir, cluster, full=full, progress=progress,
                              wait=wait, use_ocr=use_ocr, ocr_pages=ocr_pages, **cluster_build)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def describe_build(summary: BuildSummary) -> str:
    """The human-readable summary printed after a build."""
    lines = [f"{summary.mode} build" + (f" ({summary.reason})" if summary.reason else "")
             + f": {summary.documents} documents, {summary.paragraphs} paragraphs"
             + f" in {summary.seconds:.1f} s"]
    if summary.mode == "incremental":
        lines.append(f"  added {summary.added}, changed {summary.changed}, "
                     f"removed {summary.removed}, unchanged {summary.unchanged}")
    if summary.ocr_pages:
        lines.append(describe_ocr(summary))
    for skipped in summary.skipped:
        lines.append(f"  skipped {skipped['source']}: {skipped['reason']}")
    return "\n".join(lines)


def describe_ocr(summary: BuildSummary) -> str:
    """The summary's OCR line: pages recognised, in how long, and how many the cache held."""
    recognised = summary.ocr_pages - summary.ocr_cached
    line = f"  OCR: {recognised} pages recognised in {summary.ocr_seconds:.1f} s"
    if summary.ocr_cached:
        line += f", {summary.ocr_cached} taken from the OCR cache"
    return line


@cli.command()
@click.argument("query")
@index_option
@click.option("--exact", is_flag=True, help="The whole query is one literal phrase.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Hits per page (any positive number).")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--issuer", default=None,
              help="Only documents whose issuer (发文机关) contains this text.")
@click.option("--no-expand", is_flag=True, help="Do not also search abbreviations' expansions.")
@click.option("--status", type=click.Choice(STATUSES), default=None,
              help="Only documents of this validity status (current = 现行有效).")
@click.option("--no-dedupe", is_flag=True, help="Show every copy of duplicate documents.")
@click.option("--all", "export_all", is_flag=True,
              help=f"Export every hit (at most {export.MAX_ROWS:,}) with --csv or --jsonl.")
@click.option("--csv", "as_csv", is_flag=True, help="With --all: CSV (UTF-8 with BOM).")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="With --all: one JSON object a line.")
@json_option
@cluster_options
def search(query, index_dir, exact, limit, page, issuer, no_expand, status, no_dedupe, export_all,
           as_csv, as_jsonl, as_json, cluster):
    """Search the index; every word must occur, "quotes" mark a phrase."""
    query = from_argv(query)
    mode = "exact" if exact else "words"
    issuer = from_argv(issuer) if issuer else None
    engine = open_engine(index_dir, cluster)
    if export_all or as_csv or as_jsonl:
        export_hits(engine, query, mode, not no_expand, export_all, as_csv, as_jsonl, issuer,
                    status, dedupe=not no_dedupe)
        return
    result = engine.search(query, mode=mode, page=page, per_page=limit, expand=not no_expand,
                           issuer=issuer, status=status, dedupe=not no_dedupe)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{result['total']} paragraphs for {' / '.join(result['tokens'])} "
               f"({result['mode']}, {result['took_ms']} ms)" + describe_copies(result))
    for rank, hit in enumerate(result["hits"], (page - 1) * limit + 1):
        if hit["group"] == "expansion" and rank == result["total"] - result["expansion_total"] + 1:
            click.echo()
            click.echo(click.style(f"— {result['expansion_total']} more through expansions: "
                                   + describe_expansions(result["expansions"]), fg="cyan"))
        where = " › ".join(x for x in (hit["title"], hit["section"]) if x)
        click.echo()
        click.echo(click.style(f"{rank}. {where}", bold=True)
                   + click.style(f"  [{hit['doc_id']} ¶{hit['para']}]", dim=True)
                   + click.style(describe_relations(hit), dim=True))
        click.echo("   " + terminal_marks(hit["snippet"]))
        click.echo(click.style("   " + describe_matched_by(hit["matched_by"]), dim=True))
        if hit.get("copies"):
            click.echo(click.style(f"   also as {len(hit['copies'])} more: " + "; ".join(
                f"{c['title']} ({c['format']}) [{c['doc_id']}]" for c in hit["copies"]), dim=True))


def describe_copies(result: dict) -> str:
    """The totals' note on duplicate copies: ``; 120 with every copy`` (or each group once)."""
    if result["total_with_copies"] == result["total_deduplicated"]:
        return ""
    if result["dedupe"]:
        return f"; {result['total_with_copies']} with every copy of duplicate documents"
    return f"; {result['total_deduplicated']} counting duplicate documents once"


def describe_expansions(expansions: list[dict]) -> str:
    """``双碳 → 碳达峰 + 碳中和; …`` for a search's expansions."""
    return "; ".join(f"{e['term']} → {' + '.join(e['parts'])}" for e in expansions)


def describe_matched_by(reasons: list[dict]) -> str:
    """One line saying how a hit matched each term."""
    said = []
    for reason in reasons:
        if reason["how"] == "literal":
            said.append(f"{reason['term']}: literally")
        elif reason["how"] == "words":
            said.append(f"{reason['term']}: through the words {' / '.join(reason['words'])}"
                        " (--exact for the literal phrase)")
        else:
            parts = " + ".join(reason["expansion"]["parts"])
            said.append(f"{reason['term']}: through its expansion {parts}")
    return "matched " + "; ".join(said)


def export_hits(engine, query, mode, expand, export_all, as_csv, as_jsonl, issuer=None,
                status=None, dedupe=True) -> None:
    """``search --all --csv|--jsonl``: every hit to stdout, streamed."""
    if not export_all or as_csv == as_jsonl:
        raise click.UsageError("export with --all and one of --csv or --jsonl")
    started = export.start(engine, query, mode=mode, expand=expand, issuer=issuer, status=status,
                           dedupe=dedupe)
    link = export.document_link(query, mode)
    out = click.get_text_stream("stdout", encoding="utf-8")
    for piece in export.chunks(started, "csv" if as_csv else "jsonl", link):
        out.write(piece)
    out.flush()
    if started.truncated:
        click.echo(f"note: exported the first {started.rows:,} of {started.total:,} hits "
                   f"(at most {export.MAX_ROWS:,}); narrow the search for the rest", err=True)


@cli.command()
@click.argument("term")
@index_option
@json_option
@cluster_options
def define(term, index_dir, as_json, cluster):
    """Show what the corpus's documents say a term means (their glossary)."""
    term = from_argv(term)
    entries = open_engine(index_dir, cluster).glossary().define(term)
    if not entries:
        raise PolicySearchError(f"no definition of {term!r} in the corpus's glossary")
    if as_json:
        click.echo(json.dumps({"term": term, "definitions": [e.to_dict() for e in entries]},
                              ensure_ascii=False))
        return
    for entry in entries:
        click.echo(click.style(entry.written or entry.term, bold=True) + "：" + entry.definition)
        click.echo(click.style(f"   {entry.title} ¶{entry.para}  [{entry.doc_id}]", dim=True))


def describe_relations(hit: dict) -> str:
    """`` 现行有效 · 被引用 3`` after a hit's id."""
    cited = f" · 被引用 {hit['cited_by']}" if hit.get("cited_by") else ""
    return f"  {hit['status_label']}{cited}" if "status_label" in hit else ""


@cli.command()
@click.argument("doc_id")
@index_option
@json_option
@cluster_options
def cites(doc_id, index_dir, as_json, cluster):
    """List what a document cites: resolved references with their documents, the others as text."""
    def line(cite: dict) -> str:
        targets = "; ".join(f"{t['title']} [{t['doc_id']}]" for t in cite["targets"])
        return f"¶{cite['para']:<5} {cite['text']}" + (f"  → {targets}" if targets else
                                                       click.style("  (not in the index)", dim=True))

    _echo_citations(index_dir, doc_id, cluster, as_json, "cites", line,
                    lambda counts: f"{counts['cites']} references, {counts['resolved']} in the index")


@cli.command("cited-by")
@click.argument("doc_id")
@index_option
@json_option
@cluster_options
def cited_by(doc_id, index_dir, as_json, cluster):
    """List the documents that cite a document, newest first, with the citing paragraph."""
    def line(citing: dict) -> str:
        return (f"{citing.get('date') or '          '}  {citing['title']}  "
                + click.style(f"[{citing['doc_id']} ¶{citing['para']}]", dim=True)
                + "\n    " + citing["context"])

    _echo_citations(index_dir, doc_id, cluster, as_json, "cited_by", line,
                    lambda counts: f"cited by {counts['cited_by']} documents")


def _echo_citations(index_dir: Path, doc_id: str, cluster, as_json: bool, side: str,
                    line, summary) -> None:
    """Print one side (``cites`` or ``cited_by``) of a document's citations: as JSON, or its
    title and status, ``line(entry)`` for each entry and ``summary(counts)``."""
    found = open_engine(index_dir, cluster).citations(doc_id)
    if found is None:
        raise PolicySearchError(f"no document with id {doc_id!r} (list them with `show`)")
    if as_json:
        click.echo(json.dumps({key: found[key] for key in ("doc_id", "title", "status", side)},
                              ensure_ascii=False))
        return
    click.echo(click.style(found["title"], bold=True) + f"  [{found['status']['label']}]")
    for entry in found[side]:
        click.echo(line(entry))
    click.echo(click.style(summary(found["counts"]), dim=True))


def from_argv(text: str) -> str:
    """Command-line text with bytes that were not UTF-8 turned into U+FFFD.

    Python hands such bytes over as lone surrogates, which no output stream can print.
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def terminal_marks(html: str) -> str:
    """Snippet HTML → terminal text, matches in bold yellow (plain where not a terminal)."""
    from html import unescape
    parts = re.split(r"(<mark>.*?</mark>)", html)
    return "".join(click.style(unescape(p[6:-7]), fg="yellow", bold=True)
                   if p.startswith("<mark>") else unescape(p) for p in parts)


@cli.command()
@click.argument("doc_id")
@click.argument("para", type=int)
@index_option
@json_option
@cluster_options
def similar(doc_id, para, index_dir, as_json, cluster):
    """Passages of other documents worded like paragraph PARA of DOC_ID, earliest first."""
    found = similar_passages(open_engine(index_dir, cluster), doc_id, para)
    if found is None:
        raise PolicySearchError(f"no paragraph {para} in a document {doc_id!r}")
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    if not found["compared"]:
        click.echo(f"paragraph {para} is too short (or a heading) to be compared")
        return
    click.echo(f"{found['total']} similar passages in other documents "
               f"(similarity ≥ {found['threshold']:.0%}), earliest first"
               + (": this paragraph is the first appearance" if found["first_appearance"] else ""))
    for passage in found["similar"]:
        first = "  ← first appearance" if passage["first_appearance"] else ""
        where = " · ".join(str(x) for x in (passage["year"], passage["region"]) if x)
        click.echo()
        click.echo(click.style(f"{passage['title']} ¶{passage['para']}", bold=True)
                   + click.style(f"  [{passage['doc_id']}] {where} · {passage['similarity']:.0%}"
                                 f"{first}", dim=True))
        click.echo("   " + passage["text"])


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--all", "show_all", is_flag=True, help="Show every document.")
@index_option
@json_option
@cluster_options
def show(doc_ids, show_all, index_dir, as_json, cluster):
    """Show whole documents (or, without ids, list them)."""
    engine = open_engine(index_dir, cluster)
    if show_all:
        doc_ids = [d["doc_id"] for d in engine.documents()]
    if not doc_ids:
        for d in engine.documents():
            click.echo(f"{d['doc_id']}\t{d['year'] or ''}\t{d['paragraphs']}\t{d['title']}")
        return
    for doc_id in doc_ids:
        document = engine.document(doc_id)
        if document is None:
            raise PolicySearchError(f"no document with id {doc_id!r} (list them with `show`)")
        if as_json:
            click.echo(json.dumps(document, ensure_ascii=False))
            continue
        click.echo(click.style(document["title"], bold=True))
        facts = [str(x) for x in (document["issuer"], document["doc_number"], document["year"],
                                  document["date"], document["region"], document["source"]) if x]
        click.echo(click.style("  ".join(facts), dim=True))
        for paragraph in document["paragraphs"]:
            text = paragraph["text"]
            line = click.style(text, bold=True) if paragraph["heading"] else text
            click.echo(f"{paragraph['para']:>4}  {line}")
        click.echo()


@cli.command()
@index_option
@json_option
@cluster_options
def stats(index_dir, as_json, cluster):
    """Summarise the index: documents, paragraphs, dictionary, last build."""
    result = open_engine(index_dir, cluster).stats()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{result['documents']} documents, {result['paragraphs']} paragraphs, "
               f"built {result['built_at']}")
    click.echo(f"dictionary: {result['dictionary']}")
    if "backend" in result:
        where = result["backend"]
        click.echo(f"OpenSearch: {where['cluster']} alias {where['alias']} → {where['index']}")
    for d in result["docs"]:
        click.echo(f"  {d['doc_id']}\t{d['year'] or ''}\t{d['paragraphs']}\t{d['title']}")


@cli.command()
@click.argument("queries", nargs=-1, required=True)
@index_option
@click.option("--by", type=click.Choice(["year", "region"]), default="year", show_default=True)
@click.option("--exact", is_flag=True, help="Each query is one literal phrase.")
@click.option("--from", "year_from", type=int, help="First year.")
@click.option("--to", "year_to", type=int, help="Last year.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per query and year).")
@cluster_options
def trends(queries, index_dir, by, exact, year_from, year_to, as_json, as_csv, cluster):
    """How often each query occurs per year (or region), per 10,000 characters."""
    from indexer.features.trends import trends as run_trends, trends_csv
    result = run_trends(open_engine(index_dir, cluster), [from_argv(q) for q in queries],
                        mode="exact" if exact else "words", by=by, year_from=year_from,
                        year_to=year_to)
    if as_json or as_csv:
        click.echo(json.dumps(result, ensure_ascii=False) if as_json else trends_csv(result),
                   nl=as_json)
        return
    label = {"year": "year", "region": "region"}[by]
    for series in result["series"]:
        first, last = series["first"], series["last"]
        span = f", first {first['year']} ¶{first['para']}, last {last['year']}" if first else ""
        click.echo(click.style(f"{series['query']}: {series['occurrences']} occurrences in "
                               f"{series['paragraphs']} paragraphs of {series['documents']} "
                               f"documents{span}", bold=True))
        click.echo(f"  {label:<10} {'docs':>5} {'paras':>6} {'occ':>6} {'per 10k':>8}")
        for row in series["rows"]:
            click.echo(f"  {str(row['key']):<10} {row['documents']:>5} {row['paragraphs']:>6} "
                       f"{row['occurrences']:>6} {row['per_10k']:>8.2f}")


@cli.command("new")
@click.argument("doc_id")
@index_option
@json_option
@cluster_options
def new_formulations(doc_id, index_dir, as_json, cluster):
    """Words and phrases of a document that no earlier document of its series used."""
    from indexer.features.novelty import new_formulations as find_new
    result = find_new(open_engine(index_dir, cluster), doc_id)
    if result is None:
        raise PolicySearchError(f"no document with id {doc_id!r} (list them with `show`)")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    earlier = result["series"]["earlier"]
    click.echo(click.style(result["title"], bold=True)
               + f"  ({len(result['phrases'])} new against {len(earlier)} earlier "
               f"{result['series']['kind']} of {result['series']['region'] or '—'})")
    for phrase in result["phrases"]:
        where = ", ".join(f"¶{p}" for p in phrase["paragraphs"][:8])
        heading = " [heading]" if phrase["in_headings"] else ""
        click.echo(f"  {phrase['phrase']}  ×{phrase['count']}{heading}  {where}")


@cli.command()
@click.argument("a_id", metavar="A")
@click.argument("b_id", metavar="B")
@index_option
@json_option
@cluster_options
def compare(a_id, b_id, index_dir, as_json, cluster):
    """Align B's paragraphs with A's and mark what changed (A: the earlier document)."""
    from indexer.features.compare import compare_documents
    result = compare_documents(open_engine(index_dir, cluster), a_id, b_id)
    if result is None:
        raise PolicySearchError(f"no document with id {a_id!r} or {b_id!r} (list them with `show`)")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    counts = result["counts"]
    click.echo(click.style(f"{result['a']['title']} → {result['b']['title']}", bold=True))
    click.echo(f"  same {counts['same']}, changed {counts['changed']}, new {counts['new']}, "
               f"dropped {counts['dropped']} ({result['took_ms']} ms)")
    marks = {"equal": lambda t: t, "delete": lambda t: click.style(f"[-{t}-]", fg="red"),
             "insert": lambda t: click.style(f"{{+{t}+}}", fg="green")}
    for row in result["rows"]:
        where = f"A¶{row['a']['para'] if row['a'] else '-'} B¶{row['b']['para'] if row['b'] else '-'}"
        click.echo(f"\n{row['status']:<8} {where}")
        click.echo("  " + "".join(marks[op](text) for op, text in row["diff"]))


@cli.command()
@corpus_option
@index_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests computed at once: threads in all, shared out among the workers.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes sharing the port (default: one per core, at most 8; "
                   "one over OpenSearch).")
@cluster_options
def serve(corpus_dir, index_dir, host, port, threads, workers, cluster):
    """Serve the web front end (production server); builds the index first if there is none."""
    if cluster is None and store.current_generation(index_dir) is None:
        click.echo(f"no index in {index_dir} yet: building it from {corpus_dir}", err=True)
        click.echo(describe_build(run_build(corpus_dir, index_dir)), err=True)
    from webapp.server import run  # the web layer is only loaded by this command
    from webapp.prefork import default_workers
    run(corpus_dir=corpus_dir, index_dir=index_dir, host=host, port=port, threads=threads,
        workers=workers or default_workers(), cluster=cluster)


def main(argv: list[str] | None = None) -> None:
    """Entry point: library errors become one line on stderr and exit status 1."""
    try:
        cli.main(args=argv, prog_name="policy-search", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except PolicySearchError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: the live index is untouched", err=True)
        sys.exit(130)
