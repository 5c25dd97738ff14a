"""Course administration around nbgrader: generate, start, grade, autograde, feedback, export.

The Makefile calls `python -m grading <command>`; every command works on folders under the
repository (`solutions/`, `exercises/`, `work/`) and on a *course root* that holds submissions,
autograded copies, feedback and the gradebook (default `.course/`, or `--course DIR`).
"""

import os as _os
import sys as _sys

# nbgrader opens a gradebook by running the `alembic` command, which only this interpreter's own
# bin/ folder has when the course's virtualenv is not activated (e.g. `.venv/bin/jupyter lab`).
# Everything that grades imports this package (nbgrader_config.py does too), so fix PATH once here.
_bin = _os.path.dirname(_sys.executable)
if _bin not in _os.environ.get("PATH", "").split(_os.pathsep):
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")
