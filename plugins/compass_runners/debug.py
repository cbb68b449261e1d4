"""The debug runner: every task in this process, in order, output on the terminal."""

from __future__ import annotations

import sys
import time
import traceback
from typing import Callable

from compass.errors import CompassError
from compass.plugins import make_plugin_host
from compass.runners import TaskFile, TaskOutcome
from compass.task import ModelCache, execute


def _sample_progress(name: str) -> Callable[[int, int], None]:
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            end = "\n" if done >= total else ""
            print(f"\r[{name}] {done}/{total} samples", end=end, file=sys.stderr, flush=True)
        elif done >= total:
            print(f"[{name}] {done}/{total} samples", file=sys.stderr, flush=True)

    return show


class DebugRunner:
    """Runs tasks in-process; the first error is shown with its full traceback."""

    def __init__(self, host=None):
        self.host = host

    def run(self, tasks: list[TaskFile], on_done: Callable[[TaskOutcome], None]) -> list[TaskOutcome]:
        host = self.host or make_plugin_host()
        cache = ModelCache(host)
        outcomes = []
        try:
            for task in sorted(tasks, key=lambda t: t.model):
                t0 = time.perf_counter()
                try:
                    stats = execute(host, task.path, cache, progress=_sample_progress(task.name))
                    outcome = TaskOutcome(task.name, True, time.perf_counter() - t0, stats=stats)
                except CompassError:
                    raise
                except Exception as exc:
                    traceback.print_exc()
                    outcome = TaskOutcome(task.name, False, time.perf_counter() - t0,
                                          error=f"{type(exc).__name__}: {exc}")
                outcomes.append(outcome)
                on_done(outcome)
        finally:
            cache.close()
        return outcomes
