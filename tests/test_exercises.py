"""Every exercise grades fairly: the solution gets full marks, the untouched copy gets zero,
exercises/ is exactly what nbgrader generates from solutions/, and hidden tests never leak.

One class per exercise, graded by a single `autograde` run (as an instructor would): the solution
and the untouched student copy once per start method. A first cell, added to each copy, sets
`COURSE_START_METHOD` in the kernel before the exercise imports `helpers`, which applies it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from grading import commands, paths
from grading.scores import submission_scores
from hidden_tests import hidden_lines, page_text
from start_methods import START_METHODS

EXERCISES = paths.exercise_names()
KINDS = {"solution": paths.SOLUTIONS, "untouched": paths.EXERCISES}


def test_there_are_exercises():
    assert EXERCISES, "solutions/ holds no exercise"


def _student(kind: str, method: str) -> str:
    return f"{kind}-{method}"


USED = "start method used by this grading: "


def _with_start_method(nb: nbformat.NotebookNode, method: str) -> nbformat.NotebookNode:
    """The notebook with a first cell choosing the start method and a last cell saying which ran."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"import os\nos.environ['COURSE_START_METHOD'] = {method!r}"))
    nb.cells.append(nbformat.v4.new_code_cell(f"import multiprocessing\nprint({USED!r} + multiprocessing.get_start_method())"))
    return nb


def _method_used(course: Path, exercise: str, student: str) -> set[str]:
    found = set()
    for nb in (course / "autograded" / student / exercise).glob("*.ipynb"):
        for cell in nbformat.read(nb, as_version=4).cells:
            for out in cell.get("outputs", []):
                for line in out.get("text", "").splitlines():
                    if line.startswith(USED):
                        found.add(line[len(USED):])
    return found


@pytest.fixture(scope="module", params=EXERCISES)
def graded(request, tmp_path_factory):
    """One class per exercise, graded once: {solution, untouched} x start methods, then feedback and CSV."""
    exercise = request.param
    course = tmp_path_factory.mktemp(f"class-{exercise}")
    for kind, folder in KINDS.items():
        for method in START_METHODS:
            target = course / "submitted" / _student(kind, method) / exercise
            target.mkdir(parents=True)
            for nb in (folder / exercise).glob("*.ipynb"):
                nbformat.write(_with_start_method(nbformat.read(nb, as_version=4), method), target / nb.name)
    results = commands.autograde(exercise, str(course), jobs=len(KINDS) * len(START_METHODS))
    commands.feedback(exercise, str(course))
    commands.grades(str(course))
    return {"exercise": exercise, "course": course, "results": {r.student: r for r in results}}


@pytest.mark.parametrize("method", START_METHODS)
def test_solution_full_marks_untouched_zero(graded, method):
    exercise, course = graded["exercise"], graded["course"]
    solution = submission_scores(course, exercise, _student("solution", method))
    untouched = submission_scores(course, exercise, _student("untouched", method))
    auto = [s for s in solution if not s.needs_manual_grade]
    assert auto, "the exercise has no autograded test cell"
    lost = [f"{s.name}: {s.score:g}/{s.max_score:g}" for s in auto if s.score != s.max_score]
    assert not lost, f"the solution loses points under {method}: {lost}"
    manual = [s for s in solution if s.needs_manual_grade]
    assert manual, "every exercise has at least one answer graded by hand"
    scored = [f"{s.name}: {s.score:g}" for s in untouched if s.score != 0]
    assert not scored, f"the untouched student version scores points under {method}: {scored}"
    for student in (_student("solution", method), _student("untouched", method)):
        result = graded["results"][student]
        assert not result.problem, f"{student} was not graded normally: {result.problem}"
        assert _method_used(course, exercise, student) == {method}, f"{student} was not graded under {method}"


def test_feedback_and_grades_hide_nothing_and_match(graded):
    exercise, course = graded["exercise"], graded["course"]
    pages = sorted((course / "feedback").glob(f"*/{exercise}/*.html"))
    expected = len(KINDS) * len(START_METHODS) * len(paths.exercise_notebooks(exercise))
    assert len(pages) == expected, f"expected a feedback page per submission, found {pages}"
    hidden = hidden_lines(exercise)
    assert hidden, "the exercise has no hidden tests"
    for page in pages:
        text = page_text(page)
        leaked = [line for line in hidden if line in text] + (["HIDDEN TESTS"] if "HIDDEN TESTS" in text else [])
        assert not leaked, f"{page.name} shows hidden tests: {leaked[:3]}"

    with open(course / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == exercise}
    assert set(rows) == set(graded["results"])
    for student, row in rows.items():
        total = sum(s.score for s in submission_scores(course, exercise, student))
        assert float(row["raw_score"]) == pytest.approx(total), f"CSV disagrees with the gradebook for {student}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercises_folder_is_generated_from_solutions(exercise, tmp_path):
    fresh = commands.generate_student_version(exercise, tmp_path)
    committed = paths.EXERCISES / exercise
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file()
                             and ".ipynb_checkpoints" not in p.parts)
    assert fresh_files == committed_files, "exercises/ is out of date: run `make assignments` and commit"
    for rel in fresh_files:
        assert (fresh / rel).read_bytes() == (committed / rel).read_bytes(), \
            f"exercises/{exercise}/{rel} differs from what solutions/ generates: run `make assignments` and commit"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_no_hidden_test_or_solution_under_exercises(exercise):
    hidden = hidden_lines(exercise)
    written = sorted((paths.EXERCISES / exercise).glob("ex*_workers.py"))
    assert not written, f"{written}: a module written by a solution's %%writefile cell is the solution itself"
    for path in (paths.EXERCISES / exercise).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, f"{path} holds a marker region"
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{path} contains hidden test lines: {leaked[:3]}"
