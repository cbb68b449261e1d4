"""The debug runner: every task in this process, in order, output on the terminal."""

from __future__ import annotations

import sys
import time
import traceback
from typing import Callable

from compass.sdk import (CompassError, execute, make_plugin_host, ModelBuildFailed, ModelCache, TaskFile,
                        TaskLine, TaskOutcome)


class DebugRunner:
    """Runs tasks in-process, in order; a failed task is reported like the local runner does.

    A task that fails does not stop the run: the others go on and the failure is an outcome
    (exit code 1 at the end). An unexpected error is shown with its full traceback (this is
    the runner for debugging); a ``CompassError`` and a model that cannot be built are one
    line — the build's traceback goes to the task's log, and the model is not tried again.
    """

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
                    stats = execute(host, task.path, cache, progress=TaskLine(task.name))
                    outcome = TaskOutcome(task.name, True, time.perf_counter() - t0, stats=stats)
                except ModelBuildFailed as exc:
                    where = f" (traceback in {task.log})" if exc.details else ""
                    print(f"[{task.name}] FAILED: {exc.reason}{where}", file=sys.stderr, flush=True)
                    outcome = _failed(task, t0, exc.reason, exc.details)
                except CompassError as exc:
                    print(f"[{task.name}] FAILED: {exc}", file=sys.stderr, flush=True)
                    outcome = _failed(task, t0, str(exc))
                except Exception as exc:
                    traceback.print_exc()
                    outcome = _failed(task, t0, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                outcomes.append(outcome)
                on_done(outcome)
        finally:
            cache.close()
        return outcomes


def _failed(task: TaskFile, t0: float, error: str, details: str = "") -> TaskOutcome:
    """The outcome of a failed task; its traceback (if any) and one line go to its log."""
    task.log.parent.mkdir(parents=True, exist_ok=True)
    with open(task.log, "a", encoding="utf-8") as fh:
        fh.write(f"== task {task.name} (debug runner)\n")
        if details:
            fh.write(details if details.endswith("\n") else details + "\n")
        fh.write(f"FAILED: {error}\n")
    return TaskOutcome(task.name, False, time.perf_counter() - t0, task.log, error=error)
