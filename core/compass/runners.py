"""What a runner is given and what it reports back.

A runner executes inference tasks. Each task is a small JSON file in
``<run>/tasks/`` that any runner can start as ``python -m compass.task TASK.json``; its
output goes to its log file. Runners are plugins (``register_runners``): ``debug`` and
``local`` ship in ``compass_runners``, ``slurm`` in ``compass_slurm``.
"""

from __future__ import annotations

import os
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
    :param device: the device kind (``cuda``, ``npu``, ``cpu`` or empty for automatic).
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


VISIBLE_DEVICES_VAR = {"cuda": "CUDA_VISIBLE_DEVICES", "npu": "ASCEND_RT_VISIBLE_DEVICES"}


def visible_devices_env(device: str, ids: list[int]) -> dict[str, str]:
    """The environment that restricts a worker to accelerators ``ids`` of kind ``device``.

    ``cuda`` (and the automatic default) uses ``CUDA_VISIBLE_DEVICES``; ``npu`` uses
    ``ASCEND_RT_VISIBLE_DEVICES``, which torch-npu reads the same way.
    """
    var = VISIBLE_DEVICES_VAR.get(device or "cuda", "CUDA_VISIBLE_DEVICES")
    return {var: ",".join(str(i) for i in ids)}
