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
# Labels that are not states (job names, task ids) get colours that no state uses.
FALLBACK_COLORS = ("#8e24aa", "#00838f", "#c62828", "#ad1457", "#827717", "#283593", "#4e342e", "#00695c")


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
    span = max((end for segs in rows.values() for _, _, end in segs), default=1) - \
        min((start for segs in rows.values() for _, start, _ in segs), default=0) or 1
    for i, (label, segments) in enumerate(rows.items()):
        y = len(rows) - 1 - i
        for state, start, end in segments:
            ax.broken_barh([(start, end - start)], (y - 0.38, 0.76), facecolors=color_for(state),
                           edgecolor="white", linewidth=0.5)
            if labels_inside and end - start > 0.04 * span:
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
        order = list(STATE_COLORS)
        seen.sort(key=lambda s: order.index(s) if s in order else len(order))
        ax.legend(handles=[Patch(color=color_for(s), label=s) for s in seen],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.figure.tight_layout()
    return ax


def three_state_diagram(ax=None):
    """The three-state model: running, ready, blocked, and the four transitions between them."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    where = {"running": (0.5, 0.85), "ready": (0.1, 0.15), "blocked": (0.9, 0.15)}
    for state, (x, y) in where.items():
        ax.text(x, y, state, ha="center", va="center", color="white", fontsize=12, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.7", fc=STATE_COLORS[state], ec="none"))
    # (from, to, label, curvature, where the label goes)
    arrows = [("ready", "running", "dispatched", -0.3, (0.12, 0.58)),
              ("running", "ready", "time slice\nused up", -0.3, (0.50, 0.42)),
              ("running", "blocked", "waits for I/O,\na lock, a sleep", -0.3, (0.93, 0.62)),
              ("blocked", "ready", "I/O done (the event happened)", 0.0, (0.5, 0.06))]
    for a, b, label, bend, (lx, ly) in arrows:
        ax.annotate("", xy=where[b], xytext=where[a],
                    arrowprops=dict(arrowstyle="-|>", lw=1.5, shrinkA=26, shrinkB=26,
                                    connectionstyle=f"arc3,rad={bend}"))
        ax.text(lx, ly, label, ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.02, 1.02)
    ax.axis("off")
    return ax
