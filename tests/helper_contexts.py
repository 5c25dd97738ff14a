"""Shared parametrisation for helpers tests: every process test runs under each start method."""
import multiprocessing

import pytest

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture(params=METHODS)
def ctx(request):
    """A multiprocessing context per start method (no global state is changed)."""
    return multiprocessing.get_context(request.param)


@pytest.fixture(scope="session", autouse=True)
def multiprocessing_servers():
    """Start the fork server and resource tracker once, before any test's leftover check.

    They are long-lived helpers that multiprocessing starts on first use and keeps for the
    session; started inside a test they would look like processes the test left behind.
    """
    from multiprocessing import forkserver, resource_tracker
    resource_tracker.ensure_running()
    if "forkserver" in METHODS:
        forkserver.ensure_running()
    yield
