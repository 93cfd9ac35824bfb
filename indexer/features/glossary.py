"""The corpus glossary: terms the documents define themselves, with their definitions.

Three kinds of definition are recognised (``Entry.kind``):

- ``section``: each numbered entry of a 名词解释 / 名词解析 / 注释 section, ``1.双区:粤港澳…``;
  an entry whose head ends at the colon continues over the following unnumbered paragraphs
  until its text ends a sentence (。！？), and inside the section “X”指… defines X too;
- ``defined``: in running text, “X”是指…, up to the end of the sentence;
- ``abbreviated``: …全称（以下简称“X”） or （以下简称X）, the full name being the clause before
  the bracket.

A term must hold a Chinese character and be 2–30 characters long ("“63”是指…" is not a term).
The glossary is collected before each build (``collect``); its dictionary terms (CJK letters
and digits only, 2–12 characters) join jieba's dictionary, so a term such as 双区 is one token.
Each generation stores it as ``glossary.json``, with each file's content hash, so the next
build re-reads only the files that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.search import abbreviations as abbreviation_lists
from indexer.analysis import fold, literal_query_form

if TYPE_CHECKING:  # the readers are imported when a build collects, not by a search process
    from indexer.ingest.documents import Document

GLOSSARY_FILE = "glossary.json"
GLOSSARY_VERSION = 1
MAX_DEFINITION = 300
MAX_FULL_NAME = 40
MAX_CONTINUATION = 4  # unnumbered paragraphs an entry may run on over

_SECTION_TITLE = re.compile(r"^(?:附(?:件|录)?\s*\d*\s*[:：、.．]?\s*)?(?:名词解释|名词解析|注释)\s*[:：]?$")
_NUMBER = r"(?:\d{1,3}\s*[.．、]|[（(]\d{1,3}[)）]|[一二三四五六七八九十]{1,3}\s*、)"
_ENTRY = re.compile(rf"^\s*{_NUMBER}\s*(?P<term>[^:：。；;]{{1,30}}?)\s*[:：]\s*(?P<definition>.*)$")
_NEXT_POINT = r"(?=[；;。]|[，,、]?“[^“”]{1,30}”(?:是指|指)|$)"
_QUOTED_POINTS = re.compile(rf"“(?P<term>[^“”]{{1,30}})”(?:是指|指)(?P<definition>.*?){_NEXT_POINT}")
_DEFINED = re.compile(rf"“(?P<term>[^“”]{{1,30}})”是指(?P<definition>.*?){_NEXT_POINT}")
_ABBREVIATED = re.compile(r"[（(](?:以下|下文)?简称[“\"《]?(?P<term>[^”\"》）)，,]{1,30})[”\"》]?[）)]")
_LEADING_VERB = re.compile(r"^(?:根据|依据|依照|按照|是指|对|由|经|在|为|与|和|及)")
_CLAUSE_END = re.compile(r"[，。；：、！？,;:!?\s“”]")
_QUOTES = "“”\"「」『』《》‘’'"
_SENTENCE_END = ("。", "！", "？", "!", "?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_DICTIONARY_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9]{2,12}")
# Bytes that any definition needs, in the encodings plain-text corpus files come in: a file
# with none of them defines nothing and is not read for the glossary at all.
_MARKER_WORDS = ("名词解", "注释", "”是指", "以下简称", "下文简称", "（简称", "(简称")
_TRADITIONAL_MARKERS = ("名詞解", "註釋", "注釋", "”是指", "以下簡稱", "下文簡稱", "（簡稱", "(簡稱")
_MARKERS = tuple({word.encode(encoding, "ignore")
                  for words, encodings in ((_MARKER_WORDS, ("utf-8", "gb18030")),
                                           (_TRADITIONAL_MARKERS,
                                            ("utf-8", "gb18030", "big5")))
                  for word in words for encoding in encodings} - {b""})
_PLAIN_SUFFIXES = (".txt", ".md")


@dataclass
class Entry:
    """One defined term: as written, its definition, and the paragraph that defines it."""

    term: str
    definition: str
    kind: str
    doc_id: str
    para: int
    title: str = ""
    year: int | None = None
    written: str = ""
    aliases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON form (``define --json``, ``/api/define``)."""
        return asdict(self)

    def keys(self) -> list[str]:
        """The comparison forms a query may contain: the term and its quoted parts."""
        return list(dict.fromkeys(literal_query_form(k) for k in [self.term, *self.aliases]))


def clean_term(written: str) -> str:
    """The term without quotation marks and surrounding spaces (专精特新“小巨人”企业 → 专精特新小巨人企业)."""
    return "".join(c for c in written if c not in _QUOTES).strip()


def is_term(term: str) -> bool:
    """Whether a string can be a glossary term (2–30 characters, at least one Chinese)."""
    return 2 <= len(term) <= 30 and bool(_CJK.search(term))


def extract(document: Document) -> list[Entry]:
    """Every definition in one document, in paragraph order."""
    from indexer.ingest.outline import SECTION_SEPARATOR
    entries: list[Entry] = []
    in_section = False
    current: Entry | None = None
    continued = 0

    def add(written, definition, kind, para, runs_on=False):
        # runs_on: a section entry whose definition may still come on the next paragraphs
        term = clean_term(written)
        definition = definition.strip()[:MAX_DEFINITION]
        if not is_term(term) or not (runs_on or _CJK.search(definition)):
            return None
        aliases = [clean_term(q) for q in re.findall(r"“([^“”]+)”", written)]
        entry = Entry(term, definition, kind, document.doc_id, para, document.title,
                      document.year, written.strip(),
                      [a for a in aliases if is_term(a) and a != term])
        entries.append(entry)
        return entry

    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if _SECTION_TITLE.match(text):
            in_section, current = True, None
            continue
        last_section = paragraph.section.rsplit(SECTION_SEPARATOR, 1)[-1]
        glossary_section = bool(_SECTION_TITLE.match(last_section))
        if paragraph.heading and not glossary_section:
            in_section, current = False, None
        if in_section or glossary_section:
            found = _ENTRY.match(text)
            if found:
                definition = found["definition"]
                current = add(found["term"], definition, "section", paragraph.para, runs_on=True)
                continued = 0
                for inner in _QUOTED_POINTS.finditer(definition):
                    add(inner["term"], inner["definition"], "section", paragraph.para)
                continue
            if current is not None and continued < MAX_CONTINUATION \
                    and not current.definition.endswith(_SENTENCE_END):
                current.definition = (current.definition + text)[:MAX_DEFINITION]
                continued += 1
                for inner in _QUOTED_POINTS.finditer(text):
                    add(inner["term"], inner["definition"], "section", paragraph.para)
                continue
            current = None
        for found in _DEFINED.finditer(text):
            add(found["term"], found["definition"] + "。", "defined", paragraph.para)
        for found in _ABBREVIATED.finditer(text):
            add(found["term"], _full_name(text, found.start()), "abbreviated", paragraph.para)
    return [e for e in entries if _CJK.search(e.definition)]


def _full_name(text: str, end: int) -> str:
    """The clause before a （以下简称…） bracket: the name the abbreviation stands for."""
    start = end
    while start > 0 and end - start < MAX_FULL_NAME and not _CLAUSE_END.match(text[start - 1]):
        start -= 1
    name = text[start:end]
    titled = re.search(r"《[^《》]+》$", name)
    return titled.group(0) if titled else _LEADING_VERB.sub("", name)


# ---------------------------------------------------------------- the corpus glossary

class Glossary:
    """Every definition in a corpus, grouped by source file (with its content hash), and the
    corpus's own abbreviations.txt: what the corpus says about its shorthand."""

    def __init__(self, files: dict[str, dict] | None = None, abbreviations_text: str = ""):
        self.files = files or {}  # source → {"hash": sha256, "entries": [Entry, ...]}
        self.abbreviations_text = abbreviations_text
        self._abbreviations = None

    def abbreviations(self) -> abbreviation_lists.Abbreviations:
        """Every expansion: the corpus's list, the shipped one, and the glossary's own."""
        if self._abbreviations is None:
            self._abbreviations = abbreviation_lists.combine(self.abbreviations_text,
                                                             self.entries)
        return self._abbreviations

    @property
    def entries(self) -> list[Entry]:
        """All entries, in corpus order."""
        return [entry for source in sorted(self.files) for entry in self.files[source]["entries"]]

    def dictionary_terms(self) -> list[str]:
        """The folded terms (and abbreviations) that join jieba's dictionary, sorted."""
        words = set(self.abbreviations().dictionary_terms())
        for entry in self.entries:
            for term in [entry.term, *entry.aliases]:
                folded = fold(term)
                if _DICTIONARY_WORD.fullmatch(folded):
                    words.add(folded)
        return sorted(words)

    @property
    def fingerprint(self) -> str:
        """A short hash of the dictionary terms and the corpus's abbreviations.txt."""
        digest = hashlib.sha256("\n".join(self.dictionary_terms() + [self.abbreviations_text])
                                .encode("utf-8"))
        return digest.hexdigest()[:16]

    def define(self, term: str) -> list[Entry]:
        """The entries of ``term`` (compared width-, case- and script-blind; quotes ignored)."""
        wanted = literal_query_form(clean_term(term))
        return [e for e in self.entries if wanted and wanted in e.keys()]

    def found_in(self, text: str, limit: int = 5) -> list[Entry]:
        """Entries whose term (or a quoted part of it) occurs in ``text``, longest terms first,
        one entry per term and document."""
        haystack = literal_query_form(clean_term(text))
        found, seen = [], set()
        for entry in sorted(self.entries, key=lambda e: (-len(e.term), e.kind != "section")):
            if (entry.term, entry.doc_id) in seen:
                continue
            if any(key and key in haystack for key in entry.keys()):
                seen.add((entry.term, entry.doc_id))
                found.append(entry)
        return found[:limit]

    def to_json(self) -> str:
        """The stored form (``glossary.json``)."""
        files = {source: {"hash": f["hash"], "entries": [asdict(e) for e in f["entries"]]}
                 for source, f in sorted(self.files.items())}
        return json.dumps({"version": GLOSSARY_VERSION, "files": files,
                           "abbreviations": self.abbreviations_text}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Glossary":
        """Read the stored form; an unknown version reads as an empty glossary."""
        data = json.loads(text)
        if data.get("version") != GLOSSARY_VERSION:
            return cls()
        return cls({source: {"hash": f["hash"], "entries": [Entry(**e) for e in f["entries"]]}
                    for source, f in data["files"].items()}, data.get("abbreviations", ""))


def load(generation: Path | None) -> Glossary:
    """The glossary stored in a generation folder (empty if it has none)."""
    if generation is None:
        return Glossary()
    path = Path(generation) / GLOSSARY_FILE
    try:
        return Glossary.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Glossary()
    except (ValueError, KeyError, TypeError):  # a damaged file: the next build rewrites it
        return Glossary()


def save(glossary: Glossary, folder: Path) -> None:
    """Write ``glossary.json`` into a generation folder being built (never in place: a
    generation copied for an update shares the live one's file through a hard link)."""
    path = Path(folder) / GLOSSARY_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(glossary.to_json(), encoding="utf-8")
    os.replace(temporary, path)


def collect(corpus_dir: Path, previous: Glossary | None = None) -> Glossary:
    """The glossary of every file in ``corpus_dir``; files whose content hash ``previous``
    already knows are not read again, and files that cannot be read define nothing (the
    build reports them)."""
    from indexer.ingest.documents import iter_corpus_files, read_document
    corpus_dir = Path(corpus_dir)
    known = previous.files if previous is not None else {}
    files = {}
    for path in iter_corpus_files(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            data = path.read_bytes()
        except OSError:
            continue
        content_hash = hashlib.sha256(data).hexdigest()
        if source in known and known[source]["hash"] == content_hash:
            entries = known[source]["entries"]
        elif path.suffix.lower() in _PLAIN_SUFFIXES and not data.startswith((b"\xff\xfe", b"\xfe\xff")) \
                and not any(m in data for m in _MARKERS):
            entries = []
        else:
            try:
                entries = extract(read_document(path, corpus_dir))
            except Exception:  # noqa: BLE001 - the build itself reports why the file is skipped
                entries = []
        files[source] = {"hash": content_hash, "entries": entries}
    own_list = corpus_dir / abbreviation_lists.ABBREVIATIONS_NAME
    text = own_list.read_text(encoding="utf-8-sig", errors="replace") if own_list.is_file() else ""
    return Glossary(files, text)
