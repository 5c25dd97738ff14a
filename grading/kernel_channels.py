"""Notice a kernel's messages even when ZeroMQ's asyncio poll misses the wake-up.

nbclient waits for a cell's reply with one `shell_channel.get_msg(timeout=<cell timeout>)`. Now
and then (a few runs in a hundred on a busy machine, jupyter_client 8 / pyzmq 27) that poll is not
woken when the reply arrives: the kernel finished the cell in a fraction of a second, and the
client sits until the timeout ends, then finds the reply waiting (nbclient issue 312 reports the
same with widget cells). In a test that costs minutes; in grading it could charge a correct answer
with a time limit it never used.

`steady(kc)` makes every wait on the shell and iopub channels a series of short polls: a new poll
sees a message that is already there, so a missed wake-up costs at most `SLICE` seconds.
`SteadyClient` does it for every kernel client an nbclient `NotebookClient` (or nbgrader's
`Execute`, a subclass) starts.
"""
from __future__ import annotations

from queue import Empty
from time import monotonic

SLICE = 0.5   # seconds: the longest a missed wake-up can delay a message


def _sliced(get_msg):
    async def get_msg_in_slices(timeout: float | None = None, **kwargs):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            left = SLICE if deadline is None else max(0.0, min(SLICE, deadline - monotonic()))
            try:
                return await get_msg(timeout=left, **kwargs)
            except Empty:
                if deadline is not None and monotonic() >= deadline:
                    raise
    return get_msg_in_slices


def steady(kc):
    """Make `kc`'s shell and iopub waits short, repeated polls (see the module doc); return `kc`."""
    for channel in (kc.shell_channel, kc.iopub_channel):
        if not getattr(channel, "_steady", False):
            channel.get_msg = _sliced(channel.get_msg)
            channel._steady = True
    return kc


class SteadyClient:
    """Mix into a `NotebookClient` subclass (before it): its kernel clients wait in short polls."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        return steady(kc)
