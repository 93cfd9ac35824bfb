"""Errors the engine raises for things a user can fix; each message is one clear sentence."""


class PolicySearchError(Exception):
    """Base class: the CLI prints the message on one line, the web answers with it."""


class QueryError(PolicySearchError):
    """The user's query or a search parameter cannot be searched."""


class IndexNotFoundError(PolicySearchError):
    """There is no built index in the index folder yet."""


class BuildError(PolicySearchError):
    """A build could not complete; the live index was left untouched."""


class BuildLockedError(BuildError):
    """Another build holds the index folder's build lock."""


class DocumentError(Exception):
    """A file that cannot become a document; .reason says why in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class IndexVersionError(PolicySearchError):
    """The index on disk was written by a version this one cannot search: rebuild it."""


class BackendUnavailableError(PolicySearchError):
    """The search cluster cannot be reached or does not answer (the web answers 503)."""
