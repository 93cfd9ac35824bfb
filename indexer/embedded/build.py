"""Building the index: full or incremental, each written beside the live one, then swapped in.

A full build writes every document into a new generation (in worker processes). An incremental
build hard-links the live generation's files into a new folder and applies the added, changed
and removed documents there as one Whoosh commit. Either way the live generation is never
written, and ``store.publish`` makes the new one live with one atomic rename.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index
from whoosh.index import LockError

from indexer.features import glossary as corpus_glossary
from indexer.relations import graph as relations_graph
from indexer.ingest import ocr, readers
from indexer.embedded import store
from indexer.embedded.dictionaries import (COMPILED_DICTIONARY_NAME, USERDICT_NAME,  # noqa: F401
                                           generation_dictionary)
from indexer.relations import echoes
from indexer.analysis import ANALYSIS_VERSION, Dictionary, use_dictionary
from indexer.ingest.documents import Document, DocumentError, Skipped, iter_corpus_files, read_document
from indexer.errors import BuildError
from indexer.embedded.schema import (KIND_DOCUMENT, KIND_META, KIND_PARAGRAPH, META_KEY, NO_YEAR,
                     SCHEMA_VERSION, make_schema)
from indexer.embedded.writer import FastSegmentWriter, build_parallel, commit_with_segments, open_writer

Progress = Callable[[int, int, str], None]


@dataclass
class BuildSummary:
    """What a build did; printed by the CLI and kept in the index's metadata."""

    mode: str = "full"
    reason: str = ""
    documents: int = 0
    paragraphs: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    ocr_pages: int = 0  # pages recognised by OCR, cached ones included
    ocr_cached: int = 0  # of those, pages the OCR cache held (recognised by an earlier build)
    ocr_seconds: float = 0.0  # time the others took, summed over the workers
    generation: str = ""
    finished_at: str = ""

    def to_dict(self) -> dict:
        """The summary as a JSON-ready dict."""
        return asdict(self)


def build_index(corpus_dir: Path, index_dir: Path, full: bool = False,
                progress: Progress | None = None, procs: int | None = None,
                wait: bool = False, command: str | None = None, use_ocr: bool = True,
                ocr_pages: int = ocr.DEFAULT_MAX_PAGES) -> BuildSummary:
    """Bring the index in ``index_dir`` up to date with ``corpus_dir`` and return a summary.

    Scanned pages are recognised (OCR) unless ``use_ocr`` is false, at most ``ocr_pages`` of one
    file, with their text cached in ``index_dir/ocr-cache`` for later builds. ``progress`` is
    called after each file, and with ``source`` naming the page while OCR works on one.
    Raises BuildLockedError when another build runs (unless ``wait``), BuildError for a file
    system failure (permission, disk full); in every case the live index is left as it was.
    """
    corpus_dir, index_dir = Path(corpus_dir).resolve(), Path(index_dir)
    if not corpus_dir.is_dir():
        raise BuildError(f"corpus folder not found: {corpus_dir}")
    started = time.monotonic()
    try:
        with store.build_lock(index_dir, wait=wait, command=command or _command_line()):
            store.remove_stale(index_dir)
            # The glossary's pass over the files reads no scans: OCR belongs in the workers
            # (scanned pages then define no glossary terms).
            ocr.configure(enabled=False)
            glossary = corpus_glossary.collect(
                corpus_dir, corpus_glossary.load(store.current_generation(index_dir)))
            ocr.configure(enabled=use_ocr, max_pages=ocr_pages,
                          cache_dir=index_dir / ocr.CACHE_FOLDER)
            dictionary = Dictionary(corpus_dir / USERDICT_NAME, glossary.dictionary_terms())
            reason = "" if full else _full_rebuild_reason(index_dir, corpus_dir, dictionary,
                                                          glossary)
            if full or reason:
                summary = _full_build(corpus_dir, index_dir, dictionary, glossary, progress,
                                      procs)
                summary.reason = reason or "--full requested"
            else:
                summary = _incremental_build(corpus_dir, index_dir, dictionary, glossary,
                                             progress)
    except (OSError, LockError) as error:
        raise BuildError(f"build failed, the live index is untouched: {_describe(error)}") \
            from error
    finally:
        readers.close_readers()
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _command_line() -> str:
    """This process's command line, as the lock records it for a second build's message."""
    if not sys.argv or not sys.argv[0]:
        return "python"
    program = Path(sys.argv[0])
    name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    return " ".join([name] + [shlex.quote(arg) for arg in sys.argv[1:]])


def _describe(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error) or type(error).__name__


def read_meta(generation: Path) -> dict:
    """The metadata record of a built generation ({} if it has none)."""
    ix = whoosh_index.open_dir(str(generation))
    with ix.searcher() as searcher:
        stored = searcher.document(key=META_KEY)
    return (stored or {}).get("meta", {})


# ---------------------------------------------------------------- full and incremental

def _full_rebuild_reason(index_dir: Path, corpus_dir: Path, dictionary: Dictionary,
                         glossary: corpus_glossary.Glossary) -> str:
    generation = store.current_generation(index_dir)
    if generation is None:
        return "no index yet"
    try:
        meta = read_meta(generation)
    except Exception as error:  # an unreadable index is replaced, never patched
        return f"the live index cannot be read ({error})"
    if meta.get("schema_version") != SCHEMA_VERSION:
        return "the index schema changed"
    if meta.get("analysis_version") != ANALYSIS_VERSION:
        return "the tokenizer changed"
    if meta.get("glossary") != glossary.fingerprint:
        return "the glossary or abbreviations.txt changed"
    if meta.get("dictionary") != dictionary.fingerprint:
        return "the user dictionary changed"
    if meta.get("corpus") != str(corpus_dir):
        return f"the index was built from another corpus ({meta.get('corpus')})"
    return ""


def _full_build(corpus_dir, index_dir, dictionary, glossary, progress, procs) -> BuildSummary:
    summary = BuildSummary(mode="full")
    use_dictionary(dictionary)
    dictionary.cut("预热")  # load jieba once, before the workers fork
    folder = store.new_build_folder(index_dir)
    try:
        if len(dictionary.files) > 1:
            shutil.copyfile(dictionary.files[1], folder / USERDICT_NAME)
        corpus_glossary.save(glossary, folder)
        ix = whoosh_index.create_in(str(folder), make_schema())
        paths = list(iter_corpus_files(corpus_dir))
        done = 0

        def on_message(message):
            nonlocal done
            kind, source, detail = message
            if kind == "page":
                if progress:
                    progress(done, len(paths), f"{source} · OCR {detail[0]}/{detail[1]} pages")
                return
            done += 1
            if kind == "skipped":
                summary.skipped.append({"source": source, "reason": detail})
            else:
                summary.added += 1
                summary.paragraphs += detail[0]
                _count_ocr(summary, *detail[1:])
            if progress:
                progress(done, len(paths), source)

        shards = _shards(paths, procs or min(2, os.cpu_count() or 1))
        work = [(corpus_dir, shard, dictionary, os.getpid(), folder) for shard in shards]
        try:
            segments = build_parallel(folder, work, _add_shard, on_message, len(shards))
        except RuntimeError as error:  # a worker's traceback: its last line says what failed
            raise BuildError("build failed, the live index is untouched: "
                             + str(error).strip().splitlines()[-1]) from None
        dictionary.save_compiled(folder / COMPILED_DICTIONARY_NAME)
        summary.skipped.sort(key=lambda s: s["source"])
        summary.documents = summary.added
        summary.generation = store.generation_name(folder)
        writer = FastSegmentWriter(ix)
        _write_meta(writer, corpus_dir, dictionary, glossary, summary, update=False)
        store.pause_for_tests("before-commit")
        commit_with_segments(writer, segments)
        echoes.build(folder)  # similar passages and duplicate copies (indexer/relations)
        store.pause_for_tests("before-publish")
        _publish(index_dir, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # the next build removes what this leaves
        raise
    return summary


def _shards(paths: list[Path], count: int) -> list[list[Path]]:
    """Split files into ``count`` lists of about equal total size, each in corpus order."""
    shards: list[list[Path]] = [[] for _ in range(max(1, count))]
    loads = [0] * len(shards)
    for path in sorted(paths, key=_size, reverse=True):
        lightest = loads.index(min(loads))
        shards[lightest].append(path)
        loads[lightest] += _size(path)
    return [sorted(shard) for shard in shards if shard]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _add_shard(writer_factory, shard, send) -> None:
    """Worker side of a full build: read and add one shard's files."""
    corpus_dir, paths, dictionary, parent, folder = shard
    _die_with_parent(parent)
    use_dictionary(dictionary)  # this process's own, whatever another thread set before fork
    hashed = echoes.Collector(folder)  # the echoes step's fingerprints, hashed here in parallel
    try:
        _add_files(writer_factory, corpus_dir, paths, send, hashed)
        hashed.save(folder)
    finally:
        readers.close_readers()


def _add_files(writer_factory, corpus_dir, paths, send, hashed) -> None:
    for number, path in enumerate(paths):
        if number == 1:
            store.pause_for_tests("workers")
        source = path.relative_to(corpus_dir).as_posix()
        skipped = BuildSummary()
        document = _read_or_skip(path, corpus_dir, skipped,
                                 lambda done, total, source=source:
                                 send(("page", source, (done, total))))
        if document is None:
            send(("skipped", source, skipped.skipped[0]["reason"]))
            continue
        _add_document(writer_factory(), document)
        hashed.add(document.doc_id, document.content_hash,
                   [(p.para, p.text, p.heading) for p in document.paragraphs])
        send(("added", source, (len(document.paragraphs), document.ocr_pages,
                                document.ocr_cached, document.ocr_seconds)))


def _count_ocr(summary: BuildSummary, pages: int, cached: int, seconds: float) -> None:
    summary.ocr_pages += pages
    summary.ocr_cached += cached
    summary.ocr_seconds = round(summary.ocr_seconds + seconds, 2)


def _die_with_parent(parent: int) -> None:
    """Make this worker die with the build: a build killed with SIGKILL cannot stop its
    workers, which would otherwise write on into an abandoned folder and keep the build lock
    (inherited through fork) until they finish."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the lock then simply lasts longer
        pass
    if os.getppid() != parent:  # the build died before prctl took effect
        os._exit(1)


def _incremental_build(corpus_dir, index_dir, dictionary, glossary, progress) -> BuildSummary:
    summary = BuildSummary(mode="incremental")
    use_dictionary(dictionary)
    live = store.current_generation(index_dir)
    with whoosh_index.open_dir(str(live)).searcher() as searcher:
        indexed = {stored["source"]: stored for stored in searcher.documents(kind=KIND_DOCUMENT)}
    # First only compare hashes: most runs change nothing, and then nothing is written.
    paths = list(iter_corpus_files(corpus_dir))
    pending = []  # (path, source, previous record or None) to (re)read
    for number, path in enumerate(paths, 1):
        source = path.relative_to(corpus_dir).as_posix()
        if progress:
            progress(number, len(paths), source)
        previous = indexed.pop(source, None)
        if previous is not None and previous["content_hash"] == _file_hash(path):
            summary.unchanged += 1
            summary.paragraphs += previous["paragraphs"]
        else:
            pending.append((path, source, previous))
    gone = list(indexed.values())  # indexed, no longer in the corpus
    summary.generation = live.name
    if pending or gone:
        _apply_changes(corpus_dir, index_dir, dictionary, glossary, summary, live, pending, gone)
    summary.documents = summary.added + summary.changed + summary.unchanged
    return summary


def _apply_changes(corpus_dir, index_dir, dictionary, glossary, summary, live, pending,
                   gone) -> None:
    """Write the changes into a hard-linked copy of ``live`` (one commit) and publish it."""
    folder = store.new_build_folder(index_dir, copy_of=live)
    writer = None
    try:
        writer = open_writer(whoosh_index.open_dir(str(folder)))
        for previous in gone:
            writer.delete_by_term("doc_id", previous["doc_id"])
            summary.removed += 1
        for path, source, previous in pending:
            document = _read_or_skip(path, corpus_dir, summary)
            if previous is not None:
                writer.delete_by_term("doc_id", previous["doc_id"])
            if document is None:
                summary.removed += previous is not None
                continue
            _add_document(writer, document)
            summary.paragraphs += len(document.paragraphs)
            _count_ocr(summary, document.ocr_pages, document.ocr_cached, document.ocr_seconds)
            if previous is None:
                summary.added += 1
            else:
                summary.changed += 1
        if not (summary.added or summary.changed or summary.removed):
            # only files that are skipped anyway: nothing to write
            writer.cancel()
            shutil.rmtree(folder)
            return
        summary.documents = summary.added + summary.changed + summary.unchanged
        summary.generation = store.generation_name(folder)
        corpus_glossary.save(glossary, folder)
        dictionary.save_compiled(folder / COMPILED_DICTIONARY_NAME)
        _write_meta(writer, corpus_dir, dictionary, glossary, summary, update=True)
        store.pause_for_tests("before-commit")
        writer.commit()  # merges small segments; the big ones of the last full build stay
        writer = None
        echoes.build(folder, previous=live)
        store.pause_for_tests("before-publish")
        _publish(index_dir, folder)
    except BaseException:
        if writer is not None:
            writer.cancel()
        shutil.rmtree(folder, ignore_errors=True)  # the next build removes what this leaves
        raise


def _publish(index_dir: Path, folder: Path) -> None:
    """Write the new generation's relations (citations, validity) beside it, then make it live."""
    relations_graph.write(folder, store.current_generation(index_dir))
    store.publish(index_dir, folder)


# ---------------------------------------------------------------- records

def _read_or_skip(path: Path, corpus_dir: Path, summary: BuildSummary,
                  on_page=None) -> Document | None:
    try:
        return read_document(path, corpus_dir, on_page)
    except DocumentError as error:
        skipped = Skipped(path.relative_to(corpus_dir).as_posix(), error.reason)
    except OSError as error:
        skipped = Skipped(path.relative_to(corpus_dir).as_posix(),
                          f"unreadable: {error.strerror or error}")
    except Exception as error:  # one odd file must not stop a whole build (as read_corpus)
        skipped = Skipped(path.relative_to(corpus_dir).as_posix(),
                          f"internal error: {type(error).__name__}: {error}")
    summary.skipped.append({"source": skipped.source, "reason": skipped.reason})
    return None


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _add_document(writer, document: Document) -> None:
    year = {"year": NO_YEAR if document.year is None else document.year}
    writer.add_document(
        key=f"d:{document.doc_id}", kind=KIND_DOCUMENT, doc_id=document.doc_id,
        title=document.title, date=document.date, region=document.region,
        source=document.source, content_hash=document.content_hash,
        paragraphs=len(document.paragraphs), issuer=document.issuer,
        doc_number=document.doc_number, published=document.published,
        source_name=document.source_name,
        chars=sum(len(p.text) for p in document.paragraphs), **year)
    for paragraph in document.paragraphs:
        recognised = {"ocr": True, "confidence": paragraph.confidence} if paragraph.ocr else {}
        writer.add_document(
            key=f"{document.doc_id}:{paragraph.para}", kind=KIND_PARAGRAPH,
            doc_id=document.doc_id, para=paragraph.para, title=document.title,
            section=paragraph.section, text=paragraph.text,
            heading=paragraph.heading, level=paragraph.level, **recognised, **year)


def _write_meta(writer, corpus_dir, dictionary, glossary, summary, update) -> None:
    summary.finished_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    meta = {
        "built_at": summary.finished_at,
        "schema_version": SCHEMA_VERSION,
        "analysis_version": ANALYSIS_VERSION,
        "dictionary": dictionary.fingerprint,
        "dictionary_description": dictionary.description,
        "glossary": glossary.fingerprint,
        "corpus": str(corpus_dir),
        "generation": summary.generation,
        "last_build": summary.to_dict(),
    }
    (writer.update_document if update else writer.add_document)(
        key=META_KEY, kind=KIND_META, meta=meta)
