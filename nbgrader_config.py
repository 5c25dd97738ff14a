"""nbgrader settings for this course (read by `nbgrader`, formgrader and `python -m grading`).

The course root holds submissions, autograded copies, feedback and the gradebook. It is
$COURSE_ROOT when set (the Makefile sets it from COURSE=...), else `.course/` here. Its `source`
and `release` entries are links to this repository's `solutions/` and `exercises/`
(`python -m grading setup` makes them).
"""
import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern,
                                    LimitOutput, SaveAutoGrades)

from grading.execute import ContainedExecute
from grading.feedback import CourseFeedback, HideHiddenTests
from grading.limits import Limits
from grading.scores import db_url

c = get_config()  # noqa: F821 - provided by traitlets when this file is loaded

here = Path(__file__).resolve().parent
# Not resolved: `make lab` reaches a class folder outside the repository through a link inside it,
# and Formgrader needs the path inside (grading/commands.py, _class_folder_for_lab).
root = Path(os.path.abspath(os.environ.get("COURSE_ROOT") or here / ".course"))

c.CourseDirectory.root = str(root)
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = db_url(root)
c.CourseDirectory.course_id = "concurrency-in-python"
c.Exchange.root = str(root / "exchange")

# An instructor who runs a solution notebook in place leaves its %%writefile module (the full
# solution) in solutions/exNN/: never copy it into the student version or a grading run.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "ex*_workers.py"]

# Student code in this course can hang, deadlock, spin, crash its kernel or print forever. The limits
# come from COURSE_* variables (grading/limits.py lists them). ContainedExecute adds what nbgrader
# lacks: a time budget per notebook, a fresh kernel (replaying completed cells) after a crash or an
# ignored interrupt, an output cap, and one readable line per problem in the cell's output.
# Processes, memory and leftovers are contained one level up, around the whole nbgrader run
# (grading/containment.py).
limits = Limits.from_env()
c.Execute.timeout = int(limits.cell_timeout)
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 60
c.Execute.shutdown_kernel = "immediate"
# A cell that swallows the interrupt must not cost the whole submission its grade.
c.Execute.raise_on_iopub_timeout = False
c.ContainedExecute.notebook_timeout = limits.notebook_timeout
c.ContainedExecute.max_output_bytes = limits.max_output_kb * 1024
# Set only for a submission whose grading had to be killed: run nothing, record why (score 0).
c.ContainedExecute.abort_reason = os.environ.get("COURSE_GRADING_ABORTED", "")
c.ContainedExecute.oom_events_file = os.environ.get("COURSE_OOM_EVENTS", "")
# Each kernel sees only the system, Python, helpers/ and a private copy of its own folder: never the
# hidden tests, the gradebook or other submissions (grading/sandbox.py). COURSE_ISOLATE_FILES=0 turns
# it off, e.g. to debug an exercise that needs a file from elsewhere.
c.ContainedExecute.isolate_files = limits.isolate_files
c.Autograde.autograde_preprocessors = [
    ContainedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata]

# A deleted or de-tagged test cell is restored from the gradebook and graded, not skipped.
c.OverwriteCells.add_missing_cells = True

# Feedback shows the learner what failed, never the hidden tests themselves; a written answer not
# graded yet reads "pending" (the course's page template, grading/templates/course_feedback, which
# `make feedback` and `make grade` select with grading.feedback.TEMPLATE_ARGS).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests, CourseFeedback]
