"""Rebuild a submission whose notebook structure was damaged, so it is graded fairly.

nbgrader restores the source of edited test cells from the gradebook, and adds deleted ones, but
not every kind of damage: a locked set-up cell that was de-tagged and moved stays where it was
(every later test then fails with NameError), and some damage makes nbgrader fail outright
(`add_missing_cells` raises KeyError when the cell a missing test cell followed is gone too). What a student is graded on is their *answers*, so the repair is: take the released
notebook and type the student's answer cells into it, matched by their nbgrader `grade_id`.
Cells the student added are kept, in order, after the answer they followed; anything else the
student changed in locked or test cells is dropped. A note cell at the top says what happened.

The repaired copy goes to `COURSE/repaired/<student>/<exercise>/`; `submitted/` is never touched.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from . import paths

REPAIRED = "repaired"
NOTE = ("**Note from the grader:** this notebook could not be graded as it was handed in (test or "
        "locked cells were deleted, moved or changed), so your answers were copied into a fresh "
        "copy of the exercise and graded there.")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _skeleton(nb) -> list[tuple[str, str]]:
    return [(_meta(c)["grade_id"], c.cell_type) for c in nb.cells if _meta(c).get("grade_id")]


def damaged(release: nbformat.NotebookNode, submitted: nbformat.NotebookNode) -> bool:
    """True when the release's tagged cells are not all there, in order, with their types."""
    known = {grade_id for grade_id, _ in _skeleton(release)}
    return [k for k in _skeleton(submitted) if k[0] in known] != _skeleton(release)


def rebuild(release: nbformat.NotebookNode, submitted: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The released notebook with the submitted answers (and the student's own extra cells) in."""
    answers, extra_after, last_answer = {}, {}, None
    released = {c.source for c in release.cells}
    for cell in submitted.cells:
        meta = _meta(cell)
        if meta.get("solution") and meta.get("grade_id"):
            answers[meta["grade_id"]] = cell
            last_answer = meta["grade_id"]
        elif not meta and last_answer is not None and cell.get("source") not in released:
            extra_after.setdefault(last_answer, []).append(cell)      # a cell the student added
    nb = copy.deepcopy(release)
    cells = [new_markdown_cell(NOTE)]
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id].get("source", "")
        cells.append(cell)
        cells.extend(copy.deepcopy(extra_after.get(grade_id, [])))
    nb.cells = cells
    return nb


def is_damaged(root: Path, exercise: str, student: str) -> bool:
    """Whether any notebook of this submission has damaged structure (see `damaged`)."""
    for release_path in sorted((paths.EXERCISES / exercise).glob("*.ipynb")):
        try:
            submitted = nbformat.read(root / "submitted" / student / exercise / release_path.name, as_version=4)
        except Exception:           # unreadable: nbgrader will say so
            return False
        if damaged(nbformat.read(release_path, as_version=4), submitted):
            return True
    return False


def write_repaired(root: Path, exercise: str, student: str) -> bool:
    """Write the repaired copy of every notebook; False if a notebook cannot even be read."""
    target = root / REPAIRED / student / exercise
    target.mkdir(parents=True, exist_ok=True)
    for release_path in sorted((paths.EXERCISES / exercise).glob("*.ipynb")):
        release = nbformat.read(release_path, as_version=4)
        handed_in = root / "submitted" / student / exercise / release_path.name
        try:
            submitted = nbformat.read(handed_in, as_version=4)
        except Exception:           # missing or not a notebook: nothing to repair
            return False
        nbformat.write(rebuild(release, submitted), target / release_path.name)
    return True
