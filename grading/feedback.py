"""Feedback pages: hidden tests kept out, scores that read as the terminal says, model answers.

**Hidden tests.**
nbgrader's ClearHiddenTests removes the hidden lines from a test cell's source, but a failing
hidden assert still shows its own line in the traceback. So test cells keep only the last line
of an error (the hint in the assert message) and lose their other output.

The student's code runs in the same kernel as the hidden tests and can see their source as they
run (an IPython input transformer, `inspect.stack()` in a function a test calls) and put it in an
error message or a later cell's output. So every output of every cell is also scrubbed: a line of
a hidden test found in it is replaced by `[hidden test]`. `failure_hints` gives the terminal the
same one-line, scrubbed messages.

**Scores.** `CourseFeedback` labels each graded cell as `scores.py` describes it (a written answer
not graded yet reads "pending", never 0), and the page's total as the terminal prints it. With
`model_answers` it also shows, under each written answer, the model answer from `solutions/`:
always for a learner's own `make grade` (`alone`), on request for a class (`make feedback MODEL_ANSWERS=1`).
The page itself is `grading/templates/course_feedback/course.html.j2`, nbgrader's page with these labels and
long lines wrapped; `TEMPLATE_ARGS` select it.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Bool

from . import paths
from .scores import cell_scores, total_line

# nbgrader's own page template lives beside its formgrader; ours extends it.
_NBGRADER_TEMPLATES = Path(utils.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
TEMPLATE_ARGS = ["--HTMLExporter.template_name=course_feedback", "--HTMLExporter.template_file=course.html.j2",
                 f"--HTMLExporter.extra_template_basedirs={paths.REPO / 'grading' / 'templates'}",
                 f"--HTMLExporter.extra_template_basedirs={_NBGRADER_TEMPLATES}"]


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


def failure_hints(folder: Path) -> dict[tuple[str, str], str]:
    """(notebook, test cell) -> the first line of its error, hidden tests scrubbed, for each
    autograded notebook in `folder` whose test cell failed."""
    begin, end = ClearHiddenTests.begin_test_delimeter.default_value, ClearHiddenTests.end_test_delimeter.default_value
    hints = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        hidden = hidden_lines(nb, begin, end)
        for cell in nb.cells:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors and utils.is_grade(cell) and not utils.is_solution(cell):
                if errors[-1].get("ename") == "NotImplementedError" and not errors[-1].get("evalue"):
                    hint = "not answered yet: the answer cell still raises NotImplementedError"
                else:
                    line = _one_line(errors[-1])
                    _scrub(line, hidden)
                    hint = (line["text"].strip().splitlines() or [""])[0]
                hints[path.stem, cell.metadata.nbgrader["grade_id"]] = hint
    return hints


def model_answers(exercise: str, notebook: str) -> dict[str, str]:
    """grade_id -> the model answer (markdown) of each written task, from solutions/: the part
    between the solution markers, or the whole cell without its note to the instructor."""
    path = paths.SOLUTIONS / exercise / f"{notebook}.ipynb"
    if not path.exists():
        return {}
    out = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if not (utils.is_solution(cell) and utils.is_grade(cell)):
            continue
        lines = cell.source.splitlines()
        marked = [i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line or "END SOLUTION" in line]
        if len(marked) >= 2:
            lines = lines[marked[0] + 1:marked[1]]
        elif lines and lines[0].startswith("*Model answer"):   # "*Model answer (nbgrader replaces ...):*"
            lines = lines[1:]
        text = "\n".join(lines).strip()
        out[cell.metadata.nbgrader["grade_id"]] = text if cell.cell_type == "markdown" else f"```python\n{text}\n```"
    return out


class CourseFeedback(NbGraderPreprocessor):
    """Put each graded cell's label (see scores.py), the page's total and, with `model_answers`,
    the written tasks' model answers into the notebook, for the course_feedback template."""

    model_answers = Bool(False, help="Show the model answer under each written task.").tag(config=True)
    alone = Bool(False, help="A learner's own copy: nobody will grade the written answers.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            scores = [s for s in cell_scores(gb, info["assignment"], info["student"]) or []
                      if s.notebook == info["notebook"]]
        by_name = {s.name: s for s in scores}
        models = model_answers(info["assignment"], info["notebook"]) if self.model_answers else {}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            score = by_name.get(meta.get("grade_id"))
            if score is None:
                continue
            meta["course_label"] = score.describe(alone=self.alone, where="below")
            if score.written and meta["grade_id"] in models:
                meta["model_answer"] = models[meta["grade_id"]]
        resources["course_total"] = total_line(scores, alone=self.alone)
        return nb, resources
