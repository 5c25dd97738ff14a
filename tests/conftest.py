"""Shared test fixtures: every test must leave no process, zombie or listening socket behind."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Tests run the demos in quick mode (small workloads); readers get full size.
os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


from start_methods import START_METHODS  # noqa: E402  (needs the sys.path entry above)


@pytest.fixture(scope="session", autouse=True)
def one_nbgrader_per_worker():
    """Every grading command in this test process forks from one warm nbgrader (grading/zygote.py)."""
    from grading.zygote import keep_warm
    with keep_warm(str(REPO)):
        yield


@pytest.fixture(params=START_METHODS)
def ctx(request):
    """A multiprocessing context per start method: a test using it runs under each (no global state)."""
    import multiprocessing
    return multiprocessing.get_context(request.param)


def _descendants() -> dict[int, str]:
    """Every process below this one, except multiprocessing's session-long helpers."""
    from grading.zygote import kept_pid
    from helpers.testing import multiprocessing_service_pids
    services = multiprocessing_service_pids() | {kept_pid()}
    out = {}
    for p in psutil.Process().children(recursive=True):
        if p.pid in services:
            continue
        try:
            out[p.pid] = f"{p.pid} {p.name()} ({p.status()}) {' '.join(p.cmdline()[:4])}"
        except psutil.Error:
            pass
    return out


def _listening() -> set:
    try:
        conns = psutil.Process().net_connections(kind="inet")
    except psutil.Error:
        return set()
    return {c.laddr for c in conns if c.status == psutil.CONN_LISTEN}


@pytest.fixture(autouse=True)
def nothing_left_running():
    """Fail a test that leaves a child process (running or zombie) or a listening socket."""
    import multiprocessing
    before, listening_before = set(_descendants()), _listening()
    yield
    multiprocessing.active_children()   # reap children multiprocessing already knows are done
    leftover = {}
    for _ in range(50):                 # allow up to 5 s for processes that are already ending
        leftover = {pid: d for pid, d in _descendants().items() if pid not in before}
        if not leftover:
            break
        psutil.wait_procs([psutil.Process(pid) for pid in leftover if psutil.pid_exists(pid)], timeout=0.1)
    sockets = _listening() - listening_before
    for pid in leftover:                # clean up, so one failure does not cascade into others
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass
    assert not leftover, "test left processes behind:\n" + "\n".join(leftover.values())
    assert not sockets, f"test left listening sockets: {sockets}"


# Module-scoped fixtures that grade a whole class: every test that reads one class must run in the
# same test worker (pytest-xdist's --dist loadgroup), or each worker would grade the class again.
CLASS_FIXTURES = ("graded", "graded_class", "wrong_answer_results")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Leave out what does not apply, group the tests of one graded class, and start the slowest first.

    A test module may define `deselect(item) -> bool` to leave out parametrisations that do not
    apply (listed as deselected, not as a wall of skips).
    """
    keep, drop = [], []
    for item in items:
        rule = getattr(getattr(item, "module", None), "deselect", None)
        (drop if rule is not None and rule(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for name in CLASS_FIXTURES:
            if name in item.fixturenames and name in params:
                item.add_marker(pytest.mark.xdist_group(f"{name}-{params[name]}"))
    # Workers take tests in this order: the long class gradings first, so that they overlap with
    # everything else instead of running alone at the end.
    items.sort(key=lambda item: 0 if any(n in item.fixturenames for n in CLASS_FIXTURES) else 1)
