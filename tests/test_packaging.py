"""The pinned environment: constraints.txt agrees with pyproject.toml, pins every tool, and every install uses it."""

import tomllib

import pytest
from packaging.requirements import Requirement

from tests.conftest import PROJECT_ROOT


def _pins() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[name.lower().replace("_", "-")] = version
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["dev"]]


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_every_requirement_of_this_platform_is_pinned_to_a_version_it_allows(requirement):
    if requirement.marker is not None and not requirement.marker.evaluate():
        pytest.skip(f"not for this platform: {requirement.marker}")
    pinned = _pins().get(requirement.name.lower().replace("_", "-"))
    assert pinned is not None, f"{requirement.name} is not in constraints.txt: run make lock"
    assert requirement.specifier.contains(pinned, prereleases=True), f"{requirement.name}=={pinned} breaks {requirement}"


def test_the_installs_of_make_ci_and_the_workflow_use_the_constraints():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert 'pip install --quiet -c constraints.txt -e ".[dev]"' in makefile
    assert "-c constraints.txt" in (PROJECT_ROOT / "scripts" / "install-gpu.sh").read_text()
    workflow = (PROJECT_ROOT / ".github" / "workflows" / "atlas.yml").read_text()
    assert workflow.count("'constraints.txt'") == 2 and "pip install --quiet -c constraints.txt" in workflow


def test_the_linter_is_pinned_exactly():
    """A new ruff release adds rules; an unpinned one could fail `make test` on a day nothing changed here."""
    ruff = next(requirement for requirement in _requirements() if requirement.name == "ruff")
    assert str(ruff.specifier).startswith("==") and ruff.specifier.contains(_pins()["ruff"])
