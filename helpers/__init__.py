"""Helpers for the course notebooks: workloads, recorders and pictures of real runs.

Code that runs in a child process lives in this package, not in a notebook: under the `spawn`
and `forkserver` start methods a child imports its function by name, and a function defined in a
notebook has no module to be imported from.
"""
from .config import QUICK, apply_start_method_from_env, scale

apply_start_method_from_env()

__all__ = ["QUICK", "scale"]
