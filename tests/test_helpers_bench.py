"""bench: repeated runs, CPU/wall accounting (children and a fork server's children included)."""
import functools
from concurrent.futures import ProcessPoolExecutor

from helpers import bench, workloads


def _two_spinners(ctx, seconds):
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        return list(ex.map(workloads.spin, [seconds] * 2))


def test_measure_keeps_every_run():
    m = bench.measure(workloads.count, 10_000, repeat=3, warmup=1, progress=False)
    assert len(m.walls) == len(m.cpus) == 3
    assert m.spread[0] <= m.median <= m.spread[1]


def test_cpu_time_of_worker_processes_is_counted(ctx):
    # each worker spins 0.15 s of CPU *time*, so at least 0.3 s of CPU was used, whatever the wall time
    wall, cpu, result = bench.timed(_two_spinners, ctx, 0.15)
    assert len(result) == 2
    assert cpu >= 0.2, f"only {cpu:.3f} s of CPU seen for 0.3 s of work under {ctx.get_start_method()}"


def test_compare_reports_speedups_limits_and_labels():
    cases = {"serial": functools.partial(workloads.count, 20_000),
             "same again": functools.partial(workloads.count, 20_000)}
    comp = bench.compare(cases, workers={"same again": 2}, repeat=2, warmup=0, check_machine=False, progress=False)
    assert comp.speedup("serial") == 1.0
    assert comp.limit(comp.cases[1]) == min(2, bench.usable_cpus())
    # an in-process loop can never use 2 cores' worth of CPU, so on >= 2 CPUs it is labelled
    if bench.usable_cpus() >= 2:
        assert "cores' worth" in comp.notes["same again"]
    assert "serial" in comp.table()


def test_machine_check_returns_cores():
    assert 0 < bench.machine_cores(0.05) <= bench.usable_cpus() + 0.5


def test_a_starved_baseline_and_a_short_parallel_run_are_labelled():
    base = bench.Measurement("serial", [2.0, 2.0], [1.0, 1.0])                       # half a core
    par = bench.Measurement("2 processes", [1.0, 1.0], [1.9, 1.9], workers=2)        # fine
    threads = bench.Measurement("2 threads", [2.0, 2.0], [2.0, 2.0], workers=2)      # one core
    comp = bench.Comparison([base, par, threads], "serial", 2, (2.0, 2.0))
    notes = comp.label_shortfalls()
    assert comp.speedup("2 processes") == 2.0
    assert "overstated" in notes["serial"] and "2 processes" not in notes
    assert "1.00 cores' worth" in notes["2 threads"] and "machine" not in notes["2 threads"]
    busy = bench.Comparison([base, par, threads], "serial", 2, (1.0, 1.1)).label_shortfalls()
    assert "the machine gave fewer cores" in busy["2 threads"]


def test_cgroup_cpu_quota_v2_takes_the_smallest_on_the_way_up(tmp_path):
    (tmp_path / "proc").write_text("0::/outer/inner\n")
    inner = tmp_path / "cg" / "outer" / "inner"
    inner.mkdir(parents=True)
    (tmp_path / "cg" / "outer" / "cpu.max").write_text("150000 100000\n")
    (inner / "cpu.max").write_text("max 100000\n")
    assert bench._cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "cg")) == 1.5


def test_cgroup_cpu_quota_v1_and_no_quota(tmp_path):
    (tmp_path / "proc").write_text("4:memory:/x\n3:cpu,cpuacct:/job\n")
    job = tmp_path / "cg" / "cpu,cpuacct" / "job"
    job.mkdir(parents=True)
    (job / "cpu.cfs_quota_us").write_text("50000\n")
    (job / "cpu.cfs_period_us").write_text("100000\n")
    assert bench._cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "cg")) == 0.5
    (job / "cpu.cfs_quota_us").write_text("-1\n")
    assert bench._cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "cg")) is None


def test_usable_cpus_is_the_smallest_limit(monkeypatch):
    monkeypatch.setattr(bench, "cpu_limits", lambda: {"logical CPUs": 16, "affinity": 8, "cgroup quota": 1.5})
    assert bench.usable_cpus() == 2
