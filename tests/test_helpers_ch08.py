"""ch08_deadlock: the naive table deadlocks and is ended, every fix eats, the readers-preferring lock
starves its writer, FairLock serves first come first; no demo leaves a thread behind."""
import threading
import time

import pytest

from helpers import ch08_deadlock as ch08


def _ours_left():
    return [t.name for t in threading.enumerate() if t.name in ("Ann", "Bob") or t.name.startswith(("diner", "reader", "writer", "greedy", "impatient"))]


def test_the_naive_table_deadlocks_every_time_and_is_ended():
    for diners in (2, 4):
        result = ch08.dinner("naive", diners=diners, meals=1)
        assert result.deadlock is not None and result.deadlock.certain
        assert len(result.deadlock.cycle) == 2 * diners
        assert all(n == 0 for n in result.meals.values())
    time.sleep(0.1)
    assert not _ours_left()


@pytest.mark.parametrize("strategy", [s for s in ch08.STRATEGIES if s != "naive"])
def test_every_fix_lets_everyone_eat_with_the_worst_timing(strategy):
    result = ch08.dinner(strategy, diners=3, meals=2)
    assert result.deadlock is None and result.meals == {n: 2 for n in result.names}
    if strategy in ("ordered", "one lock"):
        assert sum(result.retries.values()) == 0
    assert not _ours_left()


def test_two_traced_rlocks_deadlock_like_two_locks():
    from helpers import locks
    assert ch08.dinner("naive", meals=1, lock_type=locks.TracedRLock).deadlock is not None


def test_polite_diners_with_a_random_back_off_eat():
    result = ch08.polite_pair("random", tries=60)
    assert result.meals == {"Ann": 1, "Bob": 1} and not any(result.gave_up.values())


def test_a_readers_preferring_lock_keeps_its_writer_waiting():
    run = ch08.readers_and_writer("readers", readers=3, seconds=0.2)
    assert run.longest_wait["writer"] > 0.4 * 0.2, run.summary()
    assert all(run.got[f"reader {i}"] > 0 for i in range(3))
    assert {s for segs in run.rows.values() for s, _, _ in segs} <= {"holding", "lock wait", "blocked"}


def test_fair_lock_serves_in_arrival_order_and_times_out_cleanly():
    lock = ch08.FairLock()
    lock.acquire()
    order = []

    def take(name):
        with lock:
            order.append(name)

    threads = []
    for name in ("first", "second", "third"):
        t = threading.Thread(target=take, args=(name,))
        t.start()
        threads.append(t)
        while len(lock._queue) < len(threads):
            time.sleep(0.001)
    assert lock.acquire(timeout=0.05) is False and len(lock._queue) == 3
    lock.release()
    for t in threads:
        t.join(5)
    assert order == ["first", "second", "third"] and not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()
