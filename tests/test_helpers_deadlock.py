"""deadlock: who holds what and who waits for what, from traced locks and from plain ones; the cycle;
ending a deadlock of traced locks; the watchdog. locks: abandon(), the re-entrant traced lock."""
import io
import queue
import threading
import time

import pytest

from helpers import deadlock, locks, plots


def _start(*targets):
    threads = [threading.Thread(target=f, args=a, name=n, daemon=True) for n, f, a in targets]
    for t in threads:
        t.start()
    return threads


def _until(cond, limit=5.0):
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, "the threads never reached the state the test waits for"
        time.sleep(0.002)


def _crossed(first, second, both_hold):
    """Take `first`, wait until the other thread holds its first too, then take `second`."""
    try:
        with first:
            both_hold.wait(5)
            with second:
                pass
    except (locks.Abandoned, RuntimeError):      # abandoned, or a plain lock released by the test
        pass


def test_a_cycle_of_traced_locks_is_found_and_ended():
    a, b = locks.TracedLock(name="noodles"), locks.TracedLock(name="fork")
    barrier = threading.Barrier(2)
    threads = _start(("Ann", _crossed, (a, b, barrier)), ("Bob", _crossed, (b, a, barrier)))
    out = deadlock.join(threads, 10, rescue=True)
    assert out.finished and out.rescued and not out.alive
    snap = out.deadlock
    assert snap.certain and sorted(snap.cycle[0::2]) == ["Ann", "Bob"] and sorted(snap.cycle[1::2]) == ["fork", "noodles"]
    assert sorted(snap.waits()) == [("Ann", "fork"), ("Bob", "noodles")]
    assert sorted(snap.holds()) == [("fork", "Bob"), ("noodles", "Ann")]
    text = snap.report()
    assert "DEADLOCK" in text and "the lock's own record" in text and "with second:" in text
    assert not any(t.name in ("Ann", "Bob") for t in threading.enumerate())


def _crossed_patiently(first, second, both_hold):
    with first:
        both_hold.wait(5)
        if second.acquire(timeout=1):            # a plain lock cannot be abandoned: end by itself
            second.release()


@pytest.mark.parametrize("kind", ["Lock", "RLock"])
def test_a_cycle_of_plain_locks_is_found_from_the_stacks(kind):
    make = getattr(threading, kind)
    a, b = make(), make()
    barrier = threading.Barrier(2)
    threads = _start(("T1", _crossed_patiently, (a, b, barrier)), ("T2", _crossed_patiently, (b, a, barrier)))
    _until(lambda: deadlock.snapshot(threads=threads).cycle is not None)
    snap = deadlock.snapshot(threads=threads, names={a: "a", b: "b"})
    for t in threads:
        t.join(10)
    assert sorted(snap.cycle[0::2]) == ["T1", "T2"] and sorted(snap.waits()) == [("T1", "b"), ("T2", "a")]
    assert not snap.certain, "acquire(timeout=1) ends by itself"
    how = {lk.how for lk in snap.locks.values()}
    assert how == ({"an open `with` block"} if kind == "Lock" else {"the RLock's owner field"})
    if kind == "RLock":
        assert {lk.depth for lk in snap.locks.values()} == {1}


def test_a_thread_that_takes_its_own_plain_lock_again_is_a_cycle_of_one():
    lock = threading.Lock()

    def inner():
        with lock:
            pass

    def outer():
        try:
            with lock:
                inner()
        except RuntimeError:
            pass

    t, = _start(("again", outer, ()))
    out = deadlock.join([t], 10)
    assert out.deadlock is not None and out.deadlock.cycle[0::2] == ["again"]
    assert "held by itself" in out.deadlock.report()
    lock.release()
    t.join(5)
    assert not t.is_alive()


def test_a_lock_taken_with_acquire_has_an_unknown_holder_and_closes_no_cycle():
    a, b = threading.Lock(), threading.Lock()
    barrier = threading.Barrier(2)

    def crossed(x, y):
        x.acquire()
        barrier.wait(5)
        y.acquire()                               # stays blocked until the test releases a
        y.release()
        try:
            x.release()
        except RuntimeError:                      # T1's `a` was released by the test already
            pass

    threads = _start(("T1", crossed, (a, b)), ("T2", crossed, (b, a)))
    _until(lambda: len(deadlock.snapshot(threads=threads).waits()) == 2)
    snap = deadlock.snapshot(threads=threads)
    assert snap.cycle is None
    assert {lk.holder for lk in snap.locks.values()} == {"?"}
    assert "does not record its holder" in snap.report()
    a.release()                                   # T2 goes on, releases a and b; then T1
    for t in threads:
        t.join(5)


def test_which_item_of_a_two_lock_with_is_waited_for():
    mine, theirs = threading.Lock(), threading.Lock()
    theirs.acquire()

    def both():
        with mine, theirs:
            pass

    t, = _start(("both", both, ()))
    _until(lambda: deadlock.snapshot(threads=[t]).waits())
    snap = deadlock.snapshot(threads=[t], names={mine: "mine", theirs: "theirs"})
    theirs.release()
    t.join(5)
    assert snap.waits() == [("both", "theirs")] and ("mine", "both") in snap.holds()


def test_a_condition_wait_holds_no_lock_and_a_queue_get_is_no_lock_wait():
    lock = threading.Lock()
    cond = threading.Condition(lock)
    q = queue.Queue()
    go = threading.Event()

    def waits_on_condition():
        with lock:
            cond.wait_for(go.is_set, 5)

    threads = _start(("cond", waits_on_condition, ()), ("getter", q.get, ()))
    time.sleep(0.1)
    snap = deadlock.snapshot(threads=threads)
    go.set()
    with cond:
        cond.notify_all()
    q.put(None)
    for t in threads:
        t.join(5)
    assert not snap.threads["cond"].holds, "Condition.wait releases the lock it was made with"
    assert snap.threads["getter"].blocked_in == "Queue.get" and snap.threads["getter"].waits_for is None
    assert snap.cycle is None


def test_a_cycle_through_a_wait_with_a_timeout_is_not_certain():
    a, b = locks.TracedLock(name="a"), locks.TracedLock(name="b")
    barrier = threading.Barrier(2)

    def patient(first, second):
        with first:
            barrier.wait(5)
            if second.acquire(timeout=0.5):
                second.release()

    threads = _start(("P", patient, (a, b)), ("Q", patient, (b, a)))
    _until(lambda: len(a.waiting()) + len(b.waiting()) == 2)
    snap = deadlock.snapshot(threads=threads)
    for t in threads:
        t.join(5)
    assert snap.cycle is not None and not snap.certain
    assert "will give up" in snap.report()


def test_join_returns_at_once_when_the_threads_finish():
    threads = _start(("quick", time.sleep, (0.01,)))
    out = deadlock.join(threads, 10)
    assert out.finished and out.deadlock is None and out.seconds < 5


def test_the_watchdog_reports_a_cycle_once_and_can_end_it():
    a, b = locks.TracedLock(name="x"), locks.TracedLock(name="y")
    barrier = threading.Barrier(2)
    out = io.StringIO()
    with deadlock.watch(after=0.2, out=out, rescue=True) as w:
        threads = _start(("W1", _crossed, (a, b, barrier)), ("W2", _crossed, (b, a, barrier)))
        for t in threads:
            t.join(10)
    assert not any(t.is_alive() for t in threads), "rescue=True abandons the traced locks of the cycle"
    assert len(w.found) == 1 and out.getvalue().count("DEADLOCK") == 1
    assert not any(t.name == "deadlock-watch" for t in threading.enumerate())


def test_the_wait_for_graph_is_drawn_with_the_cycle():
    import matplotlib
    matplotlib.use("Agg")
    a, b = locks.TracedLock(name="a"), locks.TracedLock(name="b")
    barrier = threading.Barrier(2)
    threads = _start(("G1", _crossed, (a, b, barrier)), ("G2", _crossed, (b, a, barrier)))
    out = deadlock.join(threads, 10, rescue=True)
    graph = out.deadlock.graph()
    assert set(graph["threads"]) == {"G1", "G2"} and set(graph["locks"]) == {"a", "b"} and len(graph["cycle"]) == 4
    ax = out.deadlock.draw()
    assert "cycle" in ax.get_title()
    plots.plt.close(ax.figure)


# ---- locks: abandon, the re-entrant traced lock --------------------------------------------------

def test_abandon_wakes_every_waiter_and_later_acquires_fail_too():
    lock = locks.TracedLock(name="stuck")
    lock.acquire()
    raised = []

    def waiter():
        try:
            lock.acquire()
        except locks.Abandoned:
            raised.append(threading.current_thread().name)

    threads = _start(*[(f"w{i}", waiter, ()) for i in range(3)])
    _until(lambda: len(lock.waiting()) == 3)
    lock.abandon()
    for t in threads:
        t.join(5)
    assert sorted(raised) == ["w0", "w1", "w2"]
    with pytest.raises(locks.Abandoned):
        lock.acquire()
    lock.release()                                 # the stuck holder unwinding: nothing happens


def test_a_process_shared_lock_cannot_be_abandoned():
    import multiprocessing
    with pytest.raises(TypeError):
        locks.TracedLock(multiprocessing.get_context("spawn")).abandon()


def test_traced_rlock_counts_its_depth_and_only_the_owner_releases():
    lock = locks.TracedRLock(name="r")
    with lock:
        with lock:
            assert lock.depth == 2 and lock.owner == threading.current_thread().name
            errors = []
            t = threading.Thread(target=lambda: errors.append(pytest.raises(RuntimeError, lock.release)))
            t.start()
            t.join()
            assert errors, "another thread must not release an RLock it does not own"
        assert lock.depth == 1
    assert lock.depth == 0 and lock.owner is None and not lock.locked()


def test_two_traced_rlocks_still_deadlock_and_can_be_ended():
    a, b = locks.TracedRLock(name="A"), locks.TracedRLock(name="B")
    barrier = threading.Barrier(2)
    threads = _start(("R1", _crossed, (a, b, barrier)), ("R2", _crossed, (b, a, barrier)))
    out = deadlock.join(threads, 10, rescue=True)
    assert out.deadlock is not None and out.finished, "re-entry does not help two threads that cross"


def test_a_snapshot_pauses_the_collector_and_gives_it_back():
    """sys._current_frames() is read with the collector paused (CPython 3.11 can hang otherwise,
    gh-106883); afterwards the collector is as the caller left it, and threads that end while
    snapshots are taken do not disturb it."""
    import gc
    assert gc.isenabled()
    ended = [threading.Thread(target=time.sleep, args=(0.001,)) for _ in range(20)]
    for t in ended:
        t.start()
        deadlock.snapshot()
    for t in ended:
        t.join()
    assert gc.isenabled(), "snapshot() left the garbage collector disabled"
    gc.disable()
    try:
        deadlock.snapshot()
        assert not gc.isenabled(), "snapshot() enabled a collector that its caller had disabled"
    finally:
        gc.enable()
