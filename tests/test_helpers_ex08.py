"""ex08_targets: the court's locks end a deadlock at once, force the worst timing, record lock order;
the probe turns a self-deadlock into an error; nothing a test runs is left behind."""
import threading
import time

import pytest

from helpers import ex08_targets as targets


def crossed(first, second):
    with first:
        with second:
            pass


def test_a_cycle_ends_at_once_in_every_thread_with_the_cycle_named():
    for _ in range(5):                          # the gate makes the collision happen every time
        court = targets.Court(gate=True)
        a, b = court.lock("A"), court.lock("B")
        outs = court.run(("ab", crossed, a, b), ("ba", crossed, b, a))
        assert court.deadlock and "waits for" in court.deadlock
        assert all(o.deadlocked and o.finished for o in outs)
    assert not any(t.name.startswith("ex08 ") for t in threading.enumerate())


def test_the_same_order_never_deadlocks_and_records_no_cycle():
    court = targets.Court(gate=True)
    a, b = court.lock("A"), court.lock("B")
    outs = court.run(("1", crossed, a, b), ("2", crossed, a, b))
    assert not court.deadlock and all(o.error is None for o in outs)
    assert court.order_cycles() == [] and court.held_now() == []


def test_a_lock_taken_twice_by_its_holder_is_a_cycle_of_one():
    court = targets.Court()
    a = court.lock("A")
    [out] = court.run(("twice", crossed, a, a))
    assert out.deadlocked and "held by itself" in court.deadlock


def test_a_lock_left_held_by_a_returned_call_is_a_deadlock_for_the_next():
    court = targets.Court()
    a = court.lock("A")
    court.run(("keeps it", a.acquire))
    [out] = court.run(("next", crossed, a, court.lock("B")))
    assert out.deadlocked and "returned without releasing" in court.deadlock


def test_a_cycle_through_a_timed_wait_is_no_deadlock_but_the_order_is_noted():
    court = targets.Court(gate=True)
    a, b = court.lock("A"), court.lock("B")

    def patient(first, second):
        with first:
            if second.acquire(timeout=0.2):
                second.release()

    outs = court.run(("ab", patient, a, b), ("ba", patient, b, a))
    assert not court.deadlock and all(o.error is None for o in outs)
    assert len(court.order_cycles()) == 1 and "asked for" in court.order_cycles()[0]


def test_three_locks_taken_around_a_ring_are_a_cycle_of_the_order():
    court = targets.Court()
    x, y, z = court.lock("x"), court.lock("y"), court.lock("z")
    for pair in ((x, y), (y, z), (z, x)):       # one after another: no deadlock, but it could have been
        court.run(("pair", crossed, *pair))
    assert not court.deadlock and len(court.order_cycles()) == 1


def test_meet_tells_concurrent_calls_from_serialised_ones():
    court = targets.Court(patience=1.0)
    outs = court.run(("a", court.meet), ("b", court.meet))
    assert court.met and all(o.error is None for o in outs)
    court = targets.Court(patience=0.3)
    one = threading.Lock()

    def alone():
        with one:
            court.meet()

    court.run(("a", alone), ("b", alone))
    assert not court.met


def test_the_probe_turns_a_self_deadlock_into_an_error_and_counts_releases():
    plain = targets.LockProbe(threading.Lock())
    with plain:
        with pytest.raises(targets.SelfDeadlock):
            plain.acquire()
        assert plain.acquire(False) is False
    assert plain.free() and plain.releases == 1
    re = targets.LockProbe(threading.RLock())
    with re:
        with re:
            assert re.depth == 2 and re.held_by_me()
        assert re.releases == 0
    assert re.free() and re.releases == 1


def test_a_busy_loop_that_outlives_its_test_is_stopped():
    court = targets.Court()

    def spin():
        while True:
            pass

    [out] = court.run(("spins", spin), limit=0.3)
    assert not out.finished and isinstance(out.error, targets.Stuck)
    time.sleep(0.1)
    assert not any(t.name == "ex08 spins" for t in threading.enumerate())


def test_a_retry_loop_that_can_never_succeed_is_ended_by_its_behaviour():
    court = targets.Court()
    a = court.lock("A")

    def hold_and_retry():
        with a:
            while not a.acquire(blocking=False):   # its own lock: it can never get it
                pass

    [out] = court.run(("retries", hold_and_retry))
    assert out.deadlocked and "livelock" in court.deadlock
    probe = targets.LockProbe(threading.Lock())
    with probe:
        with pytest.raises(targets.SelfDeadlock, match="busy loop"):
            while not probe.acquire(blocking=False):
                pass
