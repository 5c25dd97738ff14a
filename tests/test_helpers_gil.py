"""gil: the probe shows which thread ran when, and the switch interval in force."""
import glob
import sys

import pytest

from helpers import gil, subproc


@pytest.mark.skipif(not gil.gil_enabled(), reason="this interpreter runs without a GIL")
def test_with_a_gil_threads_take_turns():
    run = gil.probe(threads=2, seconds=0.1, switch_interval=0.001)
    rows = run.rows()
    assert set(rows) == {"thread 1", "thread 2"}
    assert all(any(s == "running" for s, _, _ in segs) for segs in rows.values())
    assert run.handoffs >= 1, "two CPU-bound threads for 100 ms must swap at least once"
    assert run.overlap < 0.05, "with a GIL two threads cannot run Python code at the same time"
    assert run.switch_interval == 0.001
    assert sys.getswitchinterval() != 0.001 or run.switch_interval == 0.001


def test_the_switch_interval_is_restored():
    before = sys.getswitchinterval()
    gil.probe(threads=2, seconds=0.01, switch_interval=0.0005)
    assert sys.getswitchinterval() == before


def test_io_thread_is_drawn_blocked_between_wakeups():
    run = gil.probe(threads=1, seconds=0.03, io_threads=1, io_sleep=0.005)
    segs = run.rows()["I/O thread 1"]
    assert {s for s, _, _ in segs} <= {"blocked", "GIL wait", "running"}
    assert segs[0][0] == "blocked" and "running" in {s for s, _, _ in segs}
    assert len(run.io_wakeup_delays_ms()) >= 1 and min(run.io_wakeup_delays_ms()) >= 0
    assert "I/O thread 1" not in {s for s in run.stamps if s.startswith("thread")}


def test_unrecorded_run_counts_chunks():
    run = gil.probe(threads=2, seconds=0.05, record=False)
    # a thread may never get the GIL before the deadline on a busy machine: 0 is a valid count
    assert all(len(v) == 1 and v[0] >= 0 for v in run.stamps.values())
    assert sum(v[0] for v in run.stamps.values()) > 0


FREE_THREADED = sorted(glob.glob("/root/.pyenv/versions/*/bin/python3.1[3-9]t")) + \
    sorted(glob.glob("/usr/bin/python3.1[3-9]t"))


@pytest.mark.skipif(not FREE_THREADED, reason="no free-threaded CPython (3.13t/3.14t) installed")
def test_free_threaded_build_shows_overlap():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from helpers.gil import probe\n"
            "r = probe(threads=2, seconds=0.1)\n"
            "print(r.gil, r.overlap)") % str(subproc.REPO)
    res = subproc.run(code, python=FREE_THREADED[-1], timeout=30, env={"PYTHON_GIL": "0", "PATH": "/usr/bin"})
    gil_on, overlap = res.check().stdout.split()
    assert gil_on == "False" and float(overlap) > 0


def test_overlap_analysis_on_synthetic_free_threaded_stamps():
    # two threads stamping every 10 us over the same 10 ms, as on a build without a GIL
    stamps = {"thread 1": list(range(0, 10_000_000, 10_000)), "thread 2": list(range(5_000, 10_005_000, 10_000))}
    run = gil.GilRun(stamps, 0, 0.005, False, 200_000)
    assert run.overlap > 0.9
    for segs in run.rows().values():     # one long run each, nobody waits
        assert [s for s, _, _ in segs][-1] == "running"
        assert sum(b - a for s, a, b in segs if s == "GIL wait") < 1e-4
    # and the same stamps taking turns every 5 ms, as with a GIL
    turns = {"thread 1": [t for t in stamps["thread 1"] if (t // 5_000_000) % 2 == 0],
             "thread 2": [t for t in stamps["thread 2"] if (t // 5_000_000) % 2 == 1]}
    run = gil.GilRun(turns, 0, 0.005, True, 200_000)
    assert run.overlap == 0 and run.handoffs == 1
