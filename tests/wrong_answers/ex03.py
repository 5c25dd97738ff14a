"""Wrong answers and variants for exercise 03 (zombies, reaping, daemons, orphans)."""
from tests.wrong_answers.answer import Answer, define, sub

ANSWERS = [
    # ---- task 1: is_zombie ------------------------------------------------------------------
    Answer("task1", "splits /proc/PID/stat on spaces (a name with spaces shifts the fields)", {
        "task1": define('''
            def is_zombie(pid):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        return f.read().split()[2] == "Z"
                except FileNotFoundError:
                    return False
        ''')}),
    Answer("task1", "reads the state after the FIRST ')' (a name with ')' fools it)", {
        "task1": define('''
            def is_zombie(pid):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        return f.read().split(")", 1)[1].split()[0] == "Z"
                except FileNotFoundError:
                    return False
        ''')}),
    Answer("task1", "checks that the process exists, then reads its status (it may vanish in between)", {
        "task1": define('''
            def is_zombie(pid):
                if not psutil.pid_exists(pid):
                    return False
                return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        ''')}),
    Answer("task1", "checks that /proc/PID exists, then opens its stat file (it may vanish in between)", {
        "task1": define('''
            def is_zombie(pid):
                if not os.path.exists(f"/proc/{pid}"):
                    return False
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().rpartition(")")[2].split()[0] == "Z"
        ''')}),
    Answer(None, "variant: psutil alone, asking first and handling a process that vanished", {
        "task1": define('''
            def is_zombie(pid):
                if not psutil.pid_exists(pid):
                    return False
                try:
                    return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
                except psutil.NoSuchProcess:
                    return False
        ''')}),
    Answer(None, "variant: the State line of /proc/PID/status", {
        "task1": define('''
            def is_zombie(pid):
                try:
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("State:"):
                                return line.split()[1] == "Z"
                except (FileNotFoundError, ProcessLookupError):
                    return False
                return False
        ''')}),

    # ---- task 2: reap_in_finish_order -------------------------------------------------------
    Answer("task2", "busy-polls is_alive() instead of blocking in connection.wait()", {
        "task2": define('''
            def reap_in_finish_order(procs):
                pending, order = list(procs), []
                while pending:
                    for p in list(pending):
                        if not p.is_alive():
                            p.join()
                            order.append(p.name)
                            pending.remove(p)
                return order
        ''')}),
    Answer("task2", "notes the order with wait() but joins them all only at the end", {
        "task2": define('''
            def reap_in_finish_order(procs):
                by_sentinel = {p.sentinel: p for p in procs}
                order = []
                while len(order) < len(procs):
                    for s in wait([s for s in by_sentinel if by_sentinel[s].name not in order]):
                        order.append(by_sentinel[s].name)
                for p in procs:
                    p.join()
                return order
        ''')}),
    Answer("task2", "wait() on an empty list blocks forever", {
        "task2": define('''
            def reap_in_finish_order(procs):
                by_sentinel = {p.sentinel: p for p in procs}
                order = []
                while True:
                    for sentinel in wait(list(by_sentinel)):
                        p = by_sentinel.pop(sentinel)
                        p.join()
                        order.append(p.name)
                    if not by_sentinel:
                        return order
        ''')}),
    Answer("task2", "joins in list order, then sorts by exit time it never measured (list order)", {
        "task2": define('''
            def reap_in_finish_order(procs):
                for p in procs:
                    p.join()
                return [p.name for p in procs]
        ''')}),
    Answer("task2", "learns which child ended from os.wait(), which reaps it behind multiprocessing's back", {
        "task2": define('''
            def reap_in_finish_order(procs):
                by_pid = {p.pid: p for p in procs}
                order = []
                while by_pid:
                    pid, _ = os.wait()
                    p = by_pid.pop(pid, None)
                    if p is not None:
                        p.join()
                        order.append(p.name)
                return order
        ''')}),
    Answer(None, "variant: waits for one sentinel at a time, with a timeout loop", {
        "task2": define('''
            def reap_in_finish_order(procs):
                pending, order = list(procs), []
                while pending:
                    ready = wait([p.sentinel for p in pending], timeout=1.0)
                    for p in [p for p in pending if p.sentinel in ready]:
                        p.join()
                        order.append(p.name)
                        pending.remove(p)
                return order
        ''')}),

    # ---- task 3: supervisor -----------------------------------------------------------------
    Answer("task3", "terminates its helpers after work(), but not when work() raises", {
        "task3": define('''
            def supervisor(n, conn, work):
                helpers = [Process(target=helper) for _ in range(n)]
                for h in helpers:
                    h.start()
                conn.send([h.pid for h in helpers])
                conn.close()
                work()
                for h in helpers:
                    h.terminate()
        ''')}),
    Answer("task3", "helpers that are not daemons: the supervisor waits 30 s for them at exit", {
        "task3": sub("Process(target=helper, daemon=True)", "Process(target=helper)")}),
    Answer("task3", "sets daemon after start() (too late: it raises)", {
        "task3": define('''
            def supervisor(n, conn, work):
                helpers = [Process(target=helper) for _ in range(n)]
                for h in helpers:
                    h.start()
                    h.daemon = True
                conn.send([h.pid for h in helpers])
                work()
        ''')}),
    Answer("task3", "starts the helpers with subprocess, which multiprocessing does not stop", {
        "task3": define('''
            def supervisor(n, conn, work):
                import subprocess, sys
                helpers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
                           for _ in range(n)]
                conn.send([h.pid for h in helpers])
                work()
        ''')}),
    Answer("task3", "catches the exception of work() and carries on (it must propagate)", {
        "task3": define('''
            def supervisor(n, conn, work):
                helpers = [Process(target=helper, daemon=True) for _ in range(n)]
                for h in helpers:
                    h.start()
                conn.send([h.pid for h in helpers])
                try:
                    work()
                except Exception as exc:
                    print("work failed:", exc)
        ''')}),
    Answer(None, "variant: daemon set by attribute before start()", {
        "task3": define('''
            def supervisor(n, conn, work):
                helpers = []
                for _ in range(n):
                    h = Process(target=helper)
                    h.daemon = True
                    h.start()
                    helpers.append(h)
                conn.send([h.pid for h in helpers])
                work()
        ''')}),
    Answer(None, "variant: ordinary helpers, terminated and joined in a finally block", {
        "task3": define('''
            def supervisor(n, conn, work):
                helpers = [Process(target=helper) for _ in range(n)]
                try:
                    for h in helpers:
                        h.start()
                    conn.send([h.pid for h in helpers])
                    work()
                finally:
                    for h in helpers:
                        if h.pid is not None:
                            h.terminate()
                    for h in helpers:
                        if h.pid is not None:
                            h.join()
        ''')}),

    # ---- task 5: orphan_watcher -------------------------------------------------------------
    Answer("task5", "waits for PID 1 to become the parent (the adopter is not always init)", {
        "task5": define('''
            def orphan_watcher(ready, report, poll=0.05):
                ready.set()
                while os.getppid() != 1:
                    time.sleep(poll)
                report.put(os.getppid())
        ''')}),
    Answer("task5", "reports the parent it had, not the one that adopted it", {
        "task5": define('''
            def orphan_watcher(ready, report, poll=0.05):
                parent = os.getppid()
                ready.set()
                while os.getppid() == parent:
                    time.sleep(poll)
                report.put(parent)
        ''')}),
    Answer("task5", "compares a copy of the parent's pid that the loop never updates", {
        "task5": define('''
            def orphan_watcher(ready, report, poll=0.05):
                parent = os.getppid()
                ready.set()
                current = parent
                while current == parent:
                    time.sleep(poll)
                report.put(current)
        ''')}),
    Answer("task5", "waits for its parent with os.waitpid, which works only for one's own children", {
        "task5": define('''
            def orphan_watcher(ready, report, poll=0.05):
                parent = os.getppid()
                ready.set()
                os.waitpid(parent, 0)
                report.put(os.getppid())
        ''')}),
    Answer(None, "variant: psutil's view of the parent, and a longer poll", {
        "task5": define('''
            def orphan_watcher(ready, report, poll=0.05):
                import psutil
                me = psutil.Process()
                first = me.ppid()
                ready.set()
                while me.ppid() == first:
                    time.sleep(max(poll, 0.2))
                report.put(me.parent().pid)
        ''')}),
]
