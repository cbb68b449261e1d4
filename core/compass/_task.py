"""Run inference task files: ``python -m compass._task TASK.json [TASK.json …]``.

Every runner starts tasks this way (or, for the local runner's long-lived workers, with
``--serve``). Tasks of the same model share one loaded model: it is loaded once per process.

``--serve`` reads one task path per line on stdin and answers one JSON line per task on
the original stdout; while a task runs, its stdout/stderr go to the task's log file.
Exit code: 0 when every task succeeded, 1 otherwise.

A model whose factory raises is tried once: the traceback goes to that task's log, and
every task of the model ends with the same one line (``FAILED: model '…' could not be
built: …``), also in later processes of the run (see :class:`ModelCache`).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from compass._errors import CompassError
from compass._infer import ModelCache
from compass._plugins import PluginHost, make_plugin_host
from compass._progress import progress_file
from compass._runners import ModelBuildFailed


class ProgressFile:
    """A ``progress(done, total, tokens=None)`` callback that writes :func:`progress_file` for
    the launcher to poll: at most once per ``every`` seconds, and always the last one.
    ``tokens``: what the model has generated so far, in-flight rows included. Thread-safe
    (:func:`compass._infer.run_infer` reports tokens from a ticker thread)."""

    def __init__(self, task_path: Path, every: float = 1.0):
        self.path = progress_file(task_path)
        self.every = every
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int, tokens: int | None = None) -> None:
        with self._lock:
            now = time.monotonic()
            if 0 < done < total and now - self._last < self.every:
                return
            self._last = now
            data = {"done": done, "total": total, "time": time.time()}
            if tokens is not None:
                data["tokens"] = tokens
            tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                tmp.write_text(json.dumps(data), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError:  # progress is best effort; the task goes on
                pass


def execute(host: PluginHost, path: Path, cache: ModelCache,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Run one task file; writes ``<task>.stats.json`` beside it and returns the stats.

    Raises :class:`~compass._runners.ModelBuildFailed` when the task's model cannot be built.
    """
    from compass._infer import run_infer
    from compass._store import write_json

    task = json.loads(Path(path).read_text(encoding="utf-8"))
    if task.get("kind") == "eval":  # an evaluation that calls models (compass._evaluate)
        from compass._evaluate import run_eval

        t0 = time.perf_counter()
        result = run_eval(host, task, models=cache)
        stats = {"task": task["name"], "samples": result["num_samples"], "seconds": round(time.perf_counter() - t0, 3)}
        write_json(Path(path).with_suffix(".stats.json"), stats)
        return stats
    model, load_seconds = cache.get(task["model"], Path(path), task.get("name"))
    stats = run_infer(host, task, model, progress=progress)
    stats["model_load_seconds"] = round(load_seconds, 3)
    write_json(Path(path).with_suffix(".stats.json"), stats)
    return stats


def report_build_failure(exc: ModelBuildFailed) -> None:
    """What a task whose model cannot be built writes to its log (stdout/stderr are the log
    while a task runs): the traceback, if this task made the attempt, then the one line."""
    if exc.details:
        print(exc.details.rstrip("\n"), file=sys.stderr)
    print(f"FAILED: {exc.reason}", file=sys.stderr, flush=True)


class _Redirect:
    """Point fds 1 and 2 at a log file for the duration of a task."""

    def __init__(self, log: Path):
        self.log = log

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._saved = (os.dup(1), os.dup(2))
        os.dup2(self._fd, 1)
        os.dup2(self._fd, 2)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        for fd in (*self._saved, self._fd):
            os.close(fd)


def serve(host: PluginHost) -> int:
    """Worker loop of the local runner (see module docstring)."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing but replies may reach the runner's pipe
    cache = ModelCache(host)
    for line in sys.stdin:
        path = Path(line.strip())
        if not line.strip():
            continue
        task = json.loads(path.read_text(encoding="utf-8"))
        log = Path(task["log"])
        ok, error, stats, model_error, brief = True, None, {}, False, False
        with _Redirect(log):
            print(f"== task {task['name']} (pid {os.getpid()})", flush=True)
            try:
                stats = execute(host, path, cache, progress=ProgressFile(path))
            except ModelBuildFailed as exc:  # one line for the runner, the traceback in the log
                ok, error, model_error = False, exc.reason, True
                report_build_failure(exc)
            except CompassError as exc:  # says what went wrong in one line: no log tail needed
                ok, error, brief = False, str(exc), True
                traceback.print_exc()
            except BaseException as exc:  # reported to the runner, the worker lives on
                ok, error = False, f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        reply.write(json.dumps({"task": str(path), "ok": ok, "error": error, "stats": stats,
                                "model_error": model_error, "brief": brief}) + "\n")
    cache.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    host = make_plugin_host()
    for failure in host.failures:
        print(f"warning: plugin {failure.name} failed to load: {failure.error}", file=sys.stderr)
    if argv == ["--serve"]:
        return serve(host)
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    cache = ModelCache(host)
    status = 0
    for arg in argv:
        try:
            execute(host, Path(arg), cache, progress=ProgressFile(Path(arg)))
        except ModelBuildFailed as exc:
            report_build_failure(exc)
            status = 1
        except Exception:
            traceback.print_exc()
            status = 1
    cache.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
