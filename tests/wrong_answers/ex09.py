"""Wrong answers and variants for exercise 09 (processes for CPU-bound work, threads for waiting and hashing)."""
from tests.wrong_answers.answer import Answer, define

ANSWERS = [
    # ---- task 1: split and count_primes_parallel ------------------------------------------------------
    Answer("task1", "threads for CPU-bound work: 'threads are parallel', or ThreadPoolExecutor by habit", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                ranges = split(n, workers)
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return sum(pool.map(ex09_workers.count_primes, [lo for lo, _ in ranges], [hi for _, hi in ranges]))
        ''')}),
    Answer("task1", "a pool sized by the machine: ProcessPoolExecutor() without max_workers", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                ranges = split(n, workers)
                with ProcessPoolExecutor() as pool:
                    return sum(pool.map(ex09_workers.count_primes, [lo for lo, _ in ranges], [hi for _, hi in ranges]))
        ''')}),
    Answer("task1", "caps the pool at the CPU count: 'more processes than CPUs cannot help'", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                ranges = split(n, workers)
                with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count())) as pool:
                    return sum(pool.map(ex09_workers.count_primes, [lo for lo, _ in ranges], [hi for _, hi in ranges]))
        ''')}),
    Answer("task1", "split gives the whole remainder to the last range", {
        "task1": define('''
            def split(n, parts):
                size = n // parts
                ranges = [(i * size, (i + 1) * size) for i in range(parts)]
                ranges[-1] = (ranges[-1][0], n)
                return ranges
        ''')}),
    Answer("task1", "split with hi + 1: neighbouring ranges overlap by one number", {
        "task1": define('''
            def split(n, parts):
                size, extra = divmod(n, parts)
                ranges, lo = [], 0
                for i in range(parts):
                    hi = lo + size + (1 if i < extra else 0)
                    ranges.append((lo, min(hi + 1, n)))
                    lo = hi
                return ranges
        ''')}),
    Answer("task1", "the pool is made, but the counting is done here: pool.submit(count_primes(lo, hi))", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    counts = [ex09_workers.count_primes(lo, hi) for lo, hi in split(n, workers)]
                return sum(counts)
        ''')}),
    Answer("task1", "the whole range as one task: nothing is split", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    return pool.submit(ex09_workers.count_primes, 0, n).result()
        ''')}),
    Answer("task1", "never shuts the pool down: its processes outlive the call", {
        "task1": define('''
            def count_primes_parallel(n, workers):
                ranges = split(n, workers)
                pool = ProcessPoolExecutor(max_workers=workers)
                return sum(pool.map(ex09_workers.count_primes, [lo for lo, _ in ranges], [hi for _, hi in ranges]))
        ''')}),
    Answer("task1", "imports count_primes by name, which the task asks not to: the tests cannot see the work", {
        "task1": define('''
            from ex09_workers import count_primes

            def count_primes_parallel(n, workers):
                ranges = split(n, workers)
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    return sum(pool.map(count_primes, [lo for lo, _ in ranges], [hi for _, hi in ranges]))
        ''')}),
    Answer(None, "variant: multiprocessing.Pool.starmap, and split by i * n // parts", {
        "task1": define('''
            def split(n, parts):
                return [(i * n // parts, (i + 1) * n // parts) for i in range(parts)]

            def count_primes_parallel(n, workers):
                with multiprocessing.Pool(workers) as pool:
                    return sum(pool.starmap(ex09_workers.count_primes, split(n, workers)))
        ''')}),

    # ---- task 2: download_all -----------------------------------------------------------------------
    Answer("task2", "one after another: no pool at all", {
        "task2": define('''
            def download_all(names, workers):
                return [ex09_workers.download(name) for name in names]
        ''')}),
    Answer("task2", "processes for waiting: 'processes are always faster'", {
        "task2": define('''
            def download_all(names, workers):
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    return list(pool.map(ex09_workers.download, names))
        ''')}),
    Answer("task2", "one thread per name: ignores `workers`", {
        "task2": define('''
            def download_all(names, workers):
                pages = [None] * len(names)
                def fetch(i, name):
                    pages[i] = ex09_workers.download(name)
                threads = [threading.Thread(target=fetch, args=(i, name)) for i, name in enumerate(names)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return pages
        ''')}),
    Answer("task2", "results in the order they finished (as_completed)", {
        "task2": define('''
            def download_all(names, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(ex09_workers.download, name) for name in names]
                    return [f.result() for f in as_completed(futures)]
        ''')}),
    Answer("task2", "waits for each download before submitting the next", {
        "task2": define('''
            def download_all(names, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return [pool.submit(ex09_workers.download, name).result() for name in names]
        ''')}),
    Answer("task2", "returns pool.map's iterator, not a list of contents", {
        "task2": define('''
            def download_all(names, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return pool.map(ex09_workers.download, names)
        ''')}),
    Answer("task2", "returns the futures, not their results", {
        "task2": define('''
            def download_all(names, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return [pool.submit(ex09_workers.download, name) for name in names]
        ''')}),
    Answer("task2", "a pool kept for the next call (a default-argument cache), never shut down: its threads outlive the call", {
        "task2": define('''
            def download_all(names, workers, _pools={}):
                if workers not in _pools:
                    _pools[workers] = ThreadPoolExecutor(max_workers=workers)
                pool = _pools[workers]
                return list(pool.map(ex09_workers.download, names))
        ''')}),
    Answer(None, "variant: `workers` threads taking names from a queue.Queue", {
        "task2": define('''
            import queue

            def download_all(names, workers):
                todo, pages = queue.Queue(), [None] * len(names)
                for item in enumerate(names):
                    todo.put(item)
                def worker():
                    while True:
                        try:
                            i, name = todo.get_nowait()
                        except queue.Empty:
                            return
                        pages[i] = ex09_workers.download(name)
                threads = [threading.Thread(target=worker) for _ in range(workers)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return pages
        ''')}),

    # ---- task 3: digest_all -------------------------------------------------------------------------
    Answer("task3", "processes for hashing: 'hashing is CPU-bound, so processes'", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    return list(pool.map(ex09_workers.digest, blobs))
        ''')}),
    Answer("task3", "one after another: 'the GIL makes threads useless for CPU work'", {
        "task3": define('''
            def digest_all(blobs, workers):
                return [ex09_workers.digest(blob) for blob in blobs]
        ''')}),
    Answer("task3", "a pool of one thread: max_workers=1", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ThreadPoolExecutor(max_workers=1) as pool:
                    return list(pool.map(ex09_workers.digest, blobs))
        ''')}),
    Answer("task3", "digests in the order they finished (as_completed)", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(ex09_workers.digest, blob) for blob in blobs]
                    return [f.result() for f in as_completed(futures)]
        ''')}),
    Answer("task3", "one thread per blob: ignores `workers`", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ThreadPoolExecutor(max_workers=len(blobs)) as pool:
                    return list(pool.map(ex09_workers.digest, blobs))
        ''')}),
    Answer("task3", "hashes with hashlib directly instead of ex09_workers.digest, which the task asks for", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return list(pool.map(lambda blob: hashlib.sha256(blob).hexdigest(), blobs))
        ''')}),
    Answer("task3", "a pool kept for the next call (a default-argument cache), never shut down: its threads outlive the call", {
        "task3": define('''
            def digest_all(blobs, workers, _pools={}):
                if workers not in _pools:
                    _pools[workers] = ThreadPoolExecutor(max_workers=workers)
                pool = _pools[workers]
                return list(pool.map(ex09_workers.digest, blobs))
        ''')}),
    Answer(None, "variant: submit every blob, then collect the futures in order", {
        "task3": define('''
            def digest_all(blobs, workers):
                with ThreadPoolExecutor(workers) as pool:
                    futures = [pool.submit(ex09_workers.digest, blob) for blob in blobs]
                return [f.result() for f in futures]
        ''')}),

    # ---- task 4: pick_executor ----------------------------------------------------------------------
    Answer("task4", "processes for big hashes: 'CPU work always needs processes'", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload == "io":
                    return ThreadPoolExecutor(max_workers=workers)
                if workload in ("cpu", "hash", "hash-small"):
                    return ProcessPoolExecutor(max_workers=workers)
                raise ValueError(workload)
        ''')}),
    Answer("task4", "threads for small hashes too: 'hashlib always releases the GIL'", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload in ("io", "hash", "hash-small"):
                    return ThreadPoolExecutor(max_workers=workers)
                if workload == "cpu":
                    return ProcessPoolExecutor(max_workers=workers)
                raise ValueError(workload)
        ''')}),
    Answer("task4", "threads for everything: 'threads are cheaper'", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload in ("cpu", "io", "hash", "hash-small"):
                    return ThreadPoolExecutor(max_workers=workers)
                raise ValueError(workload)
        ''')}),
    Answer("task4", "processes for I/O", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload == "hash":
                    return ThreadPoolExecutor(max_workers=workers)
                if workload in ("cpu", "io", "hash-small"):
                    return ProcessPoolExecutor(max_workers=workers)
                raise ValueError(workload)
        ''')}),
    Answer("task4", "ignores `workers`: the executors' default sizes", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload in ("io", "hash"):
                    return ThreadPoolExecutor()
                if workload in ("cpu", "hash-small"):
                    return ProcessPoolExecutor()
                raise ValueError(workload)
        ''')}),
    Answer("task4", "the process pools sized by the machine: ProcessPoolExecutor() for cpu and hash-small", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload in ("io", "hash"):
                    return ThreadPoolExecutor(max_workers=workers)
                if workload in ("cpu", "hash-small"):
                    return ProcessPoolExecutor()
                raise ValueError(workload)
        ''')}),
    Answer("task4", "an unknown workload falls through to a thread pool", {
        "task4": define('''
            def pick_executor(workload, workers):
                if workload in ("cpu", "hash-small"):
                    return ProcessPoolExecutor(max_workers=workers)
                return ThreadPoolExecutor(max_workers=workers)
        ''')}),
    Answer(None, "variant: a table of executor classes, and a process pool with the course's start method", {
        "task4": define('''
            def pick_executor(workload, workers):
                kinds = {"cpu": "processes", "hash-small": "processes", "io": "threads", "hash": "threads"}
                if workload not in kinds:
                    raise ValueError(f"unknown workload: {workload}")
                if kinds[workload] == "threads":
                    return ThreadPoolExecutor(workers)
                return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context())
        ''')}),
]
