"""Keep hidden tests out of feedback pages: their source, and what their failures printed.

nbgrader's ClearHiddenTests removes the hidden lines from a test cell's source, but a failing
hidden assert still shows its own line in the traceback. So test cells keep only the last line
of an error (the hint in the assert message) and lose their other output.

The student's code runs in the same kernel as the hidden tests and can see their source as they
run (an IPython input transformer, `inspect.stack()` in a function a test calls) and put it in an
error message or a later cell's output. So every output of every cell is also scrubbed: a line of
a hidden test found in it is replaced by `[hidden test]`.
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

    def preprocess(self, nb: NotebookNode, resources: dict):
        hidden = hidden_lines(nb, self.begin_test_delimeter, self.end_test_delimeter)
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                _scrub(output, hidden)
        return nb, resources

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


def hidden_lines(nb: NotebookNode, begin: str, end: str, shortest: int = 4) -> list[str]:
    """The lines of the notebook's hidden tests, markers included, longest first. Lines that also
    appear openly are kept too: around the secret ones they would show the tests' shape."""
    hidden = set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            text = line.strip()
            if begin in line or end in line:
                inside = begin in line
                hidden.add(text)
            elif inside and len(text) >= shortest:
                hidden.add(text)
    return sorted(hidden, key=len, reverse=True)


def _scrub(output: NotebookNode, hidden: list[str]) -> None:
    """Replace every hidden-test line inside one output (stream, rich data, error) by a marker."""
    def clean(value):
        if isinstance(value, str):
            for line in hidden:
                value = value.replace(line, "[hidden test]")
            return value
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    for key in ("text", "evalue", "traceback"):
        if key in output:
            output[key] = clean(output[key])
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime == "application/javascript":
            output["data"][mime] = clean(value)
