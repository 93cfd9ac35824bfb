"""policy-search engine: documents → analysis → index → query → hits.

The public functions the CLI and the web layer use are re-exported here.
"""

from indexer.embedded.build import BuildSummary, build_index
from indexer.errors import (BackendUnavailableError, BuildError, BuildLockedError,
                            IndexNotFoundError, IndexVersionError, PolicySearchError, QueryError)
from indexer.embedded.engine import SearchEngine
from indexer.backends import build, open_engine

__all__ = ["BackendUnavailableError", "BuildError", "BuildLockedError", "BuildSummary",
           "IndexNotFoundError", "IndexVersionError", "PolicySearchError", "QueryError",
           "SearchEngine", "build", "build_index", "open_engine"]
