"""One look for every picture in the course: a colour per state, time on x, one row per actor.

Every timeline in the course (scheduler model, sampled process states, lock holders, GIL
hand-offs, pool workers) is a set of rows of (state, start, end) segments; `timeline` draws it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

# One colour per state, in every chapter, agreeing with the OS three-state model (chapter 01):
# running = on a CPU; ready = could run, waits for a CPU *only*; blocked = waits for anything else.
# A wait for a lock (or for the GIL, which is a lock) is a kind of blocked: the OS puts the waiter to
# sleep until the holder releases it, so it is drawn in a lighter shade of the blocked blue, never in
# the ready amber. Only a sampler that asks the OS (`states`) or the scheduler model can know "ready".
STATE_COLORS = {
    "running": "#2e7d32",   # green: on a CPU
    "ready": "#f9a825",     # amber: could run, waits for a CPU
    "blocked": "#1565c0",   # blue: waits for I/O, a sleep, an event, a queue, a child
    "lock wait": "#64b5f6",  # light blue: blocked, waiting for a lock to be released
    "zombie": "#6d4c41",    # brown: finished, exit status not yet collected by the parent
    "stopped": "#9e9e9e",   # grey: paused by a signal
    "running or ready": "#8d9e2a",   # olive: where the OS cannot tell them apart (macOS, Windows)
    "idle": "#eeeeee",      # a core with nothing to run (scheduler model)
    "not running": "#b0bec5",   # blue-grey: blocked or ready, where only CPU time was measured
}
# Other names for the same states, drawn in the same colour (each picture says which it uses).
SAME_STATE = {
    "holding": "running",       # holds the lock: in its critical section
    "GIL wait": "lock wait",    # waits for the GIL
}
STATE_COLORS.update({alias: STATE_COLORS[state] for alias, state in SAME_STATE.items()})
# Diagrams and outcome charts: colours that no state uses, so they never read as a state.
DIAGRAM_COLORS = {
    "box": "#cfd8dc",       # a neutral box: a process, a step, a folder
    "box 2": "#d1c4e9",     # a second kind of box, told apart from the first
    "text": "#333333",      # annotations
    "correct": "#00897b",   # an outcome that is right (teal)
    "wrong": "#c62828",     # an outcome that is wrong (red)
    "measured": "#5e35b1",  # a bar of a measured quantity that is not a state (a cost, a size)
}
# Labels that are not states (job names, task ids) get colours that no state uses.
# (purples, pinks, reds and teals: none of them near a state colour)
FALLBACK_COLORS = ("#8e24aa", "#00838f", "#c62828", "#ad1457", "#6a1b9a", "#00695c", "#880e4f", "#4527a0")


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
        by_state: dict[str, list[tuple[float, float]]] = {}
        for state, start, end in segments:
            by_state.setdefault(state, []).append((start, end - start))
            if labels_inside and end - start > 0.04 * span:
                ax.text((start + end) / 2, y, str(state), ha="center", va="center", fontsize=8, color="white")
            if state not in seen:
                seen.append(state)
        # one call per state and row (sampled rows have thousands of segments); white gaps between
        # segments only where they are wide enough to see, or they wash the colours out
        dense = len(segments) > 60
        for state, bars in by_state.items():
            ax.broken_barh(bars, (y - 0.38, 0.76), facecolors=color_for(state),
                           edgecolor="none" if dense else "white", linewidth=0 if dense else 0.5)
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


MEANINGS = {
    "running": "on a CPU  ·  'holding': in the critical section, holds the lock",
    "ready": "could run, waits for a CPU (and for nothing else)",
    "blocked": "waits for I/O, a sleep, an event, a queue: a CPU would not help",
    "lock wait": "blocked on a lock: waits until its holder releases it  ·  'GIL wait': the GIL",
    "zombie": "finished; its parent has not collected the exit status yet",
    "stopped": "paused by a signal (SIGSTOP, Ctrl-Z)",
    "running or ready": "macOS/Windows: the OS does not say which",
    "not running": "blocked or ready: CPU time alone cannot tell which",
}


def colour_key(ax=None):
    """The course's colour key: one swatch and one line per state, as used by every picture."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.42 * len(MEANINGS) + 0.3))
    for i, (state, meaning) in enumerate(MEANINGS.items()):
        y = len(MEANINGS) - 1 - i
        ax.broken_barh([(0, 1)], (y - 0.35, 0.7), facecolors=STATE_COLORS[state])
        ax.text(1.2, y, state, va="center", fontsize=10, fontweight="bold")
        ax.text(4.2, y, meaning, va="center", fontsize=9)
    ax.set_xlim(0, 16)
    ax.set_ylim(-0.6, len(MEANINGS) - 0.4)
    ax.axis("off")
    ax.figure.tight_layout()
    return ax


# ---- one function per kind of recording; each is `timeline` plus what that picture needs ----------

def _time_unit(rows) -> tuple[str, float]:
    """Milliseconds for short runs (under 2 s), seconds otherwise."""
    end = max((b for segs in rows.values() for _, _, b in segs), default=0.0)
    return ("ms", 1e3) if end < 2.0 else ("s", 1.0)


def _scaled(rows, k: float):
    return {r: [(s, a * k, b * k) for s, a, b in segs] for r, segs in rows.items()}


def states(rec, ax=None, title: str | None = None):
    """Sampled process states (from `states.sample`): running / ready / blocked / zombie per process."""
    rows = rec.rows()
    unit, k = _time_unit(rows)
    title = title or f"process states sampled every {rec.interval * 1e3:g} ms"
    if rec.note:
        title += f"\n({rec.note})"
    return timeline(_scaled(rows, k), ax=ax, unit=unit, title=title)


def lock(traced, ax=None, title: str | None = None):
    """Who held a traced lock (green) and who waited for it (light blue), with hand-offs in the title."""
    rows = traced.rows()
    st = traced.statistics()
    unit, k = _time_unit(rows)
    title = title or (f"{st.name}: {st.acquisitions} acquisitions, {st.handoffs} hand-offs, "
                      f"held {st.held_fraction:.0%} of the time")
    return timeline(_scaled(rows, k), ax=ax, unit=unit, title=title)


def semaphore(traced, axes=None, title: str | None = None, holding: str = "holding", label: str = "permit"):
    """Two pictures of one traced semaphore, on one time axis: above, who held which permit (one
    row per permit, the holder's name inside; a row beyond the semaphore's value is an over-release);
    below, each worker's wait (light blue) and hold (`holding`: green, or 'blocked' for a holder
    that sleeps). Returns the two Axes."""
    permit_rows, worker_rows = traced.permit_rows(label), traced.rows(holding=holding)
    unit, k = _time_unit(worker_rows)
    if axes is None:
        _, axes = plt.subplots(2, 1, sharex=True, figsize=(9, 0.42 * (len(permit_rows) + len(worker_rows)) + 2.4),
                               gridspec_kw={"height_ratios": [max(len(permit_rows), 1), max(len(worker_rows), 1)]})
    top, bottom = axes
    st = traced.statistics()
    timeline(_scaled(permit_rows, k), ax=top, unit=unit, labels_inside=True,
             title=title or f"{traced.name}: {traced.value} {label}s, at most {traced.peak()} held at once, "
                            f"{st.acquisitions} acquisitions")
    top.set_xlabel("")
    timeline(_scaled(worker_rows, k), ax=bottom, unit=unit)
    return axes


def gil(run, ax=None, title: str | None = None):
    """GIL hand-offs (from `gil.probe`): when each thread ran; a bar shows one switch interval."""
    rows = run.rows()
    ax = timeline(_scaled(rows, 1e3), ax=ax, unit="ms", title=title or run.summary())
    si = run.switch_interval * 1e3
    y = len(rows) - 0.5
    ax.annotate("", xy=(si, y), xytext=(0, y), arrowprops=dict(arrowstyle="<->", color="black"))
    ax.text(si / 2, y + 0.05, f"switch interval {si:g} ms", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.1)
    return ax


RECEIVED_ROW = "caller got result"


def pool(run, ax=None, title: str | None = None, received: bool = False):
    """Which worker ran which task (from `pools.run`): one row per worker, tasks labelled by index.

    The colours tell tasks apart; they are not states. With `received`, a first row marks (▼ and
    the task's index) the moment the caller received each result.
    """
    rows = run.rows()
    unit, k = _time_unit(rows)
    title = title or f"{len(run.tasks)} tasks on {len(rows)} workers, utilisation {run.utilisation():.0%}"
    if not received:
        return timeline(_scaled(rows, k), ax=ax, unit=unit, title=title, labels_inside=True)
    span = max([t.received for t in run.tasks] + [t.end for t in run.tasks], default=0.0)
    # an invisible segment stretches the axis to the last receipt
    rows = {RECEIVED_ROW: [("", 0.0, 0.0), ("", span, span)], **rows}
    ax = timeline(_scaled(rows, k), ax=ax, unit=unit, title=title, labels_inside=True)
    y = len(rows) - 1
    groups: list[list] = []            # results received at (nearly) the same moment share one mark
    for t in sorted(run.tasks, key=lambda t: t.received):
        if groups and t.received - groups[-1][0].received < 0.01 * (span or 1):
            groups[-1].append(t)
        else:
            groups.append([t])
    for group in groups:
        x = group[0].received * k
        ax.plot([x], [y], marker="v", color=DIAGRAM_COLORS["text"], markersize=7)
        ax.text(x, y + 0.18, ",".join(str(t.index) for t in group), ha="center", va="bottom", fontsize=7,
                color=DIAGRAM_COLORS["text"])
    return ax


def bench(comparison, ax=None, title: str | None = None):
    """Median wall time per case with min-max whiskers, its speed-up, and the limit it could reach."""
    cases = comparison.cases
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.55 * len(cases) + 1.5))
    y = list(range(len(cases)))[::-1]
    med = [m.median for m in cases]
    lo = [m.median - m.spread[0] for m in cases]
    hi = [m.spread[1] - m.median for m in cases]
    # a wall time is a measured quantity, not a state (a sleeping case spent it blocked)
    ax.barh(y, med, xerr=[lo, hi], color=[DIAGRAM_COLORS["measured"]] * len(cases), alpha=0.85,
            capsize=4, label="median (min-max)")
    base = next(m for m in cases if m.label == comparison.baseline).median
    ax.vlines([base / comparison.limit(m) for m in cases], [v - 0.4 for v in y], [v + 0.4 for v in y],
              colors="black", linestyles="dashed", label="best possible (physical limit)")
    for yi, m in zip(y, cases):
        ax.text(m.spread[1], yi, f"  {comparison.speedup(m.label):.2f}x, CPU/wall {m.cpu_wall:.1f}",
                va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels([m.label for m in cases])
    ax.set_xlabel("wall time (s)")
    ax.set_xlim(0, max(m.spread[1] for m in cases) * 1.5)
    before, after = comparison.machine
    t = title or "speed-up against " + comparison.baseline
    if min(before, after) < 0.8 * comparison.cpus:
        t += f"\n(machine gave only {min(before, after):.1f} of {comparison.cpus} cores: re-run later)"
    ax.set_title(t)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax


def wait_for_graph(graph: dict, ax=None, title: str | None = None):
    """Who holds which lock and who waits for which (from `deadlock.Snapshot.graph()`).

    Threads are grey boxes, locks lilac ones; an arrow thread -> lock means "waits for" (drawn in the
    lock-wait colour), lock -> thread "held by" (the holding colour). The arrows of a cycle, a
    deadlock, are drawn thick over a red band, and its nodes sit on a ring in cycle order.
    """
    import math
    threads, lock_names, cycle = graph["threads"], graph["locks"], graph["cycle"]
    ring = list(cycle)
    others = [n for n in threads + lock_names if n not in ring]
    r = max(1.0, len(ring) / 4)               # the ring grows with the cycle
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 2.6 + 1.6 * r if ring else 2.6))
    pos = {}
    for i, node in enumerate(ring):           # clockwise from the top, in the order of the cycle
        a = math.pi / 2 - 2 * math.pi * i / len(ring) + (math.pi / len(ring) if len(ring) == 2 else 0)
        pos[node] = (r * math.cos(a), r * math.sin(a))
    for j, node in enumerate(others):         # a column on the right (or a row if there is no ring)
        pos[node] = (r + 1.2, r * (1 - 2 * j / max(1, len(others) - 1))) if ring else \
                    (j * 1.6, 0.0 if node in threads else -0.9)
    in_cycle = {(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))}
    edges = [(t, lk, "waits for", STATE_COLORS["lock wait"]) for t, lk in graph["waits"]] + \
            [(lk, h, "held by", STATE_COLORS["holding"]) for lk, h in graph["holds"] if h in pos and lk in pos]
    for a, b, label, colour in edges:
        if a not in pos or b not in pos:
            continue
        hot = (a, b) in in_cycle
        rad = 0.25 if a != b else 0.0
        if hot:
            ax.annotate("", xy=pos[b], xytext=pos[a], arrowprops=dict(
                arrowstyle="-", lw=9, color=DIAGRAM_COLORS["wrong"], alpha=0.25, shrinkA=22, shrinkB=22,
                connectionstyle=f"arc3,rad={rad}"))
        ax.annotate("", xy=pos[b], xytext=pos[a], arrowprops=dict(
            arrowstyle="-|>", lw=3 if hot else 1.5, color=colour, shrinkA=22, shrinkB=22,
            connectionstyle=f"arc3,rad={rad}"))
        if len(ring) > 6:
            continue                          # a big ring: the colours say it, labels would crowd it
        (xa, ya), (xb, yb) = pos[a], pos[b]
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        ax.text(mx + 0.18 * (yb - ya) * (1 if rad else 0), my - 0.18 * (xb - xa) * (1 if rad else 0), label,
                fontsize=8, ha="center", va="center", color=DIAGRAM_COLORS["text"])
    for node, (x, y) in pos.items():
        kind = "box" if node in threads else "box 2"
        ax.text(x, y, node, ha="center", va="center", fontsize=9, fontweight="bold" if node in ring else "normal",
                bbox=dict(boxstyle="round,pad=0.5" if node in threads else "sawtooth,pad=0.45",
                          fc=DIAGRAM_COLORS[kind], ec=DIAGRAM_COLORS["wrong"] if node in ring else "none",
                          lw=1.5))
    xs = [x for x, _ in pos.values()] or [0]
    ys = [y for _, y in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.45, max(ys) + 0.45)
    ax.set_aspect("equal" if ring else "auto")
    ax.axis("off")
    handles = [Patch(color=DIAGRAM_COLORS["box"], label="thread"), Patch(color=DIAGRAM_COLORS["box 2"], label="lock"),
               Patch(color=STATE_COLORS["lock wait"], label="waits for"),
               Patch(color=STATE_COLORS["holding"], label="held by")]
    if ring:
        handles.append(Patch(color=DIAGRAM_COLORS["wrong"], alpha=0.4, label="the cycle: a deadlock"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.set_title(title or ("wait-for graph: a cycle, so nobody can go on" if ring else "wait-for graph: no cycle"))
    ax.figure.tight_layout()
    return ax
