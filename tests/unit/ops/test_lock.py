"""requirements.lock pins every runtime dependency at a version pyproject.toml allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version}"


def test_the_image_installs_with_the_lock_as_constraints() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--constraint requirements.lock" in dockerfile
    assert "USER adieu" in dockerfile
    assert re.search(r"^FROM python:3\.11[.0-9]*-slim", dockerfile, re.MULTILINE)
