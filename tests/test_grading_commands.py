"""The learner's and instructor's commands: safe with existing work, clear about mistakes."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading import commands, paths
from grading.paths import CourseError

REPO = Path(__file__).resolve().parent.parent
FIRST = paths.exercise_names()[0]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "WORKSPACE", tmp_path / "work")
    monkeypatch.setattr(paths, "SELF_COURSE", tmp_path / "self")
    return tmp_path / "work"


def test_short_exercise_names_resolve_and_typos_are_explained():
    assert paths.resolve_exercise(FIRST.split("_")[0]) == FIRST
    with pytest.raises(CourseError, match="Available: .*" + FIRST):
        paths.resolve_exercise("ex99")
    with pytest.raises(CourseError, match="Say which exercise"):
        paths.resolve_exercise("")


def test_start_never_overwrites_a_learners_work(workspace):
    commands.start(FIRST)
    notebook = next((workspace / FIRST).glob("*.ipynb"))
    notebook.write_text("my precious work")
    commands.start(FIRST)
    assert notebook.read_text() == "my precious work"


def test_grade_without_a_copy_says_how_to_start(workspace):
    with pytest.raises(CourseError, match="make start"):
        commands.grade(FIRST)


def test_grade_a_broken_notebook_says_so_and_keeps_it(workspace, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    with pytest.raises(CourseError, match="not a readable notebook"):
        commands.grade(FIRST, str(broken))
    assert broken.read_text() == "{ not json"


def test_learner_grades_own_copy_end_to_end(workspace, capsys):
    commands.start(FIRST)
    commands.grade(FIRST)
    out = capsys.readouterr().out
    assert "Total (autograded): 0 /" in out and "Feedback page:" in out
    nb = next((workspace / FIRST).glob("*.ipynb"))
    shutil.copyfile(paths.SOLUTIONS / FIRST / nb.name, nb)   # the learner "solves" it
    commands.grade(FIRST)
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.startswith("Total (autograded):"))
    got, out_of = total.split(":")[1].split("/")
    assert float(got) == float(out_of) > 0, out


def test_autograde_reports_an_ungradable_submission_and_grades_the_rest(tmp_path):
    course = tmp_path / "class"
    good = course / "submitted" / "good" / FIRST
    bad = course / "submitted" / "bad" / FIRST
    good.mkdir(parents=True)
    bad.mkdir(parents=True)
    for nb in (paths.SOLUTIONS / FIRST).glob("*.ipynb"):
        shutil.copyfile(nb, good / nb.name)
        (bad / nb.name).write_text("{ not json")
    with pytest.raises(CourseError, match="1 of 2 submissions could not be graded: bad"):
        commands.autograde(FIRST, str(course), jobs=2)
    assert (bad / nb.name).read_text() == "{ not json", "a submission must never be modified"


def test_autograde_of_one_student_without_a_submission_says_who_has_one(tmp_path):
    (tmp_path / "class" / "submitted" / "alice" / FIRST).mkdir(parents=True)
    with pytest.raises(CourseError, match="No submission from 'bob'.*alice"):
        commands.autograde(FIRST, str(tmp_path / "class"), student="bob")


def test_start_says_where_to_open_the_copy_without_sending_a_learner_to_make_lab_again(workspace, capsys):
    commands.start(FIRST)
    out = capsys.readouterr().out
    assert "file browser" in out and "if JupyterLab is not running yet" in out


def test_hang_hint_fits_any_hang():
    from grading.execute import HANG_HINT
    assert "loop" in HANG_HINT and not any(word in HANG_HINT for word in ("join", "lock", "acquire", "sentinel"))


def test_command_line_prints_errors_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "grading", "start", "ex99"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: No exercise called 'ex99'") and "Traceback" not in proc.stderr


def test_registration_is_redone_only_when_the_exercise_or_gradebook_changed(tmp_path, monkeypatch):
    """A re-grade skips nbgrader's generate_assignment (about 1.5 s) only while the gradebook holds
    this very version of the exercise: an edited exercise or a new gradebook registers again."""
    import nbformat
    from grading import nbgrader_run
    source = tmp_path / "solutions"
    shutil.copytree(paths.SOLUTIONS / FIRST, source / FIRST)
    monkeypatch.setattr(nbgrader_run, "SOLUTIONS", source)
    root = tmp_path / "course"
    nbgrader_run.prepare_course(root)
    assert nbgrader_run.register_assignment(root, FIRST) is True
    assert nbgrader_run.register_assignment(root, FIRST) is False

    notebook = next((source / FIRST).glob("*.ipynb"))
    nb = nbformat.read(notebook, as_version=4)
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata["nbgrader"]["points"] += 1                 # the instructor changes the points
    nbformat.write(nb, notebook)
    assert nbgrader_run.register_assignment(root, FIRST) is True
    assert nbgrader_run.register_assignment(root, FIRST) is False

    (root / "gradebook.db").unlink()                            # a fresh gradebook knows nothing
    assert nbgrader_run.register_assignment(root, FIRST) is True


def test_gradebooks_are_stamped_with_the_version_alembic_heads_prints(tmp_path, monkeypatch):
    """The zygote answers nbgrader's "which schema version?" in process, instead of letting every
    new gradebook start the `alembic` command (zygote.schema_version_in_process). The answer must
    be the command's, or `nbgrader db upgrade` would not know the gradebooks' version."""
    from nbgrader import api
    from nbgrader.api import Gradebook
    from sqlalchemy import text
    from grading import zygote
    printed = api.get_alembic_version()                        # nbgrader's own way: `alembic heads`
    monkeypatch.setattr(api, "get_alembic_version", api.get_alembic_version)   # put back after the test
    assert zygote.schema_version_in_process() == printed

    def no_command(*args, **kwargs):
        raise AssertionError(f"nbgrader still ran {args[0]}")
    monkeypatch.setattr(api.sp, "check_output", no_command)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        stamped = gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert stamped == printed
