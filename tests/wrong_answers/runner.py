"""Grade many answers to one exercise quickly, the way nbgrader would, without nbgrader.

An answer is the exercise's source notebook (`solutions/`, hidden tests included: there they are
ordinary code) with some solution cells replaced (see `answer.py`). Grading it means running the
notebook's code cells in order in an IPython shell (so `%%writefile` works), with the variables an
nbgrader kernel sees (`NBGRADER_EXECUTION=autograde`, hence quick mode; `COURSE_START_METHOD`), in a
fresh copy of the exercise folder, and noting for each graded test cell whether it raised or
wrote to stderr (nbgrader gives no points for either).

Cost is what decides the design (`tests/test_wrong_answers.py` grades 12 to 34 answers per
exercise, under three start methods):

- A worker interpreter (`--worker`) grades the cases whose numbers it reads on stdin, one after
  another, each with a fresh user namespace and a fresh folder; between cases it kills any child
  process left behind, restores `sys.path` and forgets the modules the case wrote. A group
  (exercise, start method) is shared by `slots_for(exercise)` workers, each taking the next case
  when it is done with one (`run_group`).
- A wrong answer aimed at task N runs the cells up to task N's test cell and skips the other
  tasks' test cells: only its own task has to lose points. A variant is graded on the tasks
  its change can reach (`graded_tasks`). The solution and the untouched student version run
  every cell; `--all-cells` runs every cell for every answer.
- The parent watches each worker (`_Worker.grade`): a cell that runs past `CELL_LIMIT` seconds
  gets the worker killed (the answer's remaining test cells fail, as after an nbgrader cell
  timeout), and a new worker carries on with the next case. A worker also hands over to a new
  one after a case that left a thread or a process behind, so that no answer disturbs the next.
- The groups are independent: `run_groups` runs them all at once (they mostly wait for children).

Fidelity: the same runner gives the solution full marks and the untouched student version
(`exercises/`, test cells restored from the source as nbgrader does) zero on every graded cell;
like an ipykernel kernel, its user namespace is `__main__` without a file, so a function defined
in a cell cannot be a spawn child's target here either.

Command line, for authors of tests and wrong answers (prints one row per answer):

    .venv/bin/python -m tests.wrong_answers.runner ex05 --method spawn
    .venv/bin/python -m tests.wrong_answers.runner ex05 --only 3,7 --all-cells -v
    .venv/bin/python -m tests.wrong_answers.runner ex03 --log /tmp/ex03.log   # tracebacks, prints
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):                        # run as a file: make `tests.` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.wrong_answers.answer import Answer, parse        # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = REPO / "solutions", REPO / "exercises"
# Seconds, generous on purpose: only a hang pays it (the tests' own deadlines stop most hangs sooner),
# and a right answer must fit under it on a slow, crowded machine. Exercise 05's task 2 starts about
# 40 spawn processes: once, with the CPUs half as fast and every test worker busy, it ran past 60 s.
CELL_LIMIT = float(os.environ.get("WRONG_ANSWERS_CELL_LIMIT", 180))
METHODS = ("fork", "spawn", "forkserver")


# ---- the notebook and the cases ------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    kind: str                  # "code" or "markdown"
    grade_id: str | None
    graded: bool               # a code cell that scores points (a test cell)
    solution: bool             # a cell the student writes
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
                          c["cell_type"] == "code" and bool(meta.get("grade")), bool(meta.get("solution")), source))
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


def graded_tasks(case: Case, all_cells: bool = False, cells: list[Cell] | None = None) -> set[str] | None:
    """The tasks whose test cells run for `case` (None: every task).

    A wrong answer is graded on its own task: only that task has to lose points. A variant is
    graded on the tasks it can change: the task of each solution cell it replaces (the cell
    `task2`: task 2) and, for a cell that several tasks use (a `%%writefile` module) rewritten
    with `define()`, every task whose cells mention a function it redefines, or one that calls
    such a function. Any other edit of a shared cell, or one whose users the cells do not name
    (ex07's tests reach the module through `helpers.ex07_targets`): every task. The tasks left
    out run the solution's own code, which the "solution" case grades already.
    """
    if all_cells or case.expect == "zero" or not case.answer.cells:
        return None
    if case.expect == "loses":
        return {case.answer.task}
    tasks, names = set(), set()
    for grade_id, edit in case.answer.cells.items():
        if re.fullmatch(r"task\d+", grade_id):
            tasks.add(grade_id)
        elif getattr(edit, "names", None) is None:
            return None
        else:
            source = next(c.source for c in cells if c.grade_id == grade_id)
            names |= _users_of(source, edit.names)
    for c in cells or []:
        owner = _task_of(c.grade_id) or (c.grade_id if c.solution and re.fullmatch(r"task\d+", c.grade_id or "") else None)
        if owner and c.kind == "code" and _identifiers(c.source) & names:
            tasks.add(owner)
    return tasks or None


def _identifiers(source: str, node=None) -> set[str]:
    """The names and attribute names a cell (or one node of it) uses: `ex05_workers.consumer` uses
    `ex05_workers` and `consumer`. A cell magic's line is left out."""
    import ast
    if node is None:
        node = parse(source.partition("\n")[2] if source.startswith("%%") else source)
    return ({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)})


def _users_of(source: str, names: set[str]) -> set[str]:
    """`names`, and the top-level functions of this cell that use them, directly or not."""
    import ast
    body = source.partition("\n")[2] if source.startswith("%%") else source
    uses = {node.name: _identifiers(body, node)
            for node in parse(body).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    found = set(names)
    while True:
        more = {name for name, used in uses.items() if used & found} - found
        if not more:
            return found
        found |= more


def _task_of(grade_id: str | None) -> str | None:
    """`task2_tests`, `task4_measure` -> the task they belong to; None for cells of the whole notebook."""
    match = re.match(r"(task\d+)_", grade_id or "")
    return match.group(1) if match else None


def plan(exercise: str, case: Case, all_cells: bool = False) -> list[tuple[str | None, bool, str]]:
    """The code cells to run for `case`: (grade_id, graded, source), in notebook order.

    Every solution cell runs. Test cells (and other locked cells, like a measurement, but not
    the `..._import` cells) of tasks that `graded_tasks` leaves out are skipped, and the run stops
    after the last test cell that counts.
    """
    cells = notebook_cells(exercise)
    known = {c.grade_id for c in cells}
    unknown = set(case.answer.cells) - known
    if unknown:
        raise ValueError(f"{exercise} {case.label} {case.answer.why!r}: no cell with grade_id {sorted(unknown)}")
    if case.expect == "loses" and f"{case.answer.task}_tests" not in known:
        raise ValueError(f"{exercise}: {case.answer.why!r} names task {case.answer.task!r}, "
                         f"but the notebook has no test cell {case.answer.task}_tests")
    tasks = graded_tasks(case, all_cells, cells)

    def counts(c: Cell) -> bool:
        owner = _task_of(c.grade_id)
        return (tasks is None or owner is None or owner in tasks or c.solution
                or (c.grade_id or "").endswith("_import"))

    code = [c for c in cells if c.kind == "code" and counts(c)]
    last_test = max((i for i, c in enumerate(code) if c.graded), default=len(code) - 1)
    if tasks is None:
        last_test = len(code) - 1
    return [(c.grade_id, c.graded,
             case.answer.source(c.grade_id, c.source) if c.grade_id in case.answer.cells else c.source)
            for c in code[:last_test + 1]]


# ---- the worker: runs answers one after another in this interpreter -------------------------------

def _worker(exercise: str, method: str, events_fd: int, all_cells: bool) -> None:
    """Grade the cases whose numbers arrive on stdin, one per line, until stdin closes, or until a
    case leaves a process or a thread behind (then a fresh worker takes the next one)."""
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
    stderr = _StderrWatch()
    # like ipykernel: no "" on sys.path (fresh_import adds the notebook's folder itself)
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    all_cases = cases(exercise)
    home = os.getcwd()
    for line in sys.stdin:
        index = int(line)
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
                stderr.start()
                result = shell.run_cell(source, store_history=False)
                written = stderr.stop()
                error = result.error_before_exec or result.error_in_exec
                if graded:
                    message = "" if error is None else f"{type(error).__name__}: {error}"
                    if error is None and written:     # nbgrader gives no credit to a cell with stderr output
                        message = f"wrote to stderr (nbgrader scores that 0): {written.strip().splitlines()[-1]}"
                    emit(event="result", case=index, cell=grade_id, ok=not message,
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
            break
    _stop_services()


class _StderrWatch:
    """What a cell, or any process it started, writes to stderr (file descriptor 2).

    An nbgrader kernel shows such output as a stderr stream in the cell, and nbgrader gives a
    graded cell with one no points, as if it had raised. So file descriptor 2 of this worker
    (inherited by every child) is a file, and each cell's share of it is read back, then also
    copied to the worker's log.
    """

    def __init__(self) -> None:
        self.log = os.dup(2)
        self.file = tempfile.TemporaryFile()
        os.dup2(self.file.fileno(), 2)
        self.mark = 0

    def start(self) -> None:
        sys.stderr.flush()
        self.mark = os.lseek(2, 0, os.SEEK_END)

    def stop(self) -> str:
        sys.stderr.flush()
        end = os.lseek(2, 0, os.SEEK_END)
        written = os.pread(2, end - self.mark, self.mark) if end > self.mark else b""
        if written:
            os.write(self.log, written)
        return written.decode(errors="replace")


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
              log: Path | None = None, slots: int = 1) -> list[CaseResult]:
    """Grade the cases of one (exercise, start method) in `slots` workers at a time, each taking
    the next case as it finishes one; a worker is replaced only when it has to be."""
    all_cases = cases(exercise)
    indices = list(range(len(all_cases))) if only is None else list(only)
    results = {i: CaseResult(i, all_cases[i]) for i in indices}
    for i in indices:
        for g in _graded_cells(exercise, all_cases[i], all_cells):
            results[i].cells[g] = CellResult("not run")
    todo, lock = deque(indices), threading.Lock()
    log_file = open(log, "a") if log else None

    def slot() -> None:
        worker = None
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    index = todo.popleft()
                worker = worker or _Worker(exercise, method, all_cells, log_file)
                if not worker.grade(index, results[index]):
                    worker.stop()
                    worker = None
        finally:
            if worker:
                worker.stop()

    threads = [threading.Thread(target=slot, name=f"{exercise}-{method}-slot{k}") for k in range(max(1, slots))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if log_file:
        log_file.close()
    return [results[i] for i in indices]


class _Worker:
    """One worker interpreter (`--worker`), fed case numbers on its stdin and watched over its events."""

    def __init__(self, exercise: str, method: str, all_cells: bool, log_file) -> None:
        read_fd, write_fd = os.pipe()
        cmd = [sys.executable, "-m", "tests.wrong_answers.runner", "--worker", exercise, "--method", method,
               "--events-fd", str(write_fd)] + (["--all-cells"] if all_cells else [])
        out = log_file or subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=out, stderr=out, text=True,
                                     pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        self.read_fd, self.buffer = read_fd, ""

    def grade(self, index: int, result: CaseResult) -> bool:
        """Grade one case into `result`; False when this worker must be replaced before the next."""
        try:
            self.proc.stdin.write(f"{index}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        started, cell_started = time.monotonic(), None
        while True:
            ready, _, _ = select.select([self.read_fd], [], [], 1.0)
            if ready:
                chunk = os.read(self.read_fd, 65536).decode()
                if not chunk:                         # the worker died in the middle of the case
                    result.seconds = round(time.monotonic() - started, 2)
                    self._mark_unfinished(result, "crash", "the worker interpreter died during this answer")
                    return False
                self.buffer += chunk
                *lines, self.buffer = self.buffer.split("\n")
                for line in lines:
                    ev = json.loads(line)
                    if ev["event"] == "cell":
                        cell_started = time.monotonic()
                    elif ev["event"] == "result":
                        result.cells[ev["cell"]] = CellResult("pass" if ev["ok"] else "fail", ev["message"], ev["seconds"])
                        cell_started = None
                    elif ev["event"] == "done":
                        result.left, result.seconds = ev["left"], ev["seconds"]
                        return not ev["left"]
            if cell_started is not None and time.monotonic() - cell_started > CELL_LIMIT:
                result.seconds = round(time.monotonic() - started, 2)
                self._mark_unfinished(result, "timeout", f"still running after {CELL_LIMIT:g} s: the worker was stopped")
                return False

    @staticmethod
    def _mark_unfinished(result: CaseResult, status: str, message: str) -> None:
        first = True
        for g, r in result.cells.items():
            if r.status == "not run":
                result.cells[g] = CellResult(status if first else "not run", message if first else "")
                first = False

    def stop(self) -> None:
        """Let the worker end (it stops its fork server and resource tracker), then kill what is left."""
        import psutil
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            tree = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            tree = []
        for p in tree:
            try:
                p.kill()
            except psutil.Error:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        psutil.wait_procs(tree, timeout=5)
        os.close(self.read_fd)


def slots_for(exercise: str) -> int:
    """Workers for one group: one per dozen cases or so (2 to 4), so that no group holds up the rest."""
    return min(4, 1 + len(cases(exercise)) // 12)


def run_groups(groups: list[tuple[str, str]]) -> dict[tuple[str, str], list[CaseResult]]:
    """Run several (exercise, method) groups at once, `slots_for` workers each: they mostly wait."""
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        futures = {g: pool.submit(run_group, *g, slots=slots_for(g[0])) for g in groups}
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


def table(exercise: str, method: str, results: list[CaseResult], verbose: bool = False) -> str:
    """One row per case; the messages of failed cells under the rows that did not score as they must
    (every failed cell with `verbose`)."""
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
            if c.status != "pass" and (not r.ok or verbose):
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
    parser.add_argument("--slots", type=int, default=2, help="workers grading at the same time (default 2)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--events-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = [int(x) for x in args.only.split(",") if x.strip()] or None
    if args.worker:
        _worker(args.exercise, args.method, args.events_fd, args.all_cells)
        return 0
    t0, cpu0 = time.monotonic(), os.times()
    results = run_group(args.exercise, args.method, only, args.all_cells, Path(args.log) if args.log else None,
                        args.slots)
    cpu1 = os.times()
    print(table(args.exercise, args.method, results, args.v))
    print(f"wall {time.monotonic() - t0:.1f} s, CPU {cpu1.children_user + cpu1.children_system - cpu0.children_user - cpu0.children_system:.1f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
