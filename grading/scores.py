"""Read a submission's scores back from the gradebook and print them as a short report."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry


@dataclass
class CellScore:
    """The score of one graded cell: a test cell, or a written answer graded by hand."""
    notebook: str
    name: str
    score: float
    max_score: float
    needs_manual_grade: bool


def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def submission_scores(root: Path, exercise: str, student: str) -> list[CellScore] | None:
    """Every graded cell of one submission, or None when the gradebook has no such submission."""
    with Gradebook(db_url(root)) as gb:
        try:
            submission = gb.find_submission(exercise, student)
        except MissingEntry:
            return None
        return [CellScore(nb.name, g.name, float(g.score), float(g.max_score), bool(g.needs_manual_grade))
                for nb in submission.notebooks for g in sorted(nb.grades, key=lambda g: g.name)]


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


def format_report(scores: list[CellScore]) -> str:
    """A table of task scores with the autograded total, and hand-graded answers listed apart."""
    lines = []
    width = max(len(s.name) for s in scores) if scores else 10
    auto = [s for s in scores if not s.needs_manual_grade]
    manual = [s for s in scores if s.needs_manual_grade]
    for s in auto:
        lines.append(f"  {s.name:<{width}}  {s.score:g} / {s.max_score:g}")
    for s in manual:
        lines.append(f"  {s.name:<{width}}  graded by hand (up to {s.max_score:g})")
    got = sum(s.score for s in auto)
    out_of = sum(s.max_score for s in auto)
    lines.append(f"Total (autograded): {got:g} / {out_of:g}")
    return "\n".join(lines)
