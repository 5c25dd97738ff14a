"""Pictures and sliders for the scheduler model in `helpers.scheduler` (chapter 01)."""
from __future__ import annotations

import matplotlib.pyplot as plt

from .plots import timeline
from .scheduler import Schedule, mixed_jobs, simulate


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
