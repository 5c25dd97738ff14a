"""Wrong answers and variants for exercise 02 (multiprocessing.Process)."""
from tests.wrong_answers.answer import Answer, define, sub

ANSWERS = [
    # ---- task 1: exit_with and Countdown ----------------------------------------------------
    Answer("task1", "exit_with ignores its delay", {
        "task1": sub("    time.sleep(delay)\n    sys.exit(code)", "    sys.exit(code)")}),
    Answer("task1", "Countdown sleeps in __init__, in the parent, instead of in run()", {
        "task1": define('''
            class Countdown(Process):
                """A process that sleeps `seconds` once started, then exits with status `code`."""

                def __init__(self, seconds, code, name=None):
                    super().__init__(name=name)
                    time.sleep(seconds)
                    self.code = code

                def run(self):
                    sys.exit(self.code)
        ''')}),
    Answer("task1", "Countdown passes a target instead of overriding run()", {
        "task1": define('''
            class Countdown(Process):
                """A process that sleeps `seconds` once started, then exits with status `code`."""

                def __init__(self, seconds, code, name=None):
                    super().__init__(target=exit_with, args=(code, seconds), name=name)
        ''')}),
    Answer("task1", "Countdown without a name is called plain 'Countdown'", {
        "task1": sub("super().__init__(name=name)", 'super().__init__(name=name or "Countdown")')}),
    Answer(None, "variant: os._exit(code), and the name set after Process.__init__", {
        "task1": define('''
            import os

            def exit_with(code, delay=0.0):
                time.sleep(delay)
                os._exit(code)

            class Countdown(Process):
                def __init__(self, seconds, code, name=None):
                    super().__init__()
                    if name is not None:
                        self.name = name
                    self.seconds, self.code = seconds, code

                def run(self):
                    time.sleep(self.seconds)
                    sys.exit(self.code)
        ''')}),

    # ---- task 2: run_all --------------------------------------------------------------------
    Answer("task2", "joins with a hard-coded timeout of 2 s, 'so that it never hangs'", {
        "task2": sub("        p.join()", "        p.join(timeout=2)")}),
    Answer("task2", "joins only the last child (the loop variable after the start loop)", {
        "task2": define('''
            def run_all(target, arg_tuples):
                procs = [mp.Process(target=target, args=tuple(args)) for args in arg_tuples]
                for p in procs:
                    p.start()
                if procs:
                    p.join()
                return [p.exitcode for p in procs]
        ''')}),
    Answer("task2", "starts and joins each child in turn", {
        "task2": define('''
            def run_all(target, arg_tuples):
                codes = []
                for args in arg_tuples:
                    p = mp.Process(target=target, args=tuple(args))
                    p.start()
                    p.join()
                    codes.append(p.exitcode)
                return codes
        ''')}),
    Answer("task2", "returns the exit codes in the order the children ended", {
        "task2": define('''
            def run_all(target, arg_tuples):
                from multiprocessing.connection import wait
                procs = [mp.Process(target=target, args=tuple(args)) for args in arg_tuples]
                for p in procs:
                    p.start()
                codes, waiting = [], {p.sentinel: p for p in procs}
                while waiting:
                    for s in wait(list(waiting)):
                        p = waiting.pop(s)
                        p.join()
                        codes.append(p.exitcode)
                return codes
        ''')}),
    Answer("task2", "calls p.run() instead of p.start(): the targets run in this process", {
        "task2": define('''
            def run_all(target, arg_tuples):
                procs = [mp.Process(target=target, args=tuple(args)) for args in arg_tuples]
                for p in procs:
                    p.run()
                return [p.exitcode for p in procs]
        ''')}),
    Answer(None, "variant: waits by polling is_alive() with a short sleep", {
        "task2": define('''
            def run_all(target, arg_tuples):
                procs = [mp.Process(target=target, args=tuple(args)) for args in arg_tuples]
                for p in procs:
                    p.start()
                while any(p.is_alive() for p in procs):
                    time.sleep(0.01)
                return [p.exitcode for p in procs]
        ''')}),

    # ---- task 3: stop -----------------------------------------------------------------------
    Answer("task3", "ignores grace: hard-coded 2 s waits", {
        "task3": define('''
            def stop(p, grace=1.0):
                p.join(2)
                if p.is_alive():
                    p.terminate()
                    p.join(2)
                if p.is_alive():
                    p.kill()
                    p.join()
                return p.exitcode
        ''')}),
    Answer("task3", "reads is_alive() straight after terminate(), then kills", {
        "task3": define('''
            def stop(p, grace=1.0):
                p.join(grace)
                if p.is_alive():
                    p.terminate()
                    if p.is_alive():
                        p.kill()
                p.join()
                return p.exitcode
        ''')}),
    Answer("task3", "after terminate(), waits for ever instead of killing a child that ignores SIGTERM", {
        "task3": define('''
            def stop(p, grace=1.0):
                p.join(grace)
                if p.is_alive():
                    p.terminate()
                    p.join()
                return p.exitcode
        ''')}),
    Answer("task3", "terminates at once, without waiting for the child to end by itself", {
        "task3": define('''
            def stop(p, grace=1.0):
                if p.is_alive():
                    p.terminate()
                    p.join(grace)
                if p.is_alive():
                    p.kill()
                    p.join()
                return p.exitcode
        ''')}),
    Answer(None, "variant: waits on the sentinel with connection.wait and a deadline", {
        "task3": define('''
            def stop(p, grace=1.0):
                from multiprocessing.connection import wait
                for ask in (None, p.terminate, p.kill):
                    if ask is not None:
                        ask()
                    if wait([p.sentinel], None if ask is p.kill else grace):
                        break
                p.join()
                return p.exitcode
        ''')}),

    # ---- task 5: run_in ---------------------------------------------------------------------
    Answer("task5", "ignores the method: mp.Process uses the notebook's start method", {
        "task5": define('''
            def run_in(method, target, args=()):
                p = mp.Process(target=target, args=tuple(args))
                p.start()
                p.join()
                return p.exitcode
        ''')}),
    Answer("task5", "switches the whole notebook with set_start_method(force=True)", {
        "task5": define('''
            def run_in(method, target, args=()):
                mp.set_start_method(method, force=True)
                p = mp.Process(target=target, args=tuple(args))
                p.start()
                p.join()
                return p.exitcode
        ''')}),
    Answer("task5", "makes the context but starts the child with mp.Process", {
        "task5": define('''
            def run_in(method, target, args=()):
                ctx = mp.get_context(method)
                p = mp.Process(target=target, args=tuple(args))
                p.start()
                p.join()
                return p.exitcode
        ''')}),
    Answer("task5", "returns the exit code without waiting for the child", {
        "task5": define('''
            def run_in(method, target, args=()):
                p = mp.get_context(method).Process(target=target, args=tuple(args))
                p.start()
                return p.exitcode
        ''')}),
    Answer(None, "variant: the context's Process used by keyword, waited for with wait()", {
        "task5": define('''
            def run_in(method, target, args=()):
                from multiprocessing.connection import wait
                child = mp.get_context(method=method).Process(target=target, args=[*args], daemon=False)
                child.start()
                wait([child.sentinel])
                child.join()
                return child.exitcode
        ''')}),
]
