"""A control group per submission: a memory limit, a process limit, and a list of every process.

A cgroup is the kernel's own bookkeeping of a set of processes: each child joins its parent's
cgroup and cannot leave it (unless privileged), so `cgroup.procs` lists everything a submission
started, even processes that changed session or were re-parented. Writing limits into it makes
the kernel refuse `fork()` past `pids.max` and OOM-kill past the memory limit.

Creating cgroups needs write access to the cgroup file system: root in a container, or a
systemd-delegated subtree. Both layouts are handled: cgroup v2 (one unified tree) and v1 (one
tree per controller, as in many containers). When neither is writable, `Cgroup.create` returns
None and the caller falls back to rlimits (see `containment.py`).
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import psutil

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """Controller name (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            out[name] = path
    return out


def _v1_dir(controller: str, own: dict[str, str]) -> Path | None:
    base = CGROUP_ROOT / controller
    if controller in own and (base / "cgroup.procs").exists():
        return base / own[controller].lstrip("/")
    return None


def _v2_dir(own: dict[str, str]) -> Path | None:
    if (CGROUP_ROOT / "cgroup.controllers").exists() and "" in own:
        return CGROUP_ROOT / own[""].lstrip("/")
    return None


class Cgroup:
    """One submission's cgroup(s). Use `create`, put the grader in `dirs` (the zygote does), then `destroy`."""

    def __init__(self, dirs: list[Path], memory_file: Path | None, pids_file: Path | None,
                 events_file: Path | None):
        self.dirs = dirs
        self.memory_file = memory_file
        self.pids_file = pids_file
        self.events_file = events_file

    @classmethod
    def create(cls, memory_bytes: int, max_pids: int, prefix: str = "course-grade") -> "Cgroup | None":
        """Make a fresh cgroup with these limits, or return None when cgroups are not writable."""
        own = _own_paths()
        # Our PID in the name: a later run can tell a cgroup whose creator is gone (see sweep_stale).
        name = f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        made: list[Path] = []
        try:
            v2 = _v2_dir(own)
            if v2 is not None:
                enabled = (v2 / "cgroup.subtree_control").read_text().split()
                if not {"memory", "pids"} <= set(enabled):
                    return None
                d = v2 / name
                d.mkdir()
                made.append(d)
                (d / "memory.max").write_text(str(memory_bytes))
                (d / "memory.swap.max").write_text("0") if (d / "memory.swap.max").exists() else None
                (d / "pids.max").write_text(str(max_pids))
                return cls(made, d / "memory.max", d / "pids.max", d / "memory.events")
            mem, pids = _v1_dir("memory", own), _v1_dir("pids", own)
            if mem is None or pids is None:
                return None
            for parent in (mem, pids):
                d = parent / name
                d.mkdir()
                made.append(d)
            (made[0] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = made[0] / "memory.memsw.limit_in_bytes"
            if swap.exists():
                try:
                    swap.write_text(str(memory_bytes))
                except OSError:
                    pass
            (made[1] / "pids.max").write_text(str(max_pids))
            return cls(made, made[0] / "memory.limit_in_bytes", made[1] / "pids.max",
                       made[0] / "memory.oom_control")
        except OSError:
            for d in made:
                try:
                    d.rmdir()
                except OSError:
                    pass
            return None

    def pids(self) -> set[int]:
        """Every process still in the cgroup (they may be in other PID namespaces: host PIDs)."""
        found: set[int] = set()
        for d in self.dirs:
            try:
                found |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill_all(self, timeout: float = 10) -> set[int]:
        """SIGKILL every process in the cgroup until it is empty; return the PIDs that were found.

        Repeated because a fork flood can add processes while we kill; `pids.max` bounds it.
        """
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.pids()
            if not left:
                break
            seen |= left
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        return seen

    def destroy(self) -> set[int]:
        """Kill what is left in the cgroup and remove it; return the PIDs that had to be killed."""
        leftovers = self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:      # busy for a moment while the last processes are reaped
                    time.sleep(0.02)
        return leftovers


def oom_kills(events_file: str | os.PathLike | None) -> int:
    """How many processes the kernel killed for exceeding the memory limit, from a cgroup's
    `events_file` (v2 memory.events, v1 memory.oom_control); 0 when there is none."""
    try:
        for line in Path(events_file).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, TypeError, ValueError):
        pass
    return 0


def _parents() -> list[Path]:
    """The folders our grading cgroups are made in (v2: one; v1: memory and pids)."""
    own = _own_paths()
    v2 = _v2_dir(own)
    if v2 is not None:
        return [v2]
    return [d for d in (_v1_dir("memory", own), _v1_dir("pids", own)) if d is not None]


def sweep_stale(prefix: str = "course-grade") -> list[Path]:
    """Remove the empty cgroups of grading runs that were killed before they could clean up.

    Only cgroups whose creator (the PID in the name) is gone and which hold no process: a
    concurrent run's cgroups have a living creator, and rmdir refuses a cgroup still in use.
    Returns the removed folders.
    """
    removed = []
    for parent in _parents():
        for d in parent.glob(f"{prefix}-*-*"):
            creator = d.name[len(prefix) + 1:].split("-", 1)[0]
            if not creator.isdigit() or psutil.pid_exists(int(creator)):
                continue
            try:
                if (d / "cgroup.procs").read_text().strip():
                    continue
                d.rmdir()
                removed.append(d)
            except OSError:
                pass
    return removed

