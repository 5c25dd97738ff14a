"""A git filter that lets learners run the chapters in place: git sees each notebook without outputs.

JupyterLab saves outputs into `notebooks/*.ipynb`, which git tracks. Without this filter the
repository looks changed after a learner ran a chapter, and `git pull` refuses to update it. With
it (`.gitattributes` names it for every `*.ipynb`), git compares and stores each notebook as this
script prints it: outputs, execution counts, widget state and the kernel's version details
dropped, everything else (sources, cell ids, slide and nbgrader metadata) kept, written as
nbformat writes it. The file on disk keeps its outputs.

One more step is needed: git trusts a file's size before its content, so a notebook that grew by
its outputs still looks changed to `git status` and makes `git pull` refuse, until its index entry
is refreshed. `refresh` does that for every notebook whose filtered content is unchanged (never
staging a real edit); JupyterLab started by `make lab` calls it after each save (`post_save`).
Then `git status` shows nothing and `git pull` updates a chapter the learner only ran (its outputs
go: run it again). A chapter the learner edited stays a local change, as git should keep it.

A filter is a per-clone setting that git never copies: `install` writes it into `.git/config`
(`make lab`, `make test` and `python -m grading setup` call it, and then `refresh`). This file uses
only the standard library, so git can run it with any Python 3.

    python grading/notebook_filter.py < notebook.ipynb > stripped.ipynb   # what git runs
    python grading/notebook_filter.py --install                          # set it up in this clone
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
    if not (repo / ".git").is_dir():
        # not a git checkout (a downloaded archive): nothing to protect; or a worktree, whose
        # settings are its main checkout's (that one has its own .venv for the filter to run)
        return []
    command = f'"{sys.executable}" grading/notebook_filter.py'
    current = subprocess.run(["git", "config", "--local", "--get", f"filter.{NAME}.clean"], cwd=repo,
                             capture_output=True, text=True).stdout.strip()
    if current == command:
        return []
    subprocess.run(["git", "config", "--local", f"filter.{NAME}.clean", command], cwd=repo, check=True)
    return ["git now ignores the outputs saved in the notebooks (so `git pull` keeps working after you "
            "run a chapter)"]


def refresh(repo: Path, files: list[str] | None = None) -> list[str]:
    """Mark as unchanged, in git's index, the notebooks (`files`, default all) whose only changes
    are what the filter drops; return them. Notebooks with real edits are left alone."""
    def git(*args: str) -> list[str]:
        out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return out.stdout.splitlines() if out.returncode == 0 else []
    scope = ["--", *(files or ["*.ipynb"])]
    looks_changed = set(git("ls-files", "-m", *scope))            # by size and time
    really_changed = set(git("diff", "--name-only", *scope))      # by content, through the filter
    only_outputs = sorted(looks_changed - really_changed)
    if only_outputs:
        git("add", "--", *only_outputs)                           # same content: only the stat is updated
    return only_outputs


def post_save(model=None, os_path: str = "", contents_manager=None, **_) -> None:
    """Jupyter's FileContentsManager.post_save_hook: refresh a saved notebook of a course clone."""
    if not os_path.endswith(".ipynb"):
        return
    try:                    # a failure here must never fail the learner's save
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=Path(os_path).parent,
                             capture_output=True, text=True)
        repo = Path(top.stdout.strip()).resolve()
        if top.returncode == 0 and (repo / "grading" / "notebook_filter.py").exists():
            refresh(repo, [str(Path(os_path).resolve().relative_to(repo))])
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:      # the Makefile, on first use
        here = Path(__file__).resolve().parent.parent
        for line in install(here):
            print(line)
        refresh(here)
    else:                                  # git, as the filter
        sys.stdout.buffer.write(strip(sys.stdin.buffer.read().decode("utf-8")).encode("utf-8"))
