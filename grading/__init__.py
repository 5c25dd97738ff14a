"""Course administration around nbgrader: generate, start, grade, autograde, feedback, export.

The Makefile calls `python -m grading <command>`; every command works on folders under the
repository (`solutions/`, `exercises/`, `work/`) and on a *course root* that holds submissions,
autograded copies, feedback and the gradebook (default `.course/`, or `--course DIR`).
"""
