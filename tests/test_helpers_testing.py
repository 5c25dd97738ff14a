"""testing: what exercise test cells check with; here, that no_new_threads sees and stops threads."""
import threading
import time

from helpers.testing import finishes_within, no_new_threads


def test_running_lists_unjoined_threads_but_not_the_watchdog():
    done = threading.Event()

    def starts_and_forgets():
        threading.Thread(target=done.wait, name="forgotten", daemon=True).start()

    with no_new_threads(wake=[done.set]) as threads:
        finishes_within(5, starts_and_forgets)
        assert [t.name for t in threads.running()] == ["forgotten"]
    assert threads.leftovers == ["forgotten"] and threads.stuck == []


def test_threads_blocked_in_threading_primitives_are_woken_on_exit():
    barrier, event, sem, cond = threading.Barrier(3), threading.Event(), threading.Semaphore(0), threading.Condition()
    items = []

    def wait_for_item():
        with cond:
            while not items:
                cond.wait()

    with no_new_threads(wake=[lambda: items.append(1)]) as threads:
        for name, target in (("barrier", barrier.wait), ("event", event.wait), ("semaphore", sem.acquire),
                             ("condition", wait_for_item)):
            threading.Thread(target=target, name=name, daemon=True).start()
        time.sleep(0.1)
    assert sorted(threads.leftovers) == ["barrier", "condition", "event", "semaphore"]
    assert threads.stuck == [], "every waiting thread should have been woken and ended"
    assert barrier.broken and event.is_set()
    assert threads.errors == [], "errors raised while being woken (BrokenBarrierError) are not the test's business"


def test_an_exception_that_ends_a_thread_is_collected_not_printed(capsys):
    def boom():
        raise ValueError("boom")

    start, hook = threading.Thread.start, threading.excepthook
    with no_new_threads() as threads:
        t = threading.Thread(target=boom, name="boom")
        t.start()
        t.join()
    assert threads.errors == [("boom", "ValueError: boom")]
    assert "Traceback" not in capsys.readouterr().err
    assert threading.Thread.start is start and threading.excepthook is hook, "the originals are put back"


def test_a_thread_that_cannot_be_woken_is_reported_stuck():
    sleeper = threading.Thread(target=time.sleep, args=(0.5,), name="sleeper", daemon=True)
    with no_new_threads(grace=0.1) as threads:
        sleeper.start()
    assert threads.stuck == ["sleeper"]
    sleeper.join()
