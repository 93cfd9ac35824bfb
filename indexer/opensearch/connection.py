"""Reaching the cluster: URL, index name, TLS, basic auth and API keys, passed to opensearch-py.

Credentials are taken apart from the URL once; everything the program prints about the
connection (``describe``, errors, ``stats``) uses the URL without them, and ``scrub`` removes
them from any message that came from elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from indexer.errors import BackendUnavailableError, PolicySearchError

DEFAULT_INDEX = "policy-search"
URL_ENV = "POLICY_SEARCH_OPENSEARCH"
INDEX_ENV = "POLICY_SEARCH_OPENSEARCH_INDEX"
API_KEY_ENV = "POLICY_SEARCH_OPENSEARCH_API_KEY"
CA_FILE_ENV = "POLICY_SEARCH_OPENSEARCH_CA"
INSECURE_ENV = "POLICY_SEARCH_OPENSEARCH_INSECURE"
INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,150}")
REQUEST_TIMEOUT = 30


@dataclass(frozen=True)
class Cluster:
    """Where the index lives: one or more node URLs (comma-separated) and the index name."""

    url: str = field(repr=False)  # may hold user:password@: printed only as ``hosts``
    index: str = DEFAULT_INDEX
    api_key: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    verify_certs: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if not INDEX_NAME.fullmatch(self.index or ""):
            raise PolicySearchError(f"invalid OpenSearch index name {self.index!r}: lower-case "
                                    "letters, digits, '-' and '_', starting with a letter or digit")
        hosts, user, password = [], self.username, self.password
        for part in self.url.split(","):
            parsed = urlsplit(part.strip() if "//" in part else "http://" + part.strip())
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise PolicySearchError(f"not an OpenSearch URL: {_without_credentials(part)!r} "
                                        "(use http://host:9200 or https://user:pass@host:9200)")
            if parsed.username is not None:
                user, password = unquote(parsed.username), unquote(parsed.password or "")
            netloc = parsed.hostname if ":" not in parsed.hostname else f"[{parsed.hostname}]"
            netloc += f":{parsed.port}" if parsed.port else ""
            hosts.append(urlunsplit((parsed.scheme, netloc, parsed.path, "", "")))
        object.__setattr__(self, "_hosts", tuple(hosts))
        object.__setattr__(self, "username", user)
        object.__setattr__(self, "password", password)

    def __repr__(self) -> str:
        return f"Cluster({self.describe()!r})"

    @property
    def hosts(self) -> tuple[str, ...]:
        """The node URLs, without credentials."""
        return self._hosts

    def describe(self) -> str:
        """The cluster and index as safe to print: no user, password or key."""
        return f"{','.join(self.hosts)} index {self.index}"

    def secrets(self) -> list[str]:
        """The strings that must never be printed."""
        return [s for s in (self.password, self.api_key) if s]

    def scrub(self, message: str) -> str:
        """``message`` with every credential (and any user:password@ in a URL) removed."""
        message = re.sub(r"(\w+://)[^/@\s]+@", r"\1", message)
        for secret in self.secrets():
            message = message.replace(secret, "***")
        return message

    def client(self):
        """An opensearch-py client for this cluster (retries on timeouts and node failures)."""
        from opensearchpy import OpenSearch

        options = {"timeout": REQUEST_TIMEOUT, "max_retries": 3, "retry_on_timeout": True}
        if self.api_key:  # an API key is the credential, whatever user the URL names
            options["headers"] = {"Authorization": f"ApiKey {self.api_key}"}
        elif self.username is not None:
            options["http_auth"] = (self.username, self.password or "")
        if any(host.startswith("https") for host in self.hosts):
            options.update(use_ssl=True, verify_certs=self.verify_certs,
                           ssl_show_warn=self.verify_certs)
            if self.ca_file:
                options["ca_certs"] = self.ca_file
        return OpenSearch(list(self.hosts), **options)

    def unavailable(self, error: Exception) -> BackendUnavailableError:
        """The error to raise when the cluster cannot answer, without credentials."""
        detail = getattr(error, "error", None) or type(error).__name__
        info = getattr(error, "info", None)
        if isinstance(info, Exception):
            detail = f"{detail}: {type(info).__name__}"
        return BackendUnavailableError(self.scrub(
            f"the OpenSearch cluster at {','.join(self.hosts)} cannot be reached ({detail})"))


def _without_credentials(url: str) -> str:
    return re.sub(r"(\w+://)?[^/@\s]+@", r"\1", url)


def cluster_from_options(url: str | None, index: str | None = None, api_key: str | None = None,
                         ca_file: str | None = None, insecure: bool = False) -> Cluster | None:
    """The cluster the options name (None: the embedded index)."""
    if not url:
        return None
    return Cluster(url=url, index=index or DEFAULT_INDEX, api_key=api_key or None,
                   ca_file=ca_file or None, verify_certs=not insecure)
