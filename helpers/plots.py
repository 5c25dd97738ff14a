"""One look for every picture in the course: a colour per state, time on x, one row per actor.

Every timeline in the course (scheduler model, sampled process states, lock holders, GIL
hand-offs, pool workers) is a set of rows of (state, start, end) segments; `timeline` draws it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

# The same meaning always has the same colour, in every chapter.
STATE_COLORS = {
    "running": "#2e7d32",   # green: on a CPU (or holding the lock / the GIL)
    "ready": "#f9a825",     # amber: could run, waiting for a CPU (or waiting for a lock)
    "blocked": "#1565c0",   # blue: waiting for I/O, a sleep or an event
    "zombie": "#6d4c41",    # brown: finished, exit status not yet collected by the parent
    "stopped": "#9e9e9e",   # grey
    "idle": "#eeeeee",
}
FALLBACK_COLORS = plt.get_cmap("tab10").colors


def color_for(state: str) -> str:
    """The course colour of a state; other labels (job names, task ids) get stable tab10 colours."""
    if state in STATE_COLORS:
        return STATE_COLORS[state]
    return FALLBACK_COLORS[sum(map(ord, str(state))) % len(FALLBACK_COLORS)]


def timeline(rows: dict[str, list[tuple[str, float, float]]], *, ax=None, unit: str = "s",
             title: str | None = None, labels_inside: bool = False):
    """Draw rows of (state, start, end) segments as a Gantt chart; return the matplotlib Axes.

    `rows` maps a row label (a process, a thread, a core) to its segments, drawn top to bottom
    in the order given. With `labels_inside`, each segment also shows its state as text (useful
    when the "state" is a job name, as in a per-core chart).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.6 * len(rows) + 1.3))
    seen: list[str] = []
    for i, (label, segments) in enumerate(rows.items()):
        y = len(rows) - 1 - i
        for state, start, end in segments:
            ax.broken_barh([(start, end - start)], (y - 0.38, 0.76), facecolors=color_for(state),
                           edgecolor="white", linewidth=0.5)
            if labels_inside and end - start > 0:
                ax.text((start + end) / 2, y, str(state), ha="center", va="center", fontsize=8, color="white")
            if state not in seen:
                seen.append(state)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(rows)[::-1])
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    if not labels_inside:
        ax.legend(handles=[Patch(color=color_for(s), label=s) for s in seen],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.figure.tight_layout()
    return ax
