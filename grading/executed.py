"""The chapters as a reader without a kernel sees them: run top to bottom at default size, outputs kept.

`make slides-html` and `make site` both show executed chapters; this module runs each one once
and keeps the copy in `build/executed/NN_name.ipynb` (git-ignored), with its pictures and the
state of its widgets. A copy is run again only when its chapter or a module under `helpers/` is
newer than it. A chapter is run the way a reader runs it: default workload sizes (not quick mode),
the platform's default start method, one chapter at a time (a picture measured while another
chapter competes for the CPUs would show that competition), in a throw-away working folder.
A cell that raises stops the build and names the chapter and the cell.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from . import paths
from .kernel_channels import SteadyClient
from .paths import CourseError

OUT = paths.REPO / "build" / "executed"
CELL_TIMEOUT = 300      # seconds; chapters promise under 10 per cell, this only turns a hang into an error


class ChapterClient(SteadyClient, NotebookClient):
    """nbclient, with waits that survive a missed ZeroMQ wake-up (grading/kernel_channels.py)."""


def _newest_input() -> float:
    return max(p.stat().st_mtime for p in (paths.REPO / "helpers").glob("*.py"))


def is_current(chapter: Path, copy: Path) -> bool:
    """Is the executed `copy` newer than its chapter and every helpers module?"""
    return copy.exists() and copy.stat().st_mtime > max(chapter.stat().st_mtime, _newest_input())


def execute(chapter: Path, copy: Path) -> float:
    """Run `chapter` top to bottom into `copy`; return the seconds it took."""
    nb = nbformat.read(chapter, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_QUICK", "COURSE_START_METHOD")}
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="course-chapter-") as cwd:
        client = ChapterClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", startup_timeout=120,
                               store_widget_state=True, resources={"metadata": {"path": cwd}})
        try:
            # the kernel's own terminal output (its start-up notices, what children print to fds 1 and 2)
            # also reaches the notebook: keep the build's log to the build
            client.execute(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except CellExecutionError as exc:
            raise CourseError(f"{chapter.name} failed while being run for the slides/site:\n{exc}") from None
    errors = [(i, o.get("ename")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise CourseError(f"{chapter.name}: cells raised errors {errors}")
    copy.parent.mkdir(parents=True, exist_ok=True)
    partial = copy.with_suffix(".partial")
    nbformat.write(nb, partial)
    partial.replace(copy)            # an interrupted run never leaves a copy that looks current
    return time.monotonic() - started


def execute_all(chapters: list[Path], out: Path = OUT) -> list[Path]:
    """Executed copies of `chapters` in `out`, running only those that are out of date."""
    copies = []
    for chapter in chapters:
        copy = out / chapter.name
        if is_current(chapter, copy):
            print(f"{chapter.stem}: executed copy is up to date ({_shown(copy)})", flush=True)
        else:
            print(f"{chapter.stem}: running it at default size ...", flush=True)
            print(f"{chapter.stem}: done in {execute(chapter, copy):.1f} s", flush=True)
        copies.append(copy)
    return copies


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(paths.REPO))
    except ValueError:
        return str(path)
