"""Course-wide settings read from the environment: quick mode and the start method.

- Quick mode (`COURSE_QUICK=1`, or any nbgrader run, which sets `NBGRADER_EXECUTION`) shrinks
  every demo's workload so the test suite and the autograder run fast. Readers get full size.
- `COURSE_START_METHOD=fork|spawn|forkserver` makes every notebook use that start method; the
  tests use it to prove the course runs under all three.
"""
from __future__ import annotations

import multiprocessing
import os

QUICK: bool = os.environ.get("COURSE_QUICK", "").lower() in ("1", "true", "yes") or bool(
    os.environ.get("NBGRADER_EXECUTION"))


def scale(normal, quick):
    """Return `normal` for a reader and `quick` under the test suite or the autograder."""
    return quick if QUICK else normal


def apply_start_method_from_env() -> str | None:
    """Use the start method named in $COURSE_START_METHOD, if any; return the name applied."""
    method = os.environ.get("COURSE_START_METHOD")
    if not method:
        return None
    if method not in multiprocessing.get_all_start_methods():
        raise RuntimeError(f"COURSE_START_METHOD={method!r} is not available here; "
                           f"choose one of {multiprocessing.get_all_start_methods()}")
    multiprocessing.set_start_method(method, force=True)
    return method
