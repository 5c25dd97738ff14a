"""`make lab` serves JupyterLab on the course, with nbgrader's panels and ipywidgets available."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from grading import commands

REPO = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


@pytest.fixture
def lab(tmp_path):
    # formgrader only works when the course root is inside the server's root folder, as the
    # default `.course/` is; use a throw-away one there.
    course = REPO / ".course" / f"lab-test-{os.getpid()}"
    commands.setup(str(course))
    port = _free_port()
    env = dict(os.environ, COURSE_ROOT=str(course), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={REPO}"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/api/status?token={TOKEN}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start within 60 s")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(course, ignore_errors=True)


def test_lab_serves_the_course_with_nbgrader_and_widgets(lab):
    status, page = _get(f"{lab}/lab?token={TOKEN}")
    assert status == 200 and "JupyterLab" in page
    _, listing = _get(f"{lab}/api/contents/notebooks?token={TOKEN}")
    names = {item["name"] for item in json.loads(listing)["content"]}
    assert "00_welcome.ipynb" in names
    _, listing = _get(f"{lab}/lab/api/extensions?token={TOKEN}")
    enabled = {e["name"] for e in json.loads(listing) if e.get("enabled")}
    assert any("nbgrader" in name for name in enabled), f"nbgrader's JupyterLab panels are not enabled: {enabled}"
    assert any("jupyterlab-manager" in name for name in enabled), f"ipywidgets' extension is not enabled: {enabled}"
    status, formgrader = _get(f"{lab}/formgrader?token={TOKEN}")
    assert status == 200 and "formgrader" in formgrader.lower(), "the formgrader page did not load"
    _, assignments = _get(f"{lab}/formgrader/api/assignments?token={TOKEN}")
    assert "ex01_os_basics" in assignments, "formgrader does not see the course's exercises in solutions/"
