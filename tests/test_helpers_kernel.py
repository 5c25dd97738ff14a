"""helpers.kernel: a Jupyter kernel stopped by Jupyter removes its temporary folders, and
`terminate()` of a forked child stays abrupt."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parent.parent


def _kernel():
    km = KernelManager(kernel_name="python3")
    km.shutdown_wait_time = 2                 # Jupyter's SIGTERM comes after half of it
    km.start_kernel(cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def _run(kc, code: str) -> str:
    out = []
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def test_a_kernel_jupyter_stops_leaves_no_temporary_folder_and_no_resource_tracker():
    km, kc = _kernel()
    try:
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
    finally:
        kc.stop_channels()
    assert process.returncode != -signal.SIGTERM, "the kernel was ended by SIGTERM's default action"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (any(map(os.path.exists, left["dirs"])) or psutil.pid_exists(left["tracker"])):
        time.sleep(0.1)
    assert not [d for d in left["dirs"] if os.path.exists(d)], "temporary folders left behind"
    assert not psutil.pid_exists(left["tracker"]), "the resource tracker outlived its kernel"


def test_terminate_still_ends_a_forked_child_at_once():
    km, kc = _kernel()
    try:
        out = _run(kc, (
            "import multiprocessing as mp, signal, time, helpers\n"
            "p = mp.get_context('fork').Process(target=time.sleep, args=(30,)); p.start()\n"
            "p.terminate(); p.join()\n"
            "print(p.exitcode, signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL)"))
        km.shutdown_kernel(now=True)
    finally:
        kc.stop_channels()
    exitcode, handled_in_kernel = out.split()
    assert int(exitcode) == -signal.SIGTERM, "a forked child must keep SIGTERM's default action"
    assert handled_in_kernel == "True"
