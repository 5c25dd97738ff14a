"""Run one command so that nothing it starts outlives it, within memory, process and time limits.

`run_contained(cmd, limits, ...)` is how a submission is graded: `cmd` is one `nbgrader
autograde` process, and everything the student's code does happens below it. Three layers, each
used when this machine allows it (`capabilities()` finds out once, and says what is missing):

1. **PID + mount + network namespaces** (`unshare --pid --fork --kill-child --mount-proc --net`,
   util-linux). Inside, `grading.jail` is PID 1: no descendant can escape by `setsid()` or a
   double fork, and when it ends the kernel kills the whole namespace. The network namespace
   has its own loopback, so a student's server never collides with another submission's port and
   its listening sockets disappear with it. Without root, `--user --map-root-user` is added.
2. **A cgroup** (`cgroup.py`): a memory limit for the whole submission and `pids.max` against
   fork floods; its process list is the final check that nothing is left.
3. **Fallbacks**: without namespaces the jail is a *subreaper* that kills its descendants;
   without cgroups the memory limit is RLIMIT_AS (per process) and the process limit RLIMIT_NPROC
   (only effective for a non-root user).

A wall-clock deadline bounds the whole run: past it, the process group is killed (which, through
`--kill-child`, tears down the namespace too) and `Outcome.timed_out` is set.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .cgroup import Cgroup
from .limits import Limits

UNSHARE_FLAGS = ["--pid", "--fork", "--kill-child", "--mount-proc", "--net"]


@dataclass
class Capabilities:
    """What this machine lets us use to contain a submission, and what that costs us if not."""
    namespace_prefix: list[str] | None
    cgroups: bool
    subreaper: bool
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = ["PID/network namespace" if self.namespace_prefix else "subreaper (no namespace)",
                 "cgroup memory+process limits" if self.cgroups else "rlimits (no cgroup)"]
        return ", ".join(parts)


def _unshare_prefix() -> tuple[list[str] | None, str | None]:
    if not sys.platform.startswith("linux"):
        return None, "not Linux"
    exe = shutil.which("unshare")
    if not exe:
        return None, "`unshare` (util-linux) is not installed"
    prefix = [exe] + (["--user", "--map-root-user"] if os.geteuid() != 0 else []) + UNSHARE_FLAGS
    try:
        proc = subprocess.run(prefix + [sys.executable, "-m", "grading.jail", "--loopback", "--", "true"],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
    return prefix, None


@functools.lru_cache(maxsize=1)
def capabilities() -> Capabilities:
    """Probe once per process which containment mechanisms work here."""
    warnings = []
    prefix, why = _unshare_prefix()
    if prefix is None:
        warnings.append(f"no PID namespace ({why}): leftover processes are found through a "
                        "subreaper instead, and submissions share the network (ports may collide)")
    probe = Cgroup.create(memory_bytes=1 << 30, max_pids=64, prefix="course-probe")
    if probe is not None:
        probe.destroy()
    else:
        warnings.append("no writable cgroup: the memory limit is per process (RLIMIT_AS)"
                        + ("" if os.geteuid() != 0 else " and there is no limit on processes (root ignores RLIMIT_NPROC)"))
    from .jail import become_subreaper  # noqa: F401 - a child-side check; prctl exists on Linux
    subreaper = sys.platform.startswith("linux")
    if prefix is None and not subreaper:
        warnings.append("no subreaper either: a process started with setsid() can survive grading")
    return Capabilities(prefix, probe is not None, subreaper, warnings)


@dataclass
class Outcome:
    """How a contained run ended."""
    returncode: int
    output: str
    seconds: float
    timed_out: bool = False
    oom_kills: int = 0
    leftovers: int = 0          # processes still in the cgroup after the run (then killed)


def _preexec(cgroup: Cgroup | None, limits: Limits):
    """What the child does before exec: own process group, join the cgroup, set rlimits."""
    memory = limits.memory_mb * 1024 * 1024

    def setup() -> None:
        os.setpgid(0, 0)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if cgroup is not None:
            cgroup.join()
        else:
            # Per process, and virtual memory (threads reserve address space): a generous multiple.
            resource.setrlimit(resource.RLIMIT_AS, (memory * 4, memory * 4))
            if os.geteuid() != 0:
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
    return setup


def run_contained(cmd: list[str], limits: Limits, *, deadline: float, env: dict | None = None,
                  cwd: str | None = None) -> Outcome:
    """Run `cmd` inside the best containment available, killed after `deadline` seconds."""
    caps = capabilities()
    jail = [sys.executable, "-m", "grading.jail"]
    if caps.namespace_prefix:
        argv = caps.namespace_prefix + jail + ["--loopback", "--"] + cmd
    else:
        argv = jail + ["--"] + cmd
    cgroup = Cgroup.create(limits.memory_mb * 1024 * 1024, limits.max_processes) if caps.cgroups else None
    env = dict(os.environ if env is None else env)
    if cgroup is not None and cgroup.events_file is not None:
        env["COURSE_OOM_EVENTS"] = str(cgroup.events_file)   # lets the grader say "memory limit"
    start = time.monotonic()
    timed_out = False
    # Output goes to a file, not a pipe: a leftover holding a pipe open could make us wait forever.
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, preexec_fn=_preexec(cgroup, limits))
            try:
                proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                timed_out = True
                _stop(proc, bool(caps.namespace_prefix))
                proc.wait()
        finally:
            oom = cgroup.oom_kills() if cgroup else 0
            leftovers = len(cgroup.destroy()) if cgroup else 0
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - 1_000_000))   # a flood on the kernel's stderr stays out of memory
        output = log.read().decode("utf-8", "replace")
    return Outcome(proc.returncode, output or "", time.monotonic() - start, timed_out, oom, leftovers)


def _stop(proc: subprocess.Popen, namespaced: bool) -> None:
    """Kill the run's process group. In a namespace, `--kill-child` then takes the namespace down;
    as a subreaper the jail first gets SIGTERM and a moment to kill its descendants itself."""
    if not namespaced:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=3)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
