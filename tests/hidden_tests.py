"""What a hidden test looks like, for the tests that check it never reaches a student."""
from __future__ import annotations

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
