"""Run inference task files: ``python -m compass.task TASK.json [TASK.json …]``.

Every runner starts tasks this way (or, for the local runner's long-lived workers, with
``--serve``). Tasks of the same model share one loaded model: it is loaded once per process.

``--serve`` reads one task path per line on stdin and answers one JSON line per task on
the original stdout; while a task runs, its stdout/stderr go to the task's log file.
Exit code: 0 when every task succeeded, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from compass.plugins import PluginHost, make_plugin_host


class ModelCache:
    """Keeps the most recently used model loaded; a different model replaces it."""

    def __init__(self, host: PluginHost):
        self.host = host
        self._key: str | None = None
        self._model: Any = None
        self.last_load_seconds = 0.0

    def get(self, spec: dict) -> tuple[Any, float]:
        """The model for ``spec`` and the seconds spent loading it now (0 when cached)."""
        from compass.infer import build_model

        key = json.dumps(spec, sort_keys=True, default=str)
        if key == self._key:
            return self._model, 0.0
        self.close()
        t0 = time.perf_counter()
        self._model = build_model(self.host, spec)
        self._key = key
        return self._model, time.perf_counter() - t0

    def close(self) -> None:
        closer = getattr(self._model, "close", None)
        if callable(closer):
            closer()
        self._model = None
        self._key = None


def execute(host: PluginHost, path: Path, cache: ModelCache,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Run one task file; writes ``<task>.stats.json`` beside it and returns the stats."""
    from compass.infer import run_infer
    from compass.store import write_json

    task = json.loads(Path(path).read_text(encoding="utf-8"))
    model, load_seconds = cache.get(task["model"])
    stats = run_infer(host, task, model, progress=progress)
    stats["model_load_seconds"] = round(load_seconds, 3)
    write_json(Path(path).with_suffix(".stats.json"), stats)
    return stats


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
        ok, error, stats = True, None, {}
        with _Redirect(log):
            print(f"== task {task['name']} (pid {os.getpid()})", flush=True)
            try:
                stats = execute(host, path, cache)
            except BaseException as exc:  # reported to the runner, the worker lives on
                ok, error = False, f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        reply.write(json.dumps({"task": str(path), "ok": ok, "error": error, "stats": stats}) + "\n")
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
            execute(host, Path(arg), cache)
        except Exception:
            traceback.print_exc()
            status = 1
    cache.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
