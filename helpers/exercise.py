"""Student code that must run in a child process: write it to a module, then import it fresh.

Under `spawn` and `forkserver` a child process imports the function it runs by module and name,
so a function typed into a notebook cannot be a process target there. Exercises therefore ask
for worker code in a cell that starts with `%%writefile exNN_workers.py`; the next cell calls
`fresh_import("exNN_workers")`, which imports the file as it is now, even after an edit.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path


def fresh_import(name: str):
    """Import module `name` from the notebook's folder, dropping any copy imported earlier."""
    path = Path.cwd() / f"{name}.py"
    if not path.exists():
        raise FileNotFoundError(
            f"{path.name} does not exist yet: run the cell that starts with `%%writefile {path.name}` first.")
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    return importlib.import_module(name)
