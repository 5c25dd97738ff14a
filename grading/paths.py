"""Where things live: the repository's folders, and exercise names resolved from short forms.

`ex01` and `ex01_os_basics` both name the folder `solutions/ex01_os_basics/`; anything else is an
error that lists what exists, so a typo never turns into an empty or wrong grading run.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
WORKSPACE = REPO / "work"
DEFAULT_COURSE = REPO / ".course"
# A learner grading their own copy uses a course root of their own, apart from any class.
SELF_COURSE = DEFAULT_COURSE / "self"
SELF_STUDENT = "me"


class CourseError(Exception):
    """A problem the user can fix; the command line prints its message without a traceback."""


def exercise_names() -> list[str]:
    """All exercise folder names in `solutions/`, sorted."""
    if not SOLUTIONS.is_dir():
        return []
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name.startswith("ex"))


def resolve_exercise(name: str) -> str:
    """Turn `ex01` (or the full folder name) into the folder name `ex01_os_basics`."""
    available = exercise_names()
    if not name:
        raise CourseError("Say which exercise, e.g. EX=ex01. Available: " + ", ".join(available))
    if name in available:
        return name
    matches = [n for n in available if n.split("_", 1)[0] == name]
    if len(matches) == 1:
        return matches[0]
    raise CourseError(f"No exercise called {name!r}. Available: " + ", ".join(available))


def exercise_notebooks(exercise: str) -> list[Path]:
    """The notebooks of one exercise, as stored in `solutions/` (relative file names matter)."""
    return sorted((SOLUTIONS / exercise).glob("*.ipynb"))


def course_root(path: str | os.PathLike | None) -> Path:
    """The course root to use: the one given, or the default `.course/` in the repository."""
    return Path(path).expanduser().resolve() if path else DEFAULT_COURSE
