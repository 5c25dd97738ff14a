"""plots: each recording draws with the course colours, labelled axes and a legend."""
import threading
from concurrent.futures import ThreadPoolExecutor

import matplotlib
import matplotlib.pyplot as plt

from helpers import gil, locks, plots, pools, states, workloads, bench

matplotlib.use("Agg")


def _legend(ax):
    leg = ax.get_legend()
    return {t.get_text() for t in leg.get_texts()} if leg else set()


def test_every_recording_draws():
    import subprocess, sys
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    rec = states.sample([child], duration=0.05)
    rec.wait()
    child.wait()
    ax = plots.states(rec)
    assert "time (ms)" == ax.get_xlabel() and _legend(ax)

    lock = locks.TracedLock()
    ts = [threading.Thread(target=workloads.use_lock, args=(lock, 3, 0.001, 0.0005)) for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    ax = lock.plot()
    assert _legend(ax) <= {"holding", "lock wait"} and "hand-offs" in ax.get_title()

    ax = gil.probe(2, 0.02).plot()
    assert ax.get_xlabel() == "time (ms)" and "running" in _legend(ax)

    with ThreadPoolExecutor(2) as ex:
        ax = pools.run(ex, workloads.square_slowly, range(4)).plot()
    assert "utilisation" in ax.get_title()

    comp = bench.compare({"a": lambda: None, "b": lambda: None}, repeat=1, warmup=0,
                         check_machine=False, progress=False)
    ax = comp.plot()
    assert ax.get_xlabel() == "wall time (s)"
    plt.close("all")


def test_same_state_same_colour_everywhere():
    assert plots.color_for("holding") == plots.color_for("running")
    assert plots.color_for("GIL wait") == plots.color_for("lock wait")
