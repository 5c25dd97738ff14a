"""What each `make` target does: one function per command, all of them safe to re-run.

No command overwrites a learner's copy in `work/` or a student's file in `submitted/`: grading
works on copies, and only nbgrader's own outputs (autograded, feedback, gradebook rows) are replaced;
what a grader typed in by hand is carried over (hand_grades.py).
"""
from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import nbformat

from . import notebook_filter, paths
from .nbgrader_run import nbgrader, prepare_course, register_assignment
from .paths import CourseError
from .cgroup import sweep_stale
from .containment import capabilities
from .limits import Limits
from .feedback import TEMPLATE_ARGS, failure_hints
from .scores import format_report, pending_points, submission_scores, total_line
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
        print(f"Your copy: {_shown(nb)}")
    print(f"Open it from JupyterLab's file browser ({_shown(paths.WORKSPACE)}/ folder); if JupyterLab is not "
          "running yet, start it with `make lab` in another terminal.\n"
          f"When you are done: make grade EX={exercise.split('_')[0]}")


def grade(exercise: str, notebook: str | None = None) -> None:
    """Grade a learner's own copy, hidden tests included; print the scores, why each failing task
    failed, and write the feedback page (with the written answers' model answers) next to the copy."""
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
    print(f"Grading {', '.join(_shown(p) for p in sources.values())} (hidden tests included) ...", flush=True)
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
        nbgrader(root, "generate_feedback", exercise, "--student", student, "--force", *TEMPLATE_ARGS,
                 "--CourseFeedback.model_answers=True", "--CourseFeedback.alone=True", zygote=zygote)

    scores = submission_scores(root, exercise, student)
    print(f"Grades for {exercise}:")
    print(format_report(scores, alone=True, hints=failure_hints(root / "autograded" / student / exercise)))
    for line in ([result.problem] if result.problem else []) + result.notes:
        print(f"Note: {line.splitlines()[0]}")
    for name, path in sources.items():
        page = root / "feedback" / student / exercise / Path(name).with_suffix(".html").name
        if page.exists():
            mine = feedback_page_for(path)
            shutil.copyfile(page, mine)
            print(f"Feedback page: {_shown(mine)}  (open it in JupyterLab's file browser, next to your notebook)")


def feedback_page_for(notebook: Path) -> Path:
    """Where `make grade` puts the feedback page of a learner's notebook: beside it, named after it."""
    return notebook.with_name(notebook.stem + ".feedback.html")


def autograde(exercise: str, course: str | None, jobs: int | None = None, student: str | None = None) -> list[Graded]:
    """Grade every submission under COURSE/submitted/*/<exercise>/ (or one `student`'s), `jobs` at a time
    (default: `Limits.default_jobs()`).

    Each submission is graded by its own contained nbgrader process (grading/submission.py), so a
    hanging or hostile one costs at most its own limits and never stalls the others. Progress is
    printed as submissions finish (slow ones are named while they run), then a summary table.
    Hand grades and comments survive (grading/hand_grades.py).
    """
    exercise = paths.resolve_exercise(exercise)
    root = paths.course_root(course)
    students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{exercise}") if p.is_dir())
    if not students:
        raise CourseError(f"No submissions found: expected folders like {root}/submitted/<student>/{exercise}/")
    if student:
        if student not in students:
            raise CourseError(f"No submission from {student!r}: expected {root}/submitted/{student}/{exercise}/. "
                              f"Students with a submission: {', '.join(students)}")
        students = [student]
    prepare_course(root)
    limits = Limits.from_env()
    _announce_containment(limits)
    jobs = max(1, jobs or limits.default_jobs())
    print(f"Grading {len(students)} submission(s) of {exercise}, {min(jobs, len(students))} at a time", flush=True)
    with warm_nbgrader(str(paths.REPO)) as zygote:   # nbgrader imported once, then forked per step
        register_assignment(root, exercise, zygote)
        clear_previous_grading(root, exercise, *students)   # no stale score, even if interrupted
        shown: dict[str, list[str]] = {}     # each row read from the gradebook once, for both prints
        results = _grade_all(students, jobs,
                             lambda s: grade_submission(zygote, root, exercise, s, limits, cleared=True),
                             lambda r: shown.setdefault(r.student, _result_row(root, exercise, r)))

    rows = [shown[r.student] for r in results]      # _grade_all showed every result
    print(_table(["student", "score", "seconds", "notes"], rows))
    failed = [r.student for r in results if not r.graded]
    if failed:
        raise CourseError(f"{len(failed)} of {len(students)} submissions could not be graded: " + ", ".join(failed))
    return results


SLOW_AFTER = 30.0   # seconds: a submission still grading after this is named in the progress output


def _grade_all(students: list[str], jobs: int, grade_one, row_of) -> list[Graded]:
    """Run `grade_one` for every student on `jobs` threads, printing a line as each one finishes
    and, every SLOW_AFTER seconds without news, the submissions that are taking long."""
    started: dict[str, float] = {}

    def timed(student: str) -> Graded:
        started[student] = time.monotonic()
        return grade_one(student)

    done: dict[str, Graded] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {pool.submit(timed, s): s for s in students}
        while running:
            finished, _ = wait(running, timeout=SLOW_AFTER, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                done[running.pop(future)] = result
                name, score, seconds, notes = row_of(result)
                print(f"[{len(done)}/{len(students)}] {name}: {score}  ({seconds} s)"
                      + (f"  {notes}" if notes else ""), flush=True)
            if not finished:
                now = time.monotonic()
                slow = [f"{s} ({now - started[s]:.0f} s)" for s in running.values()
                        if s in started and now - started[s] >= SLOW_AFTER]
                if slow:
                    print("    still grading: " + ", ".join(slow), flush=True)
    return [done[s] for s in students]


def _result_row(root: Path, exercise: str, r: Graded) -> list[str]:
    """student, score, seconds, notes: one submission as the progress line and summary show it."""
    scores = submission_scores(root, exercise, r.student) if r.graded else None
    score = "NOT GRADED" if scores is None else total_line(scores)
    notes = ([r.problem.splitlines()[0]] if r.problem else ([] if scores is not None else ["no grades recorded"])) + r.notes
    return [r.student, score, f"{r.seconds:.1f}", "; ".join(notes)]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
                     for row in [header] + rows).rstrip()


def feedback(exercise: str, course: str | None, model_answers: bool = False) -> None:
    """Write an HTML feedback page for every autograded submission (hidden tests removed; with
    `model_answers`, the written tasks' model answers from solutions/ under each answer)."""
    exercise = paths.resolve_exercise(exercise)
    root = paths.course_root(course)
    prepare_course(root)
    nbgrader(root, "generate_feedback", exercise, "--force", *TEMPLATE_ARGS,
             f"--CourseFeedback.model_answers={model_answers}")
    print(f"Feedback pages: {root / 'feedback'}/<student>/{exercise}/"
          + ("" if model_answers else "  (model answers of written tasks not shown: MODEL_ANSWERS=1 adds them)"))


def grades(course: str | None) -> None:
    """Export every grade in the gradebook to COURSE/grades.csv, with the points still to be
    graded by hand in a column of their own (`pending_hand_grading`)."""
    root = paths.course_root(course)
    if not (root / "gradebook.db").exists():
        raise CourseError(f"No gradebook in {root}: run `make autograde EX=...` first.")
    prepare_course(root)
    out = root / "grades.csv"
    nbgrader(root, "export", f"--to={out}")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0].keys()) if rows else ["assignment", "student_id"]
    for row in rows:
        scores = submission_scores(root, row["assignment"], row["student_id"])
        row["pending_hand_grading"] = f"{pending_points(scores):g}" if scores else "0"
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields + ["pending_hand_grading"])
        writer.writeheader()
        writer.writerows(rows)
    pending = sum(1 for r in rows if r["pending_hand_grading"] != "0")
    print(f"Grades written to {out}" + (f" ({pending} submission(s) still have written answers to grade by hand: "
                                        "column pending_hand_grading)" if pending else ""))


def setup(course: str | None, git_filter: bool = True) -> Path:
    """Prepare what JupyterLab's nbgrader panels need (course root, exchange; `git_filter`: this
    clone's notebook filter); return the course root as the server must see it."""
    root = paths.course_root(course)
    prepare_course(root)
    if git_filter:
        for line in notebook_filter.install(paths.REPO):
            print(line)
        notebook_filter.refresh(paths.REPO)
    seen, note = _class_folder_for_lab(root)
    print(note)
    return seen


def lab(course: str | None, extra: list[str]) -> None:
    """Set up, then replace this process by JupyterLab serving the course (this terminal stays busy)."""
    seen = setup(course)
    print("JupyterLab keeps this terminal busy until you stop it (Ctrl-C): run `make start` and `make grade`\n"
          "in a second terminal, or in JupyterLab's own (File > New > Terminal).", flush=True)
    argv, env = lab_command(seen)
    os.chdir(paths.REPO)
    os.execve(argv[0], argv + extra, env)


def lab_command(course_root: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the JupyterLab that `make lab` starts (the tests start
    the same one): the repository as its root, the course root for nbgrader's panels, the
    editable install's .egg-info hidden, and each saved notebook refreshed in git's index."""
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={paths.REPO}",
            "--ContentsManager.post_save_hook=grading.notebook_filter.post_save"]
    argv += [f"--ContentsManager.hide_globs={glob}" for glob in HIDDEN_IN_LAB]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv, dict(os.environ, COURSE_ROOT=str(course_root))


# JupyterLab's defaults, plus the folder pip's editable install leaves in the repository.
HIDDEN_IN_LAB = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info"]


def _class_folder_for_lab(root: Path) -> tuple[Path, str]:
    """The course root as JupyterLab must see it, and a line that tells the instructor about it.

    Formgrader only works on a course root inside the server's root folder (this repository): one
    elsewhere is reached through a link in `.course/classes/`. One inside the repository is
    git-ignored by `prepare_course`.
    """
    if root == paths.REPO or paths.REPO in root.parents:
        if (root / ".gitignore").exists():
            return root, (f"Class folder: {_shown(root)}/ is inside the repository; its .gitignore keeps it out "
                          "of git, so no student work can be committed by accident")
        return root, f"Class folder: {_shown(root)}/ (git-ignored)"
    links = paths.DEFAULT_COURSE / "classes"
    links.mkdir(parents=True, exist_ok=True)
    link, n = links / root.name, 1
    while (link.is_symlink() or link.exists()) and link.resolve() != root:
        n += 1
        link = links / f"{root.name}-{n}"
    if not link.is_symlink():
        link.symlink_to(root, target_is_directory=True)
    return link, (f"Class folder: {root} is outside the repository, where Formgrader cannot see it; "
                  f"JupyterLab reaches it through the link {_shown(link)}")


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
