"""ch09_gil: the chapter's measurements run, report what they measured, and clean up; the parts that
need another interpreter (free-threaded, 3.14+) run wherever one is installed."""
import hashlib
import os
import stat
import sys
import threading

import pytest

from helpers import bench, ch09_gil as ch09, gil

OTHERS = ch09.other_pythons()
FREE_THREADED = [p["python"] for p in OTHERS if p["free_threaded"]]
WITH_INTERPRETERS = [p["python"] for p in OTHERS if p["interpreters"]]


def test_the_lock_loses_no_update_and_the_switch_interval_is_restored():
    before = sys.getswitchinterval()
    assert ch09.lost_updates("lock", threads=3, rounds=5_000) == (15_000, 15_000)
    assert sys.getswitchinterval() == before
    with pytest.raises(ValueError, match="how must be one of"):
        ch09.bump(ch09.Counter(), 1, "+= 1")


@pytest.mark.skipif(not gil.gil_enabled() or sys.version_info < (3, 10), reason="needs 3.10+ with the GIL")
def test_plain_augmented_assignment_happens_not_to_be_split_with_the_gil():
    # the chapter's claim (an implementation detail it tells readers not to rely on)
    assert ch09.lost_updates("+=", threads=4, rounds=20_000, switch_interval=1e-6) == (80_000, 80_000)


def test_appends_from_threads_are_all_kept():
    assert ch09.append_from_threads(threads=3, rounds=10_000) == (30_000, 30_000)


def test_the_grid_measures_six_cases_and_says_what_the_machine_gave():
    grid = ch09.workload_grid(workers=2, cpu_seconds=0.01, io_tasks=3, io_seconds=0.01, repeat=1, warmup=0,
                              progress=False)
    assert [m.label for m in grid.cpu.cases] == ["serial", "2 threads", "2 processes"]
    assert [m.label for m in grid.io.cases] == ["serial", "3 threads", "3 processes"]
    assert grid.io.limit(grid.io.cases[1]) == 3, "sleeping threads are limited by their number, not the CPUs"
    assert set(grid.speedups()) == {"cpu threads", "cpu processes", "io threads", "io processes"}
    assert "machine check" in grid.table() and "cores' worth of CPU given to us" in grid.verdict()
    assert 0 < grid.cpus_given <= bench.usable_cpus() + 0.5


def test_the_verdict_says_when_the_machine_gave_fewer_cpus():
    m = lambda label, w=1: bench.Measurement(label, [1.0], [1.0], w)
    cpu = bench.Comparison([m("serial"), m("2 threads", 2), m("2 processes", 2)], "serial", 2, (0.9, 1.1))
    io = bench.Comparison([m("serial"), m("4 threads", 4), m("4 processes", 4)], "serial", 2, (0.9, 1.1))
    verdict = ch09.Grid(cpu, io, 2, 4).verdict()
    assert "fewer CPUs than it reports (0.9 of 2)" in verdict
    healthy = ch09.Grid(bench.Comparison(cpu.cases, "serial", 2, (2.0, 1.9)), io, 2, 4).verdict()
    assert "fewer CPUs" not in healthy


def test_convoy_delays_are_per_number_of_cpu_threads():
    delays = ch09.convoy(cpu_threads=(0, 1), seconds=0.03)
    assert set(delays) == {0, 1} and delays[0] and all(d >= 0 for v in delays.values() for d in v)


@pytest.mark.parametrize("piece", [1 << 10, 3000, 1 << 20])
def test_digest_is_the_same_whatever_the_piece_size(piece):
    size = 10_000
    assert ch09.digest(size, piece) == hashlib.sha256(ch09._data(size)).hexdigest()[:12]
    assert int(ch09.digest(size, piece, kind="zlib")) > 0
    with pytest.raises(ValueError, match="kind must be"):
        ch09.digest(size, piece, kind="md5")


def test_hashing_compares_serial_with_threads():
    comp = ch09.hashing(workers=2, seconds=0.005, repeat=1, progress=False)
    assert [m.label for m in comp.cases] == ["serial", "2 threads"]
    assert ch09.bytes_for(0.001) % 2048 == 0


def test_gil_report_here_and_in_a_fresh_interpreter():
    here = ch09.gil_report(workers=2, cpu_seconds=0.01, probe_seconds=0.02)
    assert here["gil"] == gil.gil_enabled() and here["python"] == sys.version.split()[0]
    assert (here["interpreters_speedup"] is None) == (sys.version_info < (3, 14))
    there = ch09.run_elsewhere(sys.executable, workers=2, cpu_seconds=0.01, probe_seconds=0.02)
    assert set(there) == set(here) and "CPU-bound threads" in ch09.one_line(there)


def test_other_pythons_reads_what_each_interpreter_says(tmp_path, monkeypatch):
    fake = tmp_path / "python3.14t"
    fake.write_text("#!/bin/sh\necho 3.14.0 True True\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    plain = tmp_path / "python3.15"
    plain.write_text("#!/bin/sh\necho 3.15.0 False False\n")
    plain.chmod(plain.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    found = {p["python"]: p for p in ch09.other_pythons()}
    assert found[str(fake)] == {"python": str(fake), "version": "3.14.0", "free_threaded": True, "interpreters": True}
    assert str(plain) not in found, "an interpreter with nothing new to show is left out"
    assert os.path.realpath(sys.executable) not in {os.path.realpath(p) for p in found}


@pytest.mark.skipif(not FREE_THREADED, reason="no free-threaded CPython (3.13t/3.14t) installed")
@pytest.mark.parametrize("python", FREE_THREADED)
def test_on_a_free_threaded_build_threads_run_at_once_unless_the_gil_is_forced_on(python):
    off = ch09.run_elsewhere(python, gil_off=True, workers=2, cpu_seconds=0.05, probe_seconds=0.1)
    assert off["gil"] is False and off["overlap"] > 0, f"{python} with PYTHON_GIL=0: {off}"
    on = ch09.run_elsewhere(python, gil_off=False, workers=2, cpu_seconds=0.05, probe_seconds=0.1)
    assert on["gil"] is True and on["overlap"] < 0.05, f"{python} with PYTHON_GIL=1: {on}"


@pytest.mark.skipif(not WITH_INTERPRETERS, reason="no CPython 3.14+ (concurrent.interpreters) installed")
@pytest.mark.parametrize("python", WITH_INTERPRETERS)
def test_an_interpreter_pool_runs_the_same_benchmark(python):
    report = ch09.run_elsewhere(python, workers=2, cpu_seconds=0.05, probe_seconds=0.05)
    assert report["interpreters_speedup"] is not None and report["interpreters_speedup"] > 0


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="the OS cannot pin a process to one CPU")
def test_the_probe_runs_pinned_to_one_cpu():
    run = ch09.probe_on_one_cpu(threads=2, seconds=0.05, switch_interval=0.001)
    assert run.gil == gil.gil_enabled() and set(run.compute_threads) == {"thread 1", "thread 2"}
    assert run.switch_interval == 0.001


def test_threads_left_ignores_the_kernels_own_threads():
    before = set(threading.enumerate())
    stop = threading.Event()

    class GarbageCollectorThread(threading.Thread):     # what pyzmq starts when a big output is sent
        pass
    GarbageCollectorThread.__module__ = "zmq.utils.garbage"
    mine = threading.Thread(target=stop.wait, name="mine")
    theirs = GarbageCollectorThread(target=stop.wait, name="zmq gc")
    for t in (mine, theirs):
        t.start()
    try:
        assert ch09.threads_left(before) == ["mine"]
    finally:
        stop.set()
        mine.join()
        theirs.join()


def test_pictures_draw(tmp_path):
    import matplotlib.pyplot as plt
    ch09.plot_convoy({0: [0.1, 0.2], 1: [5.0, 5.2]}, 0.005)
    m = lambda label, w=1: bench.Measurement(label, [1.0], [1.0], w)
    cpu = bench.Comparison([m("serial"), m("2 threads", 2), m("2 processes", 2)], "serial", 2, (2.0, 2.0))
    io = bench.Comparison([m("serial"), m("4 threads", 4), m("4 processes", 4)], "serial", 2, (2.0, 2.0))
    ch09.Grid(cpu, io, 2, 4).plot()
    plt.close("all")
