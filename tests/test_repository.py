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


def committed_text(path: Path) -> str:
    """The notebook as git will commit it (the staged version, after the notebook filter), not the
    working file: a learner who ran a chapter has outputs there, and that is fine."""
    out = subprocess.run(["git", "show", f":{path.relative_to(REPO)}"], cwd=REPO, capture_output=True)
    return out.stdout.decode("utf-8") if out.returncode == 0 else path.read_text(encoding="utf-8")


def uncleared_cells(text: str) -> list[int]:
    nb = json.loads(text)
    return [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            and (c.get("outputs") or c.get("execution_count") is not None)]


@pytest.mark.parametrize("path", _tracked_notebooks(), ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_committed_without_outputs(path):
    dirty = uncleared_cells(committed_text(path))
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


# ---- findability: every helper is on the map and used; every reference resolves -------------------

def _helper_modules() -> list[str]:
    return sorted(p.stem for p in (REPO / "helpers").glob("*.py") if p.stem != "__init__")


def test_every_helper_module_is_on_the_package_map():
    import helpers
    listed = set(re.findall(r"`(\w+)`", helpers.__doc__ or ""))
    # the map may name a range of exercise modules as `ex02_targets` ... `ex05_targets`
    if "ex02_targets" in listed:
        listed |= {m for m in _helper_modules() if re.fullmatch(r"ex\d\d_targets", m)}
    missing = [m for m in _helper_modules() if m not in listed]
    assert not missing, f"helpers/__init__.py's package map does not list {missing}"


def _course_text() -> str:
    """Every chapter, exercise and benchmark, as one string (notebook sources only)."""
    parts = []
    for path in list((REPO / "notebooks").glob("*.ipynb")) + list((REPO / "solutions").glob("*/*.ipynb")):
        parts += ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    parts += [p.read_text(encoding="utf-8") for p in (REPO / "benchmarks").glob("*.py")]
    return "\n".join(parts)


def test_every_helper_module_is_used_by_the_course():
    text = _course_text()
    helper_text = {m: (REPO / "helpers" / f"{m}.py").read_text(encoding="utf-8") for m in _helper_modules()}
    used = {m for m in helper_text if re.search(rf"\b{m}\b", text)}
    # a module used only by other helpers counts when one of those is used (e.g. config, checks)
    changed = True
    while changed:
        changed = False
        for m in helper_text:
            if m not in used and any(re.search(rf"(from \.{m} import|from \. import [\w, ]*\b{m}\b|\.{m}\b)",
                                               helper_text[u]) for u in used):
                used.add(m)
                changed = True
    unused = sorted(set(helper_text) - used - {"config"})   # config: applied by helpers/__init__.py
    assert not unused, f"no chapter, exercise or benchmark uses helpers {unused}: remove them or use them"


OUTSIDE = re.compile(r"(?<![\w-])NOTES\.md|\.\./shared|(?<![\w-])seed/|\b[Tt]he seed\b|\b[Ss]eed error")
REFERENCE = re.compile(r"(?<![\w./-])((?:docs|helpers|grading|tests|benchmarks|notebooks|solutions|exercises)"
                       r"/[\w./-]*\w)")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    return [REPO / f for f in out if f.endswith((".py", ".ipynb", ".md", ".toml", ".yml", ".cfg")) or f == "Makefile"]


def test_no_reference_to_a_file_outside_the_repository():
    found = []
    for path in _tracked_text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line) and path.name != "test_repository.py":
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()[:100]}")
    assert not found, "the course names files or words from outside the repository:\n" + "\n".join(found)


def test_every_path_named_in_the_repository_exists():
    missing = []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for ref in set(REFERENCE.findall(text)):
            ref = ref.rstrip(".")
            if any(ch in ref for ch in "*<>{}") or ref.endswith(("/", "_")) or "NN" in ref:
                continue    # a pattern (exNN_name, helpers/chNN_name), not a path
            target = REPO / ref
            # a file, or a module named without its .py; folders made at run time (work/, .course/)
            # are not in this pattern
            if not target.exists() and not target.with_suffix(".py").exists():
                missing.append(f"{path.relative_to(REPO)}: {ref}")
    assert not missing, "these paths do not exist in the repository:\n" + "\n".join(sorted(missing))
