"""Helpers for the course notebooks: workloads, recorders and pictures of real runs.

Code that runs in a child process lives in this package, not in a notebook: under the `spawn`
and `forkserver` start methods a child imports its function by name, and a function defined in a
notebook has no module to be imported from.

What lives where (each module's docstring explains its method and costs):

- `workloads`  importable work: `spin(s)` CPU seconds, `count(n)` fixed work, `sleep`, `wait_socket`, `mixed`
- `recording`  `Recorder()`: events from threads and processes on one clock -> `rec.rows()`
- `states`     `states.run(tasks)` / `states.sample(procs)`: running / ready / blocked / zombie from the OS
- `locks`      `TracedLock`, `TracedRLock`, `TracedSemaphore`: who waited, who held; `statistics()`
- `gil`        `gil.probe(threads, seconds)`: who held the GIL when; switch interval; free-threaded overlap
- `pools`      `pools.run(pool, func, items)`: which worker ran which task
- `bench`      `bench.compare(cases)`: median, spread, speed-up, CPU/wall, "the machine gave fewer cores"
- `subproc`    `subproc.run(code)` / `call(func)` / `start(...)`: a fresh interpreter, time limit, tree cleanup
- `plots`      `timeline(rows)` and one function per recording; `colour_key()`
- `checks`     `ensure_importable(func, ctx)`: the "define it in a module" error
"""
from .config import QUICK, apply_start_method_from_env, scale

apply_start_method_from_env()

__all__ = ["QUICK", "scale"]
