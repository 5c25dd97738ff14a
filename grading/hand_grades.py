"""Keep what a grader typed in Formgrader (scores, extra credit, comments) across re-grading.

Re-grading removes a submission's gradebook rows first, so that no autograded score can ever be
stale (`submission.clear_previous_grading`). Before that, `save` writes every hand-entered value
to `COURSE/hand-grades/<student>/<exercise>.json`, with the answer it was given for, as
Formgrader showed it (the autograded notebook). After the new grading, `restore` puts each value
back when the answer is unchanged. When the answer changed, nothing is deleted: the score is left
for the grader to enter again (Formgrader lists the answer as needing a grade), the comment keeps
the grader's words and starts with a flag that gives the earlier score, and the earlier values
are kept in `<exercise>.changed.json`. The saved file is removed only once it has been restored,
so an interrupted run loses nothing: the next run restores from it.

The "answer" of a written task is its cell; for a test cell whose score a grader overrode, it is
every answer cell of that notebook (what the test's result depends on).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .scores import db_url

FOLDER = "hand-grades"
FLAG = "[The answer changed after it was graded by hand; grade it again.{earlier}]"


def _file(root: Path, exercise: str, student: str, suffix: str = ".json") -> Path:
    return root / FOLDER / student / f"{exercise}{suffix}"


def _answers(root: Path, exercise: str, student: str) -> dict[str, dict[str, str]]:
    """notebook -> grade_id -> the fingerprint of what a hand grade of that cell was given for."""
    out = {}
    for path in sorted((root / "autograded" / student / exercise).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:          # unreadable: every hand grade on it counts as changed
            continue
        cells = [(c.metadata.get("nbgrader", {}), c.source) for c in nb.cells]
        solutions = hashlib.sha256("\0".join(src for meta, src in cells if meta.get("solution")).encode()).hexdigest()
        out[path.stem] = {meta["grade_id"]: (src if meta.get("solution") else solutions)
                          for meta, src in cells if meta.get("grade_id")}
    return out


def save(root: Path, exercise: str, *students: str) -> None:
    """Write each submission's hand-entered values to its file, merged with one an interrupted run left."""
    if not (root / "gradebook.db").exists():
        return
    with Gradebook(db_url(root)) as gb:
        for student in students:
            try:
                submission = gb.find_submission(exercise, student)
            except MissingEntry:
                continue
            answers = _answers(root, exercise, student)
            found = {}
            for nb in submission.notebooks:
                for g in nb.grades:
                    if g.manual_score is not None or g.extra_credit is not None:
                        found.setdefault((nb.name, g.name), {}).update(
                            manual_score=g.manual_score, extra_credit=g.extra_credit, max_score=g.max_score)
                for c in nb.comments:
                    if c.manual_comment:
                        found.setdefault((nb.name, c.name), {})["manual_comment"] = c.manual_comment
            path = _file(root, exercise, student)
            kept = {(e["notebook"], e["cell"]): e for e in _read(path)}
            for (notebook, cell), values in found.items():
                kept[notebook, cell] = dict(notebook=notebook, cell=cell,
                                            answer=answers.get(notebook, {}).get(cell), **values)
            if kept:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(list(kept.values()), indent=1, ensure_ascii=False) + "\n")


def restore(root: Path, exercise: str, student: str) -> list[str]:
    """Put back the saved values of one freshly graded submission; return a note per answer."""
    path = _file(root, exercise, student)
    entries = _read(path)
    if not entries:
        return []
    answers = _answers(root, exercise, student)
    kept, changed = 0, []
    with Gradebook(db_url(root)) as gb:
        for e in entries:
            same = e.get("answer") is not None and answers.get(e["notebook"], {}).get(e["cell"]) == e["answer"]
            grade = _find(gb.find_grade, e, exercise, student)
            comment = _find(gb.find_comment, e, exercise, student)
            if same:
                if grade is not None and ("manual_score" in e or "extra_credit" in e):
                    grade.manual_score, grade.extra_credit = e.get("manual_score"), e.get("extra_credit")
                    grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
                if comment is not None and e.get("manual_comment"):
                    comment.manual_comment = e["manual_comment"]
                kept += 1
                continue
            changed.append(e)
            if grade is not None:
                grade.needs_manual_grade = True
            if comment is not None:
                earlier = (f" Earlier score: {e['manual_score']:g} / {e['max_score']:g}."
                           if e.get("manual_score") is not None else "")
                comment.manual_comment = "\n\n".join(
                    [FLAG.format(earlier=earlier)] + ([e["manual_comment"]] if e.get("manual_comment") else []))
        gb.db.commit()
    if changed:
        record = _file(root, exercise, student, ".changed.json")
        record.write_text(json.dumps(_read(record) + changed, indent=1, ensure_ascii=False) + "\n")
    path.unlink()
    notes = [f"hand grading of {kept} answer(s) kept (unchanged since graded)"] if kept else []
    notes += [f"{e['notebook']}/{e['cell']}: the answer changed since it was graded by hand; flagged for grading "
              f"again (earlier values in {_file(root, exercise, student, '.changed.json')})" for e in changed]
    return notes


def _find(finder, e: dict, exercise: str, student: str):
    try:
        return finder(e["cell"], e["notebook"], exercise, student)
    except MissingEntry:
        return None


def _read(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []
