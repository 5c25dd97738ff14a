"""Grade one submission, contained, and always leave a grade row that says what happened.

`grade_submission` is shared by `make autograde` (many students, in parallel) and `make grade`
(a learner's own copy), so both get the same protections:

1. Forget any earlier grading of this submission (gradebook rows, autograded copy, feedback), so
   a failure can never leave a stale score behind; what a grader typed in by hand is saved first
   and put back afterwards (`hand_grades.py`).
2. Run `nbgrader autograde` for this one student inside `containment.run_contained`: forked
   from a warm zygote into its own PID/network namespace, cgroup limits, and a hard deadline.
   Inside, `ContainedExecute` deals with slow, hung and crashing cells and notes each problem
   in the notebook.
   A notebook whose test or locked cells were deleted, moved or de-tagged (or that nbgrader
   fails on) has its answers graded in a fresh copy of the exercise instead (`repair.py`).
3. If that run did not produce grades (the deadline killed it, the student's code killed or froze
   the grader), grade again *without running any code*: every cell gets the reason as its
   output, so the submission scores zero with an explanation instead of vanishing.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import hand_grades, paths
from .containment import Outcome, run_contained
from .limits import Limits
from .nbgrader_run import NBGRADER_FAILED, REPO, failed, nbgrader, nbgrader_command, tail
from .paths import CourseError
from .repair import REPAIRED, is_damaged, write_repaired
from .scores import forget_submission, submission_scores
from .zygote import Zygote


@dataclass
class Graded:
    """The result of grading one submission."""
    student: str
    seconds: float
    graded: bool                         # the gradebook has a row for it
    problem: str = ""                    # why the normal grading failed ("" when it did not)
    notes: list[str] = field(default_factory=list)   # what containment had to clean up


def clear_previous_grading(root: Path, exercise: str, *students: str, keep_submission: bool = True) -> None:
    """Forget earlier gradings of these submissions: gradebook rows, autograded copies, feedback.
    Hand grades and comments are saved first, for `hand_grades.restore`."""
    hand_grades.save(root, exercise, *students)
    forget_submission(root, exercise, *students)
    for student in students:
        for step in ["autograded", "feedback", REPAIRED] + ([] if keep_submission else ["submitted"]):
            shutil.rmtree(root / step / student / exercise, ignore_errors=True)


def grade_submission(zygote: Zygote, root: Path, exercise: str, student: str,
                     limits: Limits | None = None, cleared: bool = False) -> Graded:
    """Autograde `submitted/<student>/<exercise>/` under the course's limits (see module doc).

    `zygote` forks the grader (see zygote.py); one serves a whole class, from several threads.
    `cleared`: the caller already forgot this submission's earlier grading.
    """
    limits = limits or Limits.from_env()
    if not cleared:
        clear_previous_grading(root, exercise, student)
    deadline = limits.hard_deadline(max(1, len(paths.exercise_notebooks(exercise))))
    extra: list[str] = []
    notes: list[str] = []
    if is_damaged(root, exercise, student) and write_repaired(root, exercise, student):
        extra = [f"--CourseDirectory.submitted_directory={REPAIRED}"]
        notes.append("test or locked cells were deleted, moved or changed: the answers were graded in a fresh copy")
    outcome = _autograde(zygote, root, exercise, student, limits, deadline, extra)
    notes += _notes(outcome, limits)
    if not extra and _crashed_in_nbgrader(outcome):
        clear_previous_grading(root, exercise, student)
        if write_repaired(root, exercise, student):
            # nbgrader itself failed on this notebook's structure: grade the answers in a fresh copy
            extra = [f"--CourseDirectory.submitted_directory={REPAIRED}"]
            outcome = _autograde(zygote, root, exercise, student, limits, deadline, extra)
            notes.append("nbgrader failed on the notebook's structure: the answers were graded in a fresh copy")
            notes += _notes(outcome, limits)

    if not outcome.timed_out and not failed(outcome.returncode, outcome.output) \
            and submission_scores(root, exercise, student) is not None:
        return Graded(student, outcome.seconds, True, notes=notes + hand_grades.restore(root, exercise, student))

    if outcome.timed_out:
        problem = (f"grading was stopped after {deadline:.0f} s (the hard limit for this exercise): "
                   "the submission froze or killed the grader")
    elif outcome.returncode < 0 or outcome.returncode >= 128:
        problem = "the grader was killed while running the submission's code"
    else:
        problem = "nbgrader could not grade this submission:\n" + tail(outcome.output, 15)
    return _record_zero(zygote, root, exercise, student, problem, outcome.seconds, notes, extra)


def _autograde(zygote, root, exercise, student, limits, deadline, extra=()) -> Outcome:
    cmd, env = nbgrader_command(root, "autograde", exercise, "--student", student, "--force", *extra)
    try:
        return run_contained(zygote, cmd[3:], limits, deadline=deadline, env=env, cwd=str(REPO))
    except (RuntimeError, OSError) as exc:     # the zygote itself is gone: report, do not crash the class
        return Outcome(1, f"{NBGRADER_FAILED} this submission: {exc}", 0.0)


def _crashed_in_nbgrader(outcome: Outcome) -> bool:
    """nbgrader raised on the notebook itself (not a timeout, not a killed grader)."""
    return (not outcome.timed_out and 0 < outcome.returncode < 128
            and NBGRADER_FAILED in outcome.output)


def _notes(outcome: Outcome, limits: Limits) -> list[str]:
    """What containment had to do, in words for the instructor's summary."""
    notes = []
    killed = re.findall(r"grading\.jail: killed (\d+) process", outcome.output)
    if killed:
        notes.append(f"{killed[-1]} process(es) left running by the submission were killed")
    if outcome.leftovers:
        notes.append(f"{outcome.leftovers} process(es) were still in the submission's cgroup after grading and were killed")
    if outcome.oom_kills:
        notes.append(f"the memory limit ({limits.memory_mb} MB) killed {outcome.oom_kills} process(es)")
    return notes


def _record_zero(zygote: Zygote, root: Path, exercise: str, student: str, problem: str, seconds: float,
                 notes: list[str], extra: list[str]) -> Graded:
    """Grade again without running code: every cell shows `problem`, every test scores zero."""
    clear_previous_grading(root, exercise, student)
    if extra:                   # grade the repaired copy again (clearing removed it)
        write_repaired(root, exercise, student)
    first_line = problem.splitlines()[0]
    try:
        nbgrader(root, "autograde", exercise, "--student", student, "--force", *extra,
                 timeout=300, zygote=zygote, COURSE_GRADING_ABORTED=first_line)
    except CourseError:
        clear_previous_grading(root, exercise, student)
        return Graded(student, seconds, False, problem, notes)
    if submission_scores(root, exercise, student) is None:
        return Graded(student, seconds, False, problem, notes)
    return Graded(student, seconds, True, problem, notes + hand_grades.restore(root, exercise, student))
