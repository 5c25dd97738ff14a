"""Fair grading, answer by answer: every plausible wrong answer loses points on its task, every
valid variant gets full marks, the solution full marks and the untouched copy zero, under each
start method. The answers are in tests/wrong_answers/exNN.py; how they are graded (quickly, without
nbgrader) is explained in tests/wrong_answers/runner.py.

The selected (exercise, start method) groups run at once, in the first test that needs them; each
test then reports one group. To see one group's table: `.venv/bin/python -m tests.wrong_answers.runner
ex05 --method spawn`.
"""
from __future__ import annotations

import pytest

from start_methods import START_METHODS
from wrong_answers import runner

EXERCISES = sorted(p.name.split("_", 1)[0] for p in runner.SOLUTIONS.iterdir()
                   if p.is_dir() and p.name.startswith("ex"))
GROUPS = [(ex, m) for ex in EXERCISES for m in START_METHODS]

pytestmark = pytest.mark.timeout(1200)      # the first test runs every group


@pytest.fixture(scope="module")
def graded(request):
    """Grade the groups this session selected (`-k ex06` grades ex06's three, not every exercise's)."""
    selected = [(item.callspec.params["exercise"], item.callspec.params["method"]) for item in request.session.items
                if getattr(item, "originalname", None) == "test_wrong_answers_lose_points_and_variants_do_not"]
    return runner.run_groups(selected or GROUPS)


def test_every_exercise_has_its_answers():
    for ex in EXERCISES:
        cases = runner.cases(ex)
        wrong = [c for c in cases if c.expect == "loses"]
        variants = [c for c in cases if c.expect == "full" and c.label == "variant"]
        tasks = sorted(c.grade_id[:-len("_tests")] for c in runner.notebook_cells(ex) if c.graded)
        thin = [t for t in tasks if sum(c.answer.task == t for c in wrong) < 4]
        assert not thin, f"{ex}: tasks with fewer than four wrong answers: {thin}"
        assert variants, f"{ex}: no valid variant"
        for c in cases:
            runner.plan(ex, c)              # every replaced cell exists, every edit applies


@pytest.mark.parametrize("exercise,method", GROUPS, ids=[f"{e}-{m}" for e, m in GROUPS])
def test_wrong_answers_lose_points_and_variants_do_not(graded, exercise, method):
    results = graded[(exercise, method)]
    problems = [runner.describe(exercise, method, r) for r in results if not r.ok]
    assert not problems, "\n".join(problems)
