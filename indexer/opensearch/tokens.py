"""Our analysis as OpenSearch field values: tokens joined by spaces, read by ``whitespace``.

The cluster never segments or folds anything: every token (a jieba word, a literal character,
a literal bigram) is made here by ``indexer.analysis`` and only split on the spaces between
them. White space inside a token and the escape character itself are escaped, and a token the
whitespace tokenizer would cut (over 255 UTF-16 units) is replaced by a digest, the same way on
both sides, so every token arrives whole.
"""

from __future__ import annotations

import hashlib
import re

from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import cached_word_spans, literal_grams, literal_text, word_spans

ESCAPE = "\x01"
_ESCAPED = re.compile(r"[\x01\s]")
MAX_TOKEN_UNITS = 255  # Lucene's WhitespaceTokenizer default max_token_length


def token(text: str) -> str:
    """One token as the whitespace analyzer will keep it."""
    escaped = _ESCAPED.sub(lambda m: f"{ESCAPE}{ord(m.group()):x};", text)
    if len(escaped.encode("utf-16-le")) // 2 > MAX_TOKEN_UNITS:
        return ESCAPE + "#" + hashlib.sha1(escaped.encode("utf-8")).hexdigest()
    return escaped


def words(text: str) -> tuple[str, int]:
    """(the index words of ``text``, sub-words included, as one field value; their count).

    The count is the field length as the embedded engine records it (Whoosh keeps lengths in
    one lossy byte), so the lead prior's length threshold cuts at the same paragraphs.
    """
    spans = cached_word_spans(text, "index") if len(text) <= 64 else word_spans(text, "index")
    count = len(spans)
    return " ".join(token(word) for word, _, _, _ in spans), byte_to_length(length_to_byte(count))


def characters(text: str) -> tuple[str, str]:
    """(unigram field value, bigram field value) of a paragraph's literal form; the n-th token
    of each stands at character n, as the embedded index's gram positions."""
    literal = literal_text(text)
    unigrams = " ".join(token(char) for char in literal)
    bigrams = " ".join(token(literal[i:i + 2]) for i in range(len(literal) - 1))
    return unigrams, bigrams


def literal_tokens(literal: str) -> tuple[str, list[str]]:
    """(field, tokens) a literal query string is found by: its one character in ``unigrams``, or
    its consecutive bigrams in ``bigrams``."""
    grams = literal_grams(literal)
    if len(literal) == 1:
        return "unigrams", [token(literal)]
    return "bigrams", [token(gram) for gram in grams]
