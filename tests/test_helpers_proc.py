"""helpers/ch02_processes.py, ch03_lifecycle.py, ex02_targets.py, ex03_targets.py: the readers and targets
chapters 02-03 and exercises ex02-ex03 rely on."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import ch02_processes, ch03_lifecycle as lc, ex02_targets, ex03_targets

posix_only = pytest.mark.skipif(os.name != "posix", reason="zombies and orphans are POSIX ideas")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreapers are Linux-only")


@posix_only
def test_state_letter_sees_running_zombie_and_reaped():
    child = subprocess.Popen(lc.sleeper_command(30))
    try:
        assert lc.wait_until(lambda: lc.state_letter(child.pid) == "S", timeout=10)
    finally:
        child.kill()
    assert lc.wait_until(lambda: lc.state_letter(child.pid) == "Z", timeout=10), "an unwaited child is a zombie"
    child.wait()
    assert lc.state_letter(child.pid) is None, "a reaped child no longer exists"


@linux_only
def test_state_letter_is_not_fooled_by_parentheses_in_the_name():
    child = subprocess.Popen(ex03_targets.named_command("a) Z (b", 30))
    try:
        time.sleep(0.3)
        with open(f"/proc/{child.pid}/stat") as f:
            assert "a) Z (b" in f.read(), "the test process did not rename itself"
        assert lc.state_letter(child.pid) != "Z"
    finally:
        child.kill()
        child.wait()


@linux_only
def test_subreaper_adopts_the_orphan_and_restores_the_flag():
    before = lc.is_subreaper()
    ctx = multiprocessing.get_context("spawn")
    with lc.subreaper():
        assert lc.is_subreaper()
        mine, theirs = ctx.Pipe()
        parent = ctx.Process(target=lc.parent_of_orphan, args=(theirs, 30))
        parent.start()
        orphan = mine.recv()
        assert lc.ppid_of(orphan) == parent.pid
        parent.kill()
        parent.join()
        assert lc.wait_until(lambda: lc.ppid_of(orphan) == os.getpid(), timeout=5), "adopted by us"
        os.kill(orphan, signal.SIGKILL)
        os.waitpid(orphan, 0)
    assert lc.is_subreaper() == before


@linux_only
def test_a_parent_that_returns_without_waiting_leaves_an_orphan():
    ctx = multiprocessing.get_context("spawn")
    with lc.subreaper():
        mine, theirs = ctx.Pipe()
        parent = ctx.Process(target=lc.parent_of_orphan, args=(theirs, 30, 0.1))
        parent.start()
        orphan = mine.recv()
        parent.join(30)
        assert parent.exitcode == 0, "the parent should return normally"
        try:
            assert lc.wait_until(lambda: lc.ppid_of(orphan) == os.getpid(), timeout=5), "adopted by us"
            assert lc.state_letter(orphan) in ("S", "R"), "the orphan keeps running"
        finally:
            os.kill(orphan, signal.SIGKILL)
            os.waitpid(orphan, 0)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork()")
def test_fork_cost_grows_with_the_parent():
    small, rss = ch02_processes.fork_cost(3)
    assert small > 0 and rss > 0
    big = bytearray(128 * 2**20)
    try:
        _, rss_big = ch02_processes.fork_cost(3)
    finally:
        del big
    assert rss_big > rss + 100 * 2**20, "fork_cost reports the parent's resident memory"


@posix_only
def test_unguarded_script_fails_under_spawn_and_works_under_fork():
    script = """
import multiprocessing as mp, sys
def work():
    pass
p = mp.get_context(sys.argv[1]).Process(target=work)
p.start(); p.join()
print("exit", p.exitcode)
"""
    assert "exit 1" in ch02_processes.run_script(script, "spawn", quiet=True).stdout
    if "fork" in multiprocessing.get_all_start_methods():
        assert "exit 0" in ch02_processes.run_script(script, "fork", quiet=True).stdout


def test_meet_exits_99_when_the_others_never_come(ctx):
    barrier = ctx.Barrier(2)
    p = ctx.Process(target=ex02_targets.meet, args=(barrier, 5, 0.3))
    p.start()
    p.join(10)
    assert p.exitcode == 99


def test_tell_and_show_carry_child_lines_to_the_parent(ctx, capsys):
    out = ctx.Queue()
    p = ctx.Process(target=ch02_processes.greet, args=("Hello", "world"), kwargs={"out": out})
    p.start()
    p.join(10)
    ch02_processes.show(out)
    assert "Hello, world!" in capsys.readouterr().out
