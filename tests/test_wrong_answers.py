"""Fair grading, answer by answer: every plausible wrong answer loses points on its task, every
valid variant gets full marks, the solution full marks and the untouched copy zero, under each
start method. The answers are in tests/wrong_answers/exNN.py; how they are graded (quickly, without
nbgrader) is explained in tests/wrong_answers/runner.py.

One fixture per exercise grades all its answers under every start method at once (the groups
mostly wait for children); each test then reports one start method. To see a group's table:
`.venv/bin/python -m tests.wrong_answers.runner ex05 --method spawn`.
"""
from __future__ import annotations

import pytest

from start_methods import START_METHODS
from wrong_answers import runner

EXERCISES = sorted(p.name for p in runner.SOLUTIONS.iterdir() if p.is_dir() and p.name.startswith("ex"))

pytestmark = pytest.mark.timeout(900)       # the first test of an exercise grades all its answers


def _short(exercise: str) -> str:
    return exercise.split("_", 1)[0]


@pytest.fixture(scope="module", params=EXERCISES)
def wrong_answer_results(request):
    """{start method: [CaseResult]} for one exercise (tests/conftest.py keeps its tests in one worker)."""
    exercise = _short(request.param)
    results = runner.run_groups([(exercise, method) for method in START_METHODS])
    return exercise, {method: results[(exercise, method)] for method in START_METHODS}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_task_has_four_wrong_answers_and_a_variant(exercise):
    ex = _short(exercise)
    cases = runner.cases(ex)
    wrong = [c for c in cases if c.expect == "loses"]
    variants = [c for c in cases if c.expect == "full" and c.label == "variant"]
    tasks = sorted(c.grade_id[:-len("_tests")] for c in runner.notebook_cells(ex) if c.graded)
    thin = [t for t in tasks if sum(c.answer.task == t for c in wrong) < 4]
    assert not thin, f"{ex}: tasks with fewer than four wrong answers: {thin}"
    assert variants, f"{ex}: no valid variant"
    for c in cases:
        runner.plan(ex, c)                  # every replaced cell exists, every edit applies


@pytest.mark.parametrize("method", START_METHODS)
def test_wrong_answers_lose_points_and_variants_do_not(wrong_answer_results, method):
    exercise, results = wrong_answer_results
    problems = [runner.describe(exercise, method, r) for r in results[method] if not r.ok]
    assert not problems, "\n".join(problems)
