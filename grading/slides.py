"""The chapters as slides: the slide convention, live RISE slides in JupyterLab, a static export.

Lecturers present a chapter with RISE (jupyterlab-rise), which reads each cell's
`metadata.slideshow.slide_type`. Every chapter follows one convention, so that each section is a
slide and every widget runs live on one:

- the title cell and every `##` section heading start a **slide**;
- `###` headings, and the paragraphs that open a *Try it* or a *Self-check*, start a **subslide**
  (reached with the down arrow): each of them begins a cell of its own;
- a code cell longer than LONGEST_CODE lines is split, or marked **skip** when it is set-up not
  worth showing (skipped cells still run: run the whole chapter before presenting it);
- a cell that shows a widget is never skipped;
- the notebook carries RISE_SETTINGS (a section's prose may be longer than a screen: it scrolls).

`problems(path)` lists where a chapter departs from the convention (tests/test_slides.py holds
every chapter to it); `python -m grading slides --mark notebooks/NN_name.ipynb` applies its
mechanical part (splits cells at headings, sets the heading cells' types, adds the settings) and
lists the long code cells left for you to split or skip.
"""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

from . import paths
from .paths import CourseError

NOTEBOOKS = paths.REPO / "notebooks"
LONGEST_CODE = 25           # lines: about what a slide shows at a readable size
RISE_SETTINGS = {"scroll": True, "start_slideshow_at": "selected"}

# A cell starts a slide or subslide when its first line (after optional `<a id=...>` anchors) is:
_SLIDE = re.compile(r"#{1,2} ")
_SUBSLIDE = re.compile(r"### |\*\*(Try it|Self-check)\b")
_ANCHOR = re.compile(r"\s*<a id=[^>]*>\s*</a>\s*$")
# Code that visibly makes a widget (an interact, or a control built by hand).
WIDGET_CODE = re.compile(r"@interact|\binteract(_manual)?\(|\bwidgets\.[A-Z]\w*\(|\b\w*(Slider|Buttons|Dropdown|Checkbox)\(")


def chapters() -> list[Path]:
    """Every chapter, in order: notebooks/NN_name.ipynb."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def chapter(name: str) -> Path:
    """`04`, `4`, `04_process_locks` or a path: the chapter notebook it names."""
    if not name:
        raise CourseError("Say which chapter, e.g. CH=04. Chapters: " + _listing())
    as_path = Path(name)
    if as_path.suffix == ".ipynb" and as_path.exists():
        return as_path.resolve()
    number = name.split("_", 1)[0]
    found = [p for p in chapters() if p.stem == name or (number.isdigit() and p.name[:2] == f"{int(number):02d}")]
    if len(found) != 1:
        raise CourseError(f"No chapter called {name!r}. Chapters: " + _listing())
    return found[0]


def _listing() -> str:
    return ", ".join(p.stem for p in chapters())


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not _ANCHOR.match(line):
            return line
    return ""


def wanted_type(cell: dict) -> str | None:
    """The slide type the convention asks of this markdown cell, or None where it leaves it free."""
    if cell.get("cell_type") != "markdown":
        return None
    first = _first_line(_source(cell))
    if _SLIDE.match(first):
        return "slide"
    if _SUBSLIDE.match(first):
        return "subslide"
    return None


def _starts(text: str) -> list[int]:
    """Line numbers, past the first line, where a new slide or subslide should begin a cell: a
    heading or a Try it / Self-check paragraph, outside code fences and folded answers."""
    out, fence, folded, previous = [], False, 0, ""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip() and not _ANCHOR.match(line)), 0)
    for n, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fence = not fence
        folded += line.count("<details") - line.count("</details>")
        heading = _SLIDE.match(line) or line.startswith("### ")
        opens = _SUBSLIDE.match(line) and not previous.strip()        # a paragraph that opens a Try it
        if n > first and not fence and not folded and (heading or opens):
            out.append(n)
        previous = line
    return out


def code_lines(cell: dict) -> int:
    return len(_source(cell).rstrip("\n").splitlines())


def problems(path: Path) -> list[str]:
    """Where the chapter at `path` departs from the slide convention, one line each."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    if nb.get("metadata", {}).get("rise") != RISE_SETTINGS:
        found.append(f"notebook metadata 'rise' should be {RISE_SETTINGS} (slides scroll)")
    cells = nb["cells"]
    if not cells or wanted_type(cells[0]) != "slide" or not _first_line(_source(cells[0])).startswith("# "):
        found.append("cell 0 should be the chapter's title, a '# ' heading")
    for i, cell in enumerate(cells):
        text, kind, have = _source(cell), cell["cell_type"], slide_type(cell)
        where = f"cell {i} ({cell.get('id', '?')}: {_first_line(text)[:50]!r})"
        if kind == "markdown":
            want = wanted_type(cell)
            if want and have != want:
                found.append(f"{where}: slide_type should be {want!r}, not {have!r}")
            lines = text.splitlines()
            for n in _starts(text):
                found.append(f"{where}: line {n + 1} {lines[n][:40]!r} should begin a cell of its own")
        elif kind == "code":
            if code_lines(cell) > LONGEST_CODE and have != "skip":
                found.append(f"{where}: {code_lines(cell)} lines, more than a slide shows ({LONGEST_CODE}): "
                             "split it, or mark it 'skip' if it is set-up not worth showing")
            if have == "skip" and WIDGET_CODE.search(text):
                found.append(f"{where}: shows a widget, so it must not be skipped (widgets run live on the slide)")
    return found


def mark(path: Path) -> list[str]:
    """Apply the mechanical part of the convention to one chapter in place; return what is left
    for a person to decide (long code cells: split or skip)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    nb.setdefault("metadata", {})["rise"] = dict(RISE_SETTINGS)
    cells, ids = [], {c.get("id") for c in nb["cells"]}
    for cell in nb["cells"]:
        pieces = [cell]
        if cell["cell_type"] == "markdown":
            lines = _source(cell).splitlines(keepends=True)
            cuts = [0] + _starts(_source(cell)) + [len(lines)]
            pieces = []
            for k, (a, b) in enumerate(zip(cuts, cuts[1:])):
                piece = copy.deepcopy(cell) if k == 0 else {"cell_type": "markdown", "id": _new_id(cell["id"], ids),
                                                              "metadata": {}, "source": []}
                text = "".join(lines[a:b]).rstrip("\n")
                piece["source"] = text.splitlines(keepends=True)
                pieces.append(piece)
        for piece in pieces:
            want = wanted_type(piece)
            if want:
                piece.setdefault("metadata", {})["slideshow"] = {"slide_type": want}
        cells += pieces
    nb["cells"] = cells
    Path(path).write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [p for p in problems(path)]


def _new_id(base: str, taken: set) -> str:
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"


# ---- presenting ---------------------------------------------------------------------------------

def rise_url(notebook: Path) -> str:
    """The server path at which jupyterlab-rise shows `notebook` as a live slideshow."""
    return "/rise/" + notebook.resolve().relative_to(paths.REPO).as_posix()


def slideshow(name: str, course: str | None, extra: list[str]) -> None:
    """`make slides CH=04`: JupyterLab as `make lab` starts it, opening the chapter as a slideshow."""
    from . import commands
    nb = chapter(name)
    print(f"Slides of {nb.stem}: run the whole chapter first (Run > Run All Cells in the notebook view, or"
          " in the slideshow), since skipped set-up cells are not on a slide. Keys: space / arrows move,"
          " Ctrl-Enter runs a cell and stays on its slide, '?' lists the keys.", flush=True)
    commands.lab(course, [f"--LabApp.default_url={rise_url(nb)}"] + extra)


def export_html(executed: list[Path], out: Path) -> list[Path]:
    """A static reveal.js slideshow (HTML) of each executed chapter, written to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    if executed:
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", "--log-level=WARN",
                        f"--output-dir={out}", "--SlidesExporter.reveal_scroll=True", *map(str, executed)], check=True)
    return [out / f"{nb.stem}.slides.html" for nb in executed]
