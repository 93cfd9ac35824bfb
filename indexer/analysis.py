"""Text analysis: normalisation, jieba word tokens and literal character grams.

One contract, stated once: every token carries the exact span of the ORIGINAL text it came
from (``text[startchar:endchar]`` is what the reader sees) and its ``pos`` is a token ordinal
(words) or a character ordinal of the normalised text (grams), never a character offset into
something else. Normalisation (NFKC, lower case, traditional → simplified script) is applied to
the token text only, so offsets stay exact while matching is width-, case- and script-blind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import opencc

try:  # jieba-rs: the same segmentation 20× faster (tests prove identical tokens); jieba stays the reference
    import rjieba
except ImportError:  # pragma: no cover - the accelerator is optional
    rjieba = None
from whoosh.analysis import Filter, Token, Tokenizer

# Bump when tokens change: an incremental build then rebuilds fully. v4: document-number
# brackets fold to (); v5: outline headings ("四是…。", "（一）…。") change the indexed sections.
ANALYSIS_VERSION = "5"
PURE_JIEBA_ENV = "POLICY_SEARCH_PURE_JIEBA"  # set to 1 to segment without the jieba-rs accelerator

_T2S = opencc.OpenCC("t2s.json")


def _jieba_module():
    """jieba, imported on first use: a search process given a compiled dictionary never needs
    it (its import alone costs a search server a tenth of its start, pkg_resources included)."""
    import jieba
    jieba.setLogLevel(60)
    return jieba


@lru_cache(maxsize=None)
def jieba_version() -> str:
    """The installed jieba's version (part of every dictionary's fingerprint), without importing it."""
    from importlib.metadata import version
    return version("jieba")


# rjieba builds a default segmenter (its whole dictionary) when imported; the first
# accelerator takes that one instead of building a second.
_rjieba_default = [getattr(rjieba, "_DEFAULT_JIEBA", None)] if rjieba is not None else []
_rjieba_default_lock = threading.Lock()


# ---------------------------------------------------------------- normalisation

# Document numbers are typed with whatever brackets are at hand: 国办发〔2018〕115号 =
# 国办发[2018]115号 = 国办发（2018）115号 = 国办发［2018］115号. One character for one, so offsets hold.
_BRACKETS = str.maketrans("〔〕[]", "()()")


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    simplified = _T2S.convert(folded)
    return simplified.translate(_BRACKETS)


class _OneCharFoldTable(dict):
    """``str.translate`` table: each character's fold where that is one character, else itself."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        folded = folded if len(folded) == 1 else chr(code)
        if len(self) < 1_000_000:
            self[code] = folded
        return folded


_ONE_CHAR_FOLD = _OneCharFoldTable()


def fold(text: str) -> str:
    """Return ``text`` width-, case- and script-folded, one output character per input character."""
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.lower()
        if len(lowered) == len(text):
            simplified = _T2S.convert(lowered)
            if len(simplified) == len(text):
                return simplified.translate(_BRACKETS)
    return text.translate(_ONE_CHAR_FOLD)


def normalize(text: str) -> str:
    """Return the comparison form of a term: NFKC, lower case, simplified script, 〔〕[] as ()."""
    return _T2S.convert(unicodedata.normalize("NFKC", text).lower()).translate(_BRACKETS)


def is_cjk(char: str) -> bool:
    """True for CJK ideographs and the CJK symbol/punctuation blocks."""
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2FFFF
            or 0xF900 <= code <= 0xFAFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF)


def literal_form(text: str) -> tuple[str, list[int]]:
    """Return (normalised text, origin) for literal matching; ``origin[i]`` is the index in
    ``text`` that produced character ``i``.

    Whitespace between two CJK characters is dropped (line wrapping and justification spaces
    are not part of a phrase); any other whitespace run becomes one space.
    """
    folded = _fold_one_for_one(text)
    if folded is not None:  # most paragraphs: no white space, one character for one
        return folded, list(range(len(text)))
    return _literal_form_by_character(text)


def _literal_form_by_character(text: str) -> tuple[str, list[int]]:
    """``literal_form`` one character at a time (the definition; any text)."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = -1
    for index, char in enumerate(text):
        if char.isspace():
            if pending_space < 0:
                pending_space = index
            continue
        folded = _fold_char(char)
        if not folded or folded.isspace():
            continue
        if pending_space >= 0:
            if out and not (is_cjk(out[-1]) and is_cjk(folded[0])):
                out.append(" ")
                origin.append(pending_space)
            pending_space = -1
        for piece in folded:
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


_CJK_CLASS = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK_CLASS}]) +(?=[{_CJK_CLASS}])")
_SPACES = re.compile(" +")
_AWKWARD = "\U0010ffff"  # stands for a character whose folded form holds white space


class _LiteralTable(dict):
    """``str.translate`` table of ``literal_form``'s folding, filled as characters are met:
    white space → " ", characters folding to nothing or to white space → "", others → their
    fold; a fold with white space inside a longer string is marked ``_AWKWARD``."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char.isspace():
            folded = " "
        else:
            folded = _fold_char(char)
            if not folded or folded.isspace():
                folded = ""
            elif any(piece.isspace() for piece in folded):
                folded = _AWKWARD
        if len(self) < 1_000_000:
            self[code] = folded
        return folded


_LITERAL_TABLE = _LiteralTable()

# The same folding as an array over the Basic Multilingual Plane, filled as characters are met:
# the folded code point, or _NOT_ONE_FOR_ONE (white space, or a fold of another length).
_UNSEEN, _NOT_ONE_FOR_ONE = 0xFFFFFFFF, 0xFFFFFFFE
_BMP_FOLDS = np.full(0x10000, _UNSEEN, dtype=np.uint32)


def _fold_one_for_one(text: str) -> str | None:
    """``literal_form``'s text when every character folds to exactly one non-space character
    (then positions are unchanged), else None; vectorised, for the paragraphs of snippets."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(codes) or int(codes.max()) >= 0x10000:
        return None if len(codes) else ""
    folded = _BMP_FOLDS[codes]
    unseen = folded == _UNSEEN
    if unseen.any():
        for code in np.unique(codes[unseen]).tolist():
            value = _LITERAL_TABLE[code]
            _BMP_FOLDS[code] = _NOT_ONE_FOR_ONE if len(value) != 1 or value in (" ", _AWKWARD) \
                else ord(value)
        folded = _BMP_FOLDS[codes]
    if (folded == _NOT_ONE_FOR_ONE).any():
        return None
    return folded.tobytes().decode("utf-32-le")


def literal_text(text: str) -> str:
    """``literal_form(text)[0]`` without the offsets, ~10× faster (the index's character grams,
    counting over many paragraphs): one ``str.translate`` and two substitutions."""
    folded = text.translate(_LITERAL_TABLE)
    if _AWKWARD in folded:
        return _literal_form_by_character(text)[0]
    return _SPACES.sub(" ", _SPACE_IN_CJK.sub("", folded)).strip(" ")


def literal_query_form(text: str) -> str:
    """Return the normalised literal form of a query string (as stored for paragraphs)."""
    return literal_form(text)[0]


# ---------------------------------------------------------------- dictionary

def builtin_dictionary_path() -> Path:
    """Path of the shipped policy-term user dictionary."""
    return Path(str(resources.files("indexer") / "data" / "policy_terms.txt"))


class Dictionary:
    """A jieba tokenizer with the policy terms (and optionally a corpus user dictionary and the
    corpus glossary's terms, ``extra_words``, already folded) loaded.

    Loading jieba's own Python dictionary takes most of a second, and a search process needs
    little of it: the frequencies jieba settles on for the added words (the jieba-rs accelerator
    is given them) and the two- and three-character words (sub-words of long words). A build
    saves those (``save_compiled``); a dictionary given that ``compiled`` file starts from it
    and loads jieba's dictionary only if something else is asked of it.
    """

    def __init__(self, extra_userdict: Path | None = None, extra_words: tuple[str, ...] = (),
                 compiled: Path | None = None):
        self.files = [builtin_dictionary_path()]
        if extra_userdict is not None and extra_userdict.is_file():
            self.files.append(extra_userdict)
        self.extra_words = tuple(extra_words)
        digest = hashlib.sha256(ANALYSIS_VERSION.encode())
        digest.update(jieba_version().encode())
        for path in self.files:
            digest.update(path.read_bytes())
        if self.extra_words:
            digest.update("\n".join(("glossary",) + self.extra_words).encode("utf-8"))
        self.fingerprint = digest.hexdigest()[:16]
        glossary = [f"glossary ({len(self.extra_words)} terms)"] if self.extra_words else []
        self.description = " + ".join(
            ["jieba " + jieba_version()] + [p.name for p in self.files] + glossary
        ) + f" (analysis v{ANALYSIS_VERSION}, {self.fingerprint})"
        self._tokenizer = None  # jieba's, made on first use (see _jieba_module)
        self._fast = None
        self._lock = threading.RLock()
        self._ready = False
        self._reference_ready = False
        self._short_words: frozenset[str] | None = None  # from a compiled file, see below
        self._compiled = compiled
        self._sub_words: dict[str, tuple[tuple[str, int], ...]] = {}

    @property
    def _jieba(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _jieba_module().Tokenizer()
        return self._tokenizer

    def _ensure_loaded(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                use_fast = rjieba is not None and not os.environ.get(PURE_JIEBA_ENV)
                compiled = self._read_compiled() if use_fast else None
                if compiled is not None:
                    self._fast = self._accelerator(compiled["added"])
                    self._short_words = frozenset(compiled["short_words"].split("\n"))
                else:
                    self._load_reference()
                    if use_fast:
                        self._fast = self._accelerator(self._added_words())
                self._ready = True

    def _load_reference(self) -> None:
        if self._reference_ready:
            return
        with self._lock:
            if not self._reference_ready:
                self._jieba.initialize()
                for path in self.files:
                    self._jieba.load_userdict(str(path))
                for word in self.extra_words:
                    if not self._jieba.FREQ.get(word):  # a known word keeps its frequency
                        self._jieba.add_word(word)
                self._reference_ready = True

    def _added_words(self) -> list[tuple[str, int, str]]:
        """(word, frequency jieba settled on, tag) of every word the files and glossary add."""
        added = []
        userdict_line = _jieba_module().re_userdict
        for path in self.files:
            for line in path.read_text(encoding="utf-8-sig").splitlines():
                match = userdict_line.match(line.strip())
                if match and match.group(1):
                    word = match.group(1).strip()
                    added.append((word, self._jieba.FREQ.get(word, 0),
                                  (match.group(3) or "").strip()))
        added.extend((word, self._jieba.FREQ.get(word, 0), "") for word in self.extra_words)
        return added

    def save_compiled(self, path: Path) -> None:
        """Write what a search process needs of this dictionary to ``path`` (see the class),
        unless it holds that already (a generation copied for an update)."""
        if self._read_compiled(path) is not None:
            return
        self._load_reference()
        short = [word for word, count in self._jieba.FREQ.items() if count and 2 <= len(word) <= 3]
        payload = {"fingerprint": self.fingerprint, "added": self._added_words(),
                   "short_words": "\n".join(short)}
        temporary = Path(path).with_name(Path(path).name + ".tmp")
        temporary.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def _read_compiled(self, path: Path | None = None) -> dict | None:
        path = path or self._compiled
        if path is None:
            return None
        try:
            compiled = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing or damaged: jieba's own dictionary is the source
            return None
        return compiled if compiled.get("fingerprint") == self.fingerprint else None

    @property
    def reference_loaded(self) -> bool:
        """True once jieba's own Python dictionary has been loaded in this process."""
        return self._reference_ready

    @staticmethod
    def _accelerator(added):
        with _rjieba_default_lock:
            fast = _rjieba_default.pop() if _rjieba_default else None
        fast = fast if fast is not None else rjieba.Jieba()
        for word, frequency, tag in added:
            fast.add_word(word, frequency, tag)
        return fast

    @property
    def accelerated(self) -> bool:
        """True when segmentation runs on jieba-rs rather than jieba's Python code."""
        self._ensure_loaded()
        return self._fast is not None

    def cut(self, text: str) -> list[str]:
        """Segment already-folded text; pieces concatenate back to ``text`` exactly."""
        self._ensure_loaded()
        if self._fast is not None:
            return self._fast.cut(text, False)
        return list(self._jieba.cut(text, HMM=False))

    def reference_cut(self, text: str) -> list[str]:
        """Segment with jieba's own Python code (the reference the accelerator must match)."""
        self._load_reference()
        return list(self._jieba.cut(text, HMM=False))

    def contains(self, word: str) -> bool:
        """True if ``word`` is a dictionary entry with a positive frequency."""
        if not self._ready:
            self._ensure_loaded()
        if self._short_words is not None and 2 <= len(word) <= 3:
            return word in self._short_words
        self._load_reference()
        return bool(self._jieba.FREQ.get(word))

    def sub_words(self, word: str) -> tuple[tuple[str, int], ...]:
        """The two- and three-character dictionary words inside ``word``, with their offsets."""
        found = self._sub_words.get(word)
        if found is None:
            found = tuple((word[i:i + size], i) for size in (2, 3) if size < len(word)
                          for i in range(len(word) - size + 1) if self.contains(word[i:i + size]))
            if len(self._sub_words) < 500_000:
                self._sub_words[word] = found
        return found


_active: Dictionary | None = None
_active_lock = threading.Lock()


def active_dictionary() -> Dictionary:
    """The dictionary used by analysis in this process (built-in terms unless configured)."""
    global _active
    if _active is None:
        with _active_lock:
            if _active is None:
                _active = Dictionary()
    return _active


def use_dictionary(dictionary: Dictionary) -> None:
    """Make ``dictionary`` the one analysis uses (set before building or searching an index)."""
    global _active
    _active = dictionary
    cached_word_spans.cache_clear()


# ---------------------------------------------------------------- word tokens

def _is_word(piece: str) -> bool:
    return piece.isalnum() or any(c.isalnum() for c in piece)


def word_spans(text: str, mode: str = "index") -> tuple[tuple[str, int, int, int], ...]:
    """Return (normalised word, position, start, end) for every word of ``text``.

    Positions are word ordinals. In ``index`` mode a long dictionary word also yields its
    two- and three-character dictionary sub-words at the same position, so a query segmented
    more finely (技术 / 企业) still meets the words of 高新技术企业.
    """
    dictionary = active_dictionary()
    folded = fold(text)
    spans = []
    position = 0
    offset = 0
    for piece in dictionary.cut(folded):
        start, offset = offset, offset + len(piece)
        if not _is_word(piece):
            continue
        spans.append((piece, position, start, offset))
        if mode == "index" and len(piece) > 2:
            for sub, i in dictionary.sub_words(piece):
                spans.append((sub, position, start + i, start + i + len(sub)))
        position += 1
    return tuple(spans)


@lru_cache(maxsize=4096)
def cached_word_spans(text: str, mode: str) -> tuple[tuple[str, int, int, int], ...]:
    """``word_spans`` memoised, for the short strings of queries and snippets."""
    return word_spans(text, mode)


def query_words(text: str) -> list[str]:
    """The words a query string is segmented into (query mode: no sub-words)."""
    return [word for word, _, _, _ in cached_word_spans(text, "query")]


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer around jieba: exact offsets, ordinal positions, no stemming or stop list."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        spans = word_spans(value, "index" if mode != "query" else "query")
        for word, position, start, end in spans:
            token.text = value[start:end]
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            token.normalized = word
            yield token


class NormalizeFilter(Filter):
    """Replace each token's text with its comparison form (NFKC, lower case, simplified)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = getattr(token, "normalized", None) or normalize(token.text)
            yield token


def word_analyzer():
    """The analyzer of the word fields (text, title, section)."""
    return JiebaTokenizer() | NormalizeFilter()


# ---------------------------------------------------------------- character grams

def gram_terms(normalised: str) -> dict[str, list[int]]:
    """Map every unigram and bigram of normalised text to its character positions.

    A bigram at position i is ``s[i:i+2]``; so a string of n ≥ 2 characters occurs at i exactly
    when its n-1 bigrams occur at positions i..i+n-2, which a phrase query checks. Unigrams let
    a single character (侨) be found too.
    """
    grams: dict[str, list[int]] = {}
    for i, char in enumerate(normalised):
        grams.setdefault(char, []).append(i)
    for i in range(len(normalised) - 1):
        grams.setdefault(normalised[i:i + 2], []).append(i)
    return grams


def literal_grams(normalised_query: str) -> list[str]:
    """The gram terms a phrase query needs, in position order (one term for 1–2 characters)."""
    if len(normalised_query) <= 2:
        return [normalised_query] if normalised_query else []
    return [normalised_query[i:i + 2] for i in range(len(normalised_query) - 1)]
