"""Checks on what is committed: clean notebooks, one package list for pip and conda."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parent.parent


def _tracked_notebooks() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True)
    files = out.stdout.split() if out.returncode == 0 else []
    if not files:  # not a git checkout (e.g. an sdist): look at the folders themselves
        files = [str(p.relative_to(REPO)) for d in ("notebooks", "solutions", "exercises")
                 for p in (REPO / d).rglob("*.ipynb")]
    return [REPO / f for f in files]


@pytest.mark.parametrize("path", _tracked_notebooks(), ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _environment_yml_packages() -> tuple[set[str], list[str]]:
    """The conda and pip entries under `dependencies:` in environment.yml (a flat, simple file)."""
    conda, pip, section, in_pip = set(), [], None, False
    for raw in (REPO / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.rstrip(":")
            continue
        if section != "dependencies" or not line.strip().startswith("- "):
            continue
        indent, item = len(line) - len(line.lstrip()), line.strip()[2:].strip()
        if item == "pip:":
            in_pip = True
        elif in_pip and indent > 2:
            pip.append(item)
        else:
            in_pip = False
            conda.add(_name(item))
    return conda, pip


def test_conda_environment_names_the_same_packages_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    conda, pip_entries = _environment_yml_packages()
    conda -= {"python", "pip"}
    assert conda == pip_names, (f"environment.yml and pyproject.toml disagree: only in environment.yml "
                                f"{sorted(conda - pip_names)}, only in pyproject.toml {sorted(pip_names - conda)}")
    assert any("-e ." in e or "--editable ." in e for e in pip_entries), \
        "environment.yml must pip-install the course itself (--editable .)"
