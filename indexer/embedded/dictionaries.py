"""The analysis dictionary a generation was built with, as a search process loads it.

Apart from ``build.py`` so that searching does not import the build and its format readers.
"""

from __future__ import annotations

from pathlib import Path

from indexer.analysis import Dictionary
from indexer.features import glossary as corpus_glossary

USERDICT_NAME = "userdict.txt"
COMPILED_DICTIONARY_NAME = "dictionary.json"  # what searching needs of it (Dictionary.save_compiled)


def generation_dictionary(generation: Path) -> Dictionary:
    """The dictionary a generation was built with (its copies of the corpus user dictionary
    and glossary)."""
    terms = corpus_glossary.load(generation).dictionary_terms()
    return Dictionary(Path(generation) / USERDICT_NAME, terms,
                      compiled=Path(generation) / COMPILED_DICTIONARY_NAME)
