"""nbgrader's Execute step, made robust: a notebook time budget, kernel recovery, an output cap.

nbgrader runs a submission's cells one by one in a Jupyter kernel. Plain nbgrader bounds each
cell (`timeout`) and interrupts it, but then (see docs/design-notes.md):

- a cell that swallows the interrupt keeps the kernel busy, so every later cell waits out its own
  timeout, and the notebook as a whole has no time limit;
- a kernel that dies (`os._exit()`, the memory limit) fails the whole submission, and the
  student loses the credit earned before the crash;
- `exit()` or `quit()` in a cell makes ipykernel stop its event loop a tenth of a second later
  (`ZMQInteractiveShell._update_exit_now`): the kernel then dies in whichever later cell happens to
  be running, so the same notebook could score differently from one run to the next;
- a cell that prints gigabytes is held in the grader's memory.

`ContainedExecute` runs the same cells with these rules:

1. The notebook has a budget (`notebook_timeout`); each cell gets `min(cell timeout, budget left)`.
   When the budget is gone, the remaining cells are marked "not run" (their tests score zero).
2. After a timeout the kernel is interrupted; if it still does not answer within a few seconds,
   or if it died, it is replaced by a fresh kernel which first re-runs the cells that had
   completed (so later tasks can still earn their points), then grading continues. A cell that
   called `exit()` counts as the cell the kernel died in, every time: the kernel is replaced
   right after it, and the cell is not re-run (what it defined is lost, as in JupyterLab).
3. Each cell keeps at most `max_output_bytes` of output; the rest is dropped with a note.
4. With `isolate_files` (the default), each kernel starts inside `sandbox.py`: it sees the
   system, Python and the course helpers read-only, and a private copy of its own folder; not the
   repository (hidden tests), the gradebook or other submissions. Where the machine does not
   allow that, grading goes on without it and logs a warning.

Every such event leaves an error output in the cell that says what happened in one readable line
(`TimeLimitExceeded: ...`, `KernelDied: ...`): a test cell with an error scores zero, and the
feedback page shows that line.
"""
from __future__ import annotations

import asyncio
import json
import os
from queue import Empty
from time import monotonic

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, Unicode

from . import sandbox
from .kernel_channels import steady
from .cgroup import oom_kills
from .limits import Limits

HANG_HINT = "a loop that never ends, or a wait for something that never happens?"
EXIT_HINT = ("this cell called exit() or quit(), which stops the kernel: what it defined is lost, and the "
             "cells after it ran in a fresh kernel. Remove the call.")


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output that reads as one line: `ename: evalue`."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel through `grading.sandbox`, which hides the course's files from it."""

    def format_kernel_cmd(self, extra_arguments=None):
        return sandbox.wrap(super().format_kernel_cmd(extra_arguments))


class ContainedExecute(Execute):
    """Execute with a notebook time budget, kernel replacement and capped output (see module doc)."""

    notebook_timeout = Float(300, help="Seconds for all the cells of one notebook.").tag(config=True)
    max_output_bytes = Integer(256 * 1024, help="Output kept per cell, in bytes.").tag(config=True)
    interrupt_grace = Float(5, help="Seconds a kernel gets to stop after an interrupt.").tag(config=True)
    max_recoveries = Integer(3, help="Kernels replaced per notebook before the rest is not run.").tag(config=True)
    abort_reason = Unicode("", help="When set, run nothing: mark every code cell with this reason.").tag(config=True)
    oom_events_file = Unicode("", help="cgroup file whose oom_kill count tells a memory kill.").tag(config=True)
    isolate_files = Bool(True, help="Start kernels in grading.sandbox (see sandbox.py).").tag(config=True)

    # ---- the notebook ---------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.on_cell_executed = self._note_exit
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        if self.abort_reason:
            for cell in self._code_cells():
                cell.outputs = [error_output("GradingStopped", self.abort_reason)]
            return self.nb, self.resources
        self._cell_timeout = self.timeout or 30
        self._deadline = monotonic() + self.notebook_timeout
        self._completed: list[str] = []
        self._stop_reason = ""
        self._recoveries = 0
        self._start_kernel()
        try:
            for index, cell in enumerate(self.nb.cells):
                self._run_cell(cell, index)
        finally:
            self._kill_kernel()
            self._remove_links()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _code_cells(self):
        return [c for c in self.nb.cells if c.cell_type == "code" and c.source.strip()]

    # ---- one cell -------------------------------------------------------------------------
    def _run_cell(self, cell: NotebookNode, index: int) -> None:
        if cell.cell_type != "code" or not cell.source.strip():
            return
        if self._stop_reason:
            cell.outputs = [error_output("NotRun", self._stop_reason)]
            return
        left = self._deadline - monotonic()
        if left < 1:
            self._stop_reason = (f"not run: the notebook's time limit ({self.notebook_timeout:g} s) "
                                 "was used up by earlier cells")
            cell.outputs = [error_output("NotRun", self._stop_reason)]
            return
        self.timeout = max(1, int(min(self._cell_timeout, left)))
        budget_bound = left < self._cell_timeout
        self._timed_out = False
        self._output_bytes, self._dropped = 0, False
        ooms = oom_kills(self.oom_events_file or None)
        self._asked_exit = False
        try:
            self.preprocess_cell(cell, self.resources, index)
        except DeadKernelError:
            reason = self._death_reason(ooms)
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(error_output("KernelDied", reason))
            self._recover(f"the kernel died in an earlier cell ({reason})")
            return
        if self._dropped:
            cell.outputs.append(NotebookNode(output_type="stream", name="stderr", text=(
                f"\n[output truncated: this cell printed more than {self.max_output_bytes // 1024} kB; "
                "the rest was dropped]\n")))
        if self._timed_out:
            limit = (f"the notebook's time limit ({self.notebook_timeout:g} s)" if budget_bound
                     else f"the time limit of {self.timeout} s per cell")
            cell.outputs = [o for o in cell.outputs if o.get("ename") != "CellTimeoutError"]
            cell.outputs.append(error_output("TimeLimitExceeded", f"this cell was stopped at {limit}: {HANG_HINT}"))
            if not self._answers(self.interrupt_grace):
                self._recover("the kernel ignored the interrupt after a time limit")
            return
        if self._asked_exit:
            cell.outputs.append(error_output("KernelStopped", EXIT_HINT))
            self._recover("an earlier cell called exit(), which stops the kernel")
            return
        self._completed.append(cell.source)

    def _note_exit(self, cell=None, cell_index=None, execute_reply=None) -> None:
        """nbclient's on_cell_executed hook: did this cell ask the kernel to exit (`exit()`)?"""
        payload = ((execute_reply or {}).get("content") or {}).get("payload") or []
        self._asked_exit = any(p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payload)

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        """Keep output until the per-cell cap, then drop the rest (the kernel may print forever)."""
        self._output_bytes += len(json.dumps(msg.get("content", {}), default=str))
        if self._output_bytes > self.max_output_bytes:
            self._dropped = True
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _remove_links(self) -> None:
        """nbgrader writes the graded notebook into the kernel's folder next: a link left there by
        an unsandboxed kernel (say, to the gradebook) would have it write through the link."""
        folder = (self.resources or {}).get("metadata", {}).get("path") or ""
        if not folder or not os.path.isdir(folder):
            return
        for entry in os.scandir(folder):
            if entry.is_symlink():
                self.log.warning("removed the link %s the student's code left in its folder", entry.path)
                os.unlink(entry.path)

    # ---- the kernel -----------------------------------------------------------------------
    def create_kernel_manager(self):
        if self.isolate_files:
            why = sandbox.probe()
            if why is None:
                self.kernel_manager_class = SandboxedKernelManager
            else:
                self.log.warning("kernels run without the file sandbox (%s): student code can read "
                                 "and write the course's files", why)
        return super().create_kernel_manager()

    def _start_kernel(self) -> None:
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        steady(self.kc)       # a missed ZeroMQ wake-up must not look like a slow cell
        info = self.wait_for_reply(self.kc.kernel_info())
        if info:
            self.nb.metadata["language_info"] = info["content"]["language_info"]

    def _kill_kernel(self) -> None:
        if self.km is not None:
            try:
                self._cleanup_kernel()
            except Exception as exc:  # a kernel that is already gone must not fail grading
                self.log.warning("could not shut the kernel down cleanly: %s", exc)
            self.km = self.kc = None

    def _recover(self, why: str) -> None:
        """Replace the kernel and re-run the completed cells, or stop running cells if we cannot."""
        self._kill_kernel()
        self._recoveries += 1
        if self._recoveries > self.max_recoveries:
            self._stop_reason = f"not run: {why}, and the kernel was already replaced {self.max_recoveries} times"
            return
        try:
            self._start_kernel()
        except Exception as exc:
            self._stop_reason = f"not run: {why}, and a new kernel could not start ({exc})"
            return
        for source in self._completed:
            left = self._deadline - monotonic()
            if left < 1 or not self._answers(min(self._cell_timeout, left), source):
                self._kill_kernel()
                self._stop_reason = f"not run: {why}, and re-running the earlier cells in a new kernel failed"
                return

    def _answers(self, seconds: float, code: str = "") -> bool:
        """Run `code` (nothing: just ask) and say whether the kernel replied within `seconds`."""
        return run_sync(self._async_answers)(seconds, code)

    async def _async_answers(self, seconds: float, code: str) -> bool:
        if self.kc is None:
            return False
        msg_id = self.kc.execute(code, silent=not code, store_history=False, allow_stdin=False)
        deadline = monotonic() + seconds
        while True:
            left = deadline - monotonic()
            if left <= 0:
                return False
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(left, 1))
            except (Empty, asyncio.TimeoutError):
                if not await self.kc.is_alive():
                    return False
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return True

    def _death_reason(self, ooms_before: int) -> str:
        if oom_kills(self.oom_events_file or None) > ooms_before:
            return ("the kernel was killed for using more memory than the limit allows "
                    f"({Limits.from_env().memory_mb} MB per submission)")
        code = None
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            code = process.poll()
        if code is not None and code < 0:
            return f"the kernel was killed by signal {-code} while running this cell"
        if code is not None:
            return f"the kernel exited (status {code}) while running this cell: os._exit(), exit() or a crash"
        return "the kernel died while running this cell"
