"""Helpers for the course notebooks: workloads, recorders and pictures of real runs.

Code that runs in a child process lives in this package, not in a notebook: under the `spawn`
and `forkserver` start methods a child imports its function by name, and a function defined in
a notebook has no module to be imported from.

What lives where (each module's docstring explains its method and costs; the measured facts
behind the design are in docs/design-notes.md). `tests/test_repository.py` checks that this map
lists every module.

Shared instruments, named by what they do:
- `workloads`  importable work: `spin(s)` CPU seconds, `count(n)` fixed work, `sleep`, `wait_socket`, `mixed`
- `recording`  `Recorder()`: events from threads and processes on one clock -> `rec.rows()`
- `states`     `states.run(tasks)` / `states.sample(procs)`: running / ready / blocked / zombie from the OS
- `locks`      `TracedLock`, `TracedRLock`, `TracedSemaphore`, `TracedCondition`: who waited, who held;
               `statistics()`; a semaphore's permits over time; `lock.abandon()`
- `deadlock`   `snapshot()`, `watch(after)`, `join(threads, timeout)`: who holds and waits for which lock, the cycle
- `gil`        `gil.probe(threads, seconds)`: who held the GIL when; switch interval; free-threaded overlap
- `pools`      `pools.run(pool, func, items)`: which worker ran which task, when the caller got each result
- `bench`      `bench.compare(cases)`: median, spread, speed-up, CPU/wall; `usable_cpus()`, `machine_cores()`
- `scheduler`  a model of a CPU scheduler (jobs, time slices, cores), to compare with the real OS
- `subproc`    `subproc.run(code)` / `call(func)` / `start(...)`: a fresh interpreter, time limit, tree cleanup
- `plots`      `timeline(rows)` and one function per recording; the colour of every state; `colour_key()`
- `checks`     `ensure_importable(func, ctx)`: the "define it in a module" error
- `config`     quick mode (`scale(normal, quick)`) and `COURSE_START_METHOD`
- `kernel`     `exit_cleanly_on_sigterm()`: a kernel Jupyter stops still removes its temporary folders

One module per chapter, for what only that chapter uses:
- `ch00_welcome`     the environment check: Python, CPUs, start methods, GIL; start-up cost
- `ch01_os_basics`   the scheduler model's pictures and sliders
- `ch02_processes`   child-process targets for `multiprocessing.Process`; the start-method diagram
- `ch03_lifecycle`   zombies, orphans, daemons and subreapers made on purpose; `ps`-like readers
- `ch04_box_office`  clerks sharing a terminal, buyers sharing a JSON file; atomic writes
- `ch05_ipc`         producers, consumers and workers for queues, pipes and shared memory
- `ch06_sync`        cars at a car park and a traffic light, tickers, timers, consumers, phase workers
- `ch07_threads`     threads against processes, the daemon-at-exit program, the lost-update pictures
- `ch08_deadlock`    diners who deadlock and the fixes; the original tutorial's demo; livelock, starvation
- `ch09_gil`         lost updates, threads against processes, the convoy effect, hashing; other Pythons
- `ch10_pools`       tasks for pool workers; callbacks, shutdown, chunksize and pool-size measurements

For the exercises (the student notebooks import them; reading them is allowed):
- `exercise`     `fresh_import(name)`: import a student's `%%writefile` module afresh
- `testing`      `finishes_within(seconds, func)`, `started_processes()`, `started_threads()`, `watched_pools()`,
                 `no_new_processes()`, `no_new_threads()`, `in_fresh_interpreter(...)`, `wait_until(predicate)`:
                 what test cells check with
- `ex02_targets` ... `ex10_targets`   the test-side targets and stand-ins each exercise's tests pair with yours
"""
from .config import QUICK, apply_start_method_from_env, scale
from .kernel import exit_cleanly_on_sigterm

apply_start_method_from_env()
exit_cleanly_on_sigterm()

__all__ = ["QUICK", "scale"]
