"""A learner runs a chapter in place (JupyterLab saves its outputs), then `make test` and `git pull`
must still work: git sees notebooks through grading/notebook_filter.py."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading import notebook_filter
from grading.executed import ChapterClient
from test_repository import _tracked_notebooks, committed_text, uncleared_cells

REPO = Path(__file__).resolve().parent.parent
CHAPTER = "notebooks/01_os_basics.ipynb"


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("path", _tracked_notebooks(), ids=lambda p: str(p.relative_to(REPO)))
def test_filter_leaves_every_committed_notebook_as_it_is(path):
    text = path.read_text(encoding="utf-8")
    assert notebook_filter.strip(text) == text, f"{path.name} is not in the form the notebook filter writes"


@pytest.fixture
def upstream_and_clone(tmp_path):
    """A course repository (the chapter, .gitattributes and the filter) and a learner's clone of it."""
    upstream = tmp_path / "upstream"
    for rel in (CHAPTER, ".gitattributes", "grading/notebook_filter.py"):
        (upstream / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, upstream / rel)
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-qm", "course")
    clone = tmp_path / "learner"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    assert notebook_filter.install(clone), "the filter was not installed in a fresh clone"
    assert not notebook_filter.install(clone), "installing twice must change nothing"
    return upstream, clone


def test_run_a_chapter_in_place_then_check_and_pull(upstream_and_clone, monkeypatch):
    upstream, clone = upstream_and_clone
    chapter = clone / CHAPTER
    # what JupyterLab does: run every cell, save the outputs into the working file
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    nb = nbformat.read(chapter, as_version=4)
    # ChapterClient: a missed ZeroMQ wake-up (grading/kernel_channels.py) cost plain nbclient the
    # whole 120 s cell timeout in 5 of 12 runs of this test, after the widget cell
    ChapterClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(chapter.parent)}}).execute()
    nb.metadata["language_info"]["version"] = sys.version.split()[0]
    nbformat.write(nb, chapter)
    notebook_filter.post_save(os_path=str(chapter))          # make lab's JupyterLab calls it after a save
    assert uncleared_cells(chapter.read_text(encoding="utf-8")), "the chapter has no outputs after running it"

    # the check `make test` runs, which used to fail on the working file
    monkeypatch.setattr("test_repository.REPO", clone)
    assert not uncleared_cells(committed_text(chapter))
    assert git(clone, "status", "--porcelain") == "", "running a chapter must not change what git sees"

    # the course publishes a new version of the chapter; the learner pulls it
    new = nbformat.read(upstream / CHAPTER, as_version=4)
    new.cells[0].source += "\n\nA sentence added upstream."
    nbformat.write(new, upstream / CHAPTER)
    git(upstream, "commit", "-qam", "chapter 01: one more sentence")
    git(clone, "pull", "-q", "--ff-only")
    assert "A sentence added upstream." in chapter.read_text(encoding="utf-8")
    assert git(clone, "status", "--porcelain") == ""


def test_a_chapter_the_learner_edited_stays_a_local_change(upstream_and_clone):
    _, clone = upstream_and_clone
    chapter = clone / CHAPTER
    nb = nbformat.read(chapter, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source += "\n# my own experiment"
    code.outputs, code.execution_count = [nbformat.v4.new_output("stream", text="42\n")], 1
    nbformat.write(nb, chapter)
    notebook_filter.post_save(os_path=str(chapter))
    assert git(clone, "status", "--porcelain") == f" M {CHAPTER}\n", "an edit must be neither lost nor staged"
    assert "my own experiment" in git(clone, "diff") and '"42' not in git(clone, "diff"), \
        "git diff must show the edit without the outputs"
