"""Wrong answers and variants for exercise 05 (queues, pipes, shared memory)."""
from tests.wrong_answers.answer import Answer, define, sub

ANSWERS = [
    # ---- task 1: producer and consumer ------------------------------------------------------
    Answer("task1", "the consumer gives up after 2 s of empty queue instead of waiting for its sentinel", {
        "workers": define('''
            def consumer(tasks, results):
                import queue
                while True:
                    try:
                        n = tasks.get(timeout=2)
                    except queue.Empty:
                        break
                    if n is None:
                        break
                    results.put((n, n * n))
        ''')}),
    Answer("task1", "the consumer stops when the queue looks empty", {
        "workers": define('''
            def consumer(tasks, results):
                while True:
                    n = tasks.get()
                    if n is None:
                        break
                    results.put((n, n * n))
                    if tasks.empty():
                        time.sleep(0.5)
                        if tasks.empty():
                            break
        ''')}),
    Answer("task1", "the producer sends a sentinel when it is done", {
        "workers": define('''
            def producer(tasks, first, count, delay=0.0):
                for n in range(first, first + count):
                    time.sleep(delay)
                    tasks.put(n)
                tasks.put(None)
        ''')}),
    Answer("task1", "the producer sleeps once, not before each item", {
        "workers": define('''
            def producer(tasks, first, count, delay=0.0):
                time.sleep(delay)
                for n in range(first, first + count):
                    tasks.put(n)
        ''')}),
    Answer(None, "variant: iter(get, None) in the consumer, a while loop in the producer", {
        "workers": define('''
            def producer(tasks, first, count, delay=0.0):
                n = first
                while n < first + count:
                    time.sleep(delay)
                    tasks.put(n)
                    n += 1

            def consumer(tasks, results):
                for n in iter(tasks.get, None):
                    results.put((n, n * n))
        ''')}),

    # ---- task 2: run_pipeline ---------------------------------------------------------------
    Answer("task2", "joins the consumers before draining the results", {
        "task2": sub('''    out = [results.get() for _ in range(n_producers * items_each)]
    for c in cons:
        c.join()
''', '''    for c in cons:
        c.join()
    out = [results.get() for _ in range(n_producers * items_each)]
''')}),
    Answer("task2", "ignores the delays (every producer gets 0)", {
        "task2": sub("args=(tasks, i * items_each, items_each, delays[i])",
                     "args=(tasks, i * items_each, items_each, 0.0)")}),
    Answer("task2", "sends the sentinels before the producers have finished", {
        "task2": sub('''    for p in prods:
        p.join()
    for _ in cons:
        tasks.put(None)
''', '''    for _ in cons:
        tasks.put(None)
    for p in prods:
        p.join()
''')}),
    Answer("task2", "one sentinel per producer instead of one per consumer", {
        "task2": sub('''    for _ in cons:
        tasks.put(None)
''', '''    for _ in prods:
        tasks.put(None)
''')}),
    Answer("task2", "collects results until none comes for a second", {
        "task2": sub('''    out = [results.get() for _ in range(n_producers * items_each)]
''', '''    out = []
    while True:
        try:
            out.append(results.get(timeout=1))
        except queue.Empty:
            break
''')}),
    Answer(None, "variant: drains with a deadline loop and joins everything at the end", {
        "task2": define('''
            def run_pipeline(n_producers, items_each, n_consumers, delays=None, producer=None, consumer=None):
                """Run producers and consumers through one queue; return all results sorted by item."""
                producer = producer or ex05_workers.producer
                consumer = consumer or ex05_workers.consumer
                delays = delays or [0.0] * n_producers
                tasks, results = mp.Queue(), mp.Queue()
                procs = [mp.Process(target=consumer, args=(tasks, results)) for _ in range(n_consumers)]
                prods = [mp.Process(target=producer, args=(tasks, i * items_each, items_each, d))
                         for i, d in enumerate(delays[:n_producers])]
                for p in procs + prods:
                    p.start()
                for p in prods:
                    p.join()
                for _ in range(n_consumers):
                    tasks.put(None)
                out = []
                while len(out) < n_producers * items_each:
                    out.append(results.get(timeout=60))
                for p in procs + prods:
                    p.join()
                return sorted(out)
        ''')}),

    # ---- task 3: timed_producer and measure_backpressure ------------------------------------
    Answer("task3", "times the sleep that makes each item together with the put()", {
        "workers": define('''
            def timed_producer(tasks, count, make, report):
                blocked = 0.0
                for n in range(count):
                    t0 = time.perf_counter()
                    time.sleep(make)
                    tasks.put(n)
                    blocked += time.perf_counter() - t0
                report.put(blocked)
        ''')}),
    Answer("task3", "stops the consumer with terminate() instead of its sentinel", {
        "task3": define('''
            def measure_backpressure(maxsize, count=20, make=0.005, work=0.03):
                tasks, results, report = mp.Queue(maxsize), mp.Queue(), mp.Queue()
                prod = mp.Process(target=ex05_workers.timed_producer, args=(tasks, count, make, report))
                cons = mp.Process(target=targets.slow_consumer, args=(tasks, results, work))
                t0 = time.perf_counter()
                prod.start()
                cons.start()
                blocked = report.get()
                prod.join()
                for _ in range(count):
                    results.get()
                cons.terminate()
                cons.join()
                return {"blocked": blocked, "seconds": time.perf_counter() - t0}
        ''')}),
    Answer("task3", "stops the clock when the producer is done, not when every result is in", {
        "task3": define('''
            def measure_backpressure(maxsize, count=20, make=0.005, work=0.03):
                tasks, results, report = mp.Queue(maxsize), mp.Queue(), mp.Queue()
                prod = mp.Process(target=ex05_workers.timed_producer, args=(tasks, count, make, report))
                cons = mp.Process(target=targets.slow_consumer, args=(tasks, results, work))
                t0 = time.perf_counter()
                prod.start()
                cons.start()
                blocked = report.get()
                prod.join()
                seconds = time.perf_counter() - t0
                tasks.put(None)
                for _ in range(count):
                    results.get()
                cons.join()
                return {"blocked": blocked, "seconds": seconds}
        ''')}),
    Answer("task3", "ignores maxsize (always an unbounded queue)", {
        "task3": sub("mp.Queue(maxsize), mp.Queue(), mp.Queue()", "mp.Queue(), mp.Queue(), mp.Queue()")}),
    Answer(None, "variant: reads the report after joining the producer, and times with monotonic()", {
        "task3": define('''
            def measure_backpressure(maxsize, count=20, make=0.005, work=0.03):
                tasks = mp.Queue(maxsize=maxsize)
                results, report = mp.Queue(), mp.Queue()
                started = time.monotonic()
                prod = mp.Process(target=ex05_workers.timed_producer, args=(tasks, count, make, report))
                cons = mp.Process(target=targets.slow_consumer, args=(tasks, results, work))
                cons.start()
                prod.start()
                prod.join()
                tasks.put(None)
                got = [results.get(timeout=60) for _ in range(count)]
                cons.join()
                return {"seconds": time.monotonic() - started, "blocked": report.get(timeout=10)}
        ''')}),

    # ---- task 5: receive_all ----------------------------------------------------------------
    Answer("task5", "keeps its copy of the child's end open: recv() never sees EOF", {
        "task5": sub("    theirs.close()                  # else recv() never sees EOF: this copy of the sending end stays open\n", "")}),
    Answer("task5", "joins the child before reading its messages", {
        "task5": define('''
            def receive_all(producer):
                mine, theirs = mp.Pipe()
                child = mp.Process(target=producer, args=(theirs,))
                child.start()
                theirs.close()
                child.join()
                messages = []
                while True:
                    try:
                        messages.append(mine.recv())
                    except EOFError:
                        return messages
        ''')}),
    Answer("task5", "stops reading when nothing has come for 2 s (poll with a timeout)", {
        "task5": define('''
            def receive_all(producer):
                mine, theirs = mp.Pipe()
                child = mp.Process(target=producer, args=(theirs,))
                child.start()
                theirs.close()
                messages = []
                while mine.poll(2):
                    try:
                        messages.append(mine.recv())
                    except EOFError:
                        break
                child.join()
                return messages
        ''')}),
    Answer("task5", "never joins the child", {
        "task5": sub("    child.join()\n    mine.close()\n", "    mine.close()\n")}),
    Answer(None, "variant: a one-way pipe, and the end closed with a with block", {
        "task5": define('''
            def receive_all(producer):
                reader, writer = mp.Pipe(duplex=False)
                child = mp.Process(target=producer, args=(writer,))
                child.start()
                writer.close()
                got = []
                with reader:
                    try:
                        while True:
                            got.append(reader.recv())
                    except EOFError:
                        pass
                child.join()
                return got
        ''')}),

    # ---- task 6: jq_worker ------------------------------------------------------------------
    Answer("task6", "calls task_done() as soon as it takes an item, before the work is done", {
        "workers": define('''
            def jq_worker(jobs, results, done, work):
                while True:
                    n = jobs.get()
                    jobs.task_done()
                    if n is None:
                        return
                    try:
                        result = work(n)
                    except Exception:
                        result = None
                    results.put((n, result))
                    with done.get_lock():
                        done.value += 1
        ''')}),
    Answer("task6", "no task_done() when work(n) raises", {
        "workers": define('''
            def jq_worker(jobs, results, done, work):
                while True:
                    n = jobs.get()
                    if n is None:
                        jobs.task_done()
                        return
                    try:
                        results.put((n, work(n)))
                    except Exception:
                        results.put((n, None))
                        continue
                    with done.get_lock():
                        done.value += 1
                    jobs.task_done()
        ''')}),
    Answer("task6", "no task_done() for the sentinel", {
        "workers": define('''
            def jq_worker(jobs, results, done, work):
                while True:
                    n = jobs.get()
                    if n is None:
                        return
                    try:
                        result = work(n)
                    except Exception:
                        result = None
                    results.put((n, result))
                    with done.get_lock():
                        done.value += 1
                    jobs.task_done()
        ''')}),
    Answer("task6", "lets the exception of work(n) end the worker", {
        "workers": define('''
            def jq_worker(jobs, results, done, work):
                while True:
                    n = jobs.get()
                    try:
                        if n is None:
                            return
                        results.put((n, work(n)))
                        with done.get_lock():
                            done.value += 1
                    finally:
                        jobs.task_done()
        ''')}),
    Answer(None, "variant: iter(get, None), the sentinel marked done after the loop", {
        "workers": define('''
            def jq_worker(jobs, results, done, work):
                for n in iter(jobs.get, None):
                    try:
                        out = (n, work(n))
                    except ValueError:
                        out = (n, None)
                    results.put(out)
                    with done.get_lock():
                        done.value = done.value + 1
                    jobs.task_done()
                jobs.task_done()
        ''')}),

    # ---- task 7: shared_sum -----------------------------------------------------------------
    Answer("task7", "closes the block but never unlinks it", {
        "task7": sub("        shm.close()\n        shm.unlink()\n", "        shm.close()\n")}),
    Answer("task7", "frees the block only on success (no try/finally)", {
        "task7": define('''
            def shared_sum(values, n_workers):
                shm = shared_memory.SharedMemory(create=True, size=8 * len(values))
                view = shm.buf.cast("d")
                view[:len(values)] = array.array("d", values)
                view.release()
                results = mp.Queue()
                bounds = [len(values) * k // n_workers for k in range(n_workers + 1)]
                workers = [mp.Process(target=targets.sum_slice,
                                      args=(shm.name, len(values), bounds[k], bounds[k + 1], results))
                           for k in range(n_workers)]
                for w in workers:
                    w.start()
                total = sum(results.get() for _ in workers)
                for w in workers:
                    w.join()
                shm.close()
                shm.unlink()
                return total
        ''')}),
    Answer("task7", "equal slices of len // n_workers: the last values are never summed", {
        "task7": sub("        bounds = [len(values) * k // n_workers for k in range(n_workers + 1)]\n",
                     "        chunk = len(values) // n_workers\n        bounds = [k * chunk for k in range(n_workers + 1)]\n")}),
    Answer("task7", "keeps the cast view alive, so close() raises and the block stays", {
        "task7": sub("""        view = shm.buf.cast("d")
        try:
            view[:len(values)] = array.array("d", values)
        finally:
            view.release()
""", """        view = shm.buf.cast("d")
        view[:len(values)] = array.array("d", values)
""")}),
    Answer("task7", "a block of len(values) bytes instead of 8 per value", {
        "task7": sub("size=8 * len(values)", "size=len(values)")}),
    Answer(None, "variant: numpy on the block, one worker per chunk from array_split", {
        "task7": define('''
            def shared_sum(values, n_workers):
                import numpy as np
                shm = shared_memory.SharedMemory(create=True, size=8 * len(values))
                try:
                    data = np.ndarray((len(values),), dtype=np.float64, buffer=shm.buf)
                    data[:] = values
                    del data
                    out = mp.Queue()
                    chunks = np.array_split(np.arange(len(values)), n_workers)
                    procs = [mp.Process(target=targets.sum_slice,
                                        args=(shm.name, len(values), int(c[0]) if len(c) else 0,
                                              int(c[-1]) + 1 if len(c) else 0, out))
                             for c in chunks]
                    for p in procs:
                        p.start()
                    parts = [out.get() for _ in procs]
                    for p in procs:
                        p.join()
                    return float(sum(parts))
                finally:
                    shm.close()
                    shm.unlink()
        ''')}),
]
