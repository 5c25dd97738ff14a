"""The multiprocessing start methods this machine offers; tests run the course under each."""
import multiprocessing

START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
