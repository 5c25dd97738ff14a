"""Every chapter notebook runs top to bottom, headless, in quick mode, under every start method."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grading.executed import ChapterClient      # nbclient that survives a missed ZeroMQ wake-up

from start_methods import START_METHODS

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "notebooks/ holds no chapter"


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, method, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("COURSE_START_METHOD", method)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = ChapterClient(nb, timeout=120, kernel_name="python3", startup_timeout=60,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()   # raises CellExecutionError, naming the cell, if any cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: cells raised errors: {[e['ename'] for e in errors]}"
    # The executed copy is kept for a person to look at when a test fails; the repo copy stays clean.
    nbformat.write(nb, tmp_path / path.name)
