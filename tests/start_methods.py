"""The multiprocessing start methods the tests run the course under: every one this machine offers,
or those named in $COURSE_TEST_METHODS (`make test-fast` runs one, to be quick while editing)."""
import multiprocessing
import os

_AVAILABLE = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
_CHOSEN = [m.strip() for m in os.environ.get("COURSE_TEST_METHODS", "").split(",") if m.strip()]
_UNKNOWN = [m for m in _CHOSEN if m not in _AVAILABLE]
if _UNKNOWN:
    raise RuntimeError(f"COURSE_TEST_METHODS names {_UNKNOWN}, not available here; choose from {_AVAILABLE}")
START_METHODS = _CHOSEN or _AVAILABLE
