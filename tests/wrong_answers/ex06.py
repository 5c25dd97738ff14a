"""Wrong answers and variants for exercise 06 (semaphores, events, conditions, barriers)."""
from tests.wrong_answers.answer import Answer, define

ANSWERS = [
    # ---- task 1: open_car_park, park ------------------------------------------------------------
    Answer("task1", "a plain Semaphore: a release nobody acquired silently adds a space", {
        "task1": define('''
            def open_car_park(spaces):
                return threading.Semaphore(spaces)
        ''')}),
    Answer("task1", "a Lock: one car at a time, whatever the number of spaces", {
        "task1": define('''
            def open_car_park(spaces):
                return threading.Lock()
        ''')}),
    Answer("task1", "BoundedSemaphore() without its value: one space", {
        "task1": define('''
            def open_car_park(spaces):
                return threading.BoundedSemaphore()
        ''')}),
    Answer("task1", "BoundedSemaphore(3) whatever the number of spaces (the visible test has 3)", {
        "task1": define('''
            def open_car_park(spaces):
                return threading.BoundedSemaphore(3)
        ''')}),
    Answer("task1", "acquire() ... release() without try/finally: a visit that raises keeps its space", {
        "task1": define('''
            def park(lot, car, visit):
                lot.acquire()
                result = visit(car)
                lot.release()
                return result
        ''')}),
    Answer("task1", "acquire(timeout=1) whose result is ignored: parks in a full car park", {
        "task1": define('''
            def park(lot, car, visit):
                lot.acquire(timeout=1)
                try:
                    return visit(car)
                finally:
                    lot.release()
        ''')}),
    Answer("task1", "gives up after waiting 1 s for a space", {
        "task1": define('''
            def park(lot, car, visit):
                if not lot.acquire(timeout=1):
                    return None
                try:
                    return visit(car)
                finally:
                    lot.release()
        ''')}),
    Answer("task1", "waits for a space but does not keep it during the visit", {
        "task1": define('''
            def park(lot, car, visit):
                with lot:
                    pass
                return visit(car)
        ''')}),
    Answer("task1", "swallows the visit's exception instead of letting it propagate", {
        "task1": define('''
            def park(lot, car, visit):
                with lot:
                    try:
                        return visit(car)
                    except Exception:
                        return None
        ''')}),
    Answer(None, "variant: a multiprocessing.BoundedSemaphore, and acquire/release in try/finally", {
        "task1": define('''
            import multiprocessing

            def open_car_park(spaces):
                return multiprocessing.BoundedSemaphore(spaces)

            def park(lot, car, visit):
                lot.acquire()
                try:
                    result = visit(car)
                finally:
                    lot.release()
                return result
        ''')}),

    # ---- task 2: attendant ----------------------------------------------------------------------
    Answer("task2", "pauses with time.sleep(interval): notices closing only when the pause is over", {
        "workers": define('''
            import time

            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.is_set():
                    tick()
                    ticks += 1
                    time.sleep(interval)
                return ticks
        ''')}),
    Answer("task2", "`while not closing:` (an Event is always true): never ticks", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing:
                    tick()
                    ticks += 1
                    closing.wait(interval)
                return ticks
        ''')}),
    Answer("task2", "the deprecated isSet(), which multiprocessing.Event does not have", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.isSet():
                    tick()
                    ticks += 1
                    closing.wait(interval)
                return ticks
        ''')}),
    Answer("task2", "pauses, then ticks without looking: one tick after closing time", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.is_set():
                    closing.wait(interval)
                    tick()
                    ticks += 1
                return ticks
        ''')}),
    Answer("task2", "clears the event after seeing it, so that the other attendants miss it", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.is_set():
                    tick()
                    ticks += 1
                    if closing.wait(interval):
                        closing.clear()          # ready for tomorrow
                        break
                return ticks
        ''')}),
    Answer("task2", "waits without a timeout: one tick, then sleeps until closing", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.is_set():
                    tick()
                    ticks += 1
                    closing.wait()
                return ticks
        ''')}),
    Answer("task2", "ticks once before looking at closing at all", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while True:
                    tick()
                    ticks += 1
                    if closing.wait(interval):
                        return ticks
        ''')}),
    Answer("task2", "never stops: loops forever, ticking after closing", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while True:
                    tick()
                    ticks += 1
                    closing.wait(interval)
        ''')}),
    Answer(None, "variant: pause first, `while not closing.wait(interval)`", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while not closing.wait(interval):
                    tick()
                    ticks += 1
                return ticks
        ''')}),
    Answer(None, "variant: looks before each tick and returns from inside the loop", {
        "workers": define('''
            def attendant(closing, tick, interval):
                ticks = 0
                while True:
                    if closing.is_set():
                        return ticks
                    tick()
                    ticks += 1
                    if closing.wait(timeout=interval):
                        return ticks
        ''')}),

    # ---- task 3: BoundedBuffer ------------------------------------------------------------------
    Answer("task3", "`if` instead of `while` around wait() in get()", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        while len(self.items) >= self.capacity:
                            self.cond.wait()
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.items:
                            if not self.cond.wait(timeout):
                                raise TimeoutError("no item")
                        item = self.items.popleft()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer("task3", "`if` instead of `while` around wait() in put()", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        if len(self.items) >= self.capacity:
                            self.cond.wait()
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        item = self.items.popleft()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer("task3", "put() notifies, leaves the lock, then appends: a lost wake-up", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.cond.notify_all()
                    self.items.append(item)

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        item = self.items.popleft()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer("task3", "get() notifies, leaves the lock, then takes the item: a lost wake-up for producers", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        self.cond.notify_all()
                    return self.items.popleft()
        ''')}),
    Answer("task3", "ignores the timeout: get() on an empty buffer waits forever", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        self.cond.wait_for(lambda: self.items)
                        item = self.items.popleft()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer("task3", "wait(timeout) in a while loop: every wake-up restarts the full timeout", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        while len(self.items) >= self.capacity:
                            self.cond.wait()
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        while not self.items:
                            if not self.cond.wait(timeout):
                                raise TimeoutError("no item")
                        item = self.items.popleft()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer("task3", "notify() instead of notify_all() with one condition for producers and consumers", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.items.append(item)
                        self.cond.notify()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        item = self.items.popleft()
                        self.cond.notify()
                        return item
        ''')}),
    Answer("task3", "get() never notifies: producers waiting on a full buffer sleep on", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        return self.items.popleft()
        ''')}),
    Answer("task3", "spins on the buffer instead of waiting on the condition", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    while True:
                        with self.cond:
                            if len(self.items) < self.capacity:
                                self.items.append(item)
                                return

                def get(self, timeout=None):
                    deadline = None if timeout is None else time.monotonic() + timeout
                    while True:
                        with self.cond:
                            if self.items:
                                return self.items.popleft()
                        if deadline is not None and time.monotonic() > deadline:
                            raise TimeoutError("no item")
        ''')}),
    Answer("task3", "last in, first out: pop() instead of popleft()", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.items) < self.capacity)
                        self.items.append(item)
                        self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: self.items, timeout):
                            raise TimeoutError("no item")
                        item = self.items.pop()
                        self.cond.notify_all()
                        return item
        ''')}),
    Answer(None, "variant: while loops that count down the time left, notify before the change in the same block", {
        "task3": define('''
            import time

            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        while len(self.items) == self.capacity:
                            self.cond.wait()
                        self.cond.notify_all()        # harmless: nobody runs before the block ends
                        self.items.append(item)

                def get(self, timeout=None):
                    deadline = None if timeout is None else time.monotonic() + timeout
                    with self.cond:
                        while not self.items:
                            left = None if deadline is None else deadline - time.monotonic()
                            if left is not None and left <= 0:
                                raise TimeoutError(f"no item within {timeout} s")
                            self.cond.wait(left)
                        self.cond.notify_all()
                        return self.items.popleft()
        ''')}),
    Answer(None, "variant: notify_all only when the buffer stops being empty or full", {
        "task3": define('''
            class BoundedBuffer:
                def __init__(self, capacity):
                    self.capacity = capacity
                    self.items = collections.deque()
                    self.cond = threading.Condition()

                def put(self, item):
                    with self.cond:
                        while len(self.items) >= self.capacity:
                            self.cond.wait()
                        self.items.append(item)
                        if len(self.items) == 1:
                            self.cond.notify_all()

                def get(self, timeout=None):
                    with self.cond:
                        if not self.cond.wait_for(lambda: len(self.items) > 0, timeout=timeout):
                            raise TimeoutError("empty")
                        was_full = len(self.items) == self.capacity
                        item = self.items.popleft()
                        if was_full:
                            self.cond.notify_all()
                        return item
        ''')}),

    # ---- task 4: run_shifts ---------------------------------------------------------------------
    Answer("task4", "no barrier: every worker runs through its shifts at its own pace", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                failed = []

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.append(worker)
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not failed
        ''')}),
    Answer("task4", "a barrier made inside each thread: nobody else ever arrives at it", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                failed = []

                def shift_worker(worker):
                    barrier = threading.Barrier(len(workers))
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.append(worker)
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not failed
        ''')}),
    Answer("task4", "no abort() when work fails: the others wait at the barrier forever", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))
                failed = []

                def shift_worker(worker):
                    try:
                        for shift in range(shifts):
                            work(worker, shift)
                            barrier.wait()
                    except threading.BrokenBarrierError:
                        return
                    except Exception:
                        failed.append(worker)

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not failed
        ''')}),
    Answer("task4", "joins only the last thread (the loop variable)", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))
                failed = threading.Event()

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.set()
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                for w in workers:
                    t = threading.Thread(target=shift_worker, args=(w,))
                    t.start()
                t.join()
                return not failed.is_set()
        ''')}),
    Answer("task4", "starts and joins each thread in one loop: the first waits at the barrier alone", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))
                failed = threading.Event()

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.set()
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                for w in workers:
                    t = threading.Thread(target=shift_worker, args=(w,))
                    t.start()
                    t.join()
                return not failed.is_set()
        ''')}),
    Answer("task4", "a barrier for the workers plus the main thread, which never waits at it", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers) + 1)
                failed = threading.Event()

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.set()
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not failed.is_set()
        ''')}),
    Answer("task4", "returns True whatever happened", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return True
        ''')}),
    Answer("task4", "new threads for every shift, joined in between (no thread per worker, no barrier)", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                failed = []

                def one_shift(worker, shift):
                    try:
                        work(worker, shift)
                    except Exception:
                        failed.append(worker)

                for shift in range(shifts):
                    threads = [threading.Thread(target=one_shift, args=(w, shift)) for w in workers]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    if failed:
                        return False
                return True
        ''')}),
    Answer("task4", "a do-while loop: the first shift is worked even when there are no shifts", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))
                failed = threading.Event()

                def shift_worker(worker):
                    shift = 0
                    while True:
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.set()
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return
                        shift += 1
                        if shift >= shifts:
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not failed.is_set()
        ''')}),
    Answer(None, "variant: a ThreadPoolExecutor of len(workers) threads, and a barrier with an action", {
        "task4": define('''
            from concurrent.futures import ThreadPoolExecutor

            def run_shifts(workers, shifts, work):
                done = []
                barrier = threading.Barrier(len(workers), action=lambda: done.append(1))

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            barrier.abort()
                            return False
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return False
                    return True

                with ThreadPoolExecutor(max_workers=len(workers)) as pool:
                    results = list(pool.map(shift_worker, workers))
                return all(results) and len(done) == shifts
        ''')}),
    Answer(None, "variant: waits by polling is_alive() instead of join()", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))
                failed = []

                def shift_worker(worker):
                    for shift in range(shifts):
                        try:
                            work(worker, shift)
                        except Exception:
                            failed.append(worker)
                            barrier.abort()
                            return
                        try:
                            barrier.wait()
                        except threading.BrokenBarrierError:
                            return

                threads = [threading.Thread(target=shift_worker, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                while any(t.is_alive() for t in threads):
                    time.sleep(0.01)
                return not failed
        ''')}),
    Answer(None, "variant: a Thread subclass; the failing thread re-raises after aborting", {
        "task4": define('''
            def run_shifts(workers, shifts, work):
                barrier = threading.Barrier(len(workers))

                class ShiftWorker(threading.Thread):
                    def __init__(self, worker):
                        super().__init__(name=f"worker {worker}")
                        self.worker, self.failed = worker, False

                    def run(self):
                        for shift in range(shifts):
                            try:
                                work(self.worker, shift)
                            except BaseException:
                                self.failed = True
                                barrier.abort()
                                raise
                            try:
                                barrier.wait()
                            except threading.BrokenBarrierError:
                                break

                threads = [ShiftWorker(w) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return not any(t.failed for t in threads)
        ''')}),
]
