"""locks: traced locks and semaphores record who waited and who held, for threads and processes."""
import pickle
import threading

import pytest

from helpers import locks, workloads


def _holds(traced):
    return sorted((a, r) for _, _, a, r in traced.cycles() if a is not None)


def _assert_no_overlap(traced):
    holds = _holds(traced)
    for (a1, r1), (a2, r2) in zip(holds, holds[1:]):
        assert r1 <= a2, f"two holders at once: {(a1, r1)} and {(a2, r2)}"


def test_threads_hold_a_traced_lock_one_at_a_time():
    lock = locks.TracedLock(name="tickets")
    threads = [threading.Thread(target=workloads.use_lock, args=(lock, 5, 0.001, 0.001), name=f"seller-{i}")
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _assert_no_overlap(lock)
    st = lock.statistics()
    assert st.acquisitions == 15
    assert {w: s.acquisitions for w, s in st.workers.items()} == {f"seller-{i}": 5 for i in range(3)}
    assert st.handoffs >= 2, "three workers each got the lock, so it changed hands at least twice"
    assert all(s.wait_total >= 0 and s.hold_total > 0 for s in st.workers.values())
    rows = lock.rows()
    assert {s for segs in rows.values() for s, _, _ in segs} <= {"lock wait", "holding"}
    assert "seller-0" in st.table()


def test_processes_hold_a_traced_lock_one_at_a_time(ctx):
    lock = locks.TracedLock(ctx)
    procs = [ctx.Process(target=workloads.use_lock, args=(lock, 4, 0.001, 0.001)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    _assert_no_overlap(lock)
    st = lock.statistics()
    assert {w: s.acquisitions for w, s in st.workers.items()} == {p.name: 4 for p in procs}
    assert st.handoffs >= 1


def test_semaphore_never_has_more_holders_than_its_value(ctx):
    sem = locks.TracedSemaphore(2, ctx)
    procs = [ctx.Process(target=workloads.use_lock, args=(sem, 3, 0.002, 0.0)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    edges = sorted([(a, 1) for _, _, a, _ in sem.cycles()] + [(r, -1) for _, _, _, r in sem.cycles()],
                   key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, d in edges:
        level += d
        peak = max(peak, level)
    assert peak <= 2
    assert sem.statistics().acquisitions == 9


def test_a_timed_out_acquire_is_recorded_as_a_wait_without_hold():
    lock = locks.TracedLock()
    lock.acquire()
    got = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.01)), name="impatient")
    t.start()
    t.join()
    lock.release()
    assert got == [False]
    st = lock.statistics()
    assert st.workers["impatient"].timeouts == 1 and st.workers["impatient"].acquisitions == 0
    assert [s for s, _, _ in lock.rows()["impatient"]] == ["lock wait"]


def test_thread_lock_refuses_to_travel_to_a_process_and_says_what_to_do():
    with pytest.raises(TypeError, match="multiprocessing"):
        pickle.dumps(locks.TracedLock())


def test_release_of_an_unlocked_lock_raises_like_the_real_one():
    with pytest.raises(RuntimeError):
        locks.TracedLock().release()


def test_rlock_records_only_the_outermost_hold():
    lock = locks.TracedRLock()

    def nested():
        with lock:
            with lock:
                with lock:
                    pass
    threads = [threading.Thread(target=nested, name=f"t{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lock.statistics().acquisitions == 2
    _assert_no_overlap(lock)
    assert not lock.locked()


def test_a_deadlock_shows_as_a_cycle_and_as_waits_that_never_end():
    a, b = locks.TracedLock(name="fork A"), locks.TracedLock(name="fork B")
    both_hold = threading.Barrier(2)
    give_up = threading.Event()

    def philosopher(first, second):
        with first:
            both_hold.wait()
            if second.acquire(timeout=2):          # will not get it: the other one holds it
                second.release()
            give_up.wait(5)

    t1 = threading.Thread(target=philosopher, args=(a, b), name="Ann")
    t2 = threading.Thread(target=philosopher, args=(b, a), name="Bob")
    t1.start()
    t2.start()
    import time
    for _ in range(500):                           # until both are blocked in their second acquire
        if len(a.waiting()) + len(b.waiting()) == 2:
            break
        time.sleep(0.01)
    cycle = locks.find_deadlock(a, b)
    graph = sorted(locks.wait_for_graph(a, b))
    rows = {**{f"{w} / A": s for w, s in a.rows().items()}, **{f"{w} / B": s for w, s in b.rows().items()}}
    # break the deadlock so the test ends: release happens when the timed acquires give up
    give_up.set()
    t1.join()
    t2.join()
    assert graph == [("Ann", "fork B", "Bob"), ("Bob", "fork A", "Ann")]
    assert sorted(cycle) == ["Ann", "Bob"]
    assert rows["Ann / B"][-1][0] == "lock wait" and rows["Bob / A"][-1][0] == "lock wait"
    assert locks.find_deadlock(a, b) is None


# ---- semaphores: bounded, unmatched releases, permits over time -----------------------------------

def _park(sem, seconds):
    with sem:
        import time
        time.sleep(seconds)


def test_semaphore_counts_holders_and_draws_one_row_per_permit():
    sem = locks.TracedSemaphore(2, name="lot")
    threads = [threading.Thread(target=_park, args=(sem, 0.02), name=f"car {i}") for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sem.peak() == 2 and sem.in_use()[-1][1] == 0
    permits = sem.permit_rows("space")
    assert list(permits) == ["space 1", "space 2"]
    assert sorted(w for segs in permits.values() for w, _, _ in segs) == [f"car {i}" for i in range(5)]
    for segs in permits.values():                      # one holder per permit at a time
        for (_, _, end), (_, start, _) in zip(segs, segs[1:]):
            assert end <= start
    assert {s for segs in sem.rows(holding="blocked").values() for s, _, _ in segs} <= {"lock wait", "blocked"}
    assert sem.unmatched_releases() == []


def test_an_over_release_shows_as_an_unmatched_release_and_an_extra_permit():
    sem = locks.TracedSemaphore(1)
    sem.acquire()
    sem.release()
    sem.release()                                      # a plain Semaphore accepts it: now 2 permits
    both = threading.Barrier(2, timeout=5)

    def hold():
        with sem:
            both.wait()                                # two holders at once prove the extra permit
    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [w for w, _ in sem.unmatched_releases()] == ["MainThread"]
    assert sem.peak() == 2
    assert list(sem.permit_rows()) == ["permit 1", "permit 2 (over 1!)"]


def test_a_bounded_semaphore_refuses_a_release_too_many_and_records_nothing_for_it(ctx):
    for sem in (locks.TracedSemaphore(2, bounded=True), locks.TracedSemaphore(2, ctx, bounded=True)):
        with sem:
            pass
        with pytest.raises(ValueError):
            sem.release()
        assert sem.unmatched_releases() == [] and sem.statistics().acquisitions == 1
        assert "bounded" in repr(sem)


def test_semaphore_picture_has_permits_above_and_workers_below():
    import matplotlib
    matplotlib.use("Agg")
    from helpers import plots
    sem = locks.TracedSemaphore(2, name="lot")
    threads = [threading.Thread(target=_park, args=(sem, 0.01), name=f"car {i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    top, bottom = plots.semaphore(sem, holding="blocked", label="space")
    assert [t.get_text() for t in top.get_yticklabels()] == ["space 2", "space 1"]
    assert len(bottom.get_yticklabels()) == 3
    assert "2 spaces" in top.get_title()


# ---- conditions: who waited, who notified ---------------------------------------------------------

def test_traced_condition_records_waits_notifies_and_who_is_waiting():
    cond, items, got = locks.TracedCondition(name="items"), [], []

    def consumer():
        with cond:
            while not items:
                cond.wait()
            got.append(items.pop())
    threads = [threading.Thread(target=consumer, name=f"c{i}") for i in range(2)]
    for t in threads:
        t.start()
    assert cond.until_waiting(2)
    assert sorted(cond.waiting()) == ["c0", "c1"]
    assert {s for segs in cond.rows().values() for s, _, _ in segs} == {"blocked"}
    with cond:
        items.append(1)
        cond.notify_all()
    import time
    for _ in range(500):                               # one took it, the other waits again
        if len(got) == 1 and len(cond.waits()) == 2 and len(cond.waiting()) == 1:
            break
        time.sleep(0.01)
    with cond:
        items.append(2)
        cond.notify()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2] and cond.waiting() == []
    assert [n for _, _, n in cond.notifies()] == ["all", 1]
    waits = cond.waits()
    assert len(waits) == 3 and all(notified for *_, notified in waits)
    with cond:
        assert cond.wait(0.01) is False and cond.wait_for(lambda: False, 0.01) is False
    assert [notified for *_, notified in cond.waits()][-2:] == [False, False]


def test_traced_condition_can_share_a_recorder():
    from helpers.recording import Recorder
    rec = Recorder("demo")
    cond = locks.TracedCondition(rec=rec)
    with cond:
        cond.wait(0.001)
    rec.mark("after")
    assert cond.recording is rec
    assert [e.kind for e in rec.events()] == ["wait", "mark"]
