"""Shared test fixtures: every test must leave no process, zombie or listening socket behind."""
from __future__ import annotations

import json
import os
import re
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


def pytest_addoption(parser):
    parser.addoption("--chapter", default=None, metavar="NN",
                     help="only what chapter NN needs: the chapter, its exercise, the tests of the helpers "
                          "they import, and the repository checks (make test-fast CH=NN)")


def _helpers_used(paths: list[Path]) -> set[str]:
    """Names of the helpers modules these notebooks import, and those modules import in turn."""
    text = "\n".join("".join(c["source"]) for p in paths for c in json.loads(p.read_text(encoding="utf-8"))["cells"])
    found = set(re.findall(r"helpers\.(\w+)", text)) | {
        name for group in re.findall(r"from helpers import ([\w, ()\n]+?)(?:\n\n|\n[^ \w(])", text + "\n\n")
        for name in re.findall(r"\b(\w+)\b(?! as\b)", group.replace(" as ", " as_"))}
    known = {p.stem for p in (REPO / "helpers").glob("*.py")}
    used, todo = set(), [m for m in found if m in known]
    while todo:
        module = todo.pop()
        if module in used:
            continue
        used.add(module)
        source = (REPO / "helpers" / f"{module}.py").read_text(encoding="utf-8")
        todo += [m for m in re.findall(r"from \.(\w+) import|from \. import (\w+)", source) for m in m if m in known]
    return used


def _chapter_selection(chapter: str):
    """A predicate: does this test belong to what chapter NN needs (see --chapter)?"""
    notebooks = sorted((REPO / "notebooks").glob(f"{chapter}_*.ipynb"))
    if not notebooks:
        raise pytest.UsageError(f"--chapter {chapter}: no notebooks/{chapter}_*.ipynb")
    exercises = sorted((REPO / "solutions").glob(f"ex{chapter}_*"))
    modules = _helpers_used(notebooks + [nb for e in exercises for nb in e.glob("*.ipynb")])
    helper_tests = {p.name for p in (REPO / "tests").glob("test_helpers*.py")
                    if any(re.search(rf"\b{m}\b", p.read_text(encoding="utf-8")) for m in modules)}
    always = {"test_repository.py", "test_colour_language.py"}
    per_chapter = {"test_notebooks.py": notebooks[0].stem, "test_exercises.py": f"ex{chapter}_",
                   "test_wrong_answers.py": f"ex{chapter}_"}

    def wanted(item) -> bool:
        name = item.path.name
        if name in always or name in helper_tests:
            return True
        if name in per_chapter:
            return per_chapter[name] in item.nodeid
        return False
    return wanted


def pytest_configure(config):
    """Compile the course's own modules to bytecode once, before any test starts a process.

    Where PYTHONDONTWRITEBYTECODE is set (CI images often set it), Python never writes
    `__pycache__`, so every kernel, spawn child and grader compiled `helpers/` and `grading/`
    from source again: thousands of times in one run. `compileall` writes them even so (only
    what changed), and every process after reads them.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return                                  # the controller did it for every worker
    import compileall
    for package in ("helpers", "grading", "tests"):
        compileall.compile_dir(REPO / package, quiet=1)


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two workers more than the CPUs this process may use. The hostile-class and
    wrong-answer fixtures mostly wait (for time limits, sleeping children, kernels starting), so two
    extra workers keep the CPUs busy with chapters meanwhile (on 2 CPUs the suite took about a fifth
    less time with 4 workers than with 3); more would only make every test wait for a CPU."""
    from helpers.bench import usable_cpus
    return usable_cpus() + 2


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


def pytest_itemcollected(item):
    """Group the tests that read one graded class (here: xdist names the groups in its own
    collection hook, which may run before any other)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    for name in CLASS_FIXTURES:
        if name in item.fixturenames and name in params:
            item.add_marker(pytest.mark.xdist_group(f"{name}-{params[name]}"))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """With --dist loadgroup, fail at once if the groups did not take (a pytest/xdist mismatch):
    otherwise every worker would silently grade each class again."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
    if lost:
        raise pytest.UsageError(f"pytest-xdist did not group {lost[0]} (and {len(lost) - 1} more): this "
                                "pytest and pytest-xdist do not work together; see pyproject.toml")


def pytest_collection_modifyitems(config, items):
    """Leave out what does not apply, and start the slowest tests first.

    A test module may define `deselect(item) -> bool` to leave out parametrisations that do not
    apply (listed as deselected, not as a wall of skips).
    """
    keep, drop = [], []
    chapter = config.getoption("--chapter")
    wanted = _chapter_selection(chapter) if chapter else (lambda item: True)
    for item in items:
        rule = getattr(getattr(item, "module", None), "deselect", None)
        (drop if (rule is not None and rule(item)) or not wanted(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    # Workers take tests in this order: the long class gradings first, so that they overlap with
    # everything else instead of running alone at the end.
    items.sort(key=lambda item: 0 if any(n in item.fixturenames for n in CLASS_FIXTURES) else 1)
