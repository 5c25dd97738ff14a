"""The kernel sandbox (grading/sandbox.py) and the sweep of stale grading cgroups.

The sandbox is checked from inside: a small Python program is started exactly as nbgrader starts
a kernel (`sandbox.wrap(argv)`) and reports what it can see and do.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grading import cgroup, paths, sandbox
from grading.containment import capabilities
from grading.limits import Limits

NO_SANDBOX = sandbox.probe()
needs_sandbox = pytest.mark.skipif(NO_SANDBOX is not None, reason=f"no sandbox here: {NO_SANDBOX}")

LOOK_AROUND = r"""
import json, os, sys
repo, prefix, sentinel = sys.argv[1], sys.argv[2], sys.argv[3]
report = {"uid": os.getuid(), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
          "repo": sorted(os.listdir(repo)), "sentinel": os.path.exists(sentinel),
          "data": open("data.txt").read()}
open("written.txt", "w").write("mine")
for name, path in [("prefix", os.path.join(prefix, "x")), ("root", "/x")]:
    try:
        open(path, "w")
        report[name + "_writable"] = True
    except OSError:
        report[name + "_writable"] = False
try:
    os.kill(os.getppid(), 0)
    report["can_signal_parent"] = True
except PermissionError:
    report["can_signal_parent"] = False
import resource
report["oom_score_adj"] = int(open("/proc/self/oom_score_adj").read())
report["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
import ctypes
libc = ctypes.CDLL(None, use_errno=True)   # remount the Python installation writable, or unmount it?
report["can_remount"] = libc.mount(None, prefix.encode(), None, 4096 | 32, None) == 0
report["can_unmount"] = libc.umount2(prefix.encode(), 2) == 0
try:
    import helpers  # noqa: F401
    report["helpers"] = True
except ImportError:
    report["helpers"] = False
print(json.dumps(report))
"""


def _run_inside(workdir: Path, python: str = sys.executable, user: list[str] | None = None,
                extra: list[str] | None = None) -> dict:
    with tempfile.NamedTemporaryFile(dir="/tmp", prefix="course-sentinel-") as sentinel:
        argv = sandbox.wrap([python, "-I", "-c", LOOK_AROUND, str(paths.REPO), sys.prefix, sentinel.name])
        if extra is not None:
            argv = extra + argv[argv.index("--"):]
        proc = subprocess.run((user or []) + argv, cwd=workdir, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "autograded" / "alice" / "ex01"
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text("submitted with the notebook")
    return folder


@needs_sandbox
def test_kernel_sees_only_its_own_folder_of_the_course(workdir):
    seen = _run_inside(workdir)
    assert seen["cwd"] == str(workdir) and seen["data"] == "submitted with the notebook"
    assert seen["repo"] == [".venv", "helpers"] or seen["repo"] == ["helpers"], \
        f"the repository (solutions/, .git) must be hidden, the kernel saw {seen['repo']}"
    assert seen["helpers"], "the course helpers must stay importable"
    assert not seen["sentinel"], "the machine's /tmp must be hidden"
    assert not seen["prefix_writable"] and not seen["root_writable"]
    assert not seen["can_remount"] and not seen["can_unmount"]
    assert seen["oom_score_adj"] == 1000, "the OOM killer must pick the kernel before the grader"
    assert seen["nproc"] == Limits.from_env().max_processes - sandbox.GRADER_RESERVE
    assert not (workdir / "written.txt").exists(), "the kernel's writes must stay private"
    assert sorted(os.listdir(workdir.parent.parent)) == ["alice"]


@needs_sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand the kernel to another user")
def test_run_as_root_the_kernel_is_nobody_and_cannot_signal_the_grader(workdir):
    seen = _run_inside(workdir)
    assert seen["uid"] == sandbox.NOBODY
    assert not seen["can_signal_parent"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists("/usr/bin/python3"),
                    reason="needs root (to become an ordinary user) and setpriv")
def test_an_ordinary_user_gets_the_same_sandbox_through_user_namespaces():
    """Most instructors are not root: the sandbox then rests on user namespaces. The system Python
    stands in for the course's (which may live in root's home, out of an ordinary user's reach)."""
    user = ["setpriv", "--reuid=4242", "--regid=4242", "--clear-groups"]
    runner = ["/usr/bin/python3", "-I", "-c",
              f"import sys; sys.path.insert(0, {str(paths.REPO)!r}); from grading import sandbox; "
              "sys.exit(sandbox.main(sys.argv[1:]))"]
    work = Path(tempfile.mkdtemp(prefix="course-sandbox-user-"))
    try:
        (work / "data.txt").write_text("submitted with the notebook")
        os.chown(work, 4242, 4242)
        probe = subprocess.run(user + ["unshare", "--user", "true"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip("this machine does not allow unprivileged user namespaces")
        # A clone in a folder only root may enter (`mktemp -d`, /root) cannot be an ordinary user's
        # course: the user could not import `grading` or bind `helpers/`, with or without a sandbox.
        reach = subprocess.run(user + ["test", "-r", str(paths.REPO / "grading" / "sandbox.py")], capture_output=True)
        if reach.returncode != 0:
            pytest.skip(f"an ordinary user cannot read {paths.REPO} (one of its parent folders is closed to others)")
        seen = _run_inside(work, python="/usr/bin/python3", user=user, extra=runner)
        assert seen["uid"] == 4242 and seen["data"] == "submitted with the notebook"
        assert "solutions" not in seen["repo"] and ".git" not in seen["repo"] and not seen["sentinel"]
        assert not seen["prefix_writable"], "the Python installation must stay read-only"
        assert not seen["can_remount"] and not seen["can_unmount"], "the kernel must not undo the sandbox"
        assert not (work / "written.txt").exists()
    finally:
        shutil.rmtree(work)


def test_sandbox_command_line_explains_its_use():
    proc = subprocess.run([sys.executable, "-m", "grading.sandbox"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage" in proc.stderr and "Traceback" not in proc.stderr


@needs_sandbox
def test_a_kernel_started_in_the_repository_is_refused_in_one_line():
    """The repository holds folders the sandbox shares read-only (helpers/, here also .venv/):
    copying the kernel's folder into the sandbox would copy them over those mounts. The launcher
    names one, in one line, and starts nothing."""
    proc = subprocess.run(sandbox.wrap([sys.executable, "-c", "print('started')"]), cwd=paths.REPO,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "started" not in proc.stdout
    assert proc.stderr.count("\n") == 1 and f"holds {paths.REPO}{os.sep}" in proc.stderr, proc.stderr


@pytest.mark.skipif(not capabilities().cgroups, reason="no writable cgroups here")
def test_sweep_removes_only_empty_cgroups_of_runs_that_are_gone():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()                                     # its PID now names no process
    mine = cgroup.Cgroup.create(1 << 28, 16)
    assert mine is not None
    orphans = [parent / f"course-grade-{dead.pid}-stale0000000" for parent in cgroup._parents()]
    try:
        for d in orphans:
            d.mkdir()
        removed = cgroup.sweep_stale()
        assert sorted(removed) == sorted(orphans)
        assert all(d.exists() for d in mine.dirs), "a living run's cgroup must be kept"
    finally:
        mine.destroy()
        for d in orphans:
            if d.exists():
                d.rmdir()
