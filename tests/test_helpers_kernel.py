"""helpers.kernel: a Jupyter kernel stopped by Jupyter removes its temporary folders, and
`terminate()` of a forked child stays abrupt."""
from __future__ import annotations

import json
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="helpers.kernel acts on POSIX signals and fork only")


@contextmanager
def _kernel():
    """A kernel in the repository, stopped (at once, unless the test did it gently) on the way out."""
    km = KernelManager(kernel_name="python3")
    km.shutdown_wait_time = 8                 # Jupyter's SIGTERM comes after half of it
    km.start_kernel(cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def _run(kc, code: str) -> str:
    out = []
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def test_a_kernel_jupyter_stops_leaves_no_temporary_folder_and_no_resource_tracker():
    with _kernel() as (km, kc):
        left = json.loads(_run(kc, (
            "import json, multiprocessing as mp, helpers\n"
            "from helpers.recording import Recorder\n"
            "rec = Recorder()\n"
            "p = mp.get_context('forkserver').Process(target=print); p.start(); p.join()\n"
            "from multiprocessing import resource_tracker, util\n"
            "print(json.dumps({'dirs': [util.get_temp_dir(), rec.dir], "
            "'tracker': resource_tracker._resource_tracker._pid}))")))
        assert all(os.path.isdir(d) for d in left["dirs"])
        process = km.provisioner.process
        km.shutdown_kernel(now=False)          # as JupyterLab's "Shut Down Kernel" does
    # 143: Jupyter's SIGTERM became SystemExit; 0: every child left in time and the kernel exited
    # by itself. Not -15 (SIGTERM's default action) nor -9 (killed).
    assert process.returncode in (0, 128 + signal.SIGTERM), f"the kernel ended with {process.returncode}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (any(map(os.path.exists, left["dirs"])) or psutil.pid_exists(left["tracker"])):
        time.sleep(0.1)
    assert not [d for d in left["dirs"] if os.path.exists(d)], "temporary folders left behind"
    assert not psutil.pid_exists(left["tracker"]), "the resource tracker outlived its kernel"


def test_terminate_still_ends_a_forked_child_at_once():
    """The child gets SIGTERM before any of helpers' fork hooks can run (a hook registered first
    sends it): the kernel's handler must not catch it, and the signal must not be lost."""
    with _kernel() as (km, kc):
        out = _run(kc, (
            "import multiprocessing as mp, os, signal, threading, time\n"
            "def _early():\n"
            "    if os.environ.get('EARLY_SIGTERM'): os.kill(os.getpid(), signal.SIGTERM)\n"
            "os.register_at_fork(after_in_child=_early)\n"
            "import helpers\n"
            "codes = []\n"
            "def start_and_stop(early):\n"
            "    os.environ['EARLY_SIGTERM'] = '1' if early else ''\n"
            "    p = mp.get_context('fork').Process(target=time.sleep, args=(5,)); p.start()\n"
            "    if not early: p.terminate()\n"
            "    p.join(); codes.append(p.exitcode)\n"
            "for early in (True, False) * 5: start_and_stop(early)\n"
            "t = threading.Thread(target=lambda: [start_and_stop(e) for e in (True, False) * 5]); t.start(); t.join()\n"
            "print(sorted(set(codes)), signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, "
            "signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, ()))"))
    assert out.split() == [f"[{-signal.SIGTERM}]", "True", "False"], (
        f"exit codes, handler installed, SIGTERM left blocked: {out}")
