"""Grade many answers to one exercise quickly, the way nbgrader would, without nbgrader.

An answer is the exercise's source notebook (`solutions/`, hidden tests included: there they are
ordinary code) with some solution cells replaced (see `answer.py`). Grading it means running the
notebook's code cells in order in an IPython shell (so `%%writefile` works), with the variables an
nbgrader kernel sees (`NBGRADER_EXECUTION=autograde`, hence quick mode; `COURSE_START_METHOD`), in a
fresh copy of the exercise folder, and noting for each graded test cell whether it raised.

Cost is what decides the design (`tests/test_wrong_answers.py` grades about 40 answers per exercise,
under three start methods):

- All the answers of one (exercise, start method) run in ONE worker interpreter (`--worker`),
  each with a fresh user namespace and a fresh folder. Between answers the worker kills any child
  process left behind and forgets the answer's `exNN_workers` module.
- A wrong answer aimed at task N runs the cells up to task N's test cell and skips the other
  tasks' test cells: only its own task has to lose points. The solution, the variants and the
  untouched student version run every cell.
- The parent watches each worker (`run_group`): a cell that runs past `CELL_LIMIT` seconds gets
  the worker killed (the answer's remaining test cells fail, as after an nbgrader cell timeout),
  and a new worker carries on with the next answer. A worker also hands over to a new one after
  an answer that left a thread or a process behind, so no answer can disturb the next.
- The groups are independent: `run_groups` runs them in parallel (they mostly wait for children).

Fidelity: the same runner gives the solution full marks and the untouched student version
(`exercises/`, test cells restored from the source as nbgrader does) zero on every graded cell.

Command line, for authors of tests and wrong answers (prints one row per answer):

    .venv/bin/python -m tests.wrong_answers.runner ex05 --method spawn
    .venv/bin/python -m tests.wrong_answers.runner ex05 --only 3,7 --all-cells
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):                        # run as a file: make `tests.` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.wrong_answers.answer import Answer        # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = REPO / "solutions", REPO / "exercises"
CELL_LIMIT = float(os.environ.get("WRONG_ANSWERS_CELL_LIMIT", 60))   # seconds, generous on purpose
METHODS = ("fork", "spawn", "forkserver")


# ---- the notebook and the cases ------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    kind: str                  # "code" or "markdown"
    grade_id: str | None
    graded: bool               # a code cell that scores points (a test cell)
    source: str


def folder(exercise: str, root: Path = SOLUTIONS) -> Path:
    """`ex05` -> root/ex05_ipc."""
    matches = sorted(p for p in root.iterdir() if p.is_dir() and p.name.split("_", 1)[0] == exercise)
    if len(matches) != 1:
        raise SystemExit(f"no single exercise folder for {exercise!r} in {root}")
    return matches[0]


def notebook_cells(exercise: str, root: Path = SOLUTIONS) -> list[Cell]:
    path, = folder(exercise, root).glob("*.ipynb")
    cells = []
    for c in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        source = "".join(c["source"])
        cells.append(Cell(c["cell_type"], meta.get("grade_id"),
                          c["cell_type"] == "code" and bool(meta.get("grade")), source))
    return cells


@dataclass(frozen=True)
class Case:
    """One answer to grade, and what it must score: "full", "zero", or "loses" (its task)."""
    label: str
    answer: Answer
    expect: str


def cases(exercise: str) -> list[Case]:
    """The solution, the untouched student version, then the exercise's variants and wrong answers."""
    module = importlib.import_module(f"tests.wrong_answers.{exercise}")
    student = {c.grade_id: c.source for c in notebook_cells(exercise, EXERCISES)
               if c.grade_id and c.kind == "code" and not c.graded}
    solution_ids = {c.grade_id for c in notebook_cells(exercise) if c.kind == "code" and not c.graded}
    blank = Answer(None, "the untouched student version", {k: v for k, v in student.items() if k in solution_ids})
    out = [Case("solution", Answer(None, "the model solution"), "full"), Case("blank", blank, "zero")]
    for answer in module.ANSWERS:
        out.append(Case(answer.task or "variant", answer, "loses" if answer.task else "full"))
    return out


def plan(exercise: str, case: Case, all_cells: bool = False) -> list[tuple[str | None, bool, str]]:
    """The code cells to run for `case`: (grade_id, graded, source), in notebook order.

    A wrong answer for task N stops after `taskN_tests` and skips the other tasks' test cells
    (unless `all_cells`).
    """
    cells = notebook_cells(exercise)
    known = {c.grade_id for c in cells}
    unknown = set(case.answer.cells) - known
    if unknown:
        raise ValueError(f"{exercise} {case.label} {case.answer.why!r}: no cell with grade_id {sorted(unknown)}")
    target = f"{case.answer.task}_tests" if case.expect == "loses" else None
    if target and target not in known:
        raise ValueError(f"{exercise}: {case.answer.why!r} names task {case.answer.task!r}, "
                         f"but the notebook has no test cell {target!r}")
    if all_cells:
        target = None
    steps = []
    for c in cells:
        if c.kind != "code":
            continue
        if target and c.graded and c.grade_id != target:
            continue
        source = case.answer.source(c.grade_id, c.source) if c.grade_id in case.answer.cells else c.source
        steps.append((c.grade_id, c.graded, source))
        if target and c.grade_id == target:
            break
    return steps


# ---- the worker: runs answers one after another in this interpreter -------------------------------

def _worker(exercise: str, method: str, indices: list[int], events_fd: int, all_cells: bool) -> None:
    os.environ["NBGRADER_EXECUTION"] = "autograde"    # what nbgrader sets: quick mode on
    os.environ["COURSE_START_METHOD"] = method
    events = os.fdopen(events_fd, "w", buffering=1)

    def emit(**event):
        events.write(json.dumps(event) + "\n")

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    import multiprocessing

    import helpers                                   # noqa: F401  applies COURSE_START_METHOD
    from helpers.testing import multiprocessing_service_pids

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = InteractiveShell.instance(config=config)
    # like ipykernel: no "" on sys.path (fresh_import adds the notebook's folder itself)
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    all_cases = cases(exercise)
    home = os.getcwd()
    for index in indices:
        case = all_cases[index]
        emit(event="start", case=index)
        started = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix=f"{exercise}-{method}-{index}-"))
        shutil.copytree(folder(exercise), workdir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("ex*_workers.py", "__pycache__", ".ipynb_checkpoints"))
        saved_path = list(sys.path)
        threads_before = set(threading.enumerate())
        multiprocessing.set_start_method(method, force=True)
        shell.reset(new_session=False)
        shell.user_ns["__spec__"] = None             # as in an ipykernel kernel (spawn reads it)
        os.chdir(workdir)
        try:
            for grade_id, graded, source in plan(exercise, case, all_cells):
                if graded:
                    emit(event="cell", case=index, cell=grade_id)
                t0 = time.monotonic()
                result = shell.run_cell(source, store_history=False)
                error = result.error_before_exec or result.error_in_exec
                if graded:
                    message = "" if error is None else f"{type(error).__name__}: {error}"
                    emit(event="result", case=index, cell=grade_id, ok=error is None,
                         message=message[:500], seconds=round(time.monotonic() - t0, 2))
        finally:
            os.chdir(home)
            shell.reset(new_session=False)
            left = _clean_up(threads_before, multiprocessing_service_pids())
            sys.path[:] = saved_path
            for name, module in list(sys.modules.items()):
                if str(workdir) in str(getattr(module, "__file__", "") or ""):
                    del sys.modules[name]
            shutil.rmtree(workdir, ignore_errors=True)
        emit(event="done", case=index, left=left, seconds=round(time.monotonic() - started, 2))
        if left:
            break                                    # a fresh worker takes the next answer
    _stop_services()


def _stop_services() -> None:
    """Stop the fork server and the resource tracker and wait for them, so that the CPU time of
    everything they ran is accounted to this worker (and to whoever waits for it)."""
    from multiprocessing import forkserver, resource_tracker
    for service in (forkserver._forkserver, resource_tracker._resource_tracker):
        try:
            service._stop()
        except Exception:                            # private API: a missing one is no harm
            pass


def _clean_up(threads_before: set, services: set[int]) -> list[str]:
    """Kill and reap the processes an answer left; say what it left (processes, threads)."""
    import gc
    import multiprocessing
    import psutil
    me = psutil.Process()
    multiprocessing.active_children()
    procs = [p for p in me.children(recursive=True) if p.pid not in services]
    left = []
    for p in procs:
        try:
            left.append(f"process {p.pid} {p.name()} ({p.status()})")
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)
    multiprocessing.active_children()
    gc.collect()
    deadline = time.monotonic() + 2
    while True:
        threads = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()
                   and not t.name.startswith("QueueFeederThread")]
        if not threads or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    left += [f"thread {t.name}{' (daemon)' if t.daemon else ''}" for t in threads]
    return left


# ---- the parent: one watched worker after another, for one group ---------------------------------

@dataclass
class CellResult:
    status: str                # "pass", "fail", "not run", "timeout", "crash"
    message: str = ""
    seconds: float = 0.0


@dataclass
class CaseResult:
    index: int
    case: Case
    cells: dict[str, CellResult] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def target(self) -> str | None:
        return f"{self.case.answer.task}_tests" if self.case.expect == "loses" else None

    @property
    def ok(self) -> bool:
        """Did the answer score what it must?"""
        passed = [r.status == "pass" for r in self.cells.values()]
        if self.case.expect == "full":
            return bool(passed) and all(passed)
        if self.case.expect == "zero":
            return bool(passed) and not any(passed)
        return self.target in self.cells and self.cells[self.target].status != "pass"


def _graded_cells(exercise: str, case: Case, all_cells: bool) -> list[str]:
    return [g for g, graded, _ in plan(exercise, case, all_cells) if graded]


def run_group(exercise: str, method: str, only: list[int] | None = None, all_cells: bool = False,
              log: Path | None = None) -> list[CaseResult]:
    """Grade the cases of one (exercise, start method), in as few worker interpreters as possible."""
    all_cases = cases(exercise)
    indices = list(range(len(all_cases))) if only is None else list(only)
    results = {i: CaseResult(i, all_cases[i]) for i in indices}
    for i in indices:
        for g in _graded_cells(exercise, all_cases[i], all_cells):
            results[i].cells[g] = CellResult("not run")
    log_file = open(log, "a") if log else subprocess.DEVNULL
    try:
        todo = list(indices)
        while todo:
            todo = _one_worker(exercise, method, todo, results, log_file, all_cells)
    finally:
        if log:
            log_file.close()
    return [results[i] for i in indices]


def _one_worker(exercise, method, todo, results, log_file, all_cells) -> list[int]:
    """Start a worker on `todo`; return the cases still to run when it stops or is stopped."""
    read_fd, write_fd = os.pipe()
    cmd = [sys.executable, "-m", "tests.wrong_answers.runner", "--worker", exercise, "--method", method,
           "--events-fd", str(write_fd), "--only", ",".join(map(str, todo))] + (["--all-cells"] if all_cells else [])
    proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                            pass_fds=(write_fd,), start_new_session=True)
    os.close(write_fd)
    reader = os.fdopen(read_fd)
    current, cell_started, answer_started, done = None, None, None, set()
    buffer = ""
    try:
        while True:
            wait = 1.0
            ready, _, _ = select.select([reader], [], [], wait)
            if ready:
                chunk = os.read(read_fd, 65536).decode()
                if not chunk:
                    break                            # the worker exited
                buffer += chunk
                *lines, buffer = buffer.split("\n")
                for line in lines:
                    ev = json.loads(line)
                    i = ev["case"]
                    if ev["event"] == "start":
                        current, answer_started, cell_started = i, time.monotonic(), None
                    elif ev["event"] == "cell":
                        cell_started = time.monotonic()
                        results[i].cells[ev["cell"]] = CellResult("not run")
                    elif ev["event"] == "result":
                        results[i].cells[ev["cell"]] = CellResult("pass" if ev["ok"] else "fail",
                                                                  ev["message"], ev["seconds"])
                        cell_started = None
                    elif ev["event"] == "done":
                        results[i].left = ev["left"]
                        results[i].seconds = ev["seconds"]
                        done.add(i)
                        current = None
            if current is not None and cell_started is not None and time.monotonic() - cell_started > CELL_LIMIT:
                cell = next(g for g, r in results[current].cells.items() if r.status == "not run")
                results[current].cells[cell] = CellResult(
                    "timeout", f"still running after {CELL_LIMIT:g} s: the worker was stopped", CELL_LIMIT)
                break
    finally:
        _kill_tree(proc)
        reader.close()
    if current is not None:                          # stopped, or died, in the middle of an answer
        results[current].seconds = round(time.monotonic() - answer_started, 2)
        for g, r in results[current].cells.items():
            if r.status == "not run" and proc.returncode not in (0, None) and r.message == "":
                r.message = f"the worker died (exit status {proc.returncode})"
        done.add(current)
    return [i for i in todo if i not in done]


def _kill_tree(proc: subprocess.Popen) -> None:
    import psutil
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    if proc.poll() is None:
        try:
            proc.wait(timeout=10 if not tree else 0.1)
        except subprocess.TimeoutExpired:
            pass
    for p in tree:
        try:
            p.kill()
        except psutil.Error:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    psutil.wait_procs(tree, timeout=5)


def run_groups(groups: list[tuple[str, str]], jobs: int | None = None) -> dict[tuple[str, str], list[CaseResult]]:
    """Run several (exercise, method) groups at once; they mostly wait for their children."""
    with ThreadPoolExecutor(max_workers=jobs or len(groups)) as pool:
        futures = {g: pool.submit(run_group, *g) for g in groups}
        return {g: f.result() for g, f in futures.items()}


# ---- the report ----------------------------------------------------------------------------------

def describe(exercise: str, method: str, result: CaseResult) -> str:
    """One line saying what went wrong, for a test failure."""
    case = result.case
    where = f"{exercise} {case.answer.task or case.label} {case.answer.why!r}"
    if case.expect == "loses":
        return f"{where}: got full marks under {method}"
    lost = [f"{g} ({r.status}: {r.message})" for g, r in result.cells.items() if r.status != "pass"]
    if case.expect == "full":
        return f"{where}: lost points under {method}: {'; '.join(lost)}"
    won = [g for g, r in result.cells.items() if r.status == "pass"]
    return f"{where}: scored points under {method}: {won}"


def table(exercise: str, method: str, results: list[CaseResult]) -> str:
    graded = [c.grade_id for c in notebook_cells(exercise) if c.graded]
    mark = {"pass": "ok", "fail": "x", "not run": ".", "timeout": "T", "crash": "!"}
    rows = [f"{exercise} under {method}    (ok = passed, x = failed, . = not run, T = stopped at {CELL_LIMIT:g} s)",
            f"{'#':>3} {'verdict':8} {'task':8} " + " ".join(f"{g.split('_')[0]:>6}" for g in graded)
            + f" {'s':>6}  why"]
    for r in results:
        verdict = "fine" if r.ok else {"loses": "FULL", "full": "LOST", "zero": "SCORED"}[r.case.expect]
        cells = " ".join(f"{mark[r.cells[g].status] if g in r.cells else '':>6}" for g in graded)
        rows.append(f"{r.index:>3} {verdict:8} {r.case.answer.task or r.case.label:8} {cells} {r.seconds:6.1f}  "
                    f"{r.case.answer.why}" + (f"  [left {', '.join(r.left)}]" if r.left else ""))
        for g, c in r.cells.items():
            if c.status != "pass" and (not r.ok or "-v" in sys.argv):
                rows.append(f"{'':22}{g}: {c.status} {c.message[:160]}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercise", help="ex01 ... ex05")
    parser.add_argument("--method", default="fork", choices=METHODS)
    parser.add_argument("--only", default="", help="comma-separated case numbers (see the table)")
    parser.add_argument("--all-cells", action="store_true",
                        help="run every test cell for wrong answers too (slower; shows what else they lose)")
    parser.add_argument("-v", action="store_true", help="show the message of every failed cell")
    parser.add_argument("--log", help="append the workers' output (tracebacks, prints) to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--events-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = [int(x) for x in args.only.split(",") if x.strip()] or None
    if args.worker:
        _worker(args.exercise, args.method, only or [], args.events_fd, args.all_cells)
        return 0
    t0, cpu0 = time.monotonic(), os.times()
    results = run_group(args.exercise, args.method, only, args.all_cells, Path(args.log) if args.log else None)
    cpu1 = os.times()
    print(table(args.exercise, args.method, results))
    print(f"wall {time.monotonic() - t0:.1f} s, CPU {cpu1.children_user + cpu1.children_system - cpu0.children_user - cpu0.children_system:.1f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
