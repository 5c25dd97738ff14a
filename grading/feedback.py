"""Keep hidden tests out of feedback pages: their source, and what their failures printed.

nbgrader's ClearHiddenTests removes the hidden lines from a test cell's source, but a failing
hidden assert still shows its own line in the traceback. So test cells keep only the last line
of an error (the hint in the assert message) and lose their other output.
"""
from __future__ import annotations

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests, plus test-cell outputs reduced to each error's one-line message.

    Hidden tests only exist in test cells, which grading restores from the gradebook. A student
    who types the marker text into an answer cell must not stop feedback for the class, so such
    markers are dropped instead of raising (nbgrader's `enforce_metadata`).
    """

    enforce_metadata = False

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int):
        try:
            cell, resources = super().preprocess_cell(cell, resources, cell_index)
        except RuntimeError:            # unbalanced markers typed by a student
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if self.begin_test_delimeter not in line
                                    and self.end_test_delimeter not in line)
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [_one_line(o) for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        return cell, resources


def _one_line(error: NotebookNode) -> NotebookNode:
    message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".rstrip(": ")
    return new_output("stream", name="stderr", text=message + "\n")
