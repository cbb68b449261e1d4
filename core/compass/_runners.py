"""What a runner is given and what it reports back.

A runner executes inference tasks. Each task is a small JSON file in
``<run>/tasks/`` that any runner can start as ``python -m compass._task TASK.json``; its
output goes to its log file. Runners are plugins (``register_runners``): ``debug`` and
``local`` ship in ``compass_runners``, ``slurm`` in ``compass_slurm``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol



@dataclass(frozen=True)
class TaskFile:
    """One task as a runner sees it.

    :param name: ``<model>/<dataset>[_<shard>]``, unique in the run.
    :param path: the task JSON file.
    :param log: where the task's output must go.
    :param model: the model's abbr: tasks of one model can share a loaded model.
    :param num_gpus: accelerators the task's model needs (0 for CPU).
    :param device: the device kind (``cuda``, ``npu``, ``mps``, ``cpu`` or empty when the
        model decides), as :func:`compass._devices.task_resources` planned it.
    :param visible_devices_var: the variable that restricts a process to some devices of
        that kind (``CUDA_VISIBLE_DEVICES``), as the kind's plugin registered it; ``None``
        when there is nothing to share out.
    """

    name: str
    path: Path
    log: Path
    model: str
    num_gpus: int = 0
    device: str = ""
    visible_devices_var: str | None = None


@dataclass
class TaskOutcome:
    """What happened to one task."""

    name: str
    ok: bool
    seconds: float = 0.0
    log: Path | None = None
    error: str | None = None
    stats: dict = field(default_factory=dict)


class Runner(Protocol):
    """Runs tasks and reports each outcome as soon as it is known.

    ``on_done`` must be called once per task, from any thread, as each finishes (the
    pipeline evaluates a dataset as soon as all of its shards are inferred). ``run`` returns
    every outcome; it must not raise for a failing task: a failure is an outcome with
    ``ok=False``, its ``log`` and the tail of its error.
    """

    def run(self, tasks: list[TaskFile], on_done: Callable[[TaskOutcome], None]) -> list[TaskOutcome]: ...


#: the module every runner starts a task with
TASK_MODULE = "compass._task"

# Python < 3.11 has no -P: drop the working directory from the path, then run the module
_SAFE_PATH_BOOT = ("import runpy, sys; del sys.path[0]; "
                   f"runpy.run_module({TASK_MODULE!r}, run_name='__main__', alter_sys=True)")


def task_command(*args: str, python: str | None = None) -> list[str]:
    """The command line of a compass task process: ``python -P -m compass._task *args``.

    ``args`` are the task module's own (a task file, or ``--serve`` for a worker that reads
    task files on stdin). The working directory is kept off the import path (``-P``; an
    equivalent on Python 3.10), so a folder there named like a package (``compass/``,
    ``torch/``) cannot shadow the installed one; relative paths still resolve against it.

    :param python: the interpreter (default: this one, ``sys.executable``).
    """
    exe = python or sys.executable
    if sys.version_info >= (3, 11):
        return [exe, "-P", "-m", TASK_MODULE, *args]
    return [exe, "-c", _SAFE_PATH_BOOT, *args]


def log_tail(path: Path | None, lines: int = 8) -> str:
    """The last ``lines`` non-empty lines of a log file (for failure reports)."""
    if path is None or not Path(path).exists():
        return ""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 16384))
        text = fh.read().decode("utf-8", "replace")
    kept = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def visible_devices_env(var: str, ids: list) -> dict[str, str]:
    """The environment that restricts a worker to accelerators ``ids`` through ``var`` (the
    kind's :attr:`TaskFile.visible_devices_var`: ``CUDA_VISIBLE_DEVICES``, or
    ``ASCEND_RT_VISIBLE_DEVICES`` for the npu plugin's kind). To share out the parent's own
    visible devices between workers, use :func:`compass._devices.share_out`."""
    return {var: ",".join(str(i) for i in ids)}


# -- a model that cannot be built fails once -------------------------------------------------

MODEL_ERROR_SUFFIX = ".model-error"


class ModelBuildFailed(Exception):
    """A task's model could not be built (its factory raised).

    ``reason`` is the one line every task of that model fails with; ``details`` is the
    traceback of the attempt that actually tried (empty for the tasks that only learnt of
    the failure). It belongs in the task's log, never on the terminal.
    """

    def __init__(self, reason: str, details: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.details = details


def build_failure_reason(model: str, exc: BaseException) -> str:
    """One line for ``exc`` raised while building ``model``."""
    from compass._errors import CompassError

    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    what = first if isinstance(exc, CompassError) and first else \
        f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return f"model '{model}' could not be built: {what}"


def model_error_path(tasks_dir: Path, model: str) -> Path:
    """``<run>/tasks/<model>.model-error``: written by the task that failed to build ``model``."""
    return Path(tasks_dir) / (model.replace("/", "__") + MODEL_ERROR_SUFFIX)


def read_model_error(task_path: Path, model: str) -> dict | None:
    """``{"model", "task", "reason", "retry"}`` when a task of this run failed to build ``model``.

    A marker older than the task file belongs to an earlier invocation (``-r`` writes the
    task files again), so the model is tried again then.
    """
    import json

    marker = model_error_path(Path(task_path).parent, model)
    try:
        if marker.stat().st_mtime_ns < Path(task_path).stat().st_mtime_ns:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("reason") else None


def write_model_error(task_path: Path, model: str, task: str, reason: str, retry: bool = True) -> None:
    """Record that ``task`` could not build ``model``; ``retry``: whether trying the same
    task again may help (False for a ``CompassError``: the settings must change first)."""
    import json

    marker = model_error_path(Path(task_path).parent, model)
    tmp = marker.with_name(marker.name + f".{os.getpid()}.tmp")
    record = {"model": model, "task": task, "reason": reason, "retry": retry}
    tmp.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, marker)


def clear_model_error(task_path: Path, model: str) -> None:
    model_error_path(Path(task_path).parent, model).unlink(missing_ok=True)


def clear_model_errors(run_dir: Path) -> int:
    """Forget every model-build failure of a run folder (call when a run starts); returns how many."""
    tasks = Path(run_dir) / "tasks"
    gone = 0
    for marker in tasks.glob("*" + MODEL_ERROR_SUFFIX) if tasks.is_dir() else ():
        marker.unlink(missing_ok=True)
        gone += 1
    return gone
