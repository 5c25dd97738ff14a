"""What each `make` target does: one function per command, all of them safe to re-run.

No command overwrites a learner's copy in `work/` or a student's file in `submitted/`: grading
works on copies, and only nbgrader's own outputs (autograded, feedback, gradebook rows) are replaced.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from . import paths
from .nbgrader_run import nbgrader, prepare_course, register_assignment
from .paths import CourseError
from .cgroup import sweep_stale
from .containment import capabilities
from .limits import Limits
from .scores import format_report, submission_scores
from .submission import Graded, clear_previous_grading, grade_submission
from .zygote import warm_nbgrader


def generate_student_version(exercise: str, out_dir: Path) -> Path:
    """Generate the student version of one exercise into `out_dir/<exercise>/` and return it."""
    with tempfile.TemporaryDirectory(prefix="course-generate-") as tmp:
        root = Path(tmp)
        prepare_course(root)
        nbgrader(root, "generate_assignment", exercise, "--force",
                 "--CourseDirectory.release_directory=generated")
        target = out_dir / exercise
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root / "generated" / exercise, target)
    return target


def assignments() -> None:
    """Regenerate every folder in `exercises/` from `solutions/`."""
    for exercise in paths.exercise_names():
        with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
            fresh = generate_student_version(exercise, Path(tmp))
            target = paths.EXERCISES / exercise
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(fresh, target)
        print(f"exercises/{exercise}: regenerated from solutions/{exercise}")


def start(exercise: str) -> None:
    """Copy the student version into `work/` for a learner; never overwrite what is there."""
    exercise = paths.resolve_exercise(exercise)
    target = paths.WORKSPACE / exercise
    if target.exists():
        print(f"{_shown(target)} already exists: your work is kept as it is.\n"
              f"To start over, rename or delete that folder and run `make start EX={exercise}` again.")
        return
    shutil.copytree(paths.EXERCISES / exercise, target)
    for nb in sorted(target.glob("*.ipynb")):
        print(f"Your copy: {_shown(nb)}  (open it in JupyterLab: make lab)")
    print(f"When you are done: make grade EX={exercise.split('_')[0]}")


def grade(exercise: str, notebook: str | None = None) -> None:
    """Grade a learner's own copy, hidden tests included; print the scores and a feedback page."""
    exercise = paths.resolve_exercise(exercise)
    expected = paths.exercise_notebooks(exercise)
    if notebook:
        if len(expected) != 1:
            raise CourseError(f"{exercise} has several notebooks; grade the folder work/{exercise}/ instead of NB=.")
        sources = {expected[0].name: Path(notebook).expanduser().resolve()}
    else:
        sources = {nb.name: paths.WORKSPACE / exercise / nb.name for nb in expected}
    for path in sources.values():
        if not path.exists():
            raise CourseError(f"{path} does not exist. Start the exercise with `make start EX={exercise.split('_')[0]}`, "
                              "or give the notebook to grade with NB=path/to/notebook.ipynb.")
        _check_readable(path)

    root, student = paths.SELF_COURSE, paths.SELF_STUDENT
    prepare_course(root)
    _announce_containment()
    with warm_nbgrader(str(paths.REPO)) as zygote:   # nbgrader imported once, then forked per step
        register_assignment(root, exercise, zygote)
        clear_previous_grading(root, exercise, student, keep_submission=False)
        submitted = root / "submitted" / student / exercise
        submitted.mkdir(parents=True)
        for name, path in sources.items():
            shutil.copyfile(path, submitted / name)
        result = grade_submission(zygote, root, exercise, student)
        if not result.graded:
            raise CourseError(f"Your notebook could not be graded: {result.problem}")
        nbgrader(root, "generate_feedback", exercise, "--student", student, "--force", zygote=zygote)

    scores = submission_scores(root, exercise, student)
    print(f"Grades for {exercise}:")
    print(format_report(scores))
    for line in ([result.problem] if result.problem else []) + result.notes:
        print(f"Note: {line.splitlines()[0]}")
    for page in sorted((root / "feedback" / student / exercise).glob("*.html")):
        print(f"Feedback page: {page}")


def autograde(exercise: str, course: str | None, jobs: int = 1) -> list[Graded]:
    """Grade every submission under COURSE/submitted/*/<exercise>/, `jobs` at a time.

    Each submission is graded by its own contained nbgrader process (grading/submission.py), so a
    hanging or hostile one costs at most its own limits and never stalls the others.
    """
    exercise = paths.resolve_exercise(exercise)
    root = paths.course_root(course)
    students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{exercise}") if p.is_dir())
    if not students:
        raise CourseError(f"No submissions found: expected folders like {root}/submitted/<student>/{exercise}/")
    prepare_course(root)
    limits = Limits.from_env()
    _announce_containment(limits)
    with warm_nbgrader(str(paths.REPO)) as zygote:   # nbgrader imported once, then forked per step
        register_assignment(root, exercise, zygote)
        clear_previous_grading(root, exercise, *students)   # no stale score, even if interrupted
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(lambda s: grade_submission(zygote, root, exercise, s, limits, cleared=True),
                                    students))

    for r in results:
        scores = submission_scores(root, exercise, r.student) if r.graded else None
        if scores is None:
            print(f"{r.student}: NOT GRADED\n{r.problem or 'no grades recorded'}")
            continue
        auto = [s for s in scores if not s.needs_manual_grade]
        line = f"{r.student}: {sum(s.score for s in auto):g} / {sum(s.max_score for s in auto):g}  ({r.seconds:.1f} s)"
        extra = ([r.problem.splitlines()[0]] if r.problem else []) + r.notes
        print(line + "".join(f"\n    note: {e}" for e in extra))
    failed = [r.student for r in results if not r.graded]
    if failed:
        raise CourseError(f"{len(failed)} of {len(students)} submissions could not be graded: " + ", ".join(failed))
    return results


def feedback(exercise: str, course: str | None) -> None:
    """Write an HTML feedback page for every autograded submission (hidden tests removed)."""
    exercise = paths.resolve_exercise(exercise)
    root = paths.course_root(course)
    prepare_course(root)
    nbgrader(root, "generate_feedback", exercise, "--force")
    print(f"Feedback pages: {root / 'feedback'}/<student>/{exercise}/")


def grades(course: str | None) -> None:
    """Export every grade in the gradebook to COURSE/grades.csv."""
    root = paths.course_root(course)
    if not (root / "gradebook.db").exists():
        raise CourseError(f"No gradebook in {root}: run `make autograde EX=...` first.")
    prepare_course(root)
    out = root / "grades.csv"
    nbgrader(root, "export", f"--to={out}")
    print(f"Grades written to {out}")


def setup(course: str | None) -> None:
    """Prepare the course root, so nbgrader's JupyterLab panels find solutions/ and exercises/."""
    prepare_course(paths.course_root(course))


def _announce_containment(limits: Limits | None = None) -> None:
    """Say once which limits apply and what this machine cannot contain."""
    caps = capabilities()
    if caps.cgroups:
        stale = sweep_stale()
        if stale:
            print(f"Removed {len(stale)} empty cgroup(s) left by an interrupted grading run")
    print(f"Grading limits: {(limits or Limits.from_env()).describe()}; containment: {caps.describe()}")
    for warning in caps.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _shown(path: Path) -> str:
    """A path as the user would type it from the course folder."""
    try:
        return str(path.relative_to(paths.REPO))
    except ValueError:
        return str(path)


def _check_readable(path: Path) -> None:
    try:
        nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        raise CourseError(f"{path} is not a readable notebook ({exc.__class__.__name__}: {exc}). "
                          "If JupyterLab still has it open, save it there and try again.") from exc
