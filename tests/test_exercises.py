"""Every exercise grades fairly: the solution gets full marks, the untouched copy gets zero,
exercises/ is exactly what nbgrader generates from solutions/, and hidden tests never leak."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from grading import commands, paths
from grading.scores import submission_scores
from hidden_tests import hidden_lines, page_text
from start_methods import START_METHODS

EXERCISES = paths.exercise_names()


def test_there_are_exercises():
    assert EXERCISES, "solutions/ holds no exercise"


def _class_with(exercise: str, course: Path) -> None:
    """A course folder holding only submitted/: the solution, and the untouched student copy."""
    for student, folder in (("solution", paths.SOLUTIONS), ("untouched", paths.EXERCISES)):
        target = course / "submitted" / student / exercise
        target.mkdir(parents=True)
        for nb in (folder / exercise).glob("*.ipynb"):
            shutil.copyfile(nb, target / nb.name)


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_full_marks_untouched_zero(exercise, method, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_START_METHOD", method)
    course = tmp_path / "class"
    _class_with(exercise, course)
    commands.autograde(exercise, str(course), jobs=2)

    solution = submission_scores(course, exercise, "solution")
    untouched = submission_scores(course, exercise, "untouched")
    auto = [s for s in solution if not s.needs_manual_grade]
    assert auto, "the exercise has no autograded test cell"
    lost = [f"{s.name}: {s.score:g}/{s.max_score:g}" for s in auto if s.score != s.max_score]
    assert not lost, f"the solution loses points under {method}: {lost}"
    manual = [s for s in solution if s.needs_manual_grade]
    assert manual, "every exercise has at least one answer graded by hand"
    scored = [f"{s.name}: {s.score:g}" for s in untouched if s.score != 0]
    assert not scored, f"the untouched student version scores points under {method}: {scored}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_feedback_and_grades_hide_nothing_and_match(exercise, tmp_path):
    course = tmp_path / "class"
    _class_with(exercise, course)
    commands.autograde(exercise, str(course), jobs=2)
    commands.feedback(exercise, str(course))
    pages = sorted((course / "feedback").glob(f"*/{exercise}/*.html"))
    assert len(pages) == 2, f"expected a feedback page per submission, found {pages}"
    hidden = hidden_lines(exercise)
    assert hidden, "the exercise has no hidden tests"
    for page in pages:
        text = page_text(page)
        leaked = [line for line in hidden if line in text] + (["HIDDEN TESTS"] if "HIDDEN TESTS" in text else [])
        assert not leaked, f"{page.name} shows hidden tests: {leaked[:3]}"

    commands.grades(str(course))
    with open(course / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == exercise}
    assert set(rows) == {"solution", "untouched"}
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
