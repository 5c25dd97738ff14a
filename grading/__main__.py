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
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error("unrecognized arguments: " + " ".join(extra))
    if args.command in ("grade", "autograde"):
        # Importing nbgrader takes seconds: let the grading zygote do it at the same time as we do.
        from .zygote import prestart
        prestart(str(REPO))
    from . import commands   # imports nbgrader

    try:
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
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
