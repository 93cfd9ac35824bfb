"""policy-search engine: documents → analysis → index → query → hits.

The public functions the CLI and the web layer use are re-exported here.
"""

from indexer.embedded.build import BuildSummary, build_index
from indexer.errors import (BuildError, BuildLockedError, IndexNotFoundError, IndexVersionError,
                     PolicySearchError, QueryError)
from indexer.embedded.engine import SearchEngine

__all__ = ["BuildError", "BuildLockedError", "BuildSummary", "IndexNotFoundError",
           "IndexVersionError", "PolicySearchError", "QueryError", "SearchEngine", "build_index"]
