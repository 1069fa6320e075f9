"""Write requirements.lock: the exact installed version of every package the project needs to
run and to test (pyproject.toml's dependencies and its `test` extra, and everything they
require in turn), read from the environment this runs in. `make lock` runs it after
`make install`; `make audit` checks the file for known vulnerabilities.

Only what the project requires is listed (not whatever else was installed into the
environment by hand), and never the project itself."""

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# The locked dependencies of bangban (runtime and test), as installed: `make lock` writes
# this file from the environment; `make audit` checks it for known vulnerabilities.
"""


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    environment = default_environment()
    return any(
        requirement.marker.evaluate(environment | {"extra": extra}) for extra in extras or {""}
    )


def closure(roots: list[str]) -> dict[str, str]:
    """Every installed distribution the requirements reach, with its version."""
    pinned: dict[str, str] = {}
    pending = [(Requirement(text), set()) for text in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, _parent_extras = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{requirement.name} is required but not installed: run `make install`")
        pinned[name] = distribution.version
        for text in distribution.requires or []:
            child = Requirement(text)
            if _applies(child, set(requirement.extras)):
                pending.append((child, set(requirement.extras)))
    return pinned


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    roots = project["dependencies"] + project["optional-dependencies"]["test"]
    pinned = closure(roots)
    pinned.pop(canonicalize_name(project["name"]), None)
    lines = [f"{name}=={version}" for name, version in sorted(pinned.items())]
    target = ROOT / "requirements.lock"
    target.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"{target.name}: {len(lines)} packages")


if __name__ == "__main__":
    main()
