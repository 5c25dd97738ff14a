"""How much faster is grading a class with `make autograde` than one sequential nbgrader run?

    make bench-grading            (or: .venv/bin/python benchmarks/grading.py [--students 20] [--jobs N])

Builds a class of N submissions of the first exercise (alternately a right answer and the
untouched student copy), then grades the same class twice:

1. **sequential**: one `nbgrader autograde EXERCISE --force` process for the whole class, which
   is how nbgrader grades on its own (same config, so the same per-cell limits);
2. **parallel**: `python -m grading autograde EXERCISE --jobs N`, the Makefile's command, with
   every protection on (namespaces, cgroups, hard deadlines), timed as a whole, start-up included.

Both start with the assignment in the gradebook, as nbgrader's own run must (and as a re-grade
does). A class's first `make autograde` also registers the assignment: `registration_seconds`
says what that costs, and `first_grading_speedup` compares the two with their registrations.

Prints `class_autograde_speedup` (1 / 2), `per_submission_seconds` (parallel wall time divided
by the number of submissions), `cpu_busy_ratio` (CPU seconds used per wall second during the
parallel run) and `cores_available`: a quick check of how many cores two CPU-bound processes
really got just before. Shared or virtual machines sometimes pack two vCPUs onto one (docs/design-notes.md);
then no parallel speedup is possible and the benchmark says so instead of printing a lesson.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from grading import paths  # noqa: E402
from grading.nbgrader_run import nbgrader, nbgrader_command, prepare_course, register_assignment  # noqa: E402
from hostile import solved  # noqa: E402 - the suite's good student


def build_class(course: Path, exercise: str, students: int) -> None:
    for i in range(students):
        folder = course / "submitted" / f"student{i:02d}" / exercise
        folder.mkdir(parents=True)
        for nb in paths.exercise_notebooks(exercise):
            if i % 2 == 0:
                release = nbformat.read(paths.EXERCISES / exercise / nb.name, as_version=4)
                nbformat.write(solved(release, nbformat.read(nb, as_version=4)), folder / nb.name)
            else:
                shutil.copyfile(paths.EXERCISES / exercise / nb.name, folder / nb.name)


def _spin(_):
    t = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.perf_counter() - t


def cores_available(jobs: int) -> float:
    """How many cores `jobs` CPU-bound processes really get right now (1.0 .. jobs)."""
    import multiprocessing
    one = _spin(0)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        start = time.perf_counter()
        pool.map(_spin, range(jobs))
        together = time.perf_counter() - start
    return max(1.0, min(jobs, jobs * one / together))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None, help="default: what `make autograde` uses")
    parser.add_argument("--exercise", default=None)
    args = parser.parse_args()
    exercise = paths.resolve_exercise(args.exercise or paths.exercise_names()[0])
    from grading.limits import Limits
    args.jobs = args.jobs or Limits.from_env().default_jobs()

    cores = cores_available(max(2, args.jobs)) if args.jobs > 1 else 1.0
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        seq_course, par_course = Path(tmp) / "sequential", Path(tmp) / "parallel"
        for course in (seq_course, par_course):
            build_class(course, exercise, args.students)
        registration = {}
        for course in (seq_course, par_course):           # not in the speedup: nbgrader needs it first
            prepare_course(course)
            start = time.monotonic()
            register_assignment(course, exercise)
            registration[course] = time.monotonic() - start

        start = time.monotonic()
        nbgrader(seq_course, "autograde", exercise, "--force")
        sequential = time.monotonic() - start

        cmd, env = nbgrader_command(par_course)
        cpu_before, start = children_cpu(), time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "grading", "autograde", exercise, "--course", str(par_course),
                               "--jobs", str(args.jobs)], cwd=REPO, env=env, capture_output=True, text=True)
        parallel = time.monotonic() - start
        busy = (children_cpu() - cpu_before) / parallel
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1

    n = args.students
    print(f"exercise: {exercise}, {n} submissions, jobs={args.jobs}, cores={os.cpu_count()}")
    print(f"sequential_nbgrader_seconds: {sequential:.1f}")
    print(f"parallel_autograde_seconds: {parallel:.1f}")
    print(f"class_autograde_speedup: {sequential / parallel:.2f}")
    print(f"per_submission_seconds: {parallel / n:.2f}   (sequential nbgrader: {sequential / n:.2f})")
    print(f"registration_seconds: {registration[par_course]:.1f}   (once per class and version of the exercise)")
    print(f"first_grading_speedup: {(sequential + registration[seq_course]) / (parallel + registration[par_course]):.2f}")
    print(f"cpu_busy_ratio: {busy:.2f}")
    print(f"cores_available: {cores:.1f}")
    if args.jobs > 1 and cores < 1.3:
        print("note: two CPU-bound processes got only about one core here just before the run: the "
              "machine is shared or its vCPUs are packed, so little parallel speedup was possible.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
