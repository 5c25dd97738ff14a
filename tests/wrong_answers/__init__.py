"""Plausible wrong answers and valid variants of every exercise, and the runner that grades them.

`tests/test_wrong_answers.py` checks that every wrong answer loses points on its task and every
variant gets full marks, under each start method. `runner.py` explains how, and how to run one
exercise's answers by hand; `answer.py` how an answer is written.
"""
