"""Wrong answers and variants for exercise 10 (process and thread pools)."""
from tests.wrong_answers.answer import Answer, define, sub

# The solution's fetch_all, with one hole for the way it collects, to write the variants compactly.
_FETCH_ALL_WAIT_LOOP = '''
    def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
        items = list(items)
        start = time.monotonic()
        pool = cf.ThreadPoolExecutor(workers)
        index = {pool.submit(fetch, item): i for i, item in enumerate(items)}
        pending, done, failed, reported = set(index), [], [], set()
        stop = False
        while pending and not stop:
            left = None if timeout is None else timeout - (time.monotonic() - start)
            if left is not None and left <= 0:
                break
            finished, pending = cf.wait(pending, timeout=left, return_when=cf.FIRST_COMPLETED)
            for f in sorted(finished, key=lambda f: index[f]):
                reported.add(index[f])
                error = f.exception()
                if error is None:
                    done.append((items[index[f]], f.result()))
                else:
                    failed.append((items[index[f]], error))
                    stop = stop or isinstance(error, fatal)
        for f in pending:
            f.cancel()
        pool.shutdown(wait=not pending)
        return done, failed, [item for i, item in enumerate(items) if i not in reported]
'''

_FETCH_ALL_CALLBACKS = '''
    def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
        import queue
        items = list(items)
        end = None if timeout is None else time.monotonic() + timeout
        arrived = queue.SimpleQueue()
        pool = cf.ThreadPoolExecutor(max_workers=workers)
        for i, item in enumerate(items):
            pool.submit(fetch, item).add_done_callback(lambda f, i=i: arrived.put((i, f)))
        done, failed, seen = [], [], set()
        try:
            while len(seen) < len(items):
                try:
                    i, f = arrived.get(timeout=None if end is None else max(0.0, end - time.monotonic()))
                except queue.Empty:
                    break
                seen.add(i)
                if f.exception() is not None:
                    failed.append((items[i], f.exception()))
                    if isinstance(f.exception(), fatal):
                        break
                else:
                    done.append((items[i], f.result()))
        finally:
            pool.shutdown(wait=len(seen) == len(items), cancel_futures=True)
        return done, failed, [item for i, item in enumerate(items) if i not in seen]
'''

ANSWERS = [
    # ---- task 1: digest and digest_all ------------------------------------------------------
    Answer("task1", "a lambda as the task, instead of the module's digest", {
        "task1": define('''
            def digest_all(blobs, workers, ctx):
                with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                    return list(pool.map(lambda b: hashlib.sha256(b).hexdigest(), blobs))
        ''')}),
    Answer("task1", "the task function defined in the notebook (works under fork only)", {
        "task1": define('''
            def digest(data):
                return hashlib.sha256(data).hexdigest()

            def digest_all(blobs, workers, ctx):
                with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                    return list(pool.map(digest, blobs))
        ''')}),
    Answer("task1", "the pool is never shut down", {
        "task1": define('''
            def digest_all(blobs, workers, ctx):
                pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                return list(pool.map(ex10_workers.digest, blobs))
        ''')}),
    Answer("task1", "shutdown(wait=False), 'so that it returns sooner'", {
        "task1": define('''
            def digest_all(blobs, workers, ctx):
                pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                digests = list(pool.map(ex10_workers.digest, blobs))
                pool.shutdown(wait=False)
                return digests
        ''')}),
    Answer("task1", "ignores ctx: the pool uses the notebook's start method", {
        "task1": sub("cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)",
                     "cf.ProcessPoolExecutor(max_workers=workers)")}),
    Answer("task1", "ignores workers: the default pool size", {
        "task1": sub("cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)",
                     "cf.ProcessPoolExecutor(mp_context=ctx)")}),
    Answer("task1", "returns map's iterator instead of a list", {
        "task1": sub("return list(pool.map(ex10_workers.digest, blobs))",
                     "return pool.map(ex10_workers.digest, blobs)")}),
    Answer("task1", "sizes the pool by the number of blobs (max_workers=0 for none: ValueError)", {
        "task1": sub("cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)",
                     "cf.ProcessPoolExecutor(max_workers=min(workers, len(blobs)), mp_context=ctx)")}),
    Answer(None, "variant: a multiprocessing Pool from the context, results collected inside its with block", {
        "task1": define('''
            def digest_all(blobs, workers, ctx):
                with ctx.Pool(processes=workers) as pool:
                    return pool.map(ex10_workers.digest, blobs)
        ''')}),
    Answer(None, "variant: submit each blob, then the results in order; shutdown in a finally", {
        "task1": define('''
            def digest_all(blobs, workers, ctx):
                pool = cf.ProcessPoolExecutor(workers, ctx)
                try:
                    futures = [pool.submit(ex10_workers.digest, b) for b in blobs]
                    return [f.result() for f in futures]
                finally:
                    pool.shutdown()
        ''')}),

    # ---- task 2: fetch_all's results --------------------------------------------------------
    Answer("task2", "collects the results in the order they were submitted", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                done, failed, not_done = [], [], []
                with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(fetch, item) for item in items]
                    for item, future in zip(items, futures):
                        try:
                            done.append((item, future.result(timeout=timeout)))
                        except cf.TimeoutError:
                            not_done.append(item)
                        except Exception as exc:
                            failed.append((item, exc))
                return done, failed, not_done
        ''')}),
    Answer("task2", "one exception loses every result (no try around result())", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = {pool.submit(fetch, item): item for item in items}
                    done = [(futures[f], f.result()) for f in cf.as_completed(futures, timeout=timeout)]
                return done, [], []
        ''')}),
    Answer("task2", "treats every exception as fatal", {
        "task2": sub("if isinstance(exc, fatal):", "if True:")}),
    Answer("task2", "ignores workers: the default pool size", {
        "task2": sub("cf.ThreadPoolExecutor(max_workers=workers)", "cf.ThreadPoolExecutor()")}),
    Answer("task2", "sizes the pool by the number of items (max_workers=0 for none: ValueError)", {
        "task2": sub("cf.ThreadPoolExecutor(max_workers=workers)",
                     "cf.ThreadPoolExecutor(max_workers=min(workers, len(items)))")}),
    Answer("task2", "catches only ValueError, the error it expected", {
        "task2": sub("            except Exception as exc:", "            except ValueError as exc:")}),
    Answer("task2", "keeps the exception's message instead of the exception", {
        "task2": sub("failed.append((items[i], exc))", "failed.append((items[i], str(exc)))")}),
    Answer("task2", "never shuts the pool down", {
        "task2": sub("        pool.shutdown(wait=all_completed, cancel_futures=True)\n",
                     "        for f in futures:\n            f.cancel()\n")}),
    Answer("task2", "keys the futures by item, so a repeated item is lost", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                pool = cf.ThreadPoolExecutor(max_workers=workers)
                by_item = {item: pool.submit(fetch, item) for item in items}
                item_of = {f: item for item, f in by_item.items()}
                done, failed, reported, finished = [], [], set(), False
                try:
                    for f in cf.as_completed(item_of, timeout=timeout):
                        reported.add(item_of[f])
                        try:
                            done.append((item_of[f], f.result()))
                        except Exception as exc:
                            failed.append((item_of[f], exc))
                            if isinstance(exc, fatal):
                                break
                    else:
                        finished = True
                except cf.TimeoutError:
                    pass
                finally:
                    pool.shutdown(wait=finished, cancel_futures=True)
                return done, failed, [item for item in items if item not in reported]
        ''')}),
    Answer("task2", "executor.map: input order, and the first exception ends everything", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(fetch, items, timeout=timeout))
                return list(zip(items, results)), [], []
        ''')}),
    Answer(None, "variant: wait(FIRST_COMPLETED) in a loop, cancelling by hand", {
        "task2": define(_FETCH_ALL_WAIT_LOOP)}),
    Answer(None, "variant: done-callbacks feed a queue, read with a deadline", {
        "task2": define(_FETCH_ALL_CALLBACKS)}),

    # ---- task 3: fetch_all's early returns --------------------------------------------------
    Answer("task3", "ignores the deadline", {
        "task2": sub("cf.as_completed(futures, timeout=left)", "cf.as_completed(futures)")}),
    Answer("task3", "a new timeout for every result instead of one deadline", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                pool = cf.ThreadPoolExecutor(max_workers=workers)
                futures = [pool.submit(fetch, item) for item in items]
                done, failed, not_done, stop = [], [], [], False
                for item, f in zip(items, futures):
                    if stop:
                        not_done.append(item)
                        continue
                    try:
                        done.append((item, f.result(timeout=timeout)))
                    except cf.TimeoutError:
                        not_done.append(item)
                    except Exception as exc:
                        failed.append((item, exc))
                        stop = isinstance(exc, fatal)
                pool.shutdown(wait=False, cancel_futures=True)
                return done, failed, not_done
        ''')}),
    Answer("task3", "returns from inside a with block, which waits for the running calls", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = {pool.submit(fetch, item): i for i, item in enumerate(items)}
                    done, failed, reported = [], [], set()
                    try:
                        for f in cf.as_completed(futures, timeout=timeout):
                            reported.add(futures[f])
                            try:
                                done.append((items[futures[f]], f.result()))
                            except Exception as exc:
                                failed.append((items[futures[f]], exc))
                                if isinstance(exc, fatal):
                                    break
                    except cf.TimeoutError:
                        pass
                    pool.shutdown(wait=False, cancel_futures=True)
                    return done, failed, [item for i, item in enumerate(items) if i not in reported]
        ''')}),
    Answer("task3", "shutdown(wait=True, cancel_futures=True) when stopping early", {
        "task2": sub("pool.shutdown(wait=all_completed, cancel_futures=True)",
                     "pool.shutdown(wait=True, cancel_futures=True)")}),
    Answer("task3", "does not cancel the calls that have not started", {
        "task2": sub("pool.shutdown(wait=all_completed, cancel_futures=True)", "pool.shutdown(wait=all_completed)")}),
    Answer("task3", "cancels by hand but never shuts the pool down", {
        "task2": sub("        pool.shutdown(wait=all_completed, cancel_futures=True)\n",
                     "        for f in futures:\n            f.cancel()\n        if all_completed:\n"
                     "            pool.shutdown()\n")}),
    Answer("task3", "waits for the cancelled futures to 'tidy up' (wait() never counts them done)", {
        "task2": sub("        pool.shutdown(wait=all_completed, cancel_futures=True)\n",
                     "        pool.shutdown(wait=False, cancel_futures=True)\n        cf.wait(futures)\n")}),
    Answer("task3", "a fatal error must be exactly one of the types (type(exc) in fatal)", {
        "task2": sub("if isinstance(exc, fatal):", "if type(exc) in fatal:")}),
    Answer("task3", "raises the fatal error instead of returning", {
        "task2": sub("                if isinstance(exc, fatal):\n                    break",
                     "                if isinstance(exc, fatal):\n                    pool.shutdown(wait=False, cancel_futures=True)\n"
                     "                    raise")}),
    Answer("task3", "ignores fatal: a fatal error is kept like any other", {
        "task2": sub("if isinstance(exc, fatal):", "if False:")}),
    Answer("task3", "at a fatal error, shuts down without cancelling (the deadline is right)", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                deadline = None if timeout is None else time.monotonic() + timeout
                pool = cf.ThreadPoolExecutor(max_workers=workers)
                futures = {pool.submit(fetch, item): i for i, item in enumerate(items)}
                done, failed, reported = [], [], set()
                try:
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    for future in cf.as_completed(futures, timeout=left):
                        i = futures[future]
                        reported.add(i)
                        try:
                            done.append((items[i], future.result()))
                        except Exception as exc:
                            failed.append((items[i], exc))
                            if isinstance(exc, fatal):
                                pool.shutdown(wait=False)
                                return done, failed, [x for j, x in enumerate(items) if j not in reported]
                    pool.shutdown()
                except cf.TimeoutError:
                    pool.shutdown(wait=False, cancel_futures=True)
                return done, failed, [x for j, x in enumerate(items) if j not in reported]
        ''')}),
    Answer("task3", "at a fatal error, cancels by hand and returns without shutting down", {
        "task2": define('''
            def fetch_all(fetch, items, *, workers=4, timeout=None, fatal=()):
                items = list(items)
                deadline = None if timeout is None else time.monotonic() + timeout
                pool = cf.ThreadPoolExecutor(max_workers=workers)
                futures = {pool.submit(fetch, item): i for i, item in enumerate(items)}
                done, failed, reported = [], [], set()
                try:
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    for future in cf.as_completed(futures, timeout=left):
                        i = futures[future]
                        reported.add(i)
                        try:
                            done.append((items[i], future.result()))
                        except Exception as exc:
                            failed.append((items[i], exc))
                            if isinstance(exc, fatal):
                                for f in futures:
                                    f.cancel()
                                return done, failed, [x for j, x in enumerate(items) if j not in reported]
                    pool.shutdown()
                except cf.TimeoutError:
                    pool.shutdown(wait=False, cancel_futures=True)
                return done, failed, [x for j, x in enumerate(items) if j not in reported]
        ''')}),
    Answer("task3", "not_done lists only the cancelled calls, not the running ones", {
        "task2": sub("    not_done = [item for i, item in enumerate(items) if i not in reported]",
                     "    not_done = [items[i] for f, i in futures.items() if f.cancelled()]")}),
]
