"""Read a submission's scores back from the gradebook and say what each one means.

One owner for how a score reads, used by the terminal, the feedback page and the CSV: a task is
either *autograded* (its tests ran), or a *written* answer graded by hand, which is *pending* until
someone grades it, *blank* when the student left it as released (nbgrader scores that 0 by
itself), or *hand-graded*. A pending answer counts in the maximum, never as a 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

AUTO, PENDING, BLANK, HAND = "autograded", "pending", "blank", "hand-graded"


@dataclass
class CellScore:
    """The score of one graded cell: a test cell, or a written answer graded by hand."""
    notebook: str
    name: str
    score: float
    max_score: float
    needs_manual_grade: bool
    written: bool = False        # an answer graded by hand (nbgrader "manually graded answer")
    hand_scored: bool = False    # a grader typed a score for it

    @property
    def status(self) -> str:
        if not self.written:
            return AUTO
        if self.hand_scored:
            return HAND
        return PENDING if self.needs_manual_grade else BLANK

    def describe(self, alone: bool = False, where: str = "in the feedback page") -> str:
        """`2 / 3`, or for a written answer what its grade is waiting for (`alone`: no grader;
        `where`: where the model answer is shown)."""
        if self.status == PENDING:
            return (f"not scored here (up to {self.max_score:g}): a person grades written answers in a class; "
                    f"compare yours with the model answer {where}" if alone
                    else f"pending: graded by hand (up to {self.max_score:g})")
        extra = {BLANK: " (no answer)", HAND: " (graded by hand)"}.get(self.status, "")
        return f"{self.score:g} / {self.max_score:g}{extra}"


def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def submission_scores(root: Path, exercise: str, student: str) -> list[CellScore] | None:
    """Every graded cell of one submission, or None when the gradebook has no such submission."""
    with Gradebook(db_url(root)) as gb:
        return cell_scores(gb, exercise, student)


def cell_scores(gb: Gradebook, exercise: str, student: str) -> list[CellScore] | None:
    """`submission_scores` from an open gradebook."""
    try:
        submission = gb.find_submission(exercise, student)
    except MissingEntry:
        return None
    out = []
    for nb in submission.notebooks:
        answers = {c.name for c in nb.notebook.solution_cells}
        out += [CellScore(nb.name, g.name, float(g.score), float(g.max_score), bool(g.needs_manual_grade),
                          g.name in answers, g.manual_score is not None)
                for g in sorted(nb.grades, key=lambda g: g.name)]
    return out


def pending_points(scores: list[CellScore]) -> float:
    """Points still waiting for a grader."""
    return sum(s.max_score for s in scores if s.status == PENDING)


def forget_submission(root: Path, exercise: str, *students: str) -> None:
    """Remove submissions' old grades, so a failed re-grade can never show stale scores.

    Several students at once share one gradebook connection (opening one costs about 0.1 s).
    """
    if not (root / "gradebook.db").exists():
        return
    with Gradebook(db_url(root)) as gb:
        for student in students:
            try:
                gb.remove_submission(exercise, student)
            except MissingEntry:
                pass


def total_line(scores: list[CellScore], alone: bool = False) -> str:
    """`9 / 11`, with the points still to be graded by hand when there are any."""
    got, out_of, pending = sum(s.score for s in scores), sum(s.max_score for s in scores), pending_points(scores)
    if not pending:
        return f"{got:g} / {out_of:g}"
    return f"{got:g} / {out_of:g} ({pending:g} " + ("for written answers, not scored here)" if alone else
                                                   "pending hand grading)")


def format_report(scores: list[CellScore], alone: bool = False, hints: dict | None = None) -> str:
    """A table of task scores and the total; `alone`: a learner grading their own copy; `hints`:
    (notebook, task) -> the one-line reason a test failed, printed under its score."""
    width = max(len(s.name) for s in scores) if scores else 10
    lines = []
    for s in scores:
        lines.append(f"  {s.name:<{width}}  {s.describe(alone)}")
        hint = (hints or {}).get((s.notebook, s.name)) if s.score < s.max_score else None
        if hint:
            lines.append(f"  {'':<{width}}    {hint}")
    auto = [s for s in scores if s.status == AUTO]
    lines.append(f"Total (autograded): {sum(s.score for s in auto):g} / {sum(s.max_score for s in auto):g}")
    if not alone:
        lines.append(f"Total: {total_line(scores)}")
    return "\n".join(lines)
