"""A git filter that lets learners run the chapters in place: git sees each notebook without outputs.

JupyterLab saves outputs into `notebooks/*.ipynb`, which git tracks. Without this filter the
repository looks changed after a learner ran a chapter, and `git pull` refuses to update it. With
it (`.gitattributes` names it for every `*.ipynb`), git compares and stores each notebook as this
script prints it: outputs, execution counts, widget state and the kernel's version details
dropped, everything else (sources, cell ids, slide and nbgrader metadata) kept, written as
nbformat writes it. The file on disk keeps its outputs, `git status` shows nothing, and `git pull`
updates a chapter the learner only ran (its outputs go; run it again).

A filter is a per-clone setting that git never copies: `install` writes it into `.git/config`
(`make lab`, `make test` and `python -m grading setup` call it). This file uses only the standard
library, so git can run it with any Python 3.

    python grading/notebook_filter.py < notebook.ipynb > stripped.ipynb
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NAME = "course-notebook"
# Cell metadata JupyterLab adds while a learner works (folding, scrolling, timing); the rest is kept.
VOLATILE_CELL_KEYS = ("collapsed", "scrolled", "execution", "jupyter", "trusted")


def strip(text: str) -> str:
    """The notebook JSON `text` as git should see it; text that is not a notebook comes back unchanged."""
    try:
        nb = json.loads(text)
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError):
        return text
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in VOLATILE_CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
    meta = nb.get("metadata", {})
    meta.pop("widgets", None)
    if isinstance(meta.get("language_info"), dict):
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def install(repo: Path) -> list[str]:
    """Configure the filter in `repo`'s git settings (once); return what was done, for the user."""
    if not (repo / ".git").exists():
        return []        # not a git checkout (a downloaded archive): nothing to protect
    command = f'"{sys.executable}" grading/notebook_filter.py'
    current = subprocess.run(["git", "config", "--local", "--get", f"filter.{NAME}.clean"], cwd=repo,
                             capture_output=True, text=True).stdout.strip()
    if current == command:
        return []
    subprocess.run(["git", "config", "--local", f"filter.{NAME}.clean", command], cwd=repo, check=True)
    return ["git now ignores the outputs saved in the notebooks (so `git pull` keeps working after you "
            "run a chapter)"]


if __name__ == "__main__":
    sys.stdout.buffer.write(strip(sys.stdin.buffer.read().decode("utf-8")).encode("utf-8"))
