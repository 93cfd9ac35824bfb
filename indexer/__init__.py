"""policy-search engine: documents → analysis → index → query → hits.

The public functions the CLI and the web layer use are re-exported here.
"""

from indexer.errors import (BackendUnavailableError, BuildError, BuildLockedError,
                            IndexNotFoundError, IndexVersionError, PolicySearchError, QueryError)
from indexer.embedded.engine import SearchEngine
from indexer.backends import build, open_engine

__all__ = ["BackendUnavailableError", "BuildError", "BuildLockedError", "BuildSummary",
           "IndexNotFoundError", "IndexVersionError", "PolicySearchError", "QueryError",
           "SearchEngine", "build", "build_index", "open_engine"]


def __getattr__(name: str):
    # The build (and the format readers it imports) loads on first use: a search process
    # never needs it, and importing it costs a server's start.
    if name in ("BuildSummary", "build_index"):
        from indexer.embedded import build as embedded_build
        return getattr(embedded_build, name)
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
