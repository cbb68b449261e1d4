"""What a runner is given and what it reports back.

A runner executes inference tasks. Each task is a small JSON file in
``<run>/tasks/`` that any runner can start as ``python -m compass._task TASK.json``; its
output goes to its log file. Runners are plugins (``register_runners``): ``debug`` and
``local`` ship in ``compass_runners``, ``slurm`` in ``compass_slurm``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from compass._devices import VISIBLE_DEVICES_VAR


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
    """

    name: str
    path: Path
    log: Path
    model: str
    num_gpus: int = 0
    device: str = ""


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


def visible_devices_env(device: str, ids: list) -> dict[str, str]:
    """The environment that restricts a worker to accelerators ``ids`` of kind ``device``.

    ``cuda`` (and the automatic default) uses ``CUDA_VISIBLE_DEVICES``; ``npu`` uses
    ``ASCEND_RT_VISIBLE_DEVICES``, which torch-npu reads the same way. To share out the
    parent's own visible devices between workers, use :func:`compass._devices.share_out`.
    """
    var = VISIBLE_DEVICES_VAR.get(device or "cuda", "CUDA_VISIBLE_DEVICES")
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
