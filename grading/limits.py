"""The limits every graded submission runs under, read from environment variables.

One place decides them, so `make autograde`, `make grade`, nbgrader's own config file and the
tests all agree. Change a limit for one run by setting the variable, e.g.

    COURSE_CELL_TIMEOUT=60 COURSE_MEMORY_MB=2048 make autograde EX=ex03

| variable                  | default | what it bounds                                                   |
|---------------------------|---------|------------------------------------------------------------------|
| COURSE_CELL_TIMEOUT       | 30      | seconds one cell may run before it is interrupted                |
| COURSE_NOTEBOOK_TIMEOUT   | 300     | seconds for all cells of one notebook; later cells are not run   |
| COURSE_MEMORY_MB          | 1024    | memory of one submission (kernel, its children, the grader)      |
| COURSE_MAX_PROCESSES      | 256     | processes *and threads* of one submission (a fork flood stops)  |
| COURSE_MAX_OUTPUT_KB      | 256     | output kept per cell; the rest is dropped with a note            |
| COURSE_SUBMISSION_TIMEOUT | (auto)  | hard stop for one submission's whole grading, see below          |
| COURSE_ISOLATE_FILES      | 1       | 0: kernels run without the file sandbox (grading/sandbox.py)     |

A submission also gets a hard stop (`hard_deadline`): if its grading process as a whole runs that
long (the student's code froze the grader, or nbgrader itself hung), everything it started is
killed and it is graded zero with the reason. By default it is derived from the limits above.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


def _number(name: str, default: float) -> float:
    """A positive number from $name, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"${name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"${name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 30
    notebook_timeout: float = 300
    memory_mb: int = 1024
    max_processes: int = 256
    max_output_kb: int = 256
    submission_timeout: float | None = None
    isolate_files: bool = True

    @classmethod
    def from_env(cls) -> "Limits":
        """The limits named by the COURSE_* variables, defaults for the ones not set."""
        d = cls()
        return cls(
            cell_timeout=_number("COURSE_CELL_TIMEOUT", d.cell_timeout),
            notebook_timeout=_number("COURSE_NOTEBOOK_TIMEOUT", d.notebook_timeout),
            memory_mb=int(_number("COURSE_MEMORY_MB", d.memory_mb)),
            max_processes=int(_number("COURSE_MAX_PROCESSES", d.max_processes)),
            max_output_kb=int(_number("COURSE_MAX_OUTPUT_KB", d.max_output_kb)),
            submission_timeout=_number("COURSE_SUBMISSION_TIMEOUT", 0) or None,
            isolate_files=os.environ.get("COURSE_ISOLATE_FILES", "1").strip() != "0",
        )

    def hard_deadline(self, notebooks: int = 1) -> float:
        """Seconds after which a submission's whole grading is killed, whatever it is doing.

        Each notebook gets its notebook budget, plus one cell timeout for the cell running when
        the budget ends, plus time for kernel start-ups and nbgrader's own work.
        """
        if self.submission_timeout:
            return self.submission_timeout
        return notebooks * (self.notebook_timeout + 2 * self.cell_timeout + 30) + 30

    def default_jobs(self) -> int:
        """How many submissions to grade at a time when the instructor does not say (JOBS=n).

        Twice the CPUs this process can use: a grading spends much of its time waiting (a kernel
        starting, a test's children sleeping, a time limit running out), so one per CPU leaves
        the CPUs idle part of the time. Never more than the free memory holds at the memory limit.
        """
        import psutil

        from helpers.bench import usable_cpus
        by_memory = psutil.virtual_memory().available // (self.memory_mb * 1024 * 1024)
        return max(1, min(2 * usable_cpus(), by_memory))

    def describe(self) -> str:
        return (f"{self.cell_timeout:g} s per cell, {self.notebook_timeout:g} s per notebook, "
                f"{self.memory_mb} MB, {self.max_processes} processes/threads, "
                f"{self.max_output_kb} kB output per cell")
