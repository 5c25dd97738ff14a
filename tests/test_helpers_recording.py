"""recording: one clock across threads and processes, collected back without queues."""
import threading

from helpers import recording, workloads


def test_threads_and_processes_land_on_one_timeline(ctx):
    rec = recording.Recorder()
    procs = [ctx.Process(target=workloads.mixed, args=(0.005, 0.005, 3, rec)) for _ in range(2)]
    for p in procs:
        p.start()
    t = threading.Thread(target=workloads.mixed, args=(0.005, 0.005, 3, rec), name="worker-thread")
    t.start()
    t.join()
    for p in procs:
        p.join()
    rows = rec.rows()
    assert set(rows) == {p.name for p in procs} | {"worker-thread"}, rows.keys()
    for worker, segs in rows.items():
        assert [s for s, _, _ in segs] == ["running", "blocked"] * 3, (worker, segs)
        for (_, a, b), (_, c, _) in zip(segs, segs[1:]):
            assert a < b <= c, f"{worker}: segments out of order"
        assert all(a >= 0 for _, a, _ in segs), "times are relative to the recorder's start"
    rec.close()


def test_forked_child_does_not_resend_the_parents_events():
    import multiprocessing
    c = multiprocessing.get_context("fork")
    rec = recording.Recorder()
    rec.state("parent-work")
    rec.done()
    p = c.Process(target=workloads.mixed, args=(0.001, 0.001, 1, rec))
    p.start()
    p.join()
    kinds = [e.kind for e in rec.events()]
    assert kinds.count("parent-work") == 1
    assert kinds.count("running") == 1


def test_marks_are_events_but_not_segments_and_open_states_close():
    rec = recording.Recorder()
    rec.state("a")
    rec.mark("hello")
    rec.state("b")
    rec.mark("bye")
    rows = rec.rows()
    assert [s for s, _, _ in rows["MainThread"]] == ["a", "b"]
    assert [e.detail for e in rec.events() if e.kind == "mark"] == ["hello", "bye"]
    with rec.span("c"):
        pass
    assert rec.rows()["MainThread"][-1][0] == "c"
    rec.clear()
    assert rec.events() == []


def test_recorder_pickles_as_a_folder_name():
    import pickle
    rec = recording.Recorder()
    rec.state("x")
    clone = pickle.loads(pickle.dumps(rec))
    assert clone.dir == rec.dir and clone.t0 == rec.t0
    assert len(pickle.dumps(rec)) < 500


def test_events_from_process_pool_workers_arrive_after_shutdown(ctx):
    from concurrent.futures import ProcessPoolExecutor
    rec = recording.Recorder()
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        assert list(ex.map(workloads.recorded_task, [rec] * 6, range(6))) == list(range(6))
    rows = rec.rows()
    tasks = sorted(s for segs in rows.values() for s, _, _ in segs)
    assert tasks == sorted(f"task {i}" for i in range(6)), rows
    assert 1 <= len(rows) <= 2
