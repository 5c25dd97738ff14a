"""A tiny CPU scheduler, to see multiprogramming: jobs alternate CPU and I/O bursts, share cores.

This is a model, not a measurement: it shows what the three-state diagram *means* (running,
ready = waiting for a core, blocked = waiting for I/O) and why overlapping I/O with computation
keeps a CPU busy. Chapter 01 compares it with process states sampled from the real OS.

Rules, applied at every tick of the clock, in this order:
1. a job whose I/O finished becomes ready (joins the back of the ready queue);
2. a running job whose CPU burst finished starts its next I/O burst (blocked) or is done;
3. a running job that used up its time slice goes to the back of the queue, if anyone is waiting;
4. every free core takes the job at the front of the ready queue.
I/O bursts of different jobs overlap freely (each job has its own device).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

RUNNING, READY, BLOCKED = "running", "ready", "blocked"


@dataclass(frozen=True)
class Job:
    """A job's bursts in ticks, alternating CPU and I/O and starting with CPU: (cpu, io, cpu, ...)."""
    name: str
    bursts: tuple[int, ...]

    def __post_init__(self):
        if not self.bursts or len(self.bursts) % 2 == 0:
            raise ValueError(f"job {self.name!r}: bursts must start and end with a CPU burst "
                             f"(cpu, io, cpu, ...), got {self.bursts}")
        if any(not isinstance(b, int) or b <= 0 for b in self.bursts):
            raise ValueError(f"job {self.name!r}: every burst must be a positive whole number of ticks")


@dataclass
class Schedule:
    """The outcome: each job's (state, start, end) segments, and figures about the whole run."""
    segments: dict[str, list[tuple[str, int, int]]]
    finish: dict[str, int]
    cores: int
    busy_ticks: int = 0
    makespan: int = 0
    core_segments: list[list[tuple[str, int, int]]] = field(default_factory=list)

    @property
    def utilisation(self) -> float:
        """Fraction of the available core-ticks spent running a job."""
        return self.busy_ticks / (self.cores * self.makespan) if self.makespan else 0.0


def simulate(jobs: list[Job], quantum: int = 2, cores: int = 1, max_ticks: int = 10_000) -> Schedule:
    """Run the jobs round-robin on `cores` cores with a time slice of `quantum` ticks."""
    if quantum < 1 or cores < 1:
        raise ValueError("quantum and cores must both be at least 1")
    if len({j.name for j in jobs}) != len(jobs):
        raise ValueError("job names must be unique")
    left = {j.name: list(j.bursts) for j in jobs}   # remaining bursts, current one first
    ready: deque[str] = deque(j.name for j in jobs)
    blocked: set[str] = set()
    on_core: list[str | None] = [None] * cores
    used = [0] * cores                               # ticks used of the current slice
    states: dict[str, list[str]] = {j.name: [] for j in jobs}
    core_jobs: list[list[str | None]] = [[] for _ in range(cores)]
    finish: dict[str, int] = {}
    busy = 0

    t = 0
    while len(finish) < len(jobs):
        if t >= max_ticks:
            raise RuntimeError(f"simulation still running after {max_ticks} ticks")
        for name in sorted(blocked):                 # 1. I/O done
            if left[name][0] == 0:
                left[name].pop(0)
                blocked.discard(name)
                ready.append(name)
        for c, name in enumerate(on_core):           # 2. CPU burst done
            if name is not None and left[name][0] == 0:
                left[name].pop(0)
                on_core[c] = None
                if left[name]:
                    blocked.add(name)
                else:
                    finish[name] = t
        for c, name in enumerate(on_core):           # 3. time slice used up
            if name is not None and used[c] >= quantum and ready:
                ready.append(name)
                on_core[c] = None
        for c in range(cores):                       # 4. dispatch
            if on_core[c] is None and ready:
                on_core[c] = ready.popleft()
                used[c] = 0
        if len(finish) == len(jobs):
            break
        for name in states:
            if name in finish:
                continue
            states[name].append(RUNNING if name in on_core else BLOCKED if name in blocked else READY)
        for c, name in enumerate(on_core):
            core_jobs[c].append(name)
            if name is not None:
                left[name][0] -= 1
                used[c] += 1
                busy += 1
        for name in blocked:
            left[name][0] -= 1
        t += 1

    return Schedule(segments={n: _runs(s) for n, s in states.items()}, finish=finish, cores=cores,
                    busy_ticks=busy, makespan=t,
                    core_segments=[[seg for seg in _runs(cj) if seg[0] is not None] for cj in core_jobs])


def mixed_jobs(n: int, cpu_share: float, length: int = 12, bursts: int = 3) -> list[Job]:
    """`n` jobs of `bursts` CPU bursts each, where about `cpu_share` of each job's time is CPU work.

    Jobs differ a little (job k's bursts are one tick longer than job k-1's) so that their
    bursts do not line up perfectly, as real programs' never do.
    """
    if not 0 < cpu_share <= 1:
        raise ValueError("cpu_share must be in (0, 1]")
    jobs = []
    for k in range(n):
        cpu = max(1, round(length * cpu_share / bursts)) + k % 2
        io = max(1, round(length * (1 - cpu_share) / max(1, bursts - 1))) + k % 3
        seq = []
        for b in range(bursts):
            seq.append(cpu)
            if b < bursts - 1:
                seq.append(io)
        if cpu_share == 1:
            seq = [cpu * bursts]
        jobs.append(Job(f"job {k + 1}", tuple(seq)))
    return jobs


def _runs(values: list) -> list[tuple]:
    """[a, a, b] -> [(a, 0, 2), (b, 2, 3)]: consecutive equal values as (value, start, end)."""
    out = []
    for i, v in enumerate(values):
        if out and out[-1][0] == v and out[-1][2] == i:
            out[-1] = (v, out[-1][1], i + 1)
        else:
            out.append((v, i, i + 1))
    return out
