"""The terminal, the feedback page and the CSV agree, and nothing is lost: hand grading that is
pending reads as pending everywhere, a learner sees why a task failed and finds the page beside
the copy, an interrupted re-grade keeps the hand grades, `make autograde` shows its progress."""
from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading import commands, paths
from grading.feedback import model_answers
from grading.scores import db_url, format_report, submission_scores
from grading.submission import clear_previous_grading
from hidden_tests import hidden_lines, page_text

EX = paths.exercise_names()[0]
NOTEBOOK = paths.exercise_notebooks(EX)[0].name


def _cells(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}


def _written_id() -> str:
    nb = nbformat.read(paths.SOLUTIONS / EX / NOTEBOOK, as_version=4)
    return next(k for k, c in _cells(nb).items() if c.cell_type == "markdown" and c.metadata.nbgrader.get("grade"))


def _solved(blank_written: bool = False):
    """The student version with every code answer solved; the written answer too unless `blank_written`."""
    nb = nbformat.read(paths.EXERCISES / EX / NOTEBOOK, as_version=4)
    solution = _cells(nbformat.read(paths.SOLUTIONS / EX / NOTEBOOK, as_version=4))
    for grade_id, cell in _cells(nb).items():
        if cell.metadata.nbgrader.get("solution") and not (blank_written and cell.cell_type == "markdown"):
            cell.source = solution[grade_id].source
    return nb


def _hand_in(course: Path, student: str, nb) -> None:
    folder = course / "submitted" / student / EX
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of two, autograded once: one wrote the written answer (pending), one left it blank."""
    course = _Course(tmp_path_factory.mktemp("flows") / "class")
    _hand_in(course, "answered", _solved())
    _hand_in(course, "blank", _solved(blank_written=True))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        commands.autograde(EX, str(course), jobs=2)
    course.autograde_output = out.getvalue()
    return course


class _Course(type(Path())):
    """A Path that can carry the output of the run that graded it."""


def test_autograde_prints_progress_and_a_summary_in_which_pending_reads_as_pending(graded_class):
    out = graded_class.autograde_output
    assert re.search(r"^\[1/2\] \w+: ", out, re.M) and re.search(r"^\[2/2\] \w+: ", out, re.M), out
    table = out[out.index("student "):]
    assert re.search(r"^answered\s+9 / 11 \(2 pending hand grading\)\s+\d+\.\d", table, re.M), table
    assert re.search(r"^blank\s+9 / 11\s+\d+\.\d", table, re.M), "a blank written answer scores 0 of 2, out of 11"
    report = format_report(submission_scores(graded_class, EX, "answered"))
    assert re.search(rf"{_written_id()} +pending: graded by hand \(up to 2\)", report) and "Total: 9 / 11 (2 pending" in report
    assert "no answer" in format_report(submission_scores(graded_class, EX, "blank"))


def test_feedback_page_agrees_with_the_terminal_and_shows_model_answers_on_request(graded_class):
    commands.feedback(EX, str(graded_class))
    page = graded_class / "feedback" / "answered" / EX / NOTEBOOK.replace(".ipynb", ".html")
    text = page_text(page)
    assert "Score: 9 / 11 (2 pending hand grading)" in text, "the page's total must read as the terminal's"
    assert "Written response (Score: pending: graded by hand (up to 2))" in text
    assert "0.0 / 2.0" not in text and "Model answer:" not in text
    assert "white-space: pre-wrap" in page.read_text(), "long hints must wrap, not scroll"
    assert "0 / 2 (no answer)" in page_text(graded_class / "feedback" / "blank" / EX / page.name)

    commands.feedback(EX, str(graded_class), model_answers=True)
    text = page_text(page)
    model = model_answers(EX, Path(NOTEBOOK).stem)[_written_id()]
    assert "Model answer:" in text and model.split("\n")[0][:60] in text
    assert "Model answer: Model answer" not in text, "the note to the instructor is not part of the model answer"
    leaked = [line for line in hidden_lines(EX) if line in text]
    assert not leaked, f"the feedback page shows hidden tests: {leaked[:3]}"


def test_csv_has_a_column_for_pending_hand_grading(graded_class):
    commands.grades(str(graded_class))
    with open(graded_class / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert rows["answered"]["pending_hand_grading"] == "2" and rows["blank"]["pending_hand_grading"] == "0"
    assert float(rows["answered"]["max_score"]) == float(rows["blank"]["max_score"]) == 11


def test_an_interrupted_regrade_loses_no_hand_grade(graded_class):
    """A run stopped after it cleared the old grades (Ctrl-C) left them in hand-grades/: the next run restores them."""
    written = _written_id()
    with Gradebook(db_url(graded_class)) as gb:      # what Formgrader does when the grader types
        grade = gb.find_grade(written, Path(NOTEBOOK).stem, EX, "answered")
        grade.manual_score, grade.needs_manual_grade = 1.5, False
        gb.find_comment(written, Path(NOTEBOOK).stem, EX, "answered").manual_comment = "Half right."
        gb.db.commit()
    clear_previous_grading(graded_class, EX, "answered")          # ... and then the run was killed
    assert submission_scores(graded_class, EX, "answered") is None
    commands.autograde(EX, str(graded_class), jobs=1, student="answered")
    scores = {s.name: s for s in submission_scores(graded_class, EX, "answered")}
    assert scores[written].score == 1.5 and scores[written].status == "hand-graded"
    with Gradebook(db_url(graded_class)) as gb:
        assert gb.find_comment(written, Path(NOTEBOOK).stem, EX, "answered").manual_comment == "Half right."
    assert not list((graded_class / "hand-grades").rglob(f"{EX}.json")), "a restored record must not linger"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "WORKSPACE", tmp_path / "work")
    monkeypatch.setattr(paths, "SELF_COURSE", tmp_path / "self")
    return tmp_path / "work"


def test_learner_sees_why_each_task_failed_and_the_page_beside_each_copy(workspace, capsys):
    commands.start(EX)
    mine = workspace / EX / NOTEBOOK
    nb = nbformat.read(mine, as_version=4)
    first_answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    first_answer.source = re.sub(r"# YOUR CODE HERE\n\s*raise NotImplementedError\(\)",
                                 'return "serial"   # a wrong answer', first_answer.source)
    nbformat.write(nb, mine)
    capsys.readouterr()
    commands.grade(EX)
    out = capsys.readouterr().out
    assert "containment" not in out and "Grading limits" not in out, "the instructor's containment line is noise here"
    lines = out.splitlines()
    first_test = next(i for i, line in enumerate(lines) if line.strip().startswith("task1_tests"))
    assert lines[first_test + 1].strip().startswith("AssertionError: "), "a failing task must say why"
    assert "not answered yet" in out
    assert not [line for line in hidden_lines(EX) if line in out], "the terminal shows hidden tests"
    page = mine.with_name(mine.stem + ".feedback.html")
    assert f"Feedback page: {page}" in out and "Model answer:" in page_text(page)

    other = workspace / "second_try.ipynb"
    shutil.copyfile(paths.SOLUTIONS / EX / NOTEBOOK, other)
    first_page = page.read_bytes()
    commands.grade(EX, str(other))
    assert (workspace / "second_try.feedback.html").exists()
    assert page.read_bytes() == first_page, "grading a second copy must not overwrite the first copy's page"
