"""Hostile and careless submissions, built from a real exercise's solution notebook.

Each case takes the solution and injects one misbehaviour into an answer cell (the *target*: the
last solution code cell that is not a `%%` cell magic), or tampers with the test cells. The
case says what grading should make of it:

- `breaks=False`: the answers are still right, so every test passes (full marks);
- `breaks=True`: the tests right after the target lose their points, the earlier ones keep theirs;
- `whole=True`: the misbehaviour attacks the grader itself, so the whole submission scores zero.

`reason` is a piece of text the submission's feedback page must show. Processes a case starts
carry MARK (which names this test process) in their command line, so a test can look for
survivors anywhere on the machine.

`signals_grader` cases send a signal to the grader. Whether that can work depends on the machine:
run as root, the grader starts each kernel as `nobody` (grading/sandbox.py), so the signal is
refused (PermissionError) and only the answer breaks; run as a user, kernel and grader are the
same user, so the grader dies and the whole submission scores zero. `expectation()` says which.
"""
from __future__ import annotations

import copy
import os
import socket
from dataclasses import dataclass
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell

# Per test process: test workers grading hostile classes side by side must not see each other's.
MARK = f"hostile-marker-{os.getpid()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()   # the port the socket cases listen on (free when this module was imported)


@dataclass
class Case:
    name: str
    code: str = ""                      # injected at the top of the target cell
    breaks: bool = True
    whole: bool = False
    reason: str = ""
    tamper: Callable | None = None       # or: a function that edits the notebook itself
    needs_namespace: bool = False
    needs_sandbox: bool = False          # only safe where kernels cannot touch the course's files
    signals_grader: bool = False         # see the module doc


def expectation(case: Case, kernel_is_another_user: bool) -> Case:
    """The case as graded on this machine: a refused signal breaks only the answer it is in."""
    if not (case.signals_grader and kernel_is_another_user):
        return case
    refused_by_everyone = "-1" in case.code     # kill(-1) as nobody reaches only the kernel's own
    return Case(case.name, case.code, breaks=not refused_by_everyone, whole=False,
                reason="" if refused_by_everyone else "PermissionError")


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution", False)


def is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def target_index(nb) -> int:
    """The last solution code cell that is plain Python (not `%%writefile` and friends); in an
    exercise whose answers all live in a module (ex07: threads cannot be killed, so its tests run the
    module in fresh interpreters), the last `%%writefile` answer cell."""
    found = [i for i, c in enumerate(nb.cells) if is_solution(c) and not c.source.lstrip().startswith("%%")]
    if not found:
        found = [i for i, c in enumerate(nb.cells) if is_solution(c) and c.source.lstrip().startswith("%%writefile")]
    if not found:
        raise ValueError("the exercise has no answer cell to inject into")
    return found[-1]


def grade_ids_after(nb, index: int) -> list[str]:
    """grade_ids of the test cells that follow cell `index`, up to the next answer cell."""
    ids = []
    for cell in nb.cells[index + 1:]:
        if is_solution(cell):
            break
        if is_test(cell):
            ids.append(cell.metadata["nbgrader"]["grade_id"])
    return ids


def grade_ids_before(nb, index: int) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells[:index] if is_test(c)]


def solved(release_nb, solution_nb) -> nbformat.NotebookNode:
    """What a good student hands in: the released notebook with the model answers typed in."""
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution_nb.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = "\n".join(line for line in answers[grade_id].splitlines()
                                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    return nb


def build(case: Case, good_nb) -> nbformat.NotebookNode:
    """The good submission `good_nb` (see `solved`) with the case's misbehaviour applied."""
    nb = copy.deepcopy(good_nb)
    if case.tamper is not None:
        case.tamper(nb)
    else:
        cell = nb.cells[target_index(nb)]
        if cell.source.lstrip().startswith("%%writefile"):
            # into the module, under its magic line: it runs when the notebook (or a test) imports it
            magic, _, rest = cell.source.lstrip().partition("\n")
            cell.source = magic + "\n" + case.code + rest
        else:
            cell.source = case.code + cell.source
    return nb


# ---- tampering with the notebook instead of the code --------------------------------------
def _delete_tests(nb):
    i = target_index(nb)
    doomed = set(grade_ids_after(nb, i))
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in doomed]


def _edit_tests_and_break_answer(nb):
    i = target_index(nb)
    nb.cells[i].source = "# I give up\n"
    for cell in nb.cells:
        if is_test(cell) and cell.metadata["nbgrader"]["grade_id"] in grade_ids_after(nb, i):
            cell.source = "pass  # the test cell, edited to pass\n"


def _change_points(nb):
    for cell in nb.cells:
        if is_test(cell):
            cell.metadata["nbgrader"]["points"] = 100
    nb.metadata["kernelspec"] = {"name": "not-python", "display_name": "x", "language": "x"}


def _untag_tests(nb):
    for cell in nb.cells:
        if is_test(cell):
            cell.metadata.pop("nbgrader")


def _untag_everything_but_answers(nb):
    for cell in nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            cell.metadata.pop("nbgrader", None)
    nb.cells = nb.cells[::-1]


def _sleepy_cells(cell_timeout: float, notebook_timeout: float):
    def tamper(nb):
        i = target_index(nb)
        count = int(notebook_timeout / (0.7 * cell_timeout)) + 2
        sleepers = [new_code_cell(f"import time\ntime.sleep({0.7 * cell_timeout:.2f})  # slow but under the cell limit")
                    for _ in range(count)]
        nb.cells[i:i] = sleepers
    return tamper


# Both are fully started before the cell goes on (no process appears later, by itself, in the
# middle of a test that counts processes): Popen returns after exec, and the classic daemon's
# parent waits for the first child, which exits right after forking the daemon.
DAEMONS = f"""import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", "{MARK}", "new-session"],
                 start_new_session=True)
_first = os.fork()
if _first == 0:                         # the classic double-fork daemon
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c",
            "import socket, time; s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            "s.bind(('127.0.0.1', {PORT})); s.listen(); time.sleep(1000)", "{MARK}"])
    os._exit(0)
os.waitpid(_first, 0)
"""

def files_attack(repo: str) -> str:
    """Look for the hidden tests and the gradebook; replace the notebook by a link to the gradebook
    (nbgrader writes the graded notebook back to that name: without the sandbox, through the link)."""
    return f"""import glob, os
_root = os.environ.get("COURSE_ROOT", "/nonexistent")
_secrets = [{repo + "/solutions"!r}, {repo + "/.git"!r}] + [os.path.join(_root, n) for n in
            ("gradebook.db", "submitted", "source", "feedback", ".generated")]
_seen = [p for p in _secrets if os.path.exists(p)]
_others = os.listdir(os.path.join(_root, "autograded")) if os.path.isdir(os.path.join(_root, "autograded")) else []
for _nb in glob.glob("*.ipynb"):
    os.remove(_nb)
    os.symlink(os.path.join(_root, "gradebook.db"), _nb)
if _seen or len(_others) > 1:
    raise RuntimeError(f"the kernel can see {{_seen}} and {{len(_others)}} students' folders")
"""


# From here on, every cell the kernel runs (the hidden tests too) fails with its own source as the
# error message, which the feedback page would show: the plainest way to copy out hidden tests.
LEAK_TESTS = """get_ipython().input_transformers_cleanup.append(
    lambda lines: ["raise RuntimeError(" + repr("".join(lines)) + ")\\n"])
"""

SWALLOW = """import time
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
"""


def cases(cell_timeout: float, notebook_timeout: float, repo: str) -> list[Case]:
    return [
        Case("endless_loop", "while True:\n    pass\n", reason="TimeLimitExceeded"),
        Case("swallows_interrupt", SWALLOW, reason="TimeLimitExceeded"),
        Case("ignores_sigint", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "while True:\n    time.sleep(0.05)\n", reason="TimeLimitExceeded"),
        Case("deadlock", "import threading\n_lock = threading.Lock()\n_lock.acquire()\n_lock.acquire()\n",
             reason="TimeLimitExceeded"),
        Case("joins_forever", "import multiprocessing, time\n_p = multiprocessing.Process(target=time.sleep, "
             "args=(1000,))\n_p.start()\n_p.join()\n", reason="TimeLimitExceeded"),
        Case("os_exit", "import os\nos._exit(3)\n", reason="KernelDied"),
        Case("sys_exit", "import sys\nsys.exit(1)\n", reason="SystemExit"),
        # ipykernel stops a tenth of a second after exit(): graded as dying in this cell, every time.
        Case("exit_builtin", "exit()\n", reason="KernelStopped"),
        Case("memory_hog", "_hog = b'x' * (3 * 1024 ** 3)\n", reason="memory"),
        Case("fork_flood", "import os\nwhile True:\n    os.fork()\n", reason=""),
        Case("gevent_patch_all", "from gevent import monkey\nmonkey.patch_all()\n", reason="TimeLimitExceeded"),
        Case("daemons_and_socket", DAEMONS, breaks=False),
        Case("socket_in_kernel", f"import socket\n_s = socket.socket()\n_s.bind(('127.0.0.1', {PORT}))\n_s.listen()\n",
             breaks=False),
        Case("spinning_thread", "import threading\ndef _spin():\n    while True:\n        pass\n"
             "threading.Thread(target=_spin, daemon=True).start()\n", breaks=False),
        Case("huge_output", "print('x' * 5_000_000)\nfor _i in range(20_000):\n    print(_i)\n",
             breaks=False, reason="output truncated"),
        Case("deleted_test_cells", tamper=_delete_tests, breaks=False),
        Case("untagged_test_cells", tamper=_untag_tests, breaks=False),
        Case("scrambled_cells", tamper=_untag_everything_but_answers, breaks=False, reason="fresh copy"),
        Case("changed_points_and_kernel", tamper=_change_points, breaks=False),
        Case("edited_tests_wrong_answer", tamper=_edit_tests_and_break_answer),
        Case("notebook_time_limit", tamper=_sleepy_cells(cell_timeout, notebook_timeout), reason="NotRun"),
        Case("kills_grader", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", whole=True,
             reason="GradingStopped", signals_grader=True),
        Case("freezes_grader", "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n", whole=True,
             reason="GradingStopped", signals_grader=True),
        Case("kills_everything", "import os, signal\nos.kill(-1, signal.SIGKILL)\n", whole=True,
             reason="GradingStopped", needs_namespace=True, signals_grader=True),
        Case("reads_and_overwrites_course_files", files_attack(repo), breaks=False, needs_sandbox=True),
        Case("leaks_hidden_tests", LEAK_TESTS, reason="[hidden test]"),
    ]
