"""The welcome chapter's self-check: what Python, how many cores, which start method, GIL or not.

Everything here is read from the running interpreter, so the table describes the reader's own
machine; `problems()` lists what would stop the course from working, in words that say what to do.
"""
from __future__ import annotations

import importlib.metadata
import multiprocessing
import platform
import sys
import sysconfig
import time
import warnings

from . import bench, gil

PACKAGES = ("nbgrader", "jupyterlab", "ipywidgets", "matplotlib", "gevent", "psutil")


def free_threaded_build() -> bool:
    """True for a free-threaded CPython build (3.13t, 3.14t), which can run without the GIL."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> list[tuple[str, str]]:
    """(item, value) rows describing this interpreter and machine."""
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()
    limits = bench.cpu_limits()
    rows = [
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Executable", sys.executable),
        ("Operating system", f"{platform.system()} {platform.release()}"),
        ("Logical CPUs (os.cpu_count)", str(limits["logical CPUs"])),
        ("CPUs allowed (affinity)", "not reported here" if limits["affinity"] is None else str(limits["affinity"])),
        ("CPU quota (cgroup)", "none" if limits["cgroup quota"] is None else f"{limits['cgroup quota']:g} CPUs"),
        ("CPUs this process can use", str(bench.usable_cpus())),
        ("Start method in use", method),
        ("Start methods available", ", ".join(multiprocessing.get_all_start_methods())),
        ("Free-threaded build", "yes" if free_threaded_build() else "no"),
        ("GIL enabled now", "yes" if gil.gil_enabled() else "no"),
        ("Quick mode (small demos)", "on" if _quick() else "off"),
    ]
    rows += [(f"package {name}", package_version(name) or "MISSING") for name in PACKAGES]
    return rows


def problems() -> list[str]:
    """What would stop the course from working here, each with what to do about it."""
    found = []
    if sys.version_info < (3, 10):
        found.append(f"Python {platform.python_version()} is too old: the course needs 3.10 or newer.")
    if platform.python_implementation() != "CPython":
        found.append("This is not CPython: the GIL chapters describe CPython only.")
    for name in PACKAGES:
        if package_version(name) is None:
            found.append(f"{name} is not installed in the Python that runs this notebook: run `make lab` from "
                         "the course folder, and choose the course's environment in JupyterLab's "
                         "Kernel > Change Kernel menu.")
    return found


def start_cost(method: str, repeats: int = 3) -> float:
    """Median seconds to start and join a process that does nothing, with start method `method`.

    Forking this notebook's process warns on 3.12+ (it runs several threads; chapter 02 explains);
    the child here does nothing, so the warning is silenced.
    """
    ctx = multiprocessing.get_context(method)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = ctx.Process(target=do_nothing)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            p.start()
        p.join()
        times.append(time.perf_counter() - t0)
        if p.exitcode != 0:
            raise RuntimeError(f"a {method} child exited with {p.exitcode}; the helpers package may not be "
                               "importable in child processes (run `make lab` from the course folder).")
    return sorted(times)[len(times) // 2]


def do_nothing() -> None:
    """A process target that returns at once (lives in a module, so every start method can import it)."""


def _quick() -> bool:
    from .config import QUICK
    return QUICK
