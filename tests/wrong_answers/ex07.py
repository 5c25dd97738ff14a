"""Wrong answers and variants for exercise 07 (a thread-safe account, a worker pool, a save at exit)."""
from tests.wrong_answers.answer import Answer, define

ANSWERS = [
    # ---- task 1: Account ----------------------------------------------------------------------
    Answer("task1", "no lock at all: the GIL is supposed to make += safe", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance

                def deposit(self, amount):
                    self.balance += amount

                def withdraw(self, amount):
                    if self.balance < amount:
                        return False
                    self.balance -= amount
                    return True
        ''')}),
    Answer("task1", "locks the write only: the new balance is computed from a read outside the lock", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    new = self.balance + amount
                    with self._lock:
                        self.balance = new

                def withdraw(self, amount):
                    if self.balance < amount:
                        return False
                    new = self.balance - amount
                    with self._lock:
                        self.balance = new
                    return True
        ''')}),
    Answer("task1", "a new Lock in every call, so nobody ever waits for anybody", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance

                def deposit(self, amount):
                    with threading.Lock():
                        self.balance += amount

                def withdraw(self, amount):
                    with threading.Lock():
                        if self.balance < amount:
                            return False
                        self.balance -= amount
                        return True
        ''')}),
    Answer("task1", "withdraw checks the balance before taking the lock", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    with self._lock:
                        self.balance += amount

                def withdraw(self, amount):
                    if self.balance < amount:
                        return False
                    with self._lock:
                        self.balance -= amount
                    return True
        ''')}),
    Answer("task1", "only deposit takes the lock; withdraw changes the balance unlocked", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    with self._lock:
                        self.balance += amount

                def withdraw(self, amount):
                    if self.balance < amount:
                        return False
                    self.balance -= amount
                    return True
        ''')}),
    Answer("task1", "withdraw calls deposit(-amount) while it holds the (non-reentrant) lock: deadlock", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    with self._lock:
                        self.balance += amount

                def withdraw(self, amount):
                    with self._lock:
                        if self.balance < amount:
                            return False
                        self.deposit(-amount)
                        return True
        ''')}),
    Answer("task1", "acquire() and release(), but the refusing path returns without releasing", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    self._lock.acquire()
                    self.balance += amount
                    self._lock.release()

                def withdraw(self, amount):
                    self._lock.acquire()
                    if self.balance < amount:
                        return False
                    self.balance -= amount
                    self._lock.release()
                    return True
        ''')}),
    Answer("task1", "refuses to withdraw the whole balance (> instead of >=)", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self.balance = balance
                    self._lock = threading.Lock()

                def deposit(self, amount):
                    with self._lock:
                        self.balance += amount

                def withdraw(self, amount):
                    with self._lock:
                        if not self.balance > amount:
                            return False
                        self.balance -= amount
                        return True
        ''')}),
    Answer(None, "variant: one lock for every account (a class attribute), acquire/release in try/finally", {
        "threads": define('''
            class Account:
                _lock = threading.Lock()

                def __init__(self, balance=0):
                    self.balance = balance

                def deposit(self, amount):
                    self._lock.acquire()
                    try:
                        self.balance = self.balance + amount
                    finally:
                        self._lock.release()

                def withdraw(self, amount):
                    self._lock.acquire()
                    try:
                        if self.balance >= amount:
                            self.balance = self.balance - amount
                            return True
                        return False
                    finally:
                        self._lock.release()
        ''')}),
    Answer(None, "variant: an RLock, so that withdraw may call deposit while holding it", {
        "threads": define('''
            class Account:
                def __init__(self, balance=0):
                    self._lock = threading.RLock()
                    self.balance = balance

                def deposit(self, amount):
                    with self._lock:
                        self.balance += amount

                def withdraw(self, amount):
                    with self._lock:
                        if amount > self.balance:
                            return False
                        self.deposit(-amount)
                        return True
        ''')}),

    # ---- task 2: worker -----------------------------------------------------------------------
    Answer("task2", "never calls task_done()", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    if item is STOP:
                        return
                    try:
                        results[item] = work(item)
                    except Exception as exc:
                        results[item] = exc
        ''')}),
    Answer("task2", "task_done() right after get(), before the work is done", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    tasks.task_done()
                    if item is STOP:
                        return
                    try:
                        results[item] = work(item)
                    except Exception as exc:
                        results[item] = exc
        ''')}),
    Answer("task2", "no task_done() for the STOP", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    if item is STOP:
                        return
                    try:
                        results[item] = work(item)
                    except Exception as exc:
                        results[item] = exc
                    tasks.task_done()
        ''')}),
    Answer("task2", "does not catch the work's exception: the worker dies on a failing item", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    try:
                        if item is STOP:
                            return
                        results[item] = work(item)
                    finally:
                        tasks.task_done()
        ''')}),
    Answer("task2", "stops when the queue looks empty instead of on STOP", {
        "threads": define('''
            def worker(tasks, results, work):
                while not tasks.empty():
                    item = tasks.get()
                    try:
                        if item is STOP:
                            return
                        try:
                            results[item] = work(item)
                        except Exception as exc:
                            results[item] = exc
                    finally:
                        tasks.task_done()
        ''')}),
    Answer("task2", "works on the STOP too (results[None] = work(None)) before stopping", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    try:
                        try:
                            results[item] = work(item)
                        except Exception as exc:
                            results[item] = exc
                        if item is STOP:
                            return
                    finally:
                        tasks.task_done()
        ''')}),
    Answer("task2", "task_done() twice per item: once after the work and once in finally", {
        "threads": define('''
            def worker(tasks, results, work):
                while True:
                    item = tasks.get()
                    try:
                        if item is STOP:
                            return
                        try:
                            results[item] = work(item)
                        except Exception as exc:
                            results[item] = exc
                        tasks.task_done()
                    finally:
                        tasks.task_done()
        ''')}),
    Answer(None, "variant: iter(tasks.get, STOP), and the STOP's task_done() after the loop", {
        "threads": define('''
            def worker(tasks, results, work):
                for item in iter(tasks.get, STOP):
                    try:
                        results[item] = work(item)
                    except Exception as exc:
                        results[item] = exc
                    finally:
                        tasks.task_done()
                tasks.task_done()
        ''')}),

    # ---- task 3: run_pool ---------------------------------------------------------------------
    Answer("task3", "sends the STOPs but never joins the threads", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                threads = [threading.Thread(target=target or worker, args=(tasks, results, work))
                           for _ in range(n_workers)]
                for t in threads:
                    t.start()
                for item in items:
                    tasks.put(item)
                tasks.join()
                for _ in threads:
                    tasks.put(STOP)
                return results
        ''')}),
    Answer("task3", "one STOP in all, not one per worker", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                threads = [threading.Thread(target=target or worker, args=(tasks, results, work))
                           for _ in range(n_workers)]
                for t in threads:
                    t.start()
                for item in items:
                    tasks.put(item)
                tasks.join()
                tasks.put(STOP)
                for t in threads:
                    t.join()
                return results
        ''')}),
    Answer("task3", "daemon workers, left blocked in get() after tasks.join()", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                for _ in range(n_workers):
                    threading.Thread(target=target or worker, args=(tasks, results, work), daemon=True).start()
                for item in items:
                    tasks.put(item)
                tasks.join()
                return results
        ''')}),
    Answer("task3", "returns as soon as the items are queued, without waiting for the work", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                for _ in range(n_workers):
                    threading.Thread(target=target or worker, args=(tasks, results, work), daemon=True).start()
                for item in items:
                    tasks.put(item)
                for _ in range(n_workers):
                    tasks.put(STOP)
                return results
        ''')}),
    Answer("task3", "one thread per item, ignoring n_workers", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                items = list(items)
                threads = [threading.Thread(target=target or worker, args=(tasks, results, work)) for _ in items]
                for t in threads:
                    t.start()
                for item in items:
                    tasks.put(item)
                for _ in threads:
                    tasks.put(STOP)
                for t in threads:
                    t.join()
                return results
        ''')}),
    Answer("task3", "starts each worker and joins it before starting the next: serial", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                for item in items:
                    tasks.put(item)
                for _ in range(n_workers):
                    tasks.put(STOP)
                for _ in range(n_workers):
                    t = threading.Thread(target=target or worker, args=(tasks, results, work))
                    t.start()
                    t.join()
                return results
        ''')}),
    Answer("task3", "ignores `target` and always runs its own worker", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                threads = [threading.Thread(target=worker, args=(tasks, results, work)) for _ in range(n_workers)]
                for t in threads:
                    t.start()
                for item in items:
                    tasks.put(item)
                tasks.join()
                for _ in threads:
                    tasks.put(STOP)
                for t in threads:
                    t.join()
                return results
        ''')}),
    Answer("task3", "puts the STOPs before the items: the workers stop before any work", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                threads = [threading.Thread(target=target or worker, args=(tasks, results, work))
                           for _ in range(n_workers)]
                for _ in threads:
                    tasks.put(STOP)
                for item in items:
                    tasks.put(item)
                for t in threads:
                    t.start()
                tasks.join()
                for t in threads:
                    t.join()
                return results
        ''')}),
    Answer(None, "variant: items queued before the threads start, STOPs right after the items, no tasks.join()", {
        "threads": define('''
            def run_pool(items, work, n_workers=4, target=None):
                tasks, results = queue.Queue(), {}
                for item in items:
                    tasks.put(item)
                for _ in range(n_workers):
                    tasks.put(STOP)
                threads = []
                for _ in range(n_workers):
                    t = threading.Thread(target=target or worker, args=(tasks, results, work))
                    t.start()
                    threads.append(t)
                for t in threads:
                    t.join()
                return dict(results)
        ''')}),

    # ---- task 4: save_in_background -----------------------------------------------------------
    Answer("task4", "a daemon thread, so that it does not hold the program up", {
        "threads": define('''
            def save_in_background(path, lines, write_line):
                def save():
                    with open(path, "w", encoding="utf-8") as f:
                        for line in lines:
                            write_line(f, line)
                thread = threading.Thread(target=save, daemon=True)
                thread.start()
                return thread
        ''')}),
    Answer("task4", "joins the thread before returning, to be safe", {
        "threads": define('''
            def save_in_background(path, lines, write_line):
                def save():
                    with open(path, "w", encoding="utf-8") as f:
                        for line in lines:
                            write_line(f, line)
                thread = threading.Thread(target=save)
                thread.start()
                thread.join()
                return thread
        ''')}),
    Answer("task4", "calls run() instead of start()", {
        "threads": define('''
            def save_in_background(path, lines, write_line):
                def save():
                    with open(path, "w", encoding="utf-8") as f:
                        for line in lines:
                            write_line(f, line)
                thread = threading.Thread(target=save)
                thread.run()
                return thread
        ''')}),
    Answer("task4", "returns the thread without starting it", {
        "threads": define('''
            def save_in_background(path, lines, write_line):
                def save():
                    with open(path, "w", encoding="utf-8") as f:
                        for line in lines:
                            write_line(f, line)
                return threading.Thread(target=save)
        ''')}),
    Answer("task4", "opens the file in the caller's `with`, which closes it while the thread writes", {
        "threads": define('''
            def save_in_background(path, lines, write_line):
                def save(f):
                    for line in lines:
                        write_line(f, line)
                with open(path, "w", encoding="utf-8") as f:
                    thread = threading.Thread(target=save, args=(f,))
                    thread.start()
                return thread
        ''')}),
    Answer(None, "variant: a Thread subclass that opens and closes the file itself", {
        "threads": define('''
            class Saver(threading.Thread):
                def __init__(self, path, lines, write_line):
                    super().__init__(name="saver")
                    self.path, self.lines, self.write_line = path, list(lines), write_line

                def run(self):
                    f = open(self.path, "w", encoding="utf-8")
                    try:
                        for line in self.lines:
                            self.write_line(f, line)
                    finally:
                        f.close()


            def save_in_background(path, lines, write_line):
                saver = Saver(path, lines, write_line)
                saver.start()
                return saver
        ''')}),
]
