"""Run nbgrader's own command line, pointed at one course root, and fail with a readable message.

Each call is a fresh `python -m nbgrader ...` subprocess: it reads `nbgrader_config.py` in the
repository, which takes the course root from $COURSE_ROOT.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

from .paths import REPO, SOLUTIONS, EXERCISES, CourseError


def prepare_course(root: Path) -> None:
    """Create a course root whose `source` and `release` folders are the repository's own.

    nbgrader wants every folder under one root; links let `solutions/` and `exercises/` stay where
    the repository keeps them, and let a class folder elsewhere hold nothing but `submitted/`.
    """
    root.mkdir(parents=True, exist_ok=True)
    # nbgrader's exchange (c.Exchange.root): the Assignment List panel and Formgrader fail
    # ("Error fetching courses!", "Unwritable directory") when it does not exist.
    (root / "exchange").mkdir(exist_ok=True)
    keep_out_of_git(root)
    for name, target in (("source", SOLUTIONS), ("release", EXERCISES)):
        link = root / name
        if link.is_symlink() or not link.exists():
            if link.is_symlink() and link.resolve() == target:
                continue
            if link.is_symlink():
                link.unlink()
            link.symlink_to(target, target_is_directory=True)
        elif link.resolve() != target:
            raise CourseError(
                f"{link} is a real folder; the course expects it to be a link to {target}. "
                "Move it aside (it is not used) and run the command again.")


def keep_out_of_git(root: Path) -> bool:
    """Make git ignore a course root inside this repository (a `.gitignore` of `*` in it), so no
    student work can be committed by accident; True when it is (or already was) ignored."""
    if not (root == REPO or REPO in root.parents) or not (REPO / ".git").exists():
        return False
    probe = subprocess.run(["git", "check-ignore", "-q", str(root / "submitted")], cwd=REPO, capture_output=True)
    if probe.returncode != 0:
        (root / ".gitignore").write_text("# A class folder: student work and grades, never committed.\n*\n")
    return True


def nbgrader_command(root: Path, *args: str, **extra_env: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run `nbgrader ARGS` on this course root."""
    env = dict(os.environ)
    env["COURSE_ROOT"] = str(root)
    env.update(extra_env)
    return [sys.executable, "-m", "nbgrader", *args], env


# What nbgrader logs when it fails on one submission (its other ERROR lines, such as a cell
# timeout, are not failures).
NBGRADER_FAILED = "There was an error processing"


def failed(returncode: int, log: str) -> bool:
    """Whether an nbgrader run went wrong: a non-zero exit, or a submission it failed on."""
    return returncode != 0 or NBGRADER_FAILED in log


def nbgrader(root: Path, *args: str, timeout: float | None = None, zygote=None, **extra_env: str) -> str:
    """Run `nbgrader ARGS` on the course root and return its log; raise CourseError if it fails.

    With a `zygote` (see zygote.py), or the one `zygote.keep_warm()` keeps, the run is forked from an
    nbgrader that is already imported, which saves its start-up; only for our own steps, never for
    student code.
    """
    from .zygote import kept
    cmd, env = nbgrader_command(root, *args, **extra_env)
    zygote = zygote or kept()
    if zygote is not None:
        code, log = zygote.run(cmd[3:], env, str(REPO), timeout or 600)
        if failed(code, log):
            raise CourseError(f"`nbgrader {' '.join(args)}` failed:\n{tail(log)}")
        return log
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise CourseError(f"`nbgrader {' '.join(args)}` took longer than {timeout:.0f} s") from exc
    log = proc.stdout + proc.stderr
    if failed(proc.returncode, log):
        raise CourseError(f"`nbgrader {' '.join(args)}` failed:\n{tail(log)}")
    return log


def register_assignment(root: Path, exercise: str, zygote=None) -> bool:
    """Put the exercise (its cells, points and checksums) into the course's gradebook; True when
    that was needed, False when the gradebook already held this very version.

    nbgrader learns an assignment by generating it (about 1.5 s); the generated copy goes to a
    scratch folder so grading never rewrites the committed `exercises/`. A re-grade skips it when
    `.registered/<exercise>` records the same `registration_key` as now.
    """
    marker = root / ".registered" / exercise
    key = registration_key(root, exercise)
    if key is not None and marker.is_file() and marker.read_text() == key:
        return False
    nbgrader(root, "generate_assignment", exercise, "--force",
             "--CourseDirectory.release_directory=.generated", zygote=zygote)
    key = registration_key(root, exercise)
    if key is not None:
        marker.parent.mkdir(exist_ok=True)
        marker.write_text(key)
    return True


def registration_key(root: Path, exercise: str) -> str | None:
    """A digest of everything a registration depends on: the exercise's source files, the nbgrader
    config, nbgrader's version, and the gradebook's own record of the cells (None when the
    gradebook does not hold the exercise, or cannot be read)."""
    db = root / "gradebook.db"
    if not db.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            cells = con.execute(
                "SELECT n.name, c.name, c.checksum FROM source_cell c JOIN notebook n ON c.notebook_id = n.id "
                "JOIN assignment a ON n.assignment_id = a.id WHERE a.name = ? ORDER BY n.name, c.name",
                (exercise,)).fetchall()
    except sqlite3.Error:
        return None
    if not cells:
        return None
    digest = hashlib.sha256(repr(cells).encode())
    digest.update(version("nbgrader").encode())
    digest.update((REPO / "nbgrader_config.py").read_bytes())
    for path in sorted((SOLUTIONS / exercise).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(SOLUTIONS).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def tail(text: str, lines: int = 30) -> str:
    """The last lines of a log, enough to show what went wrong."""
    return "\n".join(text.strip().splitlines()[-lines:])
