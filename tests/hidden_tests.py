"""Hidden-test lines and feedback-page text, for the tests that check one never shows in the other."""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from grading import paths


def hidden_lines(exercise: str) -> list[str]:
    """Substantial lines found only inside hidden-test regions of the exercise's source notebooks
    (a line that also appears outside them, say an import, would prove nothing)."""
    lines, visible = [], set()
    for nb_path in paths.exercise_notebooks(exercise):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line:
                    inside = True
                elif "END HIDDEN TESTS" in line:
                    inside = False
                elif inside and len(line.strip()) > 12:
                    lines.append(line.strip())
                else:
                    visible.add(line.strip())
    return [line for line in lines if line not in visible]


def page_text(page: Path) -> str:
    """What a reader of an HTML feedback page sees: its text, tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
