"""subproc: fresh interpreters with a time limit; nothing they start is left running (threads included)."""
import psutil
import pytest

from helpers import subproc, workloads


def test_run_captures_output_and_exit_code():
    r = subproc.run("import sys; print('hello'); print('oops', file=sys.stderr); sys.exit(3)", timeout=10)
    assert (r.returncode, r.stdout.strip(), r.stderr.strip(), r.timed_out) == (3, "hello", "oops", False)
    with pytest.raises(RuntimeError, match="code 3"):
        r.check()


def test_timeout_kills_the_program():
    r = subproc.run("print('start', flush=True)\nwhile True: pass", timeout=0.5)
    assert r.timed_out and not r.ok and "start" in r.stdout


def test_descendants_in_their_own_session_are_killed_too():
    code = """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
        print(child.pid, flush=True)
        time.sleep(60)
    """
    with subproc.start(code) as h:
        assert h.wait_for_output("\n", timeout=10)
        grandchild = int(h.output()[0].split()[0])
        assert psutil.pid_exists(grandchild)
    try:
        status = psutil.Process(grandchild).status()
    except psutil.NoSuchProcess:
        status = "gone"
    assert status in ("gone", psutil.STATUS_ZOMBIE), f"setsid grandchild still {status}"


def test_orphaned_daemon_is_found_by_its_token():
    # the child double-forks: the grandchild is reparented away from us before we look
    code = """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        os.wait()
        time.sleep(60)
    """
    h = subproc.start(code)
    import time
    time.sleep(0.3)
    tagged = subproc._tagged(h.token)
    assert len(tagged) >= 2
    h.stop()
    for p in tagged:
        assert not p.is_running() or p.status() == psutil.STATUS_ZOMBIE


def test_events_recorded_in_the_program_come_back():
    code = """
        from helpers import recording, workloads
        rec = recording.from_env()
        workloads.mixed(0.002, 0.002, 2, rec)
    """
    r = subproc.run(code, record=True, timeout=20).check()
    (worker, segs), = r.rows.items()
    assert worker.startswith("pid ")
    assert [s for s, _, _ in segs] == ["running", "blocked"] * 2


def test_call_returns_the_value_of_a_module_function():
    r = subproc.call(workloads.square_slowly, 7, seconds=0.001, timeout=20).check()
    assert r.value == 49
    assert subproc.call("helpers.workloads:count", 4).value == 6


def leave_a_thread_running() -> str:
    """Start a non-daemon thread that never ends, and return: a normal exit would wait for it."""
    import threading
    threading.Thread(target=threading.Event().wait, name="forever").start()
    return "returned"


def test_hard_exit_does_not_wait_for_threads_left_running():
    stuck = subproc.call("tests.test_helpers_subproc:leave_a_thread_running", timeout=2)
    assert stuck.timed_out and stuck.value is None
    r = subproc.call("tests.test_helpers_subproc:leave_a_thread_running", timeout=20, hard_exit=True).check()
    assert r.value == "returned"      # check() above: it did not wait for the time limit


def test_call_runs_in_the_environment_given():
    import os
    env = dict(os.environ, COURSE_CALL_CHECK="yes")
    assert subproc.call("os:getenv", "COURSE_CALL_CHECK", env=env, timeout=20).check().value == "yes"


def test_call_refuses_notebook_functions_with_a_hint():
    def f():
        pass
    f.__module__ = "__main__"
    with pytest.raises(ValueError, match="module"):
        subproc.call(f)


def test_gevent_monkey_patching_runs_in_a_fresh_interpreter():
    pytest.importorskip("gevent")
    code = """
        from gevent import monkey; monkey.patch_all()
        import time, gevent
        log = []
        def nap(i):
            log.append(("start", i)); time.sleep(0.05); log.append(("end", i))
        gevent.joinall([gevent.spawn(nap, i) for i in range(20)])
        first_end = [kind for kind, _ in log].index("end")
        print(monkey.is_module_patched("time"), first_end)
    """
    r = subproc.run(code, timeout=30).check()
    # patched sleep yields to the other greenlets: all 20 start before the first one ends
    assert r.stdout.split() == ["True", "20"], r.stdout + r.stderr


def test_a_server_is_stopped_with_everything_it_started():
    import socket
    code = """
        import socket
        srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0)); srv.listen()
        print("listening on", srv.getsockname()[1], flush=True)
        while True:
            conn, _ = srv.accept()
            conn.sendall(conn.recv(100).upper()); conn.close()
    """
    with subproc.start(code) as server:
        assert server.wait_for_output("listening", timeout=20)
        port = int(server.output()[0].split()[-1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"hello")
            assert c.recv(100) == b"HELLO"
    assert server.proc.poll() is not None


def test_in_fresh_interpreter_returns_the_value_or_fails_with_a_hint():
    from helpers.testing import in_fresh_interpreter
    assert in_fresh_interpreter(20, workloads.count, 4) == 6
    with pytest.raises(AssertionError, match="did not finish within 1 s: look for a hang"):
        in_fresh_interpreter(1, workloads.sleep, 30, hint="look for a hang")
    with pytest.raises(AssertionError, match="raised an exception:(.|\n)*TypeError"):
        in_fresh_interpreter(20, workloads.count, "four")


def test_started_threads_sees_which_threads_a_call_left_running():
    import threading
    from helpers.testing import started_threads
    release, original_start = threading.Event(), threading.Thread.start
    with started_threads() as st:
        quick = threading.Thread(target=len, args=((),))
        stuck = threading.Thread(target=release.wait)
        quick.start()
        stuck.start()
        quick.join()
    assert st.threads == [quick, stuck] and st.alive() == [stuck]
    release.set()
    stuck.join()
    assert threading.Thread.start is original_start, "Thread.start must be restored after the block"


def test_started_threads_tells_a_joined_thread_from_one_that_ended_by_luck():
    import threading
    from helpers.testing import started_threads
    original = threading.Thread.join, threading.Thread.is_alive
    with started_threads() as st:
        joined, polled, ended = (threading.Thread(target=len, args=((),)) for _ in range(3))
        for t in (joined, polled, ended):
            t.start()
        joined.join()
        while polled.is_alive():
            pass
        while ended in st.alive():                 # the test's own look does not count as waiting
            pass
    assert st.not_waited_for() == [ended] and not st.alive()
    assert (threading.Thread.join, threading.Thread.is_alive) == original, "join and is_alive must be restored"


def test_started_processes_notes_when_the_first_process_was_started(ctx):
    import time
    from helpers import workloads
    from helpers.testing import started_processes
    before = time.monotonic()
    with started_processes() as sp:
        assert sp.first_start is None
        procs = [ctx.Process(target=workloads.sleep, args=(0,)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    assert sp.procs == procs and before <= sp.first_start <= time.monotonic()


def test_watched_pools_keeps_pools_alive_and_knows_which_were_waited_for():
    from concurrent.futures import ThreadPoolExecutor
    from helpers.testing import watched_pools
    original = ThreadPoolExecutor.shutdown
    with watched_pools() as wp:
        with ThreadPoolExecutor(1) as waited:
            waited.submit(len, ())
        hurried = ThreadPoolExecutor(1)
        hurried.submit(len, ())
        hurried.shutdown(wait=False)
        forgotten = ThreadPoolExecutor(1)
        forgotten.submit(len, ())
        del forgotten
        assert len(wp.pools) == 3 and wp.pools[2]._threads, "a pool nobody refers to is kept, with its thread"
        assert wp.not_waited_for() == wp.pools[1:]
    assert ThreadPoolExecutor.shutdown is original, "shutdown must be restored after the block"
