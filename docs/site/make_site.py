"""`make site`: the whole course as a static website, for readers who want to look before installing.

Sphinx with myst-nb renders it (docs/site/conf.py). Why not Jupyter Book: version 1 is a layer of
configuration over these same two packages, and version 2 moved to the MyST engine, a Node.js
tool; Sphinx and myst-nb directly give the same pages from PyPI alone, offline, with one fewer
layer to keep working. This script prepares what they render, all under the git-ignored `build/`
folder:

1. every chapter in `notebooks/`, run top to bottom at default size (grading/executed.py: one
   run, shared with `make slides-html`, repeated only when a chapter or a helper changed);
2. the pages around them, generated from the repository so that a new chapter or exercise
   appears by itself: a front page (with the machine that measured the pictures), one glossary
   of every chapter's key-terms table (English / 中文), the exercises with how to start each one,
   and the instructor guide (docs/instructors.md);
3. `sphinx-build` into `build/site/html/` (open `index.html`).

    python docs/site/make_site.py [--out build/site]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from grading import executed, paths, slides  # noqa: E402  (needs the sys.path entry above)

HERE = Path(__file__).resolve().parent
OUT = REPO / "build" / "site"
TITLE = "Concurrency in Python, hands-on"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def title_of(path: Path) -> str:
    """The first `# ` heading of a notebook, without the heading mark."""
    for cell in _cells(path):
        for line in _text(cell).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem


def _table_rows(text: str) -> list[list[str]]:
    """The rows of the first markdown table in `text` (header included, separator dropped)."""
    rows, started = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif started:
            break
    return rows


def key_terms(chapter: Path) -> list[tuple[str, str, str]]:
    """A chapter's key-terms table: (English, 中文, meaning) rows, from the first table whose
    header has a 中文 column."""
    for cell in _cells(chapter):
        if cell["cell_type"] == "markdown" and "中文" in _text(cell):
            rows = _table_rows(_text(cell)[_text(cell).index("|"):]) if "|" in _text(cell) else []
            if rows and any("中文" in h for h in rows[0]):
                return [tuple((row + ["", "", ""])[:3]) for row in rows[1:]]
    return []


def glossary_page(chapters: list[Path]) -> str:
    """One table of every chapter's key terms, sorted by the English term."""
    rows = [(en, zh, meaning, ch) for ch in chapters for en, zh, meaning in key_terms(ch)]
    rows.sort(key=lambda r: (re.sub(r"[^a-z0-9 ]", "", r[0].lower()), r[3].name))
    lines = ["# Glossary: key terms in English and 中文", "",
             "Every chapter opens with a table of its key terms; here they are in one place, sorted by the "
             "English term. The chapter column links to the chapter that introduces the term.", "",
             "| English | 中文 | meaning | chapter |", "|---|---|---|---|"]
    lines += [f"| {en} | {zh} | {meaning} | [{ch.name[:2]}](chapters/{ch.stem}.ipynb) |" for en, zh, meaning, ch in rows]
    return "\n".join(lines) + "\n"


def exercises_page(chapters: list[Path]) -> str:
    """Every exercise: its title, its chapter, its task table, and the commands that start and grade it."""
    by_number = {ch.name[:2]: ch for ch in chapters}
    lines = ["# Exercises", "",
             "Each chapter has one exercise, graded by nbgrader: tests you can see while you work, hidden tests when "
             "you grade it, and written answers that a person grades in a class (working alone, `make grade` shows "
             "you a model answer to compare). To do one, install the course (the front page says how), then:", ""]
    for name in paths.exercise_names():
        notebooks = sorted((paths.EXERCISES / name).glob("*.ipynb"))
        if not notebooks:
            continue
        short, number = name.split("_", 1)[0], name[2:4]
        lines += [f"## {title_of(notebooks[0])}", ""]
        if number in by_number:
            lines += [f"Goes with [chapter {number}](chapters/{by_number[number].stem}.ipynb).", ""]
        intro = next((_text(c) for c in _cells(notebooks[0]) if c["cell_type"] == "markdown"), "")
        table = _table_rows(intro[intro.index("|"):]) if "|" in intro else []
        if table:
            lines += ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
            lines += ["| " + " | ".join(row) + " |" for row in table[1:]] + [""]
        lines += ["```bash",
                  f"make start EX={short}     # copies it to work/{name}/ (never overwrites your work)",
                  f"# open work/{name}/{notebooks[0].name} in JupyterLab, solve it, run its visible tests",
                  f"make grade EX={short}     # hidden tests too: a score per task, and a feedback page",
                  "```", ""]
    return "\n".join(lines) + "\n"


def front_page(chapters: list[Path]) -> str:
    """The index: what the course is, where the pictures come from, and the table of contents."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import multiprocessing
    toc = "\n".join(f"chapters/{ch.stem}" for ch in chapters)
    return f"""# {TITLE}

A Jupyter course on processes, threads, locks, inter-process communication, the GIL, pools, coroutines
(gevent), I/O models and `asyncio`, with an exercise per chapter that nbgrader grades automatically.

This site shows every chapter **executed**: each picture and figure on these pages was measured when the
site was built, on a machine with Python {platform.python_version()} ({platform.system()}, {cpus} usable
CPUs, start method `{multiprocessing.get_start_method()}`). On your machine they will differ, and the
chapters say what to look for rather than which number to expect. The sliders of the *Try it* cells need
a running notebook: here they show the run at their first setting.

To run the course yourself (Python 3.10 or newer, `make`; Linux or macOS, or WSL on Windows):

```bash
git clone REPOSITORY-URL course && cd course
make lab        # creates .venv, installs everything, opens JupyterLab
```

then open `notebooks/00_welcome.ipynb`. The [exercises](exercises.md) page says how to start and grade
each exercise; the [glossary](glossary.md) gathers every chapter's key terms in English and 中文.

```{{toctree}}
:caption: Chapters
:maxdepth: 1

{toc}
```

```{{toctree}}
:caption: Practice and reference
:maxdepth: 1

exercises
glossary
instructors
```
"""


def write_sources(src: Path, chapters: list[Path], executed_copies: list[Path]) -> None:
    """The Sphinx source folder: executed chapters, generated pages, the instructor guide."""
    if src.exists():
        shutil.rmtree(src)
    (src / "chapters").mkdir(parents=True)
    for copy in executed_copies:
        shutil.copyfile(copy, src / "chapters" / copy.name)
    (src / "index.md").write_text(front_page(chapters), encoding="utf-8")
    (src / "glossary.md").write_text(glossary_page(chapters), encoding="utf-8")
    (src / "exercises.md").write_text(exercises_page(chapters), encoding="utf-8")
    shutil.copyfile(REPO / "docs" / "instructors.md", src / "instructors.md")


def build(out: Path = OUT) -> Path:
    """Run the chapters (if needed), write the sources and build the HTML; return index.html."""
    chapters = slides.chapters()
    copies = executed.execute_all(chapters)
    src, html = out / "src", out / "html"
    write_sources(src, chapters, copies)
    print("Building the site with Sphinx ...", flush=True)
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(HERE), str(src), str(html)],
                   check=True)
    left = psutil.Process().children(recursive=True)
    if left:
        raise SystemExit(f"the site build left processes running: {[p.pid for p in left]}")
    return html / "index.html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    try:
        index = build(args.out.resolve())
    except paths.CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Site: {index}  (open it in a browser; it needs no server)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
