"""Chapter 06's actors: cars at a car park and at a traffic light, tickers, timers, consumers of a
shared list, and workers that go through phases together; plus the drawings of their runs.

Everything that runs in a child process is a module-level function here (chapter 02 says why),
and the drawing functions import matplotlib only when called, so that a child starts quickly.
Work and pauses are simulated with `time.sleep`: the OS sees a sleeping thread as *blocked*, and
the pictures draw it so (a parked car is blue; it holds a space while it sleeps). Every picture's
time axis is in milliseconds since its recording started.
"""
from __future__ import annotations

import threading
import time

from .locks import TracedCondition, TracedSemaphore
from .recording import Recorder
from .workloads import start_together


def _ms(rows: dict) -> dict:
    """Timeline rows with their times in milliseconds."""
    return {r: [(state, a * 1e3, b * 1e3) for state, a, b in segs] for r, segs in rows.items()}


def _timeline(rows: dict, ax, title: str, **kw):
    from . import plots
    return plots.timeline(_ms(rows), ax=ax, unit="ms", title=title, **kw)


def draw_rows(rows: dict, ax=None, title: str | None = None):
    """A recording's rows as a timeline, in milliseconds (like every picture of this chapter)."""
    return _timeline(rows, ax, title)


def _colour(name: str) -> str:
    from . import plots
    return plots.DIAGRAM_COLORS[name]


def _join_all(workers) -> None:
    for w in workers:
        w.start()
    for w in workers:
        w.join()


# ---- 1. threads, just enough -----------------------------------------------------------------

def nap(rec: Recorder, seconds: float) -> None:
    """A thread's whole job: sleep `seconds` (recorded as blocked)."""
    with rec.span("blocked"):
        time.sleep(seconds)


# ---- 2, 3. a car park guarded by a semaphore ------------------------------------------------

def park(lot, arrive: float, stay: float, outcomes=None, name: str | None = None) -> None:
    """A car: drive for `arrive` s, wait for a space (`with lot:`), stay `stay` s, leave."""
    time.sleep(arrive)
    try:
        with lot:
            time.sleep(stay)
        outcome = "parked"
    except ValueError as exc:        # leaving a BoundedSemaphore that somebody else over-released
        outcome = f"ValueError when leaving: {exc}"
    if outcomes is not None:
        outcomes[name] = outcome


def park_and_leave_twice(lot, arrive: float, stay: float, outcomes=None, name: str | None = None) -> None:
    """A car with a bug: it releases its space when it leaves, and its clean-up releases it again."""
    time.sleep(arrive)
    lot.acquire()
    try:
        time.sleep(stay)
        lot.release()                # leaves the car park...
    finally:
        try:
            lot.release()            # ...and the clean-up "makes sure" the space is free
            if outcomes is not None:
                outcomes[name] = "released twice: nothing noticed"
        except ValueError as exc:
            if outcomes is not None:
                outcomes[name] = f"ValueError: {exc}"


def run_car_park(cars: int, spaces: int, stay: float, gap: float = 0.0, ctx=None, bounded: bool = False,
                 buggy: int | None = None) -> tuple[TracedSemaphore, dict]:
    """Let `cars` cars into a car park of `spaces` spaces guarded by a traced semaphore.

    Car i (named "car i", from 1) arrives `i * gap` s after the start and stays `stay` s, or a
    list `stay[i]`. Threads by default; with a multiprocessing context `ctx`, one process per car,
    released together once every process has started (their start-up would blur the picture).
    Car number `buggy` releases twice (`park_and_leave_twice`); `bounded` makes the semaphore a
    BoundedSemaphore. Returns the semaphore (to draw) and each car's outcome (threads only).
    """
    stays = stay if isinstance(stay, (list, tuple)) else [stay] * cars
    lot = TracedSemaphore(spaces, ctx, name="car park", bounded=bounded)
    outcomes: dict = {}
    targets = [park_and_leave_twice if i + 1 == buggy else park for i in range(cars)]
    if ctx is None:
        workers = [threading.Thread(target=targets[i], args=(lot, i * gap, stays[i], outcomes, f"car {i + 1}"),
                                    name=f"car {i + 1}") for i in range(cars)]
        _join_all(workers)
        return lot, outcomes
    ready, go = ctx.Semaphore(0), ctx.Event()
    workers = [ctx.Process(target=start_together, args=(ready, go, targets[i], lot, i * gap, stays[i]),
                           name=f"car {i + 1}") for i in range(cars)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.acquire()
    lot.clear()                       # the clock starts when the cars are let go
    go.set()
    for w in workers:
        w.join()
    return lot, {w.name: f"exit code {w.exitcode}" for w in workers}


def arrival_order(lot: TracedSemaphore) -> tuple[list[str], list[str]]:
    """(the order cars asked for a space, the order they got one), from the semaphore's record."""
    cycles = [c for c in lot.cycles() if c[2] is not None]
    asked = [w for w, *_ in sorted(cycles, key=lambda c: c[1])]
    got = [w for w, *_ in sorted(cycles, key=lambda c: c[2])]
    return asked, got


# ---- 4. an event as a traffic light -----------------------------------------------------------

def traffic_light(light, rec: Recorder, cycles: int, red: float, green: float) -> None:
    """Red (`clear()`) for `red` s, green (`set()`) for `green` s, `cycles` times; then green for good."""
    for _ in range(cycles):
        light.clear()
        rec.mark("red")
        time.sleep(red)
        light.set()
        rec.mark("green")
        time.sleep(green)
    light.set()
    rec.mark("green")


def car_at_light(light, rec: Recorder, arrive: float, patience: float | None = None) -> None:
    """Arrive after `arrive` s, wait for green (at most `patience` s), then cross or give up."""
    time.sleep(arrive)
    rec.state("blocked")
    crossed = light.wait(patience)           # True once the light is green; False: gave up
    rec.mark("crossed" if crossed else "gave up")
    rec.done()


def run_traffic(arrivals: list[float], cycles: int, red: float, green: float,
                patience: dict | None = None) -> Recorder:
    """A light and one car per arrival time (car i waits at most `patience[i]` s, if given)."""
    rec = Recorder("traffic light")
    light = threading.Event()
    light_thread = threading.Thread(target=traffic_light, args=(light, rec, cycles, red, green), name="light")
    cars = [threading.Thread(target=car_at_light, args=(light, rec, t, (patience or {}).get(i)), name=f"car {i + 1}")
            for i, t in enumerate(arrivals)]
    _join_all([light_thread] + cars)
    return rec


def until_waiting(event, n: int, timeout: float = 5.0) -> None:
    """Return once `n` threads are blocked in `event.wait()`. CPython's Event keeps them in a private
    Condition, and this peeks at it (fine for a demo, nothing else); where it cannot, it waits 0.1 s."""
    waiters = getattr(getattr(event, "_cond", None), "_waiters", None)
    if waiters is None:
        time.sleep(0.1)
        return
    deadline = time.monotonic() + timeout
    while len(waiters) < n and time.monotonic() < deadline:
        time.sleep(0.001)


def _marks(rec: Recorder, what: str | None = None) -> list:
    return [e for e in rec.events() if e.kind == "mark" and (what is None or e.detail == what)]


def draw_traffic(rec: Recorder, ax=None, title: str | None = None):
    """Cars waiting at the light (blue: blocked in `light.wait()`), green-light periods shaded,
    a ▶ where a car crossed and a ✕ where one gave up."""
    rows = {w: segs for w, segs in rec.rows().items() if w != "light"}
    rows = dict(sorted(rows.items(), key=lambda kv: int(kv[0].split()[-1])))
    ax = _timeline(rows, ax, title or "cars at a traffic light (an Event)")
    changes = [(e.t * 1e3, e.detail) for e in _marks(rec) if e.worker == "light"]
    end = max([e.t for e in rec.events()] + [0.0]) * 1e3
    for (t, colour), nxt in zip(changes, changes[1:] + [(end, None)]):
        if colour == "green":
            ax.axvspan(t, max(nxt[0], t + end * 0.005), color=_colour("box"), alpha=0.6, zorder=0, lw=0)
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for e in _marks(rec):
        if e.worker in ys:
            ax.plot(e.t * 1e3, ys[e.worker], marker=">" if e.detail == "crossed" else "X", ms=9,
                    color=_colour("correct" if e.detail == "crossed" else "wrong"), zorder=3)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from . import plots
    ax.legend(handles=[Patch(color=plots.STATE_COLORS["blocked"], label="blocked in light.wait()"),
                       Patch(color=_colour("box"), alpha=0.6, label="light green (flag set)"),
                       Line2D([], [], marker=">", ls="", color=_colour("correct"), label="crossed"),
                       Line2D([], [], marker="X", ls="", color=_colour("wrong"), label="gave up")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.figure.tight_layout()
    return ax


# ---- 4. shutting workers down with an event ---------------------------------------------------

def ticker_sleep(stop, rec: Recorder, interval: float) -> int:
    """Work (a tick), then `time.sleep(interval)`, until `stop` is set: notices it late."""
    ticks = 0
    while not stop.is_set():
        rec.mark("tick")
        ticks += 1
        rec.state("blocked")
        time.sleep(interval)
        rec.done()
    return ticks


def ticker_wait(stop, rec: Recorder, interval: float) -> int:
    """Work (a tick), then `stop.wait(interval)`, until `stop` is set: a sleep that `set()` cuts short."""
    ticks = 0
    while not stop.is_set():
        rec.mark("tick")
        ticks += 1
        rec.state("blocked")
        stop.wait(interval)
        rec.done()
    return ticks


def run_shutdown(ctx, interval: float, stop_after: float) -> tuple[Recorder, float, dict]:
    """Two ticker processes, one sleeping with `time.sleep`, one waiting on the `stop` Event;
    `stop.set()` after `stop_after` s. Returns the recording, when `set()` was called (seconds on
    the recording's clock) and, per ticker, how long after that it stopped (its last recorded event)."""
    rec, stop = Recorder("tickers"), ctx.Event()
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = {name: ctx.Process(target=start_together, args=(ready, go, func, stop, rec, interval), name=name)
             for name, func in (("time.sleep(interval)", ticker_sleep), ("stop.wait(interval)", ticker_wait))}
    for p in procs.values():
        p.start()
    for _ in procs:
        ready.acquire()                  # both have started up: start the clock and let them go
    rec.clear()
    go.set()
    time.sleep(stop_after)
    # The clock is read as set() is called, not after it returns: multiprocessing's set() returns
    # only once the processes waiting on the event have woken, so that would come after them.
    stop_at = (time.perf_counter_ns() - rec.t0) / 1e9
    stop.set()
    for p in procs.values():
        p.join()
    stopped = {w: segs[-1][2] - stop_at for w, segs in rec.rows().items() if segs}
    return rec, stop_at, stopped


def draw_shutdown(rec: Recorder, stop_at: float, ax=None, title: str | None = None):
    """The tickers' rows (blue: sleeping or waiting), a | per tick, and the moment `stop` was set."""
    rows = dict(sorted(rec.rows().items()))
    ax = _timeline(rows, ax, title or "shutting down with an Event")
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for e in _marks(rec, "tick"):
        ax.plot(e.t * 1e3, ys[e.worker], marker="|", ms=18, mew=2, color="white", zorder=3)
    ax.axvline(stop_at * 1e3, color=_colour("wrong"), linestyle="--", lw=1.5)
    ax.text(stop_at * 1e3, len(rows) - 0.45, " stop.set()", color=_colour("wrong"), fontsize=9, va="bottom")
    return ax


# ---- 5. timers --------------------------------------------------------------------------------

def run_timers(delays: dict[str, float], cancel_after: dict[str, float]) -> tuple[Recorder, dict]:
    """Start one `threading.Timer` per name; cancel the ones in `cancel_after` after that many s.

    Each timer's row is blocked from `start()` until it fires (a ▶) or is cancelled (a ✕).
    Returns the recording and, per timer that fired, how late it fired (seconds after its delay).
    """
    rec = Recorder("timers")
    started: dict[str, float] = {}
    late: dict[str, float] = {}

    def fire(name):
        late[name] = time.perf_counter() - started[name] - delays[name]
        rec.mark("fired", worker=name)
        rec.done(worker=name)

    timers = {name: threading.Timer(d, fire, args=(name,)) for name, d in delays.items()}
    for name, t in timers.items():
        t.name = name
        rec.state("blocked", worker=name)
        started[name] = time.perf_counter()
        t.start()
    t0 = time.perf_counter()
    for name, after in sorted(cancel_after.items(), key=lambda kv: kv[1]):
        time.sleep(max(0.0, after - (time.perf_counter() - t0)))
        timers[name].cancel()
        if name not in late:
            rec.mark("cancelled", worker=name)
            rec.done(worker=name)
    for t in timers.values():
        t.join()
    return rec, late


def draw_timers(rec: Recorder, ax=None, title: str | None = None):
    """Each timer blocked until it fired (▶) or was cancelled (✕)."""
    rows = rec.rows()
    ax = _timeline(rows, ax, title or "threading.Timer: waiting, then firing or cancelled")
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for e in _marks(rec):
        ax.plot(e.t * 1e3, ys[e.worker], marker=">" if e.detail == "fired" else "X", ms=9,
                color=_colour("correct" if e.detail == "fired" else "wrong"), zorder=3)
    return ax


# ---- 6. a condition: consumers of a shared list ---------------------------------------------

def take(cond: TracedCondition, items: list, check: str, rec: Recorder, got: dict) -> None:
    """A consumer: wait until `items` is not empty, then take the first one.

    `check="while"` re-checks after every wake-up (right); `check="if"` checks once before
    waiting (the bug): woken, it takes an item whether or not one is still there.
    """
    me = threading.current_thread().name
    with cond:
        if check == "if":
            if not items:
                cond.wait()
        else:
            while not items:
                cond.wait()
                if not items:                             # (only to draw it: woke up, nothing there)
                    rec.mark("woke: empty, waits again", worker=me)
        try:
            got[me] = items.pop(0)
            rec.mark("took", worker=me)
        except IndexError as exc:
            got[me] = f"IndexError: {exc}"
            rec.mark("IndexError", worker=me)


def stolen_wakeup(check: str, pause: float, notify: str = "all") -> tuple[TracedCondition, dict]:
    """Two consumers wait on an empty list; a producer adds ONE item and calls `notify_all()`.

    Both wake; the first to get the lock back takes the item; the other finds the list empty.
    With `check="while"` it waits again and takes the second item, added `pause` s later; with
    `check="if"` it does not look again and fails. With `notify="one"` the producer calls
    `notify()` instead, which wakes one consumer per item. Deterministic: the producer starts
    only once both consumers are inside `wait()`. The condition records the waits, the notifies
    and (as marks) what each consumer did, on one clock.
    """
    rec = Recorder("consumers")
    cond, got, items = TracedCondition(name="items", rec=rec), {}, []
    consumers = [threading.Thread(target=take, args=(cond, items, check, rec, got), name=f"consumer {c}")
                 for c in "AB"]
    for c in consumers:
        c.start()
    cond.until_waiting(2)
    time.sleep(pause / 2)                   # let the picture show both of them waiting
    for item in ("item 1", "item 2"):
        with cond:
            items.append(item)
            if notify == "all":
                cond.notify_all()
            else:
                cond.notify()
        time.sleep(pause)
        if all(not c.is_alive() for c in consumers):
            break
    for c in consumers:
        c.join()
    return cond, got


def draw_consumers(cond: TracedCondition, ax=None, title: str | None = None):
    """Consumers blocked in `wait()` (blue), each notify_all (dashed line), what each did on waking
    (a dot: took an item; a ✕: found the list empty and failed)."""
    rows = dict(sorted(cond.rows().items()))
    ax = _timeline(rows, ax, title or "two consumers waiting for items")
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for _, t, n in cond.notifies():
        call = "notify_all()" if n == "all" else "notify()"
        ax.axvline(t * 1e3, color=_colour("text"), linestyle="--", lw=1)
        ax.text(t * 1e3, len(rows) - 0.45, f" put + {call}", fontsize=8, va="bottom", color=_colour("text"))
    style = {"took": ("o", "correct"), "IndexError": ("X", "wrong"), "woke: empty, waits again": ("d", "measured")}
    for e in _marks(cond.recording):
        marker, colour = style[e.detail]
        ax.plot(e.t * 1e3, ys[e.worker], marker=marker, ms=9, color=_colour(colour), zorder=3)
        ax.text(e.t * 1e3, ys[e.worker] - 0.48, f" {e.detail}", fontsize=8, va="bottom", color=_colour("text"))
    return ax


# ---- 7. a barrier: phases ------------------------------------------------------------------

def phase_worker(barrier, rec: Recorder, work: list[float], fail_in: int | None, out: dict) -> None:
    """Do phase 1, wait at the barrier, phase 2, wait, ...; `work[p]` s of work in phase p.

    Failing in phase `fail_in` (an exception in its work), it aborts the barrier, so that the
    others stop waiting (their `wait()` raises BrokenBarrierError) instead of waiting forever.
    """
    me = threading.current_thread().name
    for p, seconds in enumerate(work):
        rec.state(f"phase {p + 1}")
        time.sleep(seconds)
        if p == fail_in:
            rec.mark("failed")
            rec.done()
            barrier.abort()
            out[me] = f"failed in phase {p + 1}, aborted the barrier"
            return
        rec.state("blocked")
        try:
            index = barrier.wait()
        except threading.BrokenBarrierError:
            rec.mark("BrokenBarrierError")
            rec.done()
            out[me] = f"BrokenBarrierError after phase {p + 1}"
            return
        if index == barrier.parties - 1:        # wait() returns parties - 1 to the last to arrive
            out.setdefault("last to arrive", []).append((p + 1, me))
    rec.done()
    out[me] = "done"


def run_phases(work: dict[str, list[float]], fail: tuple[str, int] | None = None) -> tuple[Recorder, dict]:
    """One thread per worker (name -> work per phase), one `threading.Barrier` for all of them.

    `fail=(name, phase)` makes that worker fail in that phase (counted from 1).
    """
    rec, out = Recorder("phases"), {}
    barrier = threading.Barrier(len(work))
    threads = [threading.Thread(target=phase_worker, name=name,
                                args=(barrier, rec, secs, fail[1] - 1 if fail and fail[0] == name else None, out))
               for name, secs in work.items()]
    _join_all(threads)
    return rec, out


def draw_phases(rec: Recorder, ax=None, title: str | None = None):
    """Each worker's waits at the barrier (blue) between its phases (grey boxes, named inside, like
    the tasks of a pool chart: the work is simulated with a sleep); a ✕ where a worker failed or
    found the barrier broken."""
    rows = rec.rows()
    waits = {w: [seg for seg in segs if seg[0] == "blocked"] for w, segs in rows.items()}
    ax = _timeline(waits, ax, title or "phases separated by a Barrier")
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for w, segs in rows.items():
        for state, a, b in segs:
            if state.startswith("phase"):
                shade = "box" if int(state.split()[1]) % 2 else "box 2"
                ax.broken_barh([(a * 1e3, (b - a) * 1e3)], (ys[w] - 0.38, 0.76), facecolors=_colour(shade),
                               edgecolor="white", linewidth=0.5)
                ax.text((a + b) / 2 * 1e3, ys[w], state, ha="center", va="center", fontsize=8, color=_colour("text"))
    for e in _marks(rec):
        ax.plot(e.t * 1e3, ys[e.worker], marker="X", ms=10, color=_colour("wrong"), zorder=3)
        ax.text(e.t * 1e3, ys[e.worker] + 0.42, f"{e.detail} ", ha="right", fontsize=8, va="bottom",
                color=_colour("text"))
    ax.autoscale(axis="x")
    return ax


# ---- 7. a barrier between processes: start together --------------------------------------------

def arrive_and_start(barrier, rec: Recorder) -> None:
    """A child process: as soon as it has started up, wait at the barrier; mark when it is let go."""
    rec.state("blocked")
    barrier.wait()
    rec.mark("go")
    rec.done()


def start_at_barrier(ctx, n: int) -> Recorder:
    """Start `n` processes that wait at one `multiprocessing.Barrier(n)`: none starts working before
    the last has finished starting up. The recording's clock starts when the first is started."""
    rec = Recorder("start together")
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=arrive_and_start, args=(barrier, rec), name=f"process {i + 1}") for i in range(n)]
    rec.clear()
    _join_all(procs)
    return rec


def draw_start_at_barrier(rec: Recorder, ax=None, title: str | None = None):
    """Each process's wait at the barrier (blue; blank before it: the process starting up) and a ▶
    where it was let go."""
    rows = dict(sorted(rec.rows().items()))
    ax = _timeline(rows, ax, title or "processes waiting at a multiprocessing.Barrier")
    ax.set_xlim(left=0)
    ys = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    for e in _marks(rec, "go"):
        ax.plot(e.t * 1e3, ys[e.worker], marker=">", ms=9, color=_colour("correct"), zorder=3)
    return ax
