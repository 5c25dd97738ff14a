"""Guards that turn a confusing child-process failure into an error that says what to do.

Under the `spawn` and `forkserver` start methods a child process *imports* the function it runs, by
module and name. A function typed into a notebook lives in `__main__`, which the child cannot
import: `Process` then just exits with code 1 and `Pool.map` hangs for ever (see docs/design-notes.md). The
helpers call `ensure_importable` before they start anything, so the reader gets one clear sentence
instead.
"""
from __future__ import annotations

import multiprocessing


def start_method(ctx=None) -> str:
    """The start method a context (or the current default) uses: 'fork', 'spawn' or 'forkserver'."""
    if ctx is None:
        return multiprocessing.get_start_method()
    if isinstance(ctx, str):
        return ctx
    get = getattr(ctx, "get_start_method", None)
    if get is not None:
        return get()
    # an executor or a pool: find the context it was made with
    for attr in ("_mp_context", "_ctx"):
        inner = getattr(ctx, attr, None)
        if inner is not None:
            return inner.get_start_method()
    return multiprocessing.get_start_method()


def ensure_importable(func, ctx=None, *, what: str = "this function") -> None:
    """Raise a helpful error if `func` cannot be found by a child started with `ctx`'s method.

    Only `fork` copies the notebook's memory into the child; `spawn` and `forkserver` import the
    function by name, which fails for anything defined in the notebook (module `__main__`) and
    for lambdas and nested functions.
    """
    method = start_method(ctx)
    if method == "fork":
        return
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
    if module == "__main__":
        raise ValueError(
            f"{what} `{qualname}` is defined in the notebook (module __main__), but the "
            f"'{method}' start method makes the child import it by name, which fails. Define it in a "
            f"module instead: put it in a file (e.g. helpers/workloads.py, or a cell starting with "
            f"`%%writefile my_workers.py`), import it from there and pass the imported function.")
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise ValueError(
            f"{what} `{qualname}` is a lambda or is defined inside another function; a child started "
            f"with '{method}' cannot import it. Define it at the top level of a module and pass that.")
