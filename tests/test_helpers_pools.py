"""pools: which worker ran which task, for thread and process pools."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from helpers import pools, workloads


def _check_run(run, n, max_workers):
    assert run.results == [x * x for x in range(n)]
    assert sorted(t.index for t in run.tasks) == list(range(n))
    rows = run.rows()
    assert 1 <= len(rows) <= max_workers
    for worker, segs in rows.items():
        for (_, a, b), (_, c, d) in zip(segs, segs[1:]):
            assert b <= c, f"{worker} ran two tasks at once"
    assert 0 < run.utilisation() <= 1.0


def test_thread_pool():
    with ThreadPoolExecutor(2) as ex:
        run = pools.run(ex, workloads.square_slowly, range(6))
    _check_run(run, 6, 2)
    assert all(w.startswith("ThreadPoolExecutor") for w in run.rows())


def test_process_pool_executor(ctx):
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        run = pools.run(ex, workloads.square_slowly, range(6))
    _check_run(run, 6, 2)
    assert len({t.pid for t in run.tasks}) <= 2


def test_multiprocessing_pool_runs_a_chunk_on_one_worker(ctx):
    with ctx.Pool(2) as pool:
        run = pools.run(pool, workloads.square_slowly, range(6), chunksize=3)
    _check_run(run, 6, 2)
    worker_of = {t.index: t.worker for t in run.tasks}
    assert worker_of[0] == worker_of[1] == worker_of[2]
    assert worker_of[3] == worker_of[4] == worker_of[5]


def test_notebook_function_under_spawn_gets_a_helpful_error():
    def task(x):
        return x
    task.__module__ = "__main__"
    task.__qualname__ = "task"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        with pytest.raises(ValueError, match="Define it in a module"):
            pools.run(ex, task, [1])


def test_results_received_in_input_or_completion_order():
    # task 0 sleeps longest: in input order the caller gets nothing before it; by completion, it comes last
    delays = [0.3, 0.0, 0.1]
    with ThreadPoolExecutor(3) as ex:
        by_input = pools.run(ex, workloads.sleep, delays)
    with ThreadPoolExecutor(3) as ex:
        by_completion = pools.run(ex, workloads.sleep, delays, order="completion")
    for run in (by_input, by_completion):
        assert run.results == delays
        assert all(t.received >= t.end for t in run.tasks), "a result was received before its task ended"
    assert by_input.received_order() == [0, 1, 2]
    assert by_completion.received_order() == [1, 2, 0]
    quick = by_input.tasks[1]
    assert quick.received >= by_input.tasks[0].end, "in input order, a quick result waits behind a slow one"


def test_pool_imap_unordered_collects_by_completion(ctx):
    with ctx.Pool(2) as pool:
        run = pools.run(pool, workloads.sleep, [0.4, 0.0], order="completion")
    assert run.results == [0.4, 0.0]
    assert run.received_order() == [1, 0]


def test_unknown_order_is_refused():
    with ThreadPoolExecutor(1) as ex, pytest.raises(ValueError, match="order"):
        pools.run(ex, workloads.sleep, [0.0], order="random")


def test_plot_with_the_received_row():
    import matplotlib.pyplot as plt
    from helpers import plots
    with ThreadPoolExecutor(2) as ex:
        run = pools.run(ex, workloads.sleep, [0.02, 0.0], order="completion")
    ax = run.plot(received=True)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == plots.RECEIVED_ROW and len(labels) == 1 + len(run.rows())   # the top row
    plt.close(ax.figure)
