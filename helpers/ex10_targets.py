"""Test-side targets for exercise 10 (pools): a scripted `fetch`, and a watch on the pools a call creates.

- `Script(a=ok(), b=ok(after="a"), c=fails(ValueError("c failed")), g=gated())` is a `fetch(item)`
  for `fetch_all` in which every item does what the test wrote down: return at once, return only
  after another item has finished, raise, wait at a gate the test opens (`release()`), or finish at a
  set time after the script was made. It remembers which items started and finished, and the most
  that ran at once. The order in which calls finish is decided by events, not by the machine's speed:
  an item "after" another waits until that one has finished, then `SETTLE` seconds more, so that the
  earlier item's future is surely marked done first.
- `watched_pools()` (from `helpers.testing`, where exercise 09 uses it too) keeps every pool a call
  creates alive, so that one the code under test never shut down stays where the test can see it.
- `new_threads(before, grace)`: the threads that are still alive and were not in `before`.

Every wait here ends after `LIMIT` seconds at the latest, so a test that fails half-way leaves no
thread stuck behind it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .testing import watched_pools  # noqa: F401 - the tests call it targets.watched_pools()

SETTLE = 0.3        # seconds an item waits after the item it follows has finished
LIMIT = 30.0        # no scripted wait lasts longer than this


@dataclass(frozen=True)
class Step:
    """What one scripted item does, in this order: wait for `after`, wait at the gate, wait until `at`
    seconds after the script was made, then raise `error` or return "page <item>"."""
    after: str | None = None
    gate: bool = False
    at: float | None = None
    error: BaseException | None = None


def ok(after: str | None = None) -> Step:
    """Return at once, or once item `after` has finished."""
    return Step(after=after)


def fails(error: BaseException, after: str | None = None) -> Step:
    """Raise `error` (this very object), at once or once item `after` has finished."""
    return Step(after=after, error=error)


def gated() -> Step:
    """Wait until the test calls `script.release()`, then return."""
    return Step(gate=True)


def at(seconds: float) -> Step:
    """Return `seconds` after the script was made (a call still running at a deadline)."""
    return Step(at=seconds)


class Script:
    """A `fetch(item)` whose every item follows its `Step`; see the module docstring."""

    def __init__(self, **steps: Step):
        self.steps = steps
        self.t0 = time.monotonic()
        self.started: list[str] = []
        self.finished: list[str] = []
        self.peak = 0                       # the most calls that ran at the same time
        self._running = 0
        self._lock = threading.Lock()
        self._done = {name: threading.Event() for name in steps}
        self._gate = threading.Event()

    def __call__(self, item):
        step = self.steps[item]
        with self._lock:
            self.started.append(item)
            self._running += 1
            self.peak = max(self.peak, self._running)
        try:
            if step.after is not None:
                self._done[step.after].wait(LIMIT)
                time.sleep(SETTLE)
            if step.gate:
                self._gate.wait(LIMIT)
            if step.at is not None:
                time.sleep(min(LIMIT, max(0.0, self.t0 + step.at - time.monotonic())))
            if step.error is not None:
                raise step.error
            return f"page {item}"
        finally:
            with self._lock:
                self._running -= 1
                self.finished.append(item)
            self._done[item].set()

    def release(self) -> None:
        """Open the gate: every gated item returns."""
        self._gate.set()

    def wait_finished(self, items, timeout: float = 10.0) -> bool:
        """Wait until every one of `items` that started has finished; False if one is still running."""
        deadline = time.monotonic() + timeout
        for item in items:
            if item in self.started and not self._done[item].wait(max(0.0, deadline - time.monotonic())):
                return False
        return True


def new_threads(before: set, grace: float = 2.0) -> list[threading.Thread]:
    """Threads alive now that were not in `before`, after waiting up to `grace` s for them to end."""
    deadline = time.monotonic() + grace
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.name.startswith("finishes_within")          # a test's own watchdogs
                and not type(t).__module__.startswith("zmq")]          # Jupyter's messaging library
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)
