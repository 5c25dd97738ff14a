"""The course in a real browser, the way every user meets it: JupyterLab in Chromium (make test-browser).

Each test starts the JupyterLab that `make lab` starts (`python -m grading lab`, grading/commands.py
`lab_command`) on a free loopback port with a token, in a throw-away copy of this working tree: the
server's root, `work/` and the course root are the copy's, so nothing the browser runs or saves can
touch the repository's notebooks or a learner's real `work/`. Playwright drives the system's Chromium
(COURSE_CHROMIUM, default /usr/bin/chromium; Playwright's own browser download is never used), with a
fresh profile. Every test shuts down its kernels, the server and the browser, and the suite's
`nothing_left_running` check fails it if a process is left. Screenshots of every step go to
build/browser-test/ (printed as they are taken).

Without COURSE_BROWSER_TEST=1 these tests are deselected, so `make test` stays fast; `make
test-browser` sets it, and fails (never skips) when Chromium is missing.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from grading import slides

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "build" / "browser-test"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
# What works for a headless Chromium run as root in a container, with nothing fetched from outside.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "browser-test-token"
RUN_TIMEOUT = int(os.environ.get("COURSE_BROWSER_TIMEOUT_MS", "240000"))       # ms: a whole chapter in quick mode, on a loaded 2-core machine
WIDGET_REPR = re.compile(r"^(interactive|VBox|HBox|Box|Output|(Int|Float)(Range)?Slider|Dropdown|ToggleButtons|"
                         r"Checkbox|Button|Text|Label)\(", re.M)


def deselect(item) -> bool:
    """Only `make test-browser` runs these (tests/conftest.py reads this hook)."""
    return os.environ.get("COURSE_BROWSER_TEST") != "1"


# ---- the course, served from a throw-away copy -----------------------------------------------------

def _copy_working_tree(target: Path) -> Path:
    """Every file git tracks or would track (uncommitted edits and new chapters included), copied."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run_in(copy: Path, *args: str, **env: str) -> str:
    """`python ARGS` in the copy, with the copy's `grading` and `helpers` (not this checkout's)."""
    out = subprocess.run([sys.executable, *args], cwd=copy, env=dict(os.environ, PYTHONPATH=str(copy), **env),
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, f"python {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab serving a copy of the course: `url(path)`, `api(path)`, and its course root."""

    def __init__(self, copy: Path, scratch: Path):
        self.copy, self.course = copy, copy / ".course" / "class"
        self.port, self.workspaces = _free_port(), 0
        self.base = f"http://127.0.0.1:{self.port}"
        settings = scratch / "lab-settings"
        # no "get the Jupyter news?" prompt over the screenshots; nothing written to ~/.jupyter
        news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        news.parent.mkdir(parents=True)
        news.write_text(json.dumps({"fetchNews": "false"}))
        # every cell drawn, also off screen: a screenshot after scrolling shows the cell, not a blank page
        windowing = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        windowing.parent.mkdir(parents=True)
        windowing.write_text(json.dumps({"windowingMode": "none"}))
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # the suite's Agg: no pictures in a page
        env.update(PYTHONPATH=str(copy), COURSE_QUICK="1", JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"))
        self.log = scratch / "lab.log"
        # exactly what `make lab` runs (python -m grading lab), with a port, a token and no browser of its own
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grading", "lab", "--course", str(self.course), "--no-browser",
             f"--port={self.port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
            cwd=copy, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.api("api/status")
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"JupyterLab did not start:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.3)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}{'&' if '?' in path else '?'}token={TOKEN}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}/{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", "DELETE")
        for kernel in self.api("api/kernels"):
            self.api(f"api/kernels/{kernel['id']}", "DELETE")

    def stop(self) -> None:
        """Kernels first, then the server; anything of it still there after 20 s is killed."""
        with contextlib.suppress(OSError):
            self.shut_down_kernels()
        family = psutil.Process(self.proc.pid).children(recursive=True) if self.proc.poll() is None else []
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        gone, alive = psutil.wait_procs(family, timeout=10)
        for p in alive:
            p.kill()
        assert not alive, f"JupyterLab left processes behind: {[p.pid for p in alive]}"


@pytest.fixture
def course(tmp_path):
    """A throw-away copy of this working tree."""
    return _copy_working_tree(tmp_path / "course")


@pytest.fixture
def lab(course, tmp_path):
    server = Lab(course, tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shots():
    """The screenshot folder, emptied once per run."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    print(f"\nscreenshots: {SHOTS}/", flush=True)
    return {"n": 0}


@pytest.fixture
def browser(tmp_path, shots):
    """A Chromium page (a fresh profile), and `shot(page, name)` to save a screenshot."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install chromium) or set COURSE_CHROMIUM")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 900})
        context.set_default_timeout(60_000)

        def shot(page, name: str, element=None) -> Path:
            """Save a screenshot of the page (or of one element of it), numbered in the order taken."""
            shots["n"] += 1
            path = SHOTS / f"{shots['n']:02d}-{name}.png"
            (element or page).screenshot(path=str(path))
            print(f"  screenshot {path.relative_to(REPO)}", flush=True)
            return path
        try:
            yield context, shot
        finally:
            context.close()


@contextlib.contextmanager
def shown_on_failure(browser):
    """On a failure, a screenshot of every open page: what the browser showed at that moment."""
    context, shot = browser
    try:
        yield
    except BaseException:
        for n, page in enumerate(context.pages):
            with contextlib.suppress(Exception):
                shot(page, f"FAILED-page{n}")
        raise


# ---- driving JupyterLab ---------------------------------------------------------------------------

def open_notebook(context, lab: Lab, path: str):
    """A new tab with the notebook open and its kernel idle."""
    page = context.new_page()
    lab.workspaces += 1           # a workspace of its own: no tab of an earlier notebook comes back
    page.goto(lab.url(f"lab/workspaces/w{lab.workspaces}/tree/{path}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
    return page


def menu(page, *path: str) -> None:
    """Click through JupyterLab's menu bar: menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=path[0]).first.click()
    for label in path[1:]:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")).first.click()


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt",
                                     "els => els.map(e => e.textContent.trim())")


def run_all(page, expect_errors: bool = False) -> list[str]:
    """Run > Run All Cells, and wait until nothing is queued or running; return the prompts."""
    for _ in range(3):             # on a loaded machine a click on a menu still opening can be lost
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function("""() => [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                .some(e => /^\\[(\\*|\\d+)\\]:$/.test(e.textContent.trim()))""", timeout=20_000, polling=250)
            break
        except Exception:
            page.keyboard.press("Escape")
    try:
        page.wait_for_function("""() => {
            const p = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
            return p.length > 0 && !p.some(t => t === '[*]:') && /^\\[\\d+\\]:$/.test(p[0]);
        }""", timeout=RUN_TIMEOUT, polling=500)
    except Exception:
        raise AssertionError(f"the cells did not finish within {RUN_TIMEOUT / 1000:.0f} s; prompts: {_prompts(page)}"
                             f"\n{_error_texts(page)}") from None
    prompts = _prompts(page)
    if not expect_errors:
        unrun = [i for i, t in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", t)]
        assert not unrun, f"code cells {unrun} did not run (an earlier cell failed?):\n{_error_texts(page)}"
    return prompts


def _error_texts(page) -> str:
    texts = page.eval_on_selector_all(".jp-OutputArea-output", "els => els.map(e => e.innerText)")
    return "\n---\n".join(t[-800:] for t in texts if "Error" in t or "Traceback" in t)[:4000]


def widget_cells(notebook: Path) -> list[int]:
    """Indexes (among the code cells) of the cells whose code visibly makes a widget."""
    code = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    return [i for i, c in enumerate(code) if slides.WIDGET_CODE.search("".join(c["source"]))]


def check_widgets_are_live(page, notebook: Path) -> None:
    """Every widget is a live control: never its text repr, never 'Error displaying widget'."""
    outputs = page.eval_on_selector_all(".jp-OutputArea-output", "els => els.map(e => e.innerText)")
    reprs = [t[:120] for t in outputs if WIDGET_REPR.search(t)]
    assert not reprs, f"{notebook.name}: widgets shown as text, not controls (widget extension missing?): {reprs}"
    broken = [t[:200] for t in outputs if "Error displaying widget" in t or "Loading widget" in t]
    assert not broken, f"{notebook.name}: widgets that did not render: {broken}"
    cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
    for i in widget_cells(notebook):
        assert cells.nth(i).locator(".jp-OutputArea-output .jupyter-widgets").count(), \
            f"{notebook.name}: code cell {i} makes a widget, but its output shows none"


def _output_of(box) -> str:
    """What an interact box shows below its controls: its pictures (as data) or its text."""
    return box.evaluate("""b => { const o = b.querySelector('.widget-output') || b;
        const imgs = [...o.querySelectorAll('img')].map(i => i.src);
        return imgs.length ? imgs.join('|') : o.innerText; }""")


def move_a_control(page, box) -> str:
    """Change the first control of an interact box (and press its Run button, if it has one);
    return what it showed before."""
    before = _output_of(box)
    box.scroll_into_view_if_needed()
    if box.locator(".noUi-target").count():
        # click the slider's track, as a person would (keys would move RISE's slides instead)
        track, readout = box.locator(".noUi-target").first, box.locator(".widget-readout").first
        value = readout.inner_text() if readout.count() else ""
        area = track.bounding_box()
        page.mouse.click(area["x"] + 0.8 * area["width"], area["y"] + area["height"] / 2)
        if readout.count() and readout.inner_text() == value:      # it was there already
            page.mouse.click(area["x"] + 0.2 * area["width"], area["y"] + area["height"] / 2)
    elif box.locator("select").count():
        select = box.locator("select").first
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        select.select_option(label=next(o for o in options if o != current))
    elif box.locator(".widget-toggle-button:not(.mod-active)").count():
        box.locator(".widget-toggle-button:not(.mod-active)").first.click()
    else:
        box.locator("input[type=checkbox]").first.click()
    run = box.locator("button", has_text="Run Interact")
    if run.count():
        run.first.click()
    return before


def _changed(page, box, before: str, what: str) -> None:
    deadline = time.monotonic() + 90
    while _output_of(box) == before:
        assert time.monotonic() < deadline, f"{what}: moving the control did not change what it shows"
        page.wait_for_timeout(300)


# ---- 1. every chapter: all cells run, every widget live, a control re-runs its measurement --------------

def test_every_chapter_runs_with_live_widgets(lab, browser):
    context, shot = browser
    with shown_on_failure(browser):
        chapters = sorted((lab.copy / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        assert chapters
        for notebook in chapters:
            page = open_notebook(context, lab, f"notebooks/{notebook.name}")
            run_all(page)
            check_widgets_are_live(page, notebook)
            boxes = page.locator(".jp-NotebookPanel .widget-interact")
            if boxes.count():
                with_picture = [i for i in range(boxes.count()) if boxes.nth(i).locator(".widget-output img").count()]
                box = boxes.nth(with_picture[0] if with_picture else 0)
                box.scroll_into_view_if_needed()
                shot(page, f"{notebook.stem}-ran-widget-before")
                before = move_a_control(page, box)
                _changed(page, box, before, f"{notebook.name}'s first {'picture ' if with_picture else ''}widget")
                box.scroll_into_view_if_needed()
                shot(page, f"{notebook.stem}-widget-moved-{'picture' if with_picture else 'text'}-changed")
            else:
                assert not widget_cells(notebook), f"{notebook.name} makes widgets but none is an interact box"
                shot(page, f"{notebook.stem}-ran")
            page.close()
            lab.shut_down_kernels()


# ---- 2. an exercise, as a learner does it: make start, run the visible tests, Validate ----------------------

def _solved(student: Path, solution: Path) -> dict:
    """The learner's copy with every answer cell filled in from the model answers (as if typed)."""
    nb = json.loads(student.read_text(encoding="utf-8"))
    answers = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
               for c in json.loads(solution.read_text(encoding="utf-8"))["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution") and grade_id in answers:
            text = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", answers[grade_id], flags=re.M)
            cell["source"] = text.splitlines(keepends=True)
    return nb


def _validate(page, shot, name: str) -> str:
    """Press nbgrader's Validate button; return the verdict's text (the dialog is closed after)."""
    page.locator(".validate-button").first.click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog").first
    dialog.wait_for(timeout=RUN_TIMEOUT)
    verdict = dialog.inner_text()
    shot(page, name)
    dialog.locator("button").last.click()
    return verdict


def test_an_exercise_validates_as_a_learner_would(course, lab, browser):
    context, shot = browser
    with shown_on_failure(browser):
        exercise = sorted(p.name for p in (course / "exercises").iterdir() if p.name.startswith("ex"))[0]
        # what `make start EX=...` runs, in the copy: work/ there, never the repository's
        started = _run_in(course, "-m", "grading", "start", exercise.split("_")[0])
        notebook = next((course / "work" / exercise).glob("*.ipynb"))
        assert notebook.name in started
        relative = notebook.relative_to(course).as_posix()

        page = open_notebook(context, lab, relative)
        prompts = run_all(page, expect_errors=True)
        assert not all(re.fullmatch(r"\[\d+\]:", t) for t in prompts), "the blank exercise ran without an error"
        shot(page, f"{exercise}-blank-visible-tests-fail")
        verdict = _validate(page, shot, f"{exercise}-blank-validate")
        assert "failed" in verdict.lower() and "Success" not in verdict, f"Validate on the blank exercise said: {verdict}"
        page.close()
        lab.shut_down_kernels()

        # the learner answers every task (the model answers) and saves
        notebook.write_text(json.dumps(_solved(notebook, course / "solutions" / exercise / notebook.name)), encoding="utf-8")
        page = open_notebook(context, lab, relative)
        run_all(page)                                   # every visible test passes: no cell fails
        shot(page, f"{exercise}-solved-visible-tests-pass")
        verdict = _validate(page, shot, f"{exercise}-solved-validate")
        assert "Success! Your notebook passes all the tests." in verdict, f"Validate on the solved exercise said: {verdict}"
        page.close()


# ---- 3. nbgrader's panels list the course's exercises ---------------------------------------------------

def test_formgrader_and_assignment_list_show_the_exercises(course, lab, browser):
    context, shot = browser
    with shown_on_failure(browser):
        exercises = sorted(p.name for p in (course / "exercises").iterdir() if p.name.startswith("ex"))
        for exercise in exercises:     # the instructor releases them (nbgrader's exchange, in the copy)
            _run_in(course, "-m", "nbgrader", "release_assignment", exercise, "--force", COURSE_ROOT=str(lab.course))
        page = context.new_page()
        page.goto(lab.url("lab"))
        page.wait_for_selector(".lm-MenuBar-itemLabel")

        menu(page, "Nbgrader", "Formgrader")
        frame = page.frame_locator("iframe").first
        frame.locator("text=Manage Assignments").first.wait_for()
        for exercise in exercises:
            frame.locator(f"text={exercise}").first.wait_for()
        shot(page, "formgrader-manage-assignments")

        menu(page, "Nbgrader", "Assignment List")
        released = page.locator("#released_assignments_list, .nbgrader-assignment-list").first
        released.wait_for()
        for exercise in exercises:
            page.locator(f"#released_assignments_list >> text={exercise}").first.wait_for()
        shot(page, "assignment-list-released")
        page.close()


# ---- 4. a chapter as a RISE slideshow, with a live widget on a slide ---------------------------------------

def test_a_chapter_as_a_slideshow_has_a_live_widget(course, lab, browser):
    context, shot = browser
    with shown_on_failure(browser):
        name = os.environ.get("COURSE_BROWSER_SLIDES", "01")
        chapter = next(p for p in sorted((course / "notebooks").glob("[0-9][0-9]_*.ipynb")) if p.name.startswith(name))
        code = [c for c in json.loads(chapter.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        target = "".join(code[widget_cells(chapter)[0]]["source"]).splitlines()[0]

        # the lecturer runs the chapter once, then presents it (make slides opens this same /rise/ page)
        page = open_notebook(context, lab, f"notebooks/{chapter.name}")
        run_all(page)
        page.close()               # its kernel keeps running; the slideshow opens the file as saved
        slideshow = context.new_page()
        slideshow.goto(lab.url(f"rise/notebooks/{chapter.name}"))
        slideshow.wait_for_selector(".reveal .slides section.present", timeout=90_000)
        shot(slideshow, f"{chapter.stem}-slideshow-title")
        present = slideshow.locator(".reveal .slides section.present").last
        for _ in range(200):                             # walk the slides to the first widget cell
            found = present.locator(".jp-CodeCell", has_text=target[:40])
            if found.count():
                break
            slideshow.keyboard.press("Space")
            slideshow.wait_for_timeout(150)
        else:
            raise AssertionError(f"no slide of {chapter.name} shows the cell {target!r}")
        cell = found.first.element_handle()
        cell.click()
        slideshow.keyboard.press("Control+Enter")        # run it, staying on this slide
        slideshow.wait_for_function("c => c.querySelector('.widget-interact') || /children=/.test(c.innerText)",
                                    arg=cell, timeout=60_000)
        assert not WIDGET_REPR.search(cell.inner_text()), (
            "the widget shows as text on the slide: the widget extension did not load in RISE's slideshow app "
            "(the ipywidgets / jupyterlab_widgets pins in pyproject.toml say why)")
        shot(slideshow, f"{chapter.stem}-slide-widget-live")
        widget = slideshow.locator(".reveal .slides section.present .widget-interact").first
        before = move_a_control(slideshow, widget)
        _changed(slideshow, widget, before, f"the widget on {chapter.name}'s slide")
        shot(slideshow, f"{chapter.stem}-slide-widget-moved")
        slideshow.close()
