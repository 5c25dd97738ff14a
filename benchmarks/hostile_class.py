"""Grade the test suite's hostile class once and print what happened to each submission.

    .venv/bin/python benchmarks/hostile_class.py [EXERCISE]

The same class as `tests/test_hostile_submissions.py` (a good submission, one per misbehaviour in
`tests/hostile.py`, the suite's short limits), graded by `make autograde`'s code in parallel. One
row per submission: its score, its grading time, the reason its feedback gives, and what was still
running afterwards (processes carrying the marker, the port, grading cgroups). The suite asserts
all of this; this script shows it, e.g. for a release note or after changing the containment.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import test_hostile_submissions as suite  # noqa: E402
from hostile import expectation  # noqa: E402


def main(exercise: str) -> None:
    with tempfile.TemporaryDirectory(prefix="course-hostile-") as tmp, suite._Env(suite.LIMITS):
        graded = suite._grade_class(exercise, Path(tmp) / "class")
        print(f"containment: {suite.CAPS.describe()}; limits: {graded['limits'].describe()}")
        print(f"class of {len(graded['results'])} graded in {graded['wall']:.1f} s\n")
        print("| submission | expected | score | seconds | feedback says |")
        print("|---|---|---|---|---|")
        cases = {c.name: expectation(c, suite.KERNEL_IS_ANOTHER_USER) for c in suite.CASES}
        for student, result in sorted(graded["results"].items(), key=lambda kv: list(cases).index(kv[0])
                                      if kv[0] in cases else -1):
            scores = suite._scores(graded, student)
            got, most = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
            case = cases.get(student)
            if case is None:       # the good submission, or the one whose first answer hangs
                expected = "full marks" if student == "good" else "partial"
            else:
                expected = "zero" if case.whole else "partial" if case.breaks else "full marks"
            text = suite._feedback_text(graded, student)
            reason = next((word for word in ("[hidden test]", "GradingStopped", "TimeLimitExceeded", "KernelDied", "NotRun",
                                             "PermissionError", "SystemExit", "output truncated",
                                             "memory", "fresh copy") if word in text), "")
            print(f"| {student} | {expected} | {got:g} / {most:g} | {result.seconds:.1f} | {reason} |")
        survivors = [p.pid for p in suite.psutil.process_iter(["cmdline"])
                     if any(suite.MARK in part for part in (p.info["cmdline"] or []))]
        print(f"\nleft running: {len(graded['leftovers'])} descendants, {len(survivors)} marked processes, "
              f"{len(graded['new_cgroups'])} grading cgroups")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else suite.FULL)
