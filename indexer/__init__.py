"""policy-search engine: documents → analysis → index → query → hits.

The public functions the CLI and the web layer use are re-exported here.
"""

from .build import BuildSummary, build_index
from .errors import (BuildError, BuildLockedError, IndexNotFoundError, IndexVersionError,
                     PolicySearchError, QueryError)
from .search import SearchEngine

__all__ = ["BuildError", "BuildLockedError", "BuildSummary", "IndexNotFoundError",
           "IndexVersionError", "PolicySearchError", "QueryError", "SearchEngine", "build_index"]
