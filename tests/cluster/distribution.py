"""Where the OpenSearch distribution for the cluster tests comes from, and how it is unpacked.

The distribution is Maven Central's ``org.opensearch.distribution.integ-test-zip:opensearch``
(OpenSearch's own minimal build: core and the ``transport-netty4`` module, no security plugin, so
plain HTTP on loopback). It lacks the ``analysis-common`` module (the ``whitespace`` tokenizer and
the other common analysis components), which Maven Central serves as a plain jar
(``org.opensearch.plugin:analysis-common``); ``install`` adds it as a module with the descriptor
OpenSearch's build would have written. Standard library only: ``.ci/run`` calls this with the
system Python before the virtual environment exists.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

VERSION = "2.19.6"
HOME_VARIABLE = "POLICY_SEARCH_OPENSEARCH_HOME"
ZIP_ARTIFACT = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"
ANALYSIS_COMMON_ARTIFACT = f"org.opensearch.plugin:analysis-common:{VERSION}"
# The modules the tests and the backend rely on; ``install`` and ``check`` verify them.
REQUIRED_MODULES = ("transport-netty4", "analysis-common")

ANALYSIS_COMMON_DESCRIPTOR = f"""\
description=Adds "built in" analyzers to OpenSearch.
version={VERSION}
name=analysis-common
classname=org.opensearch.analysis.common.CommonAnalysisPlugin
java.version=11
opensearch.version={VERSION}
custom.foldername=
extended.plugins=
has.native.controller=false
"""


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
    """Download the two artifacts into the local Maven repository (once; Maven caches them)."""
    for artifact in (ZIP_ARTIFACT, ANALYSIS_COMMON_ARTIFACT):
        if not m2_path(artifact).is_file():
            subprocess.run(["mvn", "-q", "dependency:get", f"-Dartifact={artifact}",
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
    """Unpack the fetched distribution into ``home`` with analysis-common added (once)."""
    if (home / "bin" / "opensearch").is_file() and not missing_modules(home):
        return home
    archive, jar = m2_path(ZIP_ARTIFACT), m2_path(ANALYSIS_COMMON_ARTIFACT)
    for needed in (archive, jar):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} is missing; run `mvn dependency:get` for it first")
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f".{home.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _extract_with_modes(archive, staging)
    unpacked = staging / f"opensearch-{VERSION}"
    module = unpacked / "modules" / "analysis-common"
    module.mkdir(parents=True, exist_ok=True)
    shutil.copy2(jar, module / jar.name)
    (module / "plugin-descriptor.properties").write_text(ANALYSIS_COMMON_DESCRIPTOR)
    # Readable by the unprivileged user the nodes run as when the tests run as root.
    for path in [unpacked, *unpacked.rglob("*")]:
        path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
    shutil.rmtree(home, ignore_errors=True)
    unpacked.rename(home)
    shutil.rmtree(staging, ignore_errors=True)
    return home
