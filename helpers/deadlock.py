"""Find a deadlock in a running program: who holds which lock, who waits for which, and the cycle.

    snap = deadlock.snapshot()          # one look at every thread of this process, now
    print(snap.report())                # who waits for what, who holds what, the cycle if any
    snap.draw()                         # the wait-for graph, the cycle in red
    with deadlock.watch(after=2):       # a watchdog: prints a report when threads stay stuck
        run_my_code()
    deadlock.join(threads, 5, rescue=True)   # demos and tests: wait, detect, end a deadlock

What it can see, and how (every report says which applies to each lock):
- `locks.TracedLock` / `TracedRLock`: the lock records its holder and its waiters: exact.
- `threading.RLock`: it knows its owner (the thread id its repr shows): the holder is exact.
- `threading.Lock` records no owner. A thread *waits* for it when its innermost frame stands at a
  `with x:` or `x.acquire()` line and `x` is a locked lock (`x` is evaluated again in that frame).
  A thread *holds* it when one of its frames is inside the body of a `with x:` block. A lock taken
  with `acquire()` outside a `with` has an unknown holder ("?"), and then no cycle can be closed.
- Waits for anything else (a queue, an event, a join, a sleep) are listed as blocked, not as edges.
- Only this process: locks held in other processes (multiprocessing) are invisible, and so is
  code whose source is not available (a `python -c` string).

"Stuck" means the same line and no CPU time used for `after` seconds (per-thread CPU clocks, on
Linux); a wait with a timeout ends by itself, so a cycle through one is reported but not as certain.
For plain locks, the standard library's `faulthandler.dump_traceback_later(seconds)` prints every
thread's stack when a program hangs; this module adds who holds what.
"""
from __future__ import annotations

import ast
import gc
import linecache
import os
import re
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field

from . import locks as _locks

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()), getattr(threading, "_PyRLock", type(None)))
_HERE = {os.path.abspath(__file__), os.path.abspath(_locks.__file__)}   # frames of ours: skipped
_LIBRARY = tuple({os.path.join(sysconfig.get_paths()[k], "") for k in ("stdlib", "platstdlib")}
                 | {os.path.join(os.path.dirname(threading.__file__), "")})
_OWNER = re.compile(r"owner=(\d+)")
_COUNT = re.compile(r"count=(\d+)")


# ---- what a snapshot holds ------------------------------------------------------------------------

@dataclass
class LockInfo:
    """One lock seen in a snapshot: its label, type, holder and how the holder is known."""
    name: str
    kind: str
    holder: str | None            # thread name, "?" (locked, holder unknown) or None (free)
    how: str                      # "recorded by the lock", "RLock owner", "`with` block", "unknown"
    depth: int | None = None      # re-entry count, for RLocks


@dataclass
class ThreadInfo:
    """One thread: what it waits for (a lock key, or a description), what it holds, where."""
    name: str
    ident: int
    waits_for: int | None = None      # key of the lock it is blocked on
    timed: bool = False               # that wait has a timeout
    where: str = ""                   # file:line in function: source (innermost frame of yours)
    blocked_in: str | None = None     # a wait that is not for a lock ("Queue.get", "Event.wait")
    holds: dict = field(default_factory=dict)   # lock key -> where it was taken
    stack: list[str] = field(default_factory=list)
    signature: tuple = ()             # (code, position, CPU ns): unchanged while stuck


@dataclass
class Snapshot:
    """Every thread of this process at one instant (from `snapshot()`)."""
    threads: dict[str, ThreadInfo]
    locks: dict[int, LockInfo]
    cycle: list[str] | None           # [thread, lock name, thread, lock name, ...], or None
    certain: bool                     # the cycle's waits have no timeout: it never ends by itself
    _objects: dict = field(default_factory=dict, repr=False)   # key -> lock object (keeps ids valid)

    def waits(self) -> list[tuple[str, str]]:
        """(thread, lock name) for every thread blocked on a lock."""
        return [(t.name, self.locks[t.waits_for].name) for t in self.threads.values() if t.waits_for is not None]

    def holds(self) -> list[tuple[str, str]]:
        """(lock name, holder) for every held lock whose holder is known ("?" if it is not)."""
        return [(lk.name, lk.holder) for lk in self.locks.values() if lk.holder is not None]

    def lock_objects(self) -> list:
        """The locks in the cycle (the objects), e.g. to abandon the traced ones."""
        if not self.cycle:
            return []
        names = set(self.cycle[1::2])
        return [self._objects[k] for k, lk in self.locks.items() if lk.name in names]

    def report(self, only_involved: bool = True) -> str:
        """A text report: the cycle (if any), then each thread that waits for or holds a lock."""
        out = []
        if self.cycle:
            threads = self.cycle[0::2]
            holders = threads[1:] + threads[:1]
            out.append(f"DEADLOCK: {len(threads)} thread{'s' if len(threads) > 1 else ''} in a cycle: "
                       + "; ".join(f"{t} waits for {lk!r}, held by {h if h != t else 'itself'}"
                                   for t, lk, h in zip(threads, self.cycle[1::2], holders)))
            out.append("  every wait in it has no timeout: none of them can ever go on." if self.certain else
                       "  some of these waits have a timeout: they will give up, so this may pass.")
        else:
            out.append("no wait-for cycle among the locks this detector can see.")
        for t in self.threads.values():
            if only_involved and t.waits_for is None and not t.holds:
                continue
            out.append(f"  {t.name}:")
            for key, where in t.holds.items():
                lk = self.locks[key]
                out.append(f"    holds     {lk.name!r:20} ({lk.kind}; holder known from {lk.how}){_at(where)}")
            if t.waits_for is not None:
                lk = self.locks[t.waits_for]
                holder = {None: "nobody (it is about to get it)", "?": "? (a plain Lock does not record its "
                          "holder, and no `with` block for it is open in any thread)"}.get(lk.holder, lk.holder)
                out.append(f"    waits for {lk.name!r:20} ({lk.kind}{', with a timeout' if t.timed else ''}),"
                           f" held by {holder}{_at(t.where)}")
                if len(t.stack) > 1 and t.stack[0] == t.where:
                    out.append(f"              called from {t.stack[1]}")
            elif t.blocked_in:
                out.append(f"    blocked in {t.blocked_in}{_at(t.where)}")
        return "\n".join(out)

    def graph(self) -> dict:
        """The wait-for graph as nodes and edges, for `plots.wait_for_graph`."""
        involved = {n for t, lk in self.waits() for n in (t, lk)} | \
                   {n for lk, h in self.holds() for n in (lk, h)}
        threads = [t for t in self.threads if t in involved]
        threads += sorted({h for _, h in self.holds() if h not in threads})
        return dict(threads=threads, locks=[lk.name for lk in self.locks.values() if lk.name in involved],
                    waits=self.waits(), holds=self.holds(), cycle=self.cycle or [])

    def draw(self, ax=None, title: str | None = None):
        """Draw the wait-for graph (see `plots.wait_for_graph`)."""
        from . import plots
        return plots.wait_for_graph(self.graph(), ax=ax, title=title)

    def __str__(self):
        return self.report()


def _at(where: str) -> str:
    return f"\n              at {where}" if where else ""


# ---- reading source and frames --------------------------------------------------------------------

@dataclass
class _Source:
    """The parts of a source file the detector reads: its `with` statements and `acquire` calls."""
    withs: list                   # (first header line, last header line, first body line, last line, node)
    acquires: dict                # line -> [Call nodes of `x.acquire(...)` spanning it]


_SOURCES: dict[tuple[str, int], _Source | None] = {}


def _source(filename: str) -> _Source | None:
    lines = linecache.getlines(filename)
    if not lines:
        return None
    key = (filename, hash(tuple(lines)))
    if key not in _SOURCES:
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            _SOURCES[key] = None
            return None
        withs, acquires = [], {}
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and node.body:
                withs.append((node.lineno, _header_end(node), node.body[0].lineno, node.end_lineno, node))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "acquire"):
                for line in range(node.lineno, node.end_lineno + 1):
                    acquires.setdefault(line, []).append(node)
        _SOURCES[key] = _Source(withs, acquires)
    return _SOURCES[key]


def prepare(*objects) -> None:
    """Read and parse the source of these modules or functions now: the first snapshot that meets
    a file does it otherwise, holding the GIL for a few milliseconds while the threads wait."""
    import inspect
    for obj in objects:
        try:
            _source(inspect.getsourcefile(obj))
        except TypeError:
            pass


def _header_end(node: ast.With) -> int:
    return max(max(i.context_expr.end_lineno, i.optional_vars.end_lineno if i.optional_vars else 0)
               for i in node.items)


def _withs(src: _Source, line: int) -> tuple[list[ast.With], ast.With | None]:
    """The `with` statements whose body contains `line`, and the one whose header does."""
    inside, entering = [], None
    for first, header_end, body, last, node in src.withs:
        if first <= line <= header_end:
            entering = node
        elif body <= line <= last:
            inside.append(node)
    return inside, entering


def _acquire_call(src: _Source, line: int):
    """An `x.acquire(...)` call on `line`: (x, waits with a timeout?, blocks at all?)."""
    for node in src.acquires.get(line, ()):
        args = {k.arg: k.value for k in node.keywords}
        blocking = node.args[0] if node.args else args.get("blocking")
        timeout = node.args[1] if len(node.args) > 1 else args.get("timeout")
        blocks = not (isinstance(blocking, ast.Constant) and not blocking.value)
        timed = timeout is not None and not (isinstance(timeout, ast.Constant) and timeout.value in (-1, None))
        return node.func.value, timed, blocks
    return None


_SAFE = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Load)


_COMPILED: dict[int, tuple] = {}


def _value(expr, frame):
    """Evaluate a name/attribute/subscript expression in `frame` (nothing that could run code)."""
    entry = _COMPILED.get(id(expr))
    if entry is None or entry[0] is not expr:
        safe = all(isinstance(n, _SAFE) for n in ast.walk(expr))
        entry = _COMPILED[id(expr)] = (expr, compile(ast.Expression(expr), "<deadlock>", "eval") if safe else None,
                                       ast.unparse(expr))
    if entry[1] is None:
        return None
    try:
        return eval(entry[1], frame.f_globals, frame.f_locals)
    except Exception:
        return None


def _text(expr) -> str:
    entry = _COMPILED.get(id(expr))
    return entry[2] if entry is not None and entry[0] is expr else ast.unparse(expr)


def _is_lock(obj) -> bool:
    return isinstance(obj, _LOCK_TYPES) or (isinstance(obj, _locks.TracedLock))


def _locked(obj) -> bool:
    if isinstance(obj, _locks.TracedLock):
        return obj.locked()
    if hasattr(obj, "locked"):
        return obj.locked()
    return bool(_rlock_owner(obj))


def _rlock_owner(obj) -> int | None:
    """The thread id owning a (C or Python) RLock, or None if free or not an RLock."""
    if hasattr(obj, "_owner"):
        return obj._owner
    m = _OWNER.search(repr(obj))
    return int(m.group(1)) or None if m else None


def _position_item(frame, entering: ast.With):
    """The `with` item the interpreter is entering, where it says (3.13+ gives the columns)."""
    if not hasattr(frame.f_code, "co_positions"):
        return None
    try:
        line, end_line, col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (IndexError, ValueError):
        return None
    hits = [i for i in entering.items
            if line is not None and col is not None and i.context_expr.lineno <= line and
            (i.context_expr.lineno, i.context_expr.col_offset) <= (line, col) and
            (end_line, end_col) <= (i.context_expr.end_lineno, i.context_expr.end_col_offset)]
    return hits[0] if len(hits) == 1 else None


def _where(frame, lineno: int | None = None) -> str:
    """file:line in function: source, for the frame's current line (or another line of it)."""
    code, lineno = frame.f_code, lineno or frame.f_lineno
    line = linecache.getline(code.co_filename, lineno).strip()
    return f"{os.path.basename(code.co_filename)}:{lineno} in {code.co_name}: {line}"


def _library(frame) -> bool:
    f = frame.f_code.co_filename
    return f.startswith(_LIBRARY) or "site-packages" in f or f.startswith("<frozen")


_OURS: dict[str, bool] = {}


def _ours(frame) -> bool:
    name = frame.f_code.co_filename
    if name not in _OURS:
        _OURS[name] = os.path.abspath(name) in _HERE
    return _OURS[name]


def _cpu_ns(thread: threading.Thread) -> int | None:
    """CPU time the thread has used, in ns, or None where the OS does not say.

    On Linux it is read from /proc by the thread's native id: a thread that has just ended gives
    None. `time.pthread_getcpuclockid` (elsewhere) may crash on a thread that has ended, so it is
    asked only about a thread that is still alive, as close to the call as Python allows."""
    native = getattr(thread, "native_id", None)
    if native is not None and os.path.isdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{native}/schedstat") as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
    try:
        return time.clock_gettime_ns(time.pthread_getcpuclockid(thread.ident)) if thread.is_alive() else None
    except (AttributeError, OSError, OverflowError):
        return None


def stacks() -> dict[int, list]:
    """Every thread's stack, innermost frame first, read at once with the garbage collector paused.

    CPython 3.11 can hang for good when a collection starts inside `sys._current_frames()` (it
    holds an interpreter lock that an ending thread needs, while a finalizer lets that thread run:
    CPython issue gh-106883), and it has crashed on `f_back` of a frame whose thread ended while
    the stack was being read later. Both windows are closed as far as Python code can close them:
    no collection runs during the walk, and a long switch interval keeps other threads (one of
    them ending) from taking the GIL in the middle of it.
    """
    paused = gc.isenabled()
    gc.disable()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        stacks = {}
        for ident, f in sys._current_frames().items():
            stack = stacks[ident] = []
            while f is not None:
                stack.append(f)
                f = f.f_back
        return stacks
    finally:
        sys.setswitchinterval(interval)
        if paused:
            gc.enable()


# ---- the snapshot -----------------------------------------------------------------------------------

def snapshot(threads=None, names: dict | None = None, locks=()) -> Snapshot:
    """Look at the threads of this process now: what each waits for and holds; find the cycle.

    `threads`: the `threading.Thread`s to look at (default: all but the calling thread).
    `names`: {lock object: label} for plain locks. By default a lock is labelled by its `name`
    (traced locks), else by a module-level name bound to it, else "#n expr" (the expression the
    code used, numbered: `first` may be another lock in another frame).
    `locks`: traced locks to include even when no thread's stack mentions them.
    """
    me = threading.get_ident()
    frames = stacks()
    by_ident = {t.ident: t for t in threading.enumerate()}
    wanted = None if threads is None else {t.ident for t in threads}
    objects: dict[int, object] = {}
    exprs: dict[int, tuple[str, dict]] = {}
    infos: dict[str, ThreadInfo] = {}

    def note(obj, expr: str, frame=None) -> int:
        key = id(obj)
        objects[key] = obj
        exprs.setdefault(key, (expr, frame.f_globals if frame is not None else {}))
        return key

    for lk in locks:
        note(lk, lk.name)
    for ident, stack in frames.items():
        if ident == me or (wanted is not None and ident not in wanted) or ident not in by_ident:
            continue
        thread = by_ident[ident]
        if thread.name.startswith("deadlock-watch"):
            continue
        info = _thread_info(thread, stack, note)
        infos[info.name if info.name not in infos else f"{info.name} ({ident})"] = info
    del frames
    return _assemble(infos, objects, _labels(objects, exprs, names or {}), by_ident)


def _labels(objects: dict, exprs: dict, names: dict) -> dict[int, str]:
    given = {id(k): v for k, v in names.items()}
    out, n = {}, 0
    for key, obj in objects.items():
        expr, glob = exprs[key]
        if key in given:
            out[key] = given[key]
        elif isinstance(obj, _locks.TracedLock):
            out[key] = obj.name
        else:
            bound = next((k for k, v in list(glob.items()) if v is obj and not k.startswith("_")), None)
            if bound is None:
                n += 1
            out[key] = bound or f"#{n} {expr}"
    return out


def _thread_info(thread, stack, note) -> ThreadInfo:
    info = ThreadInfo(thread.name, thread.ident)
    top = stack[0]                            # innermost frame first
    user = [f for f in stack if not _library(f) and not _ours(f)]
    info.stack = [_where(f) for f in user[:8]]
    info.where = _where(user[0]) if user else _where(top)
    info.signature = (id(top.f_code), top.f_lasti, _cpu_ns(thread))
    released = set()
    # 1. in a traced lock's acquire: the lock itself says whether we wait, and for how long
    for f in stack:
        if not _ours(f):
            break
        obj = f.f_locals.get("self")
        if f.f_code.co_name == "acquire" and isinstance(obj, _locks.TracedLock):
            if thread.name in obj.waiting():
                info.waits_for = note(obj, obj.name)
                info.timed = thread.name in obj.waiting_with_timeout()
            break
    # 2. in library code (a queue, an event, a join...): blocked, but not on a lock of yours
    lib = []
    for f in stack:
        if not _library(f) or f.f_code.co_name in ("run", "_bootstrap_inner", "_bootstrap"):
            break
        lib.append(f)
    if lib and info.waits_for is None:
        owner = lib[-1].f_locals.get("self")
        name = lib[-1].f_code.co_name
        info.blocked_in = f"{type(owner).__name__}.{name}" if owner is not None else name
        for f in lib:                         # Condition.wait has released the Condition's lock
            if f.f_code.co_name == "wait" and isinstance(f.f_locals.get("self"), threading.Condition):
                released.add(id(f.f_locals["self"]._lock))
    # 3. the user's frames: open `with` blocks are held; the innermost line may be a wait
    for f in user:
        src = _source(f.f_code.co_filename)
        if src is None:
            continue
        inside, entering = _withs(src, f.f_lineno)
        for w in inside:
            for item in w.items:
                obj = _value(item.context_expr, f)
                if _is_lock(obj) and id(obj) not in released:
                    info.holds.setdefault(note(obj, _text(item.context_expr), f), _where(f, w.lineno))
        if f is top:                          # blocked in C code called from this very line
            _line_wait(info, f, src, entering, thread.ident, note)
    return info


def _line_wait(info: ThreadInfo, f, src: _Source, entering, ident: int, note) -> None:
    """Is the innermost frame waiting for a lock at its current line (`with x:`, `x.acquire()`)?"""
    if entering is not None:
        items = [(i, _value(i.context_expr, f)) for i in entering.items]
        items = [(i, o) for i, o in items if _is_lock(o)]
        chosen = _position_item(f, entering)
        waited = [(i, o) for i, o in items if i is chosen] or [(i, o) for i, o in items if _locked(o)][-1:]
        if not waited:
            return
        item, obj = waited[0]
        for i, o in items:                    # the items before it are already held
            if i is item:
                break
            info.holds.setdefault(note(o, _text(i.context_expr), f), _where(f))
        if _locked(obj) and _rlock_owner(obj) != ident:
            info.waits_for = note(obj, _text(item.context_expr), f)
        return
    call = _acquire_call(src, f.f_lineno)
    if call is not None:
        expr, timed, blocks = call
        obj = _value(expr, f)
        if blocks and _is_lock(obj) and _locked(obj) and _rlock_owner(obj) != ident:
            info.waits_for, info.timed = note(obj, _text(expr), f), timed


def _assemble(infos: dict[str, ThreadInfo], objects: dict, labels: dict, by_ident: dict) -> Snapshot:
    name_of = {t.ident: n for n, t in infos.items()}
    alive = {t.name for t in by_ident.values()}
    lock_infos: dict[int, LockInfo] = {}
    for key, obj in objects.items():
        kind = {"lock": "Lock", "RLock": "RLock", "_PyRLock": "RLock"}.get(type(obj).__name__, type(obj).__name__)
        depth = None
        if isinstance(obj, _locks.TracedLock):
            holder, how = obj.owner, "the lock's own record"
            if holder is not None and holder not in alive:
                holder += " (ended)"
            depth = obj.depth if isinstance(obj, _locks.TracedRLock) else None
        elif kind == "RLock":
            owner = _rlock_owner(obj)
            holder = None if not owner else name_of.get(owner) or (
                by_ident[owner].name if owner in by_ident else f"thread {owner} (ended)")
            how = "the RLock's owner field"
            m = _COUNT.search(repr(obj))
            depth = int(m.group(1)) if m else getattr(obj, "_count", None)
        else:
            claims = [n for n, t in infos.items() if key in t.holds]
            if not _locked(obj):
                holder, how = None, "`with` blocks"
            elif claims:
                holder, how = claims[0], "an open `with` block"
            else:
                holder, how = "?", "nothing (unknown)"
        lock_infos[key] = LockInfo(labels[key], kind, holder, how, depth)
        for n, t in infos.items():            # the holder holds it; nobody else does
            if holder == n:
                t.holds.setdefault(key, "")
            else:
                t.holds.pop(key, None)
    cycle, certain = _find_cycle(infos, lock_infos)
    return Snapshot(infos, lock_infos, cycle, certain, objects)


def _find_cycle(infos: dict[str, ThreadInfo], lock_infos: dict[int, LockInfo]):
    """A cycle thread -> lock -> holder -> lock -> ... back to the first thread."""
    nxt = {}
    for n, t in infos.items():
        if t.waits_for is not None:
            holder = lock_infos[t.waits_for].holder
            if holder in infos:
                nxt[n] = (t.waits_for, holder)
    for start in nxt:
        path, n = [], start
        while n in nxt and n not in path:
            path.append(n)
            n = nxt[n][1]
        if n in path:
            ring = path[path.index(n):]
            cycle = []
            for t in ring:
                cycle += [t, lock_infos[nxt[t][0]].name]
            return cycle, not any(infos[t].timed for t in ring)
    return None, False


# ---- waiting for threads, with a detector ------------------------------------------------------------

@dataclass
class Outcome:
    """What `join` saw: did the threads finish, which deadlock (if any), was it ended."""
    finished: bool
    deadlock: Snapshot | None
    rescued: bool
    alive: list[str]
    seconds: float


def join(threads, timeout: float, *, rescue: bool = False, poll: float = 0.005) -> Outcome:
    """Wait until `threads` end, a deadlock among them is certain, or `timeout` seconds pass.

    A deadlock is certain when the same cycle of waits without timeouts shows in two snapshots in a
    row with nobody moving. With `rescue=True` the traced locks of the cycle are abandoned
    (`TracedLock.abandon`): the stuck threads raise `locks.Abandoned` and end, and `join` waits for
    them. Plain locks cannot be taken from their holders: their threads stay blocked.
    """
    t0 = time.monotonic()
    deadline = t0 + timeout
    threads = list(threads)
    seen, found, rescued = None, None, False
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        snap = snapshot(threads=[t for t in threads if t.is_alive()])
        if snap.cycle and snap.certain:
            sig = (tuple(snap.cycle), tuple(snap.threads[n].signature for n in snap.cycle[0::2]))
            if seen == sig:
                found = snap
                break
            seen = sig
        else:
            seen = None
        time.sleep(poll)
    if found is not None and rescue:
        traced = [lk for lk in found.lock_objects() if isinstance(lk, _locks.TracedLock)]
        for lk in traced:
            lk.abandon()
        rescued = bool(traced)
        for t in threads if rescued else ():
            t.join(max(0.5, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    return Outcome(not alive, found, rescued, alive, time.monotonic() - t0)


class watch:
    """A watchdog thread: when threads stay stuck on locks for `after` seconds, print a report.

        with deadlock.watch(after=2):     # around code of yours that might deadlock
            main()

    It looks every `interval` seconds (default `after / 4`); each situation (a cycle, or a thread
    stuck on a lock without a cycle) is reported once, to `out` (default: standard error), and kept
    in `found`. `rescue=True` abandons the traced locks of a certain cycle, as `join` does.
    The watchdog is a daemon thread: it never keeps the program alive.
    """

    def __init__(self, after: float = 2.0, interval: float | None = None, *, rescue: bool = False,
                 out=None, names: dict | None = None):
        self.after, self.interval = after, interval or after / 4
        self.rescue, self.out, self.names = rescue, out, names
        self.found: list[Snapshot] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "watch":
        self._thread = threading.Thread(target=self._run, name="deadlock-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    __enter__ = start

    def __exit__(self, *exc):
        self.stop()
        return False

    def _run(self) -> None:
        since: dict[str, tuple[tuple, float]] = {}
        reported: set = set()
        while not self._stop.wait(self.interval):
            snap = snapshot(names=self.names)
            now = time.monotonic()
            stuck = {}
            for n, t in snap.threads.items():
                sig, t_first = since.get(n, (None, now))
                if sig != t.signature:
                    t_first = now
                since[n] = (t.signature, t_first)
                stuck[n] = now - t_first
            since = {n: v for n, v in since.items() if n in snap.threads}
            waiting = sorted(n for n, t in snap.threads.items()
                             if t.waits_for is not None and stuck[n] >= self.after)
            if snap.cycle:
                members = snap.cycle[0::2]
                if all(stuck[m] >= self.after for m in members):
                    self._report(snap, ("cycle", tuple(sorted(snap.cycle))), reported,
                                 f"stuck for {min(stuck[m] for m in members):.1f} s")
                continue
            if waiting:
                self._report(snap, ("stuck", tuple(waiting)), reported,
                             f"{', '.join(waiting)} waited {min(stuck[n] for n in waiting):.1f} s for a lock")

    def _report(self, snap: Snapshot, key, reported: set, headline: str) -> None:
        if key in reported:
            return
        reported.add(key)
        self.found.append(snap)
        print(f"--- deadlock.watch: {headline} ---\n{snap.report()}\n", file=self.out or sys.stderr, flush=True)
        if self.rescue and snap.certain:
            for lk in snap.lock_objects():
                if isinstance(lk, _locks.TracedLock):
                    lk.abandon()
