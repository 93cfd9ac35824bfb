"""Where the OpenSearch distribution for the cluster tests comes from, and how it is unpacked.

The distribution is Maven Central's ``org.opensearch.distribution.integ-test-zip:opensearch``
(OpenSearch's own minimal build: core and the ``transport-netty4`` module, no security plugin, so
plain HTTP on loopback). It lacks two modules the product needs, ``analysis-common`` (the
``whitespace`` tokenizer and the other common analysis components) and ``reindex``
(``_delete_by_query``); Maven Central serves their jars (``org.opensearch.plugin:analysis-common``,
``org.opensearch.plugin:reindex-client`` and its HTTP client), and ``install`` adds them as modules
with the descriptors OpenSearch's build would have written. Standard library only: ``.ci/run`` calls this with the
system Python before the virtual environment exists.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "2.19.6"
HOME_VARIABLE = "POLICY_SEARCH_OPENSEARCH_HOME"
ZIP_ARTIFACT = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"


@dataclass(frozen=True)
class Module:
    """A module the integ-test-zip lacks, assembled from jars Maven Central serves."""
    name: str
    classname: str
    description: str
    # The module's own jar first, then the dependencies that core's lib/ does not already hold
    # (a jar in both places is "jar hell" and stops the node).
    artifacts: tuple[str, ...]

    def descriptor(self) -> str:
        """The plugin-descriptor.properties OpenSearch's build would have written."""
        return (f"description={self.description}\nversion={VERSION}\nname={self.name}\n"
                f"classname={self.classname}\njava.version=11\nopensearch.version={VERSION}\n"
                "custom.foldername=\nextended.plugins=\nhas.native.controller=false\n")


ADDED_MODULES = (
    # The whitespace tokenizer and the other common analysis components.
    Module("analysis-common", "org.opensearch.analysis.common.CommonAnalysisPlugin",
           'Adds "built in" analyzers to OpenSearch.',
           (f"org.opensearch.plugin:analysis-common:{VERSION}",)),
    # _delete_by_query, _update_by_query and _reindex (incremental builds delete by query).
    Module("reindex", "org.opensearch.index.reindex.ReindexPlugin",
           "The Reindex module adds APIs to reindex from one index to another or update documents "
           "in place.",
           (f"org.opensearch.plugin:reindex-client:{VERSION}",
            f"org.opensearch.client:opensearch-rest-client:{VERSION}",
            f"org.opensearch:opensearch-ssl-config:{VERSION}",
            "org.apache.httpcomponents:httpclient:4.5.14",
            "org.apache.httpcomponents:httpcore:4.4.16",
            "org.apache.httpcomponents:httpasyncclient:4.1.5",
            "org.apache.httpcomponents:httpcore-nio:4.4.16",
            "commons-codec:commons-codec:1.18.0",
            "commons-logging:commons-logging:1.2")),
)
# The modules the tests and the backend rely on; ``install`` and the fixture verify them.
REQUIRED_MODULES = ("transport-netty4", *(module.name for module in ADDED_MODULES))


def maven_repository() -> Path:
    """The local Maven repository (``$MAVEN_REPOSITORY``, else ``~/.m2/repository``)."""
    return Path(os.environ.get("MAVEN_REPOSITORY", Path.home() / ".m2" / "repository"))


def m2_path(artifact: str) -> Path:
    """The file of a ``group:artifact:version[:type]`` coordinate in the local Maven repository."""
    parts = artifact.split(":")
    group, name, version = parts[:3]
    kind = parts[3] if len(parts) > 3 else "jar"
    return maven_repository().joinpath(*group.split("."), name, version, f"{name}-{version}.{kind}")


def default_home() -> Path:
    """Where ``.ci/run`` unpacks the distribution for this user.

    Root's nodes run as ``nobody`` (OpenSearch refuses root), who cannot enter ``/root``, so
    root's copy lives in ``/var/cache``; anyone else's in their own cache folder.
    """
    if os.geteuid() == 0:
        return Path("/var/cache/policy-search") / f"opensearch-{VERSION}"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "policy-search" / f"opensearch-{VERSION}"


def located_home() -> Path | None:
    """The unpacked distribution named by ``POLICY_SEARCH_OPENSEARCH_HOME``, else the default one."""
    named = os.environ.get(HOME_VARIABLE)
    home = Path(named) if named else default_home()
    return home if (home / "bin" / "opensearch").is_file() else None


def missing_modules(home: Path) -> list[str]:
    """The required modules absent from the distribution at ``home``."""
    return [name for name in REQUIRED_MODULES
            if not (home / "modules" / name / "plugin-descriptor.properties").is_file()]


def fetch() -> None:
    """Download the zip and the modules' jars into the local Maven repository (once; Maven caches them)."""
    for artifact in (ZIP_ARTIFACT, *(a for module in ADDED_MODULES for a in module.artifacts)):
        if not m2_path(artifact).is_file():
            subprocess.run(["mvn", "-B", "-q", "dependency:get", f"-Dartifact={artifact}",
                            f"-Dmaven.repo.local={maven_repository()}", "-Dtransitive=false"], check=True, stdout=sys.stderr)


def _extract_with_modes(archive: Path, destination: Path) -> None:
    """Unzip keeping the executable bits (``zipfile`` alone drops them; bin/ needs them)."""
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            target = Path(zipped.extract(member, destination))
            mode = member.external_attr >> 16
            if mode and not member.is_dir():
                target.chmod(stat.S_IMODE(mode) | 0o444)


def install(home: Path) -> Path:
    """Unpack the fetched distribution into ``home`` with the missing modules added (once)."""
    if (home / "bin" / "opensearch").is_file() and not missing_modules(home):
        return home
    archive = m2_path(ZIP_ARTIFACT)
    jars = {module.name: [m2_path(a) for a in module.artifacts] for module in ADDED_MODULES}
    for needed in (archive, *(jar for paths in jars.values() for jar in paths)):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} is missing; run `mvn dependency:get` for it first")
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f".{home.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _extract_with_modes(archive, staging)
    unpacked = staging / f"opensearch-{VERSION}"
    for module in ADDED_MODULES:
        folder = unpacked / "modules" / module.name
        folder.mkdir(parents=True, exist_ok=True)
        for jar in jars[module.name]:
            shutil.copy2(jar, folder / jar.name)
        (folder / "plugin-descriptor.properties").write_text(module.descriptor())
    # Readable by the unprivileged user the nodes run as when the tests run as root.
    for path in [unpacked, *unpacked.rglob("*")]:
        path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
    shutil.rmtree(home, ignore_errors=True)
    unpacked.rename(home)
    shutil.rmtree(staging, ignore_errors=True)
    return home
