"""Frozen event objects passed to the ``on_<event>`` observer hooks.

New fields may be added to an event; none is ever removed or renamed, so a hook
implementation written today keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compass._summary import Summary


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_dir: str
    models: tuple[str, ...]
    datasets: tuple[str, ...]
    num_tasks: int
    #: the run's notifier settings (``RunConfig.notify``: config ``[notify]``/``lark_bot_url``, flags)
    settings: dict | None = None


@dataclass(frozen=True, slots=True)
class TaskStarted:
    run_dir: str
    task: str
    model: str
    dataset: str


@dataclass(frozen=True, slots=True)
class TaskFinished:
    run_dir: str
    task: str
    model: str
    dataset: str
    ok: bool
    seconds: float
    error: str | None = None
    log_path: str | None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    run_dir: str
    ok: bool
    seconds: float
    summary_path: str | None = None
    failed_tasks: tuple[str, ...] = ()
    #: the summary table itself (header, rows, notes), as printed
    summary: Summary | None = None
    #: the files the reporters wrote
    report_files: tuple[str, ...] = ()
    #: ``{model: {row: score}}``: each benchmark's overall row of the summary
    headline: dict | None = None
    #: failed task name -> its log file
    failed_logs: dict | None = None
    #: stopped by Ctrl-C (``ok`` is False): not a failure of its tasks
    interrupted: bool = False
    #: the inference tasks that had not finished when it was interrupted
    not_finished: tuple[str, ...] = ()
