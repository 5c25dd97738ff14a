"""`make bench`: what the course's recorders cost, and what this machine gives us right now.

Costs are measured in CPU time of the measuring thread (`time.thread_time`), not wall time: on a
shared machine the wall clock includes time other programs took from us, which would
swamp a 5 % effect. The machine figures at the end (cpu_wall_ratio, machine_cores_*) say how
much CPU this run really got.

Prints one `name: value` line per figure (progress goes to stderr). It reports; it never
asserts: timings belong here, not in the tests. Targets (docs/design-notes.md): timeline_overhead_ratio
<= 1.05, traced_lock_ns_per_acquire <= 1000, state_sampler_cpu_percent <= 5 at a 2 ms interval,
gil_probe_overhead_ratio <= 1.10.
"""
from __future__ import annotations

import multiprocessing
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import bench, gil, locks, recording, states, workloads  # noqa: E402


def progress(msg: str) -> None:
    print(f"... {msg}", file=sys.stderr, flush=True)


def report(name: str, value, fmt: str = "{:.3f}") -> None:
    print(f"{name}: {fmt.format(value) if isinstance(value, float) else value}", flush=True)


def timeline_overhead_ratio(repeat: int = 9) -> float:
    """A chapter-sized run (2000 chunks of ~50 us, one state event per chunk), recorded / plain."""
    size = max(200, workloads.iterations_for(50e-6))
    plain, recorded = [], []
    for _ in range(repeat):        # interleaved, so drifts in machine speed hit both alike
        t = time.thread_time()
        workloads.chunks(2000, size)
        plain.append(time.thread_time() - t)
        rec = recording.Recorder()
        t = time.thread_time()
        workloads.chunks(2000, size, rec)
        recorded.append(time.thread_time() - t)
        rec.close()
    return statistics.median(recorded) / statistics.median(plain)


def lock_ns(lock, n: int = 200_000) -> float:
    acquire, release = lock.acquire, lock.release
    t = time.thread_time_ns()
    for _ in range(n):
        acquire()
        release()
    return (time.thread_time_ns() - t) / n


def state_sampler_cpu_percent(n_procs: int = 4, seconds: float = 2.0) -> float:
    """CPU used by the sampler thread (the main thread just waits) sampling 4 sleeping processes."""
    procs = [subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds + 2})"])
             for _ in range(n_procs)]
    try:
        time.sleep(0.3)
        c, t = time.process_time(), time.perf_counter()
        rec = states.sample(procs, interval=0.002, duration=seconds)
        rec.wait()
        cpu, wall = time.process_time() - c, time.perf_counter() - t
        n_samples = len(rec.samples[procs[0].pid])
    finally:
        for p in procs:
            p.kill()
            p.wait()
    report("state_sampler_samples_per_second", n_samples / wall, "{:.0f}")
    return 100 * cpu / wall


def gil_probe_overhead_ratio(repeat: int = 5, seconds: float = 0.2) -> float:
    """Chunks per CPU second without timestamps / with: how much the probe slows the threads."""
    plain, recorded = [], []
    for _ in range(repeat):
        r = gil.probe(2, seconds, record=False)
        plain.append(sum(v[0] for v in r.stamps.values()) / sum(r.cpu.values()))
        r = gil.probe(2, seconds, record=True)
        recorded.append(sum(len(v) for v in r.stamps.values()) / sum(r.cpu.values()))
    return statistics.median(plain) / statistics.median(recorded)


def parallel(n_workers: int, work: int) -> None:
    with multiprocessing.get_context().Pool(n_workers) as pool:
        pool.map(workloads.count, [work] * 4)


def main() -> None:
    t_start = time.perf_counter()
    report("python", sys.version.split()[0] + (" (GIL off)" if not gil.gil_enabled() else ""))
    report("usable_cpus", bench.usable_cpus())
    report("start_method", multiprocessing.get_start_method())

    progress("machine check")
    machine_before = bench.machine_cores(0.3)
    report("machine_cores_before", machine_before, "{:.2f}")

    progress("recording overhead")
    report("timeline_overhead_ratio", timeline_overhead_ratio())
    rec = recording.Recorder()
    n = 200_000
    t = time.thread_time_ns()
    for _ in range(n):
        rec.state("x")
    report("recorder_ns_per_event", (time.thread_time_ns() - t) / n, "{:.0f}")
    rec.close()

    progress("traced lock")
    report("bare_lock_ns_per_acquire", min(lock_ns(threading.Lock()) for _ in range(3)), "{:.0f}")
    report("traced_lock_ns_per_acquire", min(lock_ns(locks.TracedLock()) for _ in range(3)), "{:.0f}")
    report("traced_semaphore_ns_per_acquire", min(lock_ns(locks.TracedSemaphore(1)) for _ in range(3)), "{:.0f}")

    if states.HAVE_SCHEDSTAT:
        progress("state sampler (2 s)")
        report("state_sampler_cpu_percent", state_sampler_cpu_percent(), "{:.2f}")
    else:
        report("state_sampler_cpu_percent", "n/a (no /proc/PID/schedstat on this OS)")

    progress("GIL probe")
    report("gil_probe_overhead_ratio", gil_probe_overhead_ratio())
    run = gil.probe(2, 0.3)
    report("gil_median_slice_ms_default_interval", run.median_slice_ms, "{:.2f}")
    run = gil.probe(2, 0.3, switch_interval=0.001)
    report("gil_median_slice_ms_1ms_interval", run.median_slice_ms, "{:.2f}")

    progress("parallel speed-up, 4 tasks")
    work = workloads.iterations_for(0.15)
    serial = bench.measure(lambda: [workloads.count(work) for _ in range(4)], repeat=3, label="serial", progress=False)
    par = bench.measure(parallel, 2, work, repeat=3, label="2 processes", workers=2, progress=False)
    report("speedup_2_processes", serial.median / par.median, "{:.2f}")
    report("cpu_wall_ratio", par.cpu_wall, "{:.2f}")
    report("cpu_wall_ratio_serial", serial.cpu_wall, "{:.2f}")
    machine_after = bench.machine_cores(0.3)
    report("machine_cores_after", machine_after, "{:.2f}")
    comp = bench.Comparison([serial, par], "serial", bench.usable_cpus(), (machine_before, machine_after))
    for label, note in comp.label_shortfalls().items():
        report(f"note_{label.replace(' ', '_')}", note)
    if min(machine_before, machine_after) < 0.8 * bench.usable_cpus():
        report("note", f"the machine gave fewer cores than it has during this run "
                       f"({min(machine_before, machine_after):.2f} of {bench.usable_cpus()})")
    report("bench_seconds", time.perf_counter() - t_start, "{:.1f}")


if __name__ == "__main__":
    main()
