"""Chapter 01: pictures and sliders for the scheduler model in `helpers.scheduler`, and where to run
the measured three-state experiment so that it shows contention on any machine."""
from __future__ import annotations

import os

import matplotlib.pyplot as plt

from . import bench
from .plots import timeline
from .scheduler import Job, Schedule, mixed_jobs, simulate


def draw_schedule(schedule: Schedule, title: str = ""):
    """Two charts of one schedule: each job's state over time, and which job each core ran."""
    rows = len(schedule.segments) + len(schedule.core_segments)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 0.45 * rows + 2.4), sharex=True,
                                      gridspec_kw={"height_ratios": [len(schedule.segments), len(schedule.core_segments)]})
    timeline(schedule.segments, ax=top, unit="ticks",
             title=title or f"utilisation {schedule.utilisation:.0%}, all done at tick {schedule.makespan}")
    top.set_xlabel("")
    timeline({f"core {c}": segs for c, segs in enumerate(schedule.core_segments)}, ax=bottom, unit="ticks",
             labels_inside=True)
    bottom.set_xlim(0, max(schedule.makespan, 1))
    return fig


def explore_scheduler():
    """Sliders: number of jobs, their CPU share, the time slice and the cores; redraws the schedule."""
    import ipywidgets as widgets

    def show(jobs=3, cpu_share=0.5, time_slice=2, cores=1):
        schedule = simulate(mixed_jobs(jobs, cpu_share), quantum=time_slice, cores=cores)
        draw_schedule(schedule)
        plt.show()

    style = {"description_width": "initial"}
    return widgets.interact(
        show,
        jobs=widgets.IntSlider(3, 1, 6, description="jobs", style=style),
        cpu_share=widgets.FloatSlider(0.5, min=0.1, max=1.0, step=0.1, description="CPU share of each job", style=style),
        time_slice=widgets.IntSlider(2, 1, 8, description="time slice (ticks)", style=style),
        cores=widgets.IntSlider(1, 1, 4, description="cores", style=style),
    )


def utilisation_curve(max_jobs: int = 6, cpu_shares=(0.2, 0.5, 0.8), quantum: int = 2, cores: int = 1):
    """Plot CPU utilisation against the number of jobs in memory, for a few CPU shares."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    counts = range(1, max_jobs + 1)
    for share in cpu_shares:
        values = [simulate(mixed_jobs(n, share), quantum=quantum, cores=cores).utilisation for n in counts]
        ax.plot(list(counts), values, marker="o", label=f"each job {share:.0%} CPU")
    ax.set_xlabel("jobs in memory at once (degree of multiprogramming)")
    ax.set_ylabel("CPU utilisation")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return ax


def draw_three_ways(jobs: int = 3, ticks: int = 4, cores: int = 3, time_slice: int = 1):
    """The same CPU-only jobs run serially, concurrently on one core, and in parallel on `cores`."""
    cpu_jobs = [Job(chr(ord("A") + i), (ticks,)) for i in range(jobs)]
    cases = {
        "serial: one core, no time slicing": simulate(cpu_jobs, quantum=10**6, cores=1),
        f"concurrent: one core, time slice {time_slice}": simulate(cpu_jobs, quantum=time_slice, cores=1),
        f"parallel: {cores} core{'s' if cores > 1 else ''}": simulate(cpu_jobs, quantum=time_slice, cores=cores),
    }
    fig, axes = plt.subplots(3, 1, figsize=(8, 1.2 + 1.5 * min(max(jobs, cores), 4)), sharex=True)
    for ax, (title, schedule) in zip(axes, cases.items()):
        rows = {f"core {c}": segs for c, segs in enumerate(schedule.core_segments) if segs}
        timeline(rows, ax=ax, unit="ticks", title=f"{title}: done at tick {schedule.makespan}", labels_inside=True)
    axes[-1].set_xlim(0, jobs * ticks)
    fig.tight_layout()
    return fig


def explore_three_ways():
    """Sliders for `draw_three_ways`: how many jobs, how long each, how many cores, the time slice."""
    import ipywidgets as widgets

    def show(jobs=3, ticks=4, cores=3, time_slice=1):
        draw_three_ways(jobs, ticks, cores, time_slice)
        plt.show()

    style = {"description_width": "initial"}
    return widgets.interact(
        show,
        jobs=widgets.IntSlider(3, 1, 5, description="jobs", style=style),
        ticks=widgets.IntSlider(4, 1, 8, description="CPU ticks per job", style=style),
        cores=widgets.IntSlider(3, 1, 5, description="cores (parallel case)", style=style),
        time_slice=widgets.IntSlider(1, 1, 8, description="time slice (ticks)", style=style),
    )


def contention_plan(cpus_wanted: int = 2) -> tuple[set[int] | None, int, str]:
    """Where to run chapter 01's busy processes so that there is always one more of them than CPUs.

    Where the OS can pin processes to CPUs (Linux), pick `cpus_wanted` of the CPUs this process may
    use (fewer if fewer are usable) and start one busy process more than that. Elsewhere start one
    more than `bench.usable_cpus()`. Returns (CPUs to pin to or None, busy processes, a sentence
    saying which case this machine is in).
    """
    usable = bench.usable_cpus()
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:max(1, min(cpus_wanted, usable))]
        busy = len(cpus) + 1
        return (set(cpus), busy, f"{busy} busy processes pinned to {len(cpus)} CPU{'s' if len(cpus) > 1 else ''} "
                f"({', '.join(map(str, cpus))}) of the {usable} this notebook may use")
    busy = usable + 1
    return (None, busy, f"{busy} busy processes on the {usable} CPU{'s' if usable > 1 else ''} this notebook may use "
            "(this OS cannot pin processes to CPUs)")
