"""policy-search engine: documents → analysis → index → query → hits.

The public functions the CLI and the web layer use are re-exported here.
"""

from indexer.errors import (BuildError, BuildLockedError, IndexNotFoundError, IndexVersionError,
                     PolicySearchError, QueryError)
from indexer.embedded.engine import SearchEngine

__all__ = ["BuildError", "BuildLockedError", "BuildSummary", "IndexNotFoundError",
           "IndexVersionError", "PolicySearchError", "QueryError", "SearchEngine", "build_index"]


def __getattr__(name: str):
    # The build (and the format readers it imports) loads on first use: a search process
    # never needs it, and importing it costs a server's start.
    if name in ("BuildSummary", "build_index"):
        from indexer.embedded import build
        return getattr(build, name)
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
