"""Command line for the Makefile: `python -m grading COMMAND ...` (see `make help`)."""
from __future__ import annotations

import argparse
import sys

from .paths import REPO, CourseError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("assignments", help="regenerate exercises/ from solutions/")
    sub.add_parser("start", help="copy an exercise into work/").add_argument("exercise")
    p = sub.add_parser("grade", help="grade your own copy")
    p.add_argument("exercise")
    p.add_argument("--notebook")
    p = sub.add_parser("autograde", help="grade a class's submissions")
    p.add_argument("exercise")
    p.add_argument("--course")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at a time (default: Limits.default_jobs)")
    p.add_argument("--student", help="re-grade only this student's submission")
    p = sub.add_parser("feedback", help="write feedback pages")
    p.add_argument("exercise")
    p.add_argument("--course")
    p.add_argument("--model-answers", action="store_true", help="show the written tasks' model answers")
    sub.add_parser("grades", help="export grades to CSV").add_argument("--course")
    sub.add_parser("setup", help="prepare the course root and this clone's git filter").add_argument("--course")
    p = sub.add_parser("lab", help="set up, then open JupyterLab on the course")
    p.add_argument("--course")
    p = sub.add_parser("slides", help="open a chapter as a live RISE slideshow in JupyterLab")
    p.add_argument("chapter", nargs="?", default="", help="04, or 04_process_locks")
    p.add_argument("--course")
    p.add_argument("--mark", nargs="+", metavar="NOTEBOOK",
                   help="instead: apply the slide convention's mechanical part to these chapters (authors)")
    p = sub.add_parser("slides-html", help="a static reveal.js slideshow of every chapter, executed")
    p.add_argument("--out", default=str(REPO / "build" / "slides"))
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("lab", "slides"):
        parser.error("unrecognized arguments: " + " ".join(extra))
    if args.command in ("grade", "autograde"):
        # Importing nbgrader takes seconds: let the grading zygote do it at the same time as we do.
        from .zygote import prestart
        prestart(str(REPO))
    try:
        if args.command == "slides" and args.mark:
            return _mark_slides(args.mark)
        if args.command == "slides-html":
            return _slides_html(args.out)
        from . import commands   # imports nbgrader
        if args.command == "assignments":
            commands.assignments()
        elif args.command == "start":
            commands.start(args.exercise)
        elif args.command == "grade":
            commands.grade(args.exercise, args.notebook)
        elif args.command == "autograde":
            commands.autograde(args.exercise, args.course, args.jobs, args.student)
        elif args.command == "feedback":
            commands.feedback(args.exercise, args.course, args.model_answers)
        elif args.command == "grades":
            commands.grades(args.course)
        elif args.command == "setup":
            commands.setup(args.course)
        elif args.command == "lab":
            commands.lab(args.course, extra)
        elif args.command == "slides":
            from . import slides
            slides.slideshow(args.chapter, args.course, extra)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _mark_slides(notebooks: list[str]) -> int:
    from . import slides
    left = []
    for nb in notebooks:
        left += [f"{nb}: {line}" for line in slides.mark(slides.chapter(nb))]
    print("\n".join(left) if left else "The chapters follow the slide convention.")
    return 1 if left else 0


def _slides_html(out: str) -> int:
    from pathlib import Path

    from . import executed, slides
    pages = slides.export_html(executed.execute_all(slides.chapters()), Path(out))
    print(f"Static slides ({len(pages)} chapters, reveal.js): {Path(out)}/; open one in a browser, e.g. "
          f"{pages[0]}" if pages else "No chapters found in notebooks/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
