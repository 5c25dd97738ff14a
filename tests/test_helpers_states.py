"""states: running / ready / blocked / zombie as the kernel saw them."""
import os
import subprocess
import sys

import pytest

from helpers import states, workloads

linux_only = pytest.mark.skipif(not states.HAVE_SCHEDSTAT, reason="needs /proc/PID/schedstat (Linux)")


def _started(ctx, target, *args):
    ready = ctx.Event()
    p = ctx.Process(target=workloads.signal_then, args=(ready, target, *args))
    p.start()
    assert ready.wait(30), "child did not start"
    return p


@linux_only
def test_a_sleeping_process_is_blocked(ctx):
    p = _started(ctx, workloads.sleep, 0.6)
    rec = states.sample([p], interval=0.002, duration=0.2)
    rec.wait()
    tot = rec.totals()[rec.labels[p.pid]]
    p.join()
    assert rec.seen("blocked")[rec.labels[p.pid]], rec.rows()
    assert tot["running"] < tot["blocked"], tot


@linux_only
def test_a_finished_unjoined_child_is_a_zombie(ctx):
    p = ctx.Process(target=workloads.sleep, args=(0,))
    p.start()
    if ctx.get_start_method() == "forkserver":
        # the fork server, not we, is the parent: it reaps the child at once, so no zombie of ours
        from multiprocessing.connection import wait
        wait([p.sentinel])
        rec = states.sample([p], duration=0.05).stop()
        assert not rec.seen("zombie")[rec.labels[p.pid]]
    else:
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)   # wait for the exit, do not reap
        rec = states.sample([p], duration=0.05).stop()
        assert rec.rows()[rec.labels[p.pid]][-1][0] == "zombie", rec.rows()
    p.join()


@linux_only
def test_a_popen_child_stays_zombie_until_waited():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    rec = states.sample([child], duration=0.03).stop()
    assert rec.seen("zombie") == {f"pid {child.pid}": True}
    child.wait()
    rec2 = states.sample([child.pid], duration=0.01).stop()   # reaped: gone, nothing sampled
    assert rec2.rows() == {f"pid {child.pid}": []}


@linux_only
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_two_cpu_bound_processes_on_one_cpu_wait_for_it(ctx):
    cpu = min(os.sched_getaffinity(0))
    # Both spin only once both are up and pinned: under spawn on a slow machine the first one's
    # 0.15 s was once over before the second had started, and it was never seen waiting.
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=workloads.start_together, args=(ready, go, workloads.spin, 0.15)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        assert ready.acquire(timeout=30), "child did not start"
        os.sched_setaffinity(p.pid, {cpu})
    with states.sample(procs, interval=0.002) as rec:
        go.set()
        for p in procs:
            p.join()
    totals = rec.totals()
    for p in procs:
        label = rec.labels[p.pid]
        assert totals[label]["ready"] > 0, (label, totals[label])
    assert any(rec.seen("ready").values()), rec.rows()


def test_psutil_fallback_says_it_cannot_see_ready(ctx):
    # Both outlast the sampling by far and are ended after it: under spawn on a slow machine the
    # second start alone once took longer than a 0.5 s sleep, and the sleeper was never seen asleep.
    sleeper = _started(ctx, workloads.sleep, 60)
    spinner = _started(ctx, workloads.spin_wall, 60)
    rec = states.sample([sleeper, spinner], interval=0.005, method="psutil", duration=0.1)
    rec.wait()
    seen_blocked = rec.seen("blocked")
    seen_either = rec.seen("running or ready")
    for p in (spinner, sleeper):
        p.terminate()
        p.join()
    assert "ready" in rec.note
    assert seen_blocked[rec.labels[sleeper.pid]]
    assert seen_either[rec.labels[spinner.pid]]
    assert not any(rec.seen("ready").values())


def test_sample_needs_started_processes(ctx):
    p = ctx.Process(target=workloads.sleep, args=(0,))
    with pytest.raises(ValueError, match="start"):
        states.sample([p])


@linux_only
def test_run_three_cpu_bound_and_a_sleeper(ctx):
    tasks = [(workloads.spin, 0.1)] * 3 + [(workloads.sleep, 0.1)]
    rec = states.run(tasks, names=["cpu 1", "cpu 2", "cpu 3", "sleeper"], ctx=ctx)
    rows = rec.rows()
    assert [label.split(" (")[0] for label in rows] == ["cpu 1", "cpu 2", "cpu 3", "sleeper"]
    tot = rec.totals()
    sleeper = next(v for k, v in tot.items() if k.startswith("sleeper"))
    assert sleeper["blocked"] > sleeper["running"]
    for label, t in tot.items():
        if label.startswith("cpu"):
            assert t["running"] > 0.05, (label, t)   # each used its 0.1 s of CPU while sampled


def test_contention_plan_starts_one_busy_process_more_than_cpus():
    from helpers import bench
    from helpers.ch01_os_basics import contention_plan
    cpus, busy, case = contention_plan()
    if cpus is None:
        assert busy == bench.usable_cpus() + 1
    else:
        assert cpus <= os.sched_getaffinity(0) and 1 <= len(cpus) <= 2
        assert busy == len(cpus) + 1
    assert str(busy) in case


def test_run_refuses_notebook_functions_under_spawn():
    import multiprocessing

    def job():
        pass
    job.__module__ = "__main__"
    with pytest.raises(ValueError, match="module"):
        states.run([(job,)], ctx=multiprocessing.get_context("spawn"))
