"""`make lab` serves JupyterLab on the course: nbgrader's panels open without an error or a warning,
for a class folder inside the repository or outside it, and hand grades typed into Formgrader
survive re-grading."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grading import commands, paths
from grading.commands import lab_command

REPO = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"
EX = paths.exercise_names()[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


def _json(url: str, method: str = "GET", body: dict | None = None):
    return json.loads(_request(url, method, body)[1])


@contextlib.contextmanager
def lab_server(course: Path, runtime: Path):
    """JupyterLab as `make lab` starts it (grading.commands.lab_command), on a free port."""
    seen = commands.setup(str(course), git_filter=False)     # never touch this checkout's git settings
    argv, env = lab_command(seen)
    port = _free_port()
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    proc = subprocess.Popen(argv + ["--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                    f"--IdentityProvider.token={TOKEN}"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _request(f"{base}/api/status")
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


def _panels_open_cleanly(base: str) -> None:
    """What nbgrader's JupyterLab panels ask the server for, answered without an error or warning."""
    # Assignment List (learners): the course list and the assignments of the course
    courses = _json(f"{base}/courses")
    assert courses["success"], f"Assignment List: 'Error fetching courses!': {courses}"
    listing = _json(f"{base}/assignments?course_id=concurrency-in-python")
    assert listing["success"], f"Assignment List cannot list assignments: {listing}"
    # Course List (instructors)
    assert _json(f"{base}/formgraders")["success"]
    assert _json(f"{base}/nbgrader_version?version=0.9.6")["success"]
    # Formgrader: pages load (a course root it cannot reach answers 500) and show no warning
    for page in ("formgrader", "formgrader/manage_assignments", "formgrader/manage_students",
                 "formgrader/gradebook"):
        status, html = _request(f"{base}/{page}")
        assert status == 200, page
        assert "alert-warning" not in html, f"{page} shows a warning: {html[html.find('alert-warning'):][:300]}"
    assert EX in _request(f"{base}/formgrader/api/assignments")[1], "formgrader does not see solutions/"


@pytest.fixture
def course_in_repo():
    course = REPO / ".course" / f"lab-test-{os.getpid()}"
    yield course
    shutil.rmtree(course, ignore_errors=True)


def test_lab_serves_the_course_with_nbgrader_and_widgets(course_in_repo, tmp_path):
    with lab_server(course_in_repo, tmp_path / "runtime") as base:
        status, page = _request(f"{base}/lab")
        assert status == 200 and "JupyterLab" in page
        names = {item["name"] for item in _json(f"{base}/api/contents/notebooks")["content"]}
        assert "00_welcome.ipynb" in names
        top = {item["name"] for item in _json(f"{base}/api/contents")["content"]}
        assert not [n for n in top if n.endswith(".egg-info")], f"the file browser shows {top}"
        enabled = {e["name"] for e in _json(f"{base}/lab/api/extensions") if e.get("enabled")}
        assert any("nbgrader" in name for name in enabled), f"nbgrader's JupyterLab panels are not enabled: {enabled}"
        assert any("jupyterlab-manager" in name for name in enabled), f"ipywidgets' extension is not enabled: {enabled}"
        _panels_open_cleanly(base)
    assert (course_in_repo / "exchange").is_dir()


def test_a_class_folder_inside_the_repository_is_git_ignored():
    course = REPO / f"class-test-{os.getpid()}"
    try:
        (course / "submitted" / "alice").mkdir(parents=True)
        commands.setup(str(course), git_filter=False)
        ignored = subprocess.run(["git", "check-ignore", "-q", str(course / "submitted" / "alice" / "x.ipynb")],
                                 cwd=REPO)
        assert ignored.returncode == 0, "student work in a class folder inside the repository could be committed"
    finally:
        shutil.rmtree(course, ignore_errors=True)


def _submit(course: Path, student: str, answer: str | None = None) -> None:
    folder = course / "submitted" / student / EX
    folder.mkdir(parents=True, exist_ok=True)
    for nb_path in paths.exercise_notebooks(EX):
        nb = nbformat.read(nb_path, as_version=4)
        if answer is not None:
            written = next(c for c in nb.cells if c.cell_type == "markdown"
                           and c.metadata.get("nbgrader", {}).get("solution"))
            written.source = answer
        nbformat.write(nb, folder / nb_path.name)


def test_hand_grades_typed_in_formgrader_survive_regrading_of_a_class_outside_the_repo(tmp_path):
    course = tmp_path / "class"
    _submit(course, "alice")
    _submit(course, "bob")
    commands.autograde(EX, str(course), jobs=2)
    try:
        with lab_server(course, tmp_path / "runtime") as base:
            _panels_open_cleanly(base)
            notebook = paths.exercise_notebooks(EX)[0].stem

            def written_answer(student: str) -> tuple[dict, dict]:
                submissions = _json(f"{base}/formgrader/api/submitted_notebooks/{EX}/{notebook}")
                sid = next(s["id"] for s in submissions if s["student"] == student)
                grades = _json(f"{base}/formgrader/api/grades?submission_id={sid}")
                comments = _json(f"{base}/formgrader/api/comments?submission_id={sid}")
                name = next(g["name"] for g in grades if g["name"] in {c["name"] for c in comments})
                return (next(g for g in grades if g["name"] == name), next(c for c in comments if c["name"] == name))

            for student in ("alice", "bob"):      # what typing in Formgrader's boxes sends
                grade, comment = written_answer(student)
                _request(f"{base}/formgrader/api/grade/{grade['id']}", "PUT",
                         {"manual_score": grade["max_score"], "extra_credit": None})
                _request(f"{base}/formgrader/api/comment/{comment['id']}", "PUT",
                         {"manual_comment": f"Well argued, {student}."})

            # a late re-submission from bob with a new written answer; the class is graded again
            _submit(course, "bob", answer="A different answer, written after the first grading.")
            commands.autograde(EX, str(course), jobs=2)
            grade, comment = written_answer("alice")
            assert grade["manual_score"] == grade["max_score"] and not grade["needs_manual_grade"]
            assert comment["manual_comment"] == "Well argued, alice."
            grade, comment = written_answer("bob")
            assert grade["manual_score"] is None and grade["needs_manual_grade"], "a changed answer must be re-graded"
            assert comment["manual_comment"].startswith("[The answer changed after it was graded by hand")
            assert "Earlier score: 2 / 2" in comment["manual_comment"] and "Well argued, bob." in comment["manual_comment"]

            # one student re-graded alone keeps the grade too, and the others are not touched
            before = (course / "autograded" / "bob" / EX).stat().st_mtime
            commands.autograde(EX, str(course), jobs=1, student="alice")
            assert written_answer("alice")[0]["manual_score"] == grade["max_score"]
            assert (course / "autograded" / "bob" / EX).stat().st_mtime == before
    finally:
        for link in (paths.DEFAULT_COURSE / "classes").glob("class*"):
            if link.is_symlink() and link.resolve() == course.resolve():
                link.unlink()
