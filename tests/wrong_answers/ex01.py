"""Wrong answers and variants for exercise 01 (OS basics): classify, round_robin, time_in_states."""
from tests.wrong_answers.answer import Answer, define

ANSWERS = [
    # ---- task 1: classify -------------------------------------------------------------------
    Answer("task1", "compares each interval only with the next one in time order (misses a long one)", {
        "task1": define('''
            def classify(intervals):
                ordered = sorted(intervals, key=lambda iv: (iv[1], iv[2]))
                for (job_a, _, end_a), (job_b, start_b, _) in zip(ordered, ordered[1:]):
                    if job_a != job_b and start_b < end_a:
                        return "parallel"
                lifetimes = {}
                for job, start, end in intervals:
                    first, last = lifetimes.get(job, (start, end))
                    lifetimes[job] = (min(first, start), max(last, end))
                spans = sorted(lifetimes.values())
                for (_, end_a), (start_b, _) in zip(spans, spans[1:]):
                    if start_b < end_a:
                        return "concurrent"
                return "serial"
        ''')}),
    Answer("task1", "a job's lifetime from its first and last interval in list order, not in time", {
        "task1": define('''
            def classify(intervals):
                for i, (job_a, start_a, end_a) in enumerate(intervals):
                    for job_b, start_b, end_b in intervals[i + 1:]:
                        if job_a != job_b and min(end_a, end_b) > max(start_a, start_b):
                            return "parallel"
                lifetimes = {}
                for job, start, end in intervals:
                    if job not in lifetimes:
                        lifetimes[job] = (start, end)
                    else:
                        lifetimes[job] = (lifetimes[job][0], end)
                spans = sorted(lifetimes.values())
                for (_, end_a), (start_b, _) in zip(spans, spans[1:]):
                    if start_b < end_a:
                        return "concurrent"
                return "serial"
        ''')}),
    Answer("task1", "calls a run concurrent as soon as a job pauses, even if no other job ran meanwhile", {
        "task1": define('''
            def classify(intervals):
                for i, (job_a, start_a, end_a) in enumerate(intervals):
                    for job_b, start_b, end_b in intervals[i + 1:]:
                        if job_a != job_b and min(end_a, end_b) > max(start_a, start_b):
                            return "parallel"
                by_job = {}
                for job, start, end in sorted(intervals, key=lambda iv: iv[1]):
                    by_job.setdefault(job, []).append((start, end))
                for spans in by_job.values():
                    for (_, end_a), (start_b, _) in zip(spans, spans[1:]):
                        if start_b > end_a:
                            return "concurrent"
                return "serial"
        ''')}),
    Answer("task1", "samples the run at whole-number instants only", {
        "task1": define('''
            def classify(intervals):
                if not intervals:
                    return "serial"
                horizon = int(max(end for _, _, end in intervals)) + 1
                for t in range(horizon):
                    running = {job for job, start, end in intervals if start <= t < end}
                    if len(running) > 1:
                        return "parallel"
                lifetimes = {}
                for job, start, end in intervals:
                    first, last = lifetimes.get(job, (start, end))
                    lifetimes[job] = (min(first, start), max(last, end))
                spans = sorted(lifetimes.values())
                for (_, end_a), (start_b, _) in zip(spans, spans[1:]):
                    if start_b < end_a:
                        return "concurrent"
                return "serial"
        ''')}),
    Answer(None, "variant: walks the start and end events in time order, counting running jobs", {
        "task1": define('''
            def classify(intervals):
                events = sorted([(s, 1, j) for j, s, e in intervals] + [(e, 0, j) for j, s, e in intervals])
                running = {}
                for _, kind, job in events:          # at one instant, ends (0) come before starts (1)
                    if kind:
                        running[job] = running.get(job, 0) + 1
                        if len(running) > 1:
                            return "parallel"
                    else:
                        running[job] -= 1
                        if not running[job]:
                            del running[job]
                first = {j: min(s for jj, s, e in intervals if jj == j) for j, _, _ in intervals}
                last = {j: max(e for jj, s, e in intervals if jj == j) for j, _, _ in intervals}
                for a in first:
                    for b in first:
                        if a != b and first[a] < first[b] < last[a]:
                            return "concurrent"
                return "serial"
        ''')}),

    # ---- task 2: round_robin ----------------------------------------------------------------
    Answer("task2", "uses the list it was given as the queue (pops from it)", {
        "task2": define('''
            def round_robin(jobs, quantum):
                slices, now = [], 0
                while jobs:
                    name, left = jobs.pop(0)
                    run = min(quantum, left)
                    if slices and slices[-1][0] == name:
                        slices[-1] = (name, slices[-1][1], now + run)
                    else:
                        slices.append((name, now, now + run))
                    now += run
                    if left > run:
                        jobs.append((name, left - run))
                return slices
        ''')}),
    Answer("task2", "never merges the consecutive slices of a job left alone", {
        "task2": define('''
            def round_robin(jobs, quantum):
                queue = list(jobs)
                slices, now = [], 0
                while queue:
                    name, left = queue.pop(0)
                    run = min(quantum, left)
                    slices.append((name, now, now + run))
                    now += run
                    if left > run:
                        queue.append((name, left - run))
                return slices
        ''')}),
    Answer("task2", "merging adds a whole quantum, even for a last, shorter run", {
        "task2": define('''
            def round_robin(jobs, quantum):
                queue = list(jobs)
                slices, now = [], 0
                while queue:
                    name, left = queue.pop(0)
                    run = min(quantum, left)
                    if slices and slices[-1][0] == name:
                        slices[-1] = (name, slices[-1][1], slices[-1][2] + quantum)
                    else:
                        slices.append((name, now, now + run))
                    now += run
                    if left > run:
                        queue.append((name, left - run))
                return slices
        ''')}),
    Answer("task2", "a preempted job goes back to the front of the queue, behind only the next job", {
        "task2": define('''
            def round_robin(jobs, quantum):
                queue = list(jobs)
                slices, now = [], 0
                while queue:
                    name, left = queue.pop(0)
                    run = min(quantum, left)
                    if slices and slices[-1][0] == name:
                        slices[-1] = (name, slices[-1][1], now + run)
                    else:
                        slices.append((name, now, now + run))
                    now += run
                    if left > run:
                        queue.insert(1, (name, left - run))
                return slices
        ''')}),
    Answer(None, "variant: cycles through the jobs in their given order, skipping finished ones", {
        "task2": define('''
            def round_robin(jobs, quantum):
                left = [cpu for _, cpu in jobs]
                slices, now = [], 0
                while any(left):
                    for i, (name, _) in enumerate(jobs):
                        if left[i]:
                            run = min(quantum, left[i])
                            if slices and slices[-1][0] == name:
                                slices[-1] = (name, slices[-1][1], now + run)
                            else:
                                slices.append((name, now, now + run))
                            now += run
                            left[i] -= run
                return slices
        ''')}),

    # ---- task 3: time_in_states -------------------------------------------------------------
    Answer("task3", "checks states only through the transitions (an unknown first state slips through)", {
        "task3": define('''
            def time_in_states(segments):
                allowed = {("ready", "running"), ("running", "ready"), ("running", "blocked"), ("blocked", "ready")}
                totals = {"running": 0, "ready": 0, "blocked": 0}
                for (a, s1, e1), (b, s2, e2) in zip(segments, segments[1:]):
                    if s2 != e1:
                        raise ValueError("segments must follow each other")
                    if a != b and (a, b) not in allowed:
                        raise ValueError(f"impossible transition {a} -> {b}")
                for state, start, end in segments:
                    if end < start:
                        raise ValueError("a segment ends before it starts")
                    totals[state] = totals.get(state, 0) + end - start
                return totals
        ''')}),
    Answer("task3", "rejects a zero-length segment (end == start), which the task allows", {
        "task3": define('''
            def time_in_states(segments):
                allowed = {("ready", "running"), ("running", "ready"), ("running", "blocked"), ("blocked", "ready")}
                totals = {"running": 0, "ready": 0, "blocked": 0}
                previous = None
                for state, start, end in segments:
                    if state not in totals:
                        raise ValueError(f"unknown state {state!r}")
                    if end <= start:
                        raise ValueError("a segment must end after it starts")
                    if previous is not None:
                        if start != previous[2]:
                            raise ValueError("gap or overlap")
                        if previous[0] != state and (previous[0], state) not in allowed:
                            raise ValueError(f"impossible transition {previous[0]} -> {state}")
                    totals[state] += end - start
                    previous = (state, start, end)
                return totals
        ''')}),
    Answer("task3", "checks for gaps but not for overlaps (start > previous end only)", {
        "task3": define('''
            def time_in_states(segments):
                allowed = {("ready", "running"), ("running", "ready"), ("running", "blocked"), ("blocked", "ready")}
                totals = {"running": 0, "ready": 0, "blocked": 0}
                previous = None
                for state, start, end in segments:
                    if state not in totals:
                        raise ValueError(f"unknown state {state!r}")
                    if end < start:
                        raise ValueError("a segment ends before it starts")
                    if previous is not None:
                        if start > previous[2]:
                            raise ValueError("gap between segments")
                        if previous[0] != state and (previous[0], state) not in allowed:
                            raise ValueError(f"impossible transition {previous[0]} -> {state}")
                    totals[state] += end - start
                    previous = (state, start, end)
                return totals
        ''')}),
    Answer("task3", "validates only the first segment's order of start and end", {
        "task3": define('''
            def time_in_states(segments):
                allowed = {("ready", "running"), ("running", "ready"), ("running", "blocked"), ("blocked", "ready")}
                totals = {"running": 0, "ready": 0, "blocked": 0}
                if segments and segments[0][2] < segments[0][1]:
                    raise ValueError("a segment ends before it starts")
                previous = None
                for state, start, end in segments:
                    if state not in totals:
                        raise ValueError(f"unknown state {state!r}")
                    if previous is not None:
                        if start != previous[2]:
                            raise ValueError("gap or overlap")
                        if previous[0] != state and (previous[0], state) not in allowed:
                            raise ValueError(f"impossible transition {previous[0]} -> {state}")
                    totals[state] += end - start
                    previous = (state, start, end)
                return totals
        ''')}),
]
