"""What a wrong answer (or a valid variant) is: the exercise's solution with some cells rewritten.

An `Answer` names the nbgrader cells it replaces by their `grade_id` (the solution cell `task2`,
the `%%writefile` cell `workers`...). A replacement is either the cell's whole new source or an
edit of the solution's own source, so an answer shows only what the student did differently:

- `define(code)`: replace the top-level functions and classes that `code` defines (by name),
  keep the rest of the cell (imports, the other functions, a `%%writefile` line); the edit
  remembers those names (`edit.names`), so that a variant of a shared cell is graded on the
  tasks that use them;
- `sub(old, new)`: replace one exact piece of text, which must occur exactly once.
"""
from __future__ import annotations

import ast
import textwrap
import threading
from dataclasses import dataclass, field
from typing import Callable, Union

Edit = Callable[[str], str]
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Answer:
    """`task` ("task2") is the task whose test cell (`task2_tests`) must lose its points;
    `task=None` makes it a valid variant, which must get full marks on every task."""
    task: Union[str, None]
    why: str
    cells: dict = field(default_factory=dict)

    def source(self, grade_id: str, solution_source: str) -> str:
        """The source this answer gives the cell `grade_id`, whose solution is `solution_source`."""
        replacement = self.cells[grade_id]
        return replacement(solution_source) if callable(replacement) else replacement


def sub(old: str, new: str) -> Edit:
    """An edit that replaces the one occurrence of `old` in the cell by `new`."""
    def edit(source: str) -> str:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"sub(): expected one occurrence of {old!r} in the cell, found {count}")
        return source.replace(old, new)
    return edit


# `ast.parse` from several threads at once can fail with "SystemError: AST constructor recursion
# depth mismatch" on some patch releases (CPython gh-106905; seen on 3.11.7), and the runner plans
# and edits the groups' cases in threads: every parse here and in runner.py goes through this lock.
_PARSE = threading.Lock()


def parse(source: str) -> ast.Module:
    """`ast.parse`, one thread at a time."""
    with _PARSE:
        return ast.parse(source)


def define(code: str) -> Edit:
    """An edit that replaces the cell's top-level definitions of the names `code` defines.

    A name the cell does not define yet is appended at the end; an `import` in `code` goes at
    the top of the cell. A first line that is a cell magic (`%%writefile ...`) stays first.
    """
    code = textwrap.dedent(code).strip("\n") + "\n"
    new_body = parse(code).body
    new_defs = {node.name: node for node in new_body if isinstance(node, DEFINITIONS)}
    imports = [node for node in new_body if isinstance(node, (ast.Import, ast.ImportFrom))]
    others = [node for node in new_body if not isinstance(node, DEFINITIONS + (ast.Import, ast.ImportFrom))]
    if others:
        raise ValueError(f"define(): only imports, functions and classes, not line {others[0].lineno}")
    new_lines = code.splitlines(keepends=True)

    def block(nodes, node):
        """Lines of `node` (decorators included) up to the next top-level statement."""
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        later = [n for n in nodes if n.lineno > node.lineno]
        last = min(n.lineno for n in later) - 1 if later else None
        return first - 1, last

    def edit(source: str) -> str:
        magic, body = "", source
        if source.startswith("%%"):
            magic, _, body = source.partition("\n")
            magic += "\n"
        lines = body.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        nodes = parse(body).body
        old = {n.name: n for n in nodes if isinstance(n, DEFINITIONS)}
        # replace from the bottom up, so earlier line numbers stay valid
        for name in sorted((n for n in new_defs if n in old), key=lambda n: -old[n].lineno):
            start, end = block(nodes, old[name])
            new_start, new_end = block(new_body, new_defs[name])
            chunk = _strip_blank_tail(new_lines[new_start:new_end])
            # keep the blank lines that separated the old definition from the next statement
            old_block = lines[start:end]
            gap = len(old_block) - len(_strip_blank_tail(old_block))
            chunk += ["\n"] * gap
            lines[start:end] = chunk
        extra = [n for n in new_defs if n not in old]
        for name in extra:
            s, e = block(new_body, new_defs[name])
            lines += ["\n", "\n"] + _strip_blank_tail(new_lines[s:e])
        added = [new_lines[i] for node in imports for i in range(node.lineno - 1, node.end_lineno)]
        return magic + "".join(added + lines)
    edit.names = set(new_defs)              # what it redefines: the runner grades what uses them
    return edit


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines
