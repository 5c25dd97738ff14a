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


# ---- reading the stamps: a stop is not a GIL wait unless another thread ran (docs/design-notes.md) ----

US, MS = 1_000, 1_000_000


def _turn_taking(stall_cpu: bool | None):
    """Two threads taking 5 ms turns for 30 ms, stamping every 2 us; in the middle of every turn the
    holder stops for 300 us with nobody else running. stall_cpu: did it use the CPU meanwhile
    (None: no CPU marks recorded)? Returns the run."""
    stamps, marks = {"thread 1": [], "thread 2": []}, {"thread 1": [], "thread 2": []}
    cpu = {"thread 1": 0, "thread 2": 0}
    last = {"thread 1": None, "thread 2": None}
    for turn in range(6):
        name = f"thread {turn % 2 + 1}"
        st, mk = stamps[name], marks[name]
        t = turn * 5 * MS
        while t < (turn + 1) * 5 * MS - 10 * US:
            if last[name] is not None and t - last[name] > 50 * US or not st:
                mk.append((len(st), cpu[name]))
            st.append(t)
            last[name] = t
            t += 2 * US
            cpu[name] += 2 * US
            if t == turn * 5 * MS + 2500 * US:          # the stop, half-way through the turn
                t += 300 * US
                cpu[name] += 300 * US if stall_cpu else 0
    if stall_cpu is None:
        marks = {}
    return gil.GilRun(stamps, 0, 0.005, True, 50 * US, marks=marks)


def test_a_stop_in_which_nobody_else_ran_does_not_end_a_turn():
    run = _turn_taking(stall_cpu=False)
    # the old reading ended a slice at every gap and reported about 2.5 ms here
    assert run.slices_ms() and all(4.9 < s < 5.0 for s in run.slices_ms()), run.slices_ms()
    assert len(run.slices_ms()) == 4, "each thread's last turn is cut by the end of the run: left out"
    assert run.handoffs == 5
    stalls = run.stalls_ms()
    assert len(stalls) == 6 and all(abs(s - 0.302) < 0.01 for s in stalls), stalls
    states = [s for s, _, _ in run.rows()["thread 1"]]
    assert states[:3] == ["running", "not running", "running"] and "GIL wait" in states


def test_a_stop_with_cpu_time_is_running():
    run = _turn_taking(stall_cpu=True)               # e.g. the stamp list being copied as it grows
    assert run.stalls_ms() == []
    assert "not running" not in {s for segs in run.rows().values() for s, _, _ in segs}
    assert all(4.9 < s < 5.0 for s in run.slices_ms())


def test_without_cpu_marks_a_stop_is_not_running_but_still_inside_the_turn():
    run = _turn_taking(stall_cpu=None)
    assert len(run.stalls_ms()) == 6 and all(4.9 < s < 5.0 for s in run.slices_ms())


def test_the_gil_wait_starts_when_another_thread_is_seen_running():
    # thread 1 stops at 1.0 ms; thread 2 stamps from 1.2 ms to 2.0 ms; thread 1 is back at 2.1 ms
    t1 = list(range(0, 1 * MS + 1, 2 * US)) + list(range(2100 * US, 3 * MS, 2 * US))
    t2 = list(range(1200 * US, 2 * MS + 1, 2 * US))
    run = gil.GilRun({"thread 1": t1, "thread 2": t2}, 0, 0.005, True, 50 * US)
    segs = run.rows()["thread 1"]
    assert [s for s, _, _ in segs] == ["running", "not running", "GIL wait", "running"]
    assert abs(segs[2][1] - 1.2e-3) < 1e-9 and abs(segs[2][2] - 2.1e-3) < 1e-9
    assert run.stalls_ms() == [], "the hand-off itself is not a stop off the CPU"
    assert run.rows()["thread 2"][0][0] == "GIL wait", "thread 2 waited from the start"


def test_without_a_gil_a_stop_off_the_cpu_ends_a_run():
    t1 = list(range(0, 1 * MS, 2 * US)) + list(range(1500 * US, 3 * MS, 2 * US))
    t2 = list(range(1 * US, 3 * MS, 2 * US))
    run = gil.GilRun({"thread 1": t1, "thread 2": t2}, 0, 0.005, False, 50 * US)
    assert [s for s, _, _ in run.rows()["thread 1"]] == ["running", "not running", "running"]
    assert "GIL wait" not in {s for segs in run.rows().values() for s, _, _ in segs}
    assert run.overlap > 0.75


def test_a_real_run_records_cpu_marks_after_every_gap():
    run = gil.probe(threads=2, seconds=0.05)
    for name in run.compute_threads:
        st, marks = run.stamps[name], run.marks[name]
        gaps = [i for i, (a, b) in enumerate(zip(st, st[1:]), 1) if b - a > run.gap_ns]
        assert [i for i, _ in marks] == [0] + gaps
        assert all(c2 >= c1 for (_, c1), (_, c2) in zip(marks, marks[1:])), "a CPU clock never goes back"
    assert run.gap_ns >= gil.MIN_GAP_NS


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="at least one thread"):
        gil.probe(threads=0, seconds=0.01)


def test_pieces_are_what_the_first_probe_called_slices():
    run = _turn_taking(stall_cpu=False)
    pieces = run.pieces_ms()
    assert len(pieces) > len(run.slices_ms()) and max(pieces) < 2.6, \
        "every stop cuts a piece: about 2.5 ms here, half the 5 ms turn"
