"""ch04_box_office and ch05_ipc: what chapters 04 and 05 draw and claim, checked on a small run."""
import errno
import os
import tempfile
from pathlib import Path

import pytest

from helpers import ch04_box_office as box_office
from helpers import ch05_ipc, plots, subproc
from helpers.recording import Recorder


def _states(rec) -> set[str]:
    return {state for segs in rec.rows().values() for state, _, _ in segs}


def test_a_locked_sale_never_oversells_and_is_drawn_in_the_course_states(tmp_path):
    rec = Recorder("sale")
    r = box_office.run_box_office(tmp_path, buyers=3, tickets=2, scope="all", pay=0.01, work=0.002, rec=rec)
    assert (r["sold"], r["left_in_db"], r["oversold"]) == (2, 0, 0)
    states = _states(rec)
    assert states <= set(plots.STATE_COLORS) and "ready" not in states, f"states outside the colour key: {states}"
    assert {"running", "blocked", "lock wait"} <= states, "paying is a sleep (blocked), the lock wait is a lock wait"
    marks = [e.detail for e in rec.events() if e.kind == "mark"]
    assert marks.count("read") == 3 and marks.count("write") == 2, "one read per buyer, one write per seat sold"
    box_office.draw_sale(rec, buyers=3, title="test")


def test_without_a_lock_buyers_that_start_together_oversell(tmp_path):
    r = box_office.run_box_office(tmp_path, buyers=4, tickets=1, scope="none", pay=0.2)
    assert r["sold"] > 1 and r["left_in_db"] == 0


def test_an_atomic_write_leaves_only_the_new_file(tmp_path):
    db = tmp_path / "db.json"
    box_office.write_json_atomic(db, {"tickets": 1})
    box_office.write_json_atomic(db, {"tickets": 2}, fsync=False)
    assert box_office.read_json(db) == {"tickets": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"], "no temporary file may be left"


def test_a_rename_between_two_file_systems_fails_with_exdev(tmp_path):
    other = box_office.folder_on_another_file_system(tmp_path)
    if other is None:
        pytest.skip("no writable folder on another file system here")
    fd, tmp = tempfile.mkstemp(dir=other)
    os.close(fd)
    try:
        with pytest.raises(OSError) as exc:
            os.replace(tmp, tmp_path / "db.json")
        assert exc.value.errno == errno.EXDEV
    finally:
        Path(tmp).unlink(missing_ok=True)


def test_with_releases_the_lock_when_the_holder_crashes():
    import multiprocessing as mp
    for target, free in ((box_office.hold_lock, False), (box_office.hold_lock_with, True)):
        lock = mp.Lock()
        p = mp.Process(target=target, args=(lock, 0.0, True))
        p.start()
        p.join()
        assert p.exitcode == 1
        assert lock.acquire(timeout=0.5) is free, f"{target.__name__}: lock free after the crash should be {free}"


def test_producers_and_consumers_draw_only_running_and_blocked():
    import multiprocessing as mp
    q, done, rec = mp.Queue(2), mp.Queue(), Recorder("pipeline")
    prod = mp.Process(target=ch05_ipc.producer, args=(q, "P", 4, 0.002, rec), name="P")
    cons = mp.Process(target=ch05_ipc.consumer, args=(q, "C", done, 0.004, rec), name="C")
    prod.start()
    cons.start()
    prod.join()
    q.put(ch05_ipc.STOP)
    got = [done.get(timeout=10) for _ in range(5)]
    cons.join()
    assert got[-1] == ("C", ch05_ipc.STOP) and len(got) == 5
    assert _states(rec) == {"running", "blocked"}, "simulated work is CPU work (running), queue waits are blocked"


def test_the_pipe_capacity_is_measured():
    n = ch05_ipc.pipe_capacity()
    assert n is None or n >= 512, "POSIX pipes hold at least PIPE_BUF (512) bytes"


def test_a_block_nobody_unlinks_is_unlinked_by_the_resource_tracker():
    run = ch05_ipc.run_program("forget")
    name = run.stdout.strip()
    assert name and not ch05_ipc.block_exists(name), "the tracker should have unlinked the forgotten block"
    if os.name == "posix":
        assert ch05_ipc.tracker_warnings(run.stderr), "and said so"


@pytest.mark.skipif(os.name != "posix", reason="Windows frees a block when its last handle closes")
def test_a_stranger_with_a_tracker_of_its_own_destroys_the_block():
    r = subproc.call(ch05_ipc.share_with_a_stranger, True, timeout=30)
    r.check()
    assert r.value["stranger read"] == "hello"
    assert r.value["block still there for its creator"] is False


@pytest.mark.skipif(not ch05_ipc.TRACK_PARAMETER or os.name != "posix", reason="track= needs Python 3.13+")
def test_a_stranger_with_track_false_leaves_the_block_alone():
    r = subproc.call(ch05_ipc.share_with_a_stranger, False, timeout=30)
    r.check()
    assert r.value["block still there for its creator"] is True


def test_track_false_before_313_is_a_clear_error():
    if ch05_ipc.TRACK_PARAMETER:
        pytest.skip("this Python has track=")
    with pytest.raises(ValueError, match="3.13"):
        ch05_ipc.share_with_a_stranger(False)
