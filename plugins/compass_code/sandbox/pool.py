"""Many programs at once: up to ``workers`` running, each result yielded as it finishes.

A provider with its own scheduler (``run_many``: the fork server) runs them itself; for the
others (a process per program):

One thread drives every running program with a selector: it collects stdout (its first
line, the token the program's verdict hook drew, and the last 64 KiB, where the hook's
status line is) and stderr (the tail),
kills a program at its wall-clock deadline or when it writes more than its output cap,
and starts the next one as soon as one ends.
"""

from __future__ import annotations

import os
import selectors
import time
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Iterator

from compass_code.sandbox.base import Job, Limits, Outcome, Sandbox, classify, read_marks

KEEP_STDOUT = 64 << 10
KEEP_STDERR = 8 << 10
GRACE = 1.0  # seconds a killed or finished program gets to be reaped


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class _Running:
    key: Hashable
    job: Job
    deadline: float
    started: float
    open: int = 2
    out: bytearray = field(default_factory=bytearray)
    head: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    total: int = 0
    timed_out: bool = False
    over: bool = False
    killed_at: float | None = None


def run_programs(sandbox: Sandbox, programs: Iterable[tuple[Hashable, str]], limits: Limits,
                 workers: int | None = None, tag: str = "compass-code") -> Iterator[tuple[Hashable, Outcome]]:
    """Run ``(key, source)`` programs in ``sandbox``; yield ``(key, Outcome)`` as each ends."""
    workers = workers or default_workers()
    if hasattr(sandbox, "run_many"):  # a provider that schedules its own programs (the fork server)
        yield from sandbox.run_many(programs, limits, workers, tag)
        return
    todo = iter(programs)
    sel = selectors.DefaultSelector()
    running: list[_Running] = []

    def start_next() -> bool:
        item = next(todo, None)
        if item is None:
            return False
        key, source = item
        job = sandbox.start(source, limits, tag)
        now = time.monotonic()
        run = _Running(key, job, now + limits.timeout, now)
        for stream in (job.proc.stdout, job.proc.stderr):
            os.set_blocking(stream.fileno(), False)
            sel.register(stream, selectors.EVENT_READ, run)
        running.append(run)
        return True

    def finish(run: _Running) -> Outcome:
        for stream in (run.job.proc.stdout, run.job.proc.stderr):
            try:
                sel.unregister(stream)
            except (KeyError, ValueError):
                pass
            stream.close()
        try:
            code = run.job.proc.wait(timeout=GRACE)
        except Exception:
            sandbox.kill(run.job)
            code = run.job.proc.wait()
        sandbox.kill(run.job)  # anything the program left behind in its session
        for cleanup in run.job.cleanup:
            cleanup()
        head = bytes(run.head).partition(b"\n")[0]
        return classify(read_marks(head + b"\n" + bytes(run.out)), bytes(run.err), code, timed_out=run.timed_out,
                        over_output=run.over, seconds=time.monotonic() - run.started)

    try:
        while len(running) < workers and start_next():
            pass
        while running:
            now = time.monotonic()
            wait = max(0.0, min(r.deadline for r in running) - now)
            if any(r.open == 0 or r.killed_at is not None for r in running):
                wait = min(wait, 0.002)  # one is exiting: look again soon, not at the next output
            for key, _ in sel.select(timeout=min(wait, 0.5)):
                run: _Running = key.data
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    run.open -= 1
                    continue
                run.total += len(chunk)
                is_out = key.fileobj is run.job.proc.stdout
                if is_out and len(run.head) < 33:
                    run.head += chunk[: 33 - len(run.head)]
                buf = run.out if is_out else run.err
                buf += chunk
                keep = KEEP_STDOUT if is_out else KEEP_STDERR
                if len(buf) > keep:
                    del buf[: len(buf) - keep]
                if run.total > limits.output_bytes and not run.over:
                    run.over = True
                    sandbox.kill(run.job)
                    run.killed_at = time.monotonic()
            now = time.monotonic()
            for run in list(running):
                if run.killed_at is None and now >= run.deadline:
                    run.timed_out = True
                    sandbox.kill(run.job)
                    run.killed_at = now
                ended = run.open == 0 and run.job.proc.poll() is not None
                # a killed program whose pipes a leftover process holds open is reaped anyway
                stuck = run.killed_at is not None and now - run.killed_at > GRACE
                if ended or stuck:
                    running.remove(run)
                    outcome = finish(run)
                    start_next()
                    yield run.key, outcome
    finally:
        for run in running:
            sandbox.kill(run.job)
            finish(run)
        sel.close()
