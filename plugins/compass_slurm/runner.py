"""The ``slurm`` runner: each inference task as a Slurm job, from a bounded pool.

At most ``max_num_workers`` jobs are in flight; a task whose job fails is submitted again
(``retry`` times) and then reported with its log and the tail of its error. A task whose
model cannot be built leaves a marker in the run's ``tasks/`` folder (see
:class:`compass.sdk.ModelCache`): the model's other tasks then end with the same one line,
without being submitted or retried. Ctrl-C cancels every job the run submitted
(``scancel``) before the interrupt propagates; predictions already written stay, so
``compass eval … -r`` resumes — with any runner.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections import deque
from time import monotonic, sleep
from typing import Callable

from compass.sdk import CompassError, log_tail, Progress, read_model_error, TaskFile, TaskOutcome

from compass_slurm import cluster
from compass_slurm.commands import SlurmOptions, normalize_extra_args
from compass_slurm.launchers import Attempt, Result, _append, make_launcher

MODES = ("srun", "sbatch")
DEFAULT_POLL = {"srun": 0.05, "sbatch": 0.5}  # srun: a local wait; sbatch: one squeue call


def _say(msg: str) -> None:
    print(f"[slurm] {msg}", file=sys.stderr, flush=True)


class SlurmRunner:
    """Runs every task as a Slurm job (``srun`` steps or ``sbatch`` jobs).

    :param max_num_workers: jobs in flight at once (``--max-num-workers``).
    :param partition: ``--partition``; checked against the cluster before anything runs.
    :param qos: ``--qos``.
    :param time: time limit per task (``--slurm-time``), Slurm syntax (``30``, ``2:00:00``).
    :param retry: times a failed task is submitted again (``--retry``, default 2).
    :param mode: ``srun`` (blocking, the default) or ``sbatch`` (``--slurm-mode``).
    :param gres_name: GRES for a task's ``num_gpus`` (``--gres=gpu:N``).
    :param npu_gres_name: GRES for tasks on NPUs (device ``npu``).
    :param extra_args: more ``srun``/``sbatch`` arguments, a list (or one shell-quoted string).
    :param poll_interval: seconds between checks of running jobs (srun 0.05, sbatch 0.5).
    """

    def __init__(self, max_num_workers: int = 1, partition: str | None = None, qos: str | None = None,
                 time: str | int | None = None, retry: int = 2, mode: str = "srun",
                 gres_name: str = "gpu", npu_gres_name: str = "npu", extra_args=None,
                 poll_interval: float | None = None):
        if mode not in MODES:
            raise CompassError(f"slurm runner: mode '{mode}' is not one of {', '.join(MODES)} (--slurm-mode)")
        if int(max_num_workers) < 1:
            raise CompassError(f"--max-num-workers must be at least 1, got {max_num_workers}")
        if int(retry) < 0:
            raise CompassError(f"--retry must be 0 or more, got {retry}")
        self.max_num_workers = int(max_num_workers)
        self.retry = int(retry)
        self.mode = mode
        self.poll_interval = float(poll_interval) if poll_interval is not None else DEFAULT_POLL[mode]
        self.opts = SlurmOptions(partition=partition or None, qos=qos or None,
                                 time=None if time in (None, "") else str(time),
                                 gres_name=gres_name, npu_gres_name=npu_gres_name,
                                 extra_args=normalize_extra_args(extra_args))
        cluster.require_tools(mode)
        cluster.check_partition(self.opts.partition)

    def run(self, tasks: list[TaskFile], on_done: Callable[[TaskOutcome], None]) -> list[TaskOutcome]:
        if not tasks:
            return []
        token = secrets.token_hex(3)
        launcher = make_launcher(self.mode, self.opts, token, self.retry + 1)
        queue = deque(sorted(tasks, key=lambda t: t.model))
        active: list[Attempt] = []
        first_start: dict[str, float] = {}
        outcomes: list[TaskOutcome] = []
        progress = Progress(len(tasks))
        _say(f"{len(tasks)} task(s) as Slurm jobs 'compass-{token}:…' ({self.mode} mode, "
             f"at most {self.max_num_workers} at a time)")

        def finish(outcome: TaskOutcome, attempt: Attempt | None, result: Result | None) -> None:
            outcomes.append(outcome)
            progress.finished(outcome, self._note(outcome, attempt, result))
            on_done(outcome)

        with progress:
            try:
                while queue or active:
                    for task in self._startable(queue, active, len(active)):
                        broken = _broken_model(task)
                        if broken is not None:  # another task of this model could not build it
                            _append(task.log, f"== task {task.name}: not submitted\nFAILED: {broken}")
                            finish(TaskOutcome(task.name, False, 0.0, task.log, broken), None, None)
                            continue
                        first_start[task.name] = monotonic()
                        progress.started(task)  # the job's worker writes the task's progress file
                        active.append(launcher.start(task, 1))
                    for attempt, result in launcher.poll(active):
                        active.remove(attempt)
                        marker = read_model_error(attempt.task.path, attempt.task.model) if not result.ok else None
                        if marker is not None:  # the model could not be built: one line, and no retry
                            # unless this very task made the attempt and it may help (not a CompassError)
                            retry = marker.get("task") == attempt.task.name and marker.get("retry", True)
                            result = Result(False, marker["reason"], result.job_id, "MODEL_ERROR")
                            if not retry or attempt.number > self.retry:
                                finish(TaskOutcome(attempt.task.name, False,
                                                   monotonic() - first_start[attempt.task.name],
                                                   attempt.task.log, marker["reason"]), attempt, result)
                                continue
                        if not result.ok and attempt.number <= self.retry:
                            _say(f"{attempt.task.name}: {result.why}; retrying "
                                 f"({attempt.number + 1}/{self.retry + 1}, log: {attempt.task.log})")
                            active.append(launcher.start(attempt.task, attempt.number + 1))
                            continue
                        finish(self._outcome(attempt, result, monotonic() - first_start[attempt.task.name]),
                               attempt, result)
                    if active:
                        sleep(self.poll_interval)
            except BaseException:  # Ctrl-C above all: no job of this run may outlive it
                queue.clear()
                if active or launcher.live:
                    _say(f"cancelling {len(launcher.live)} Slurm job(s) of this run")
                    left = launcher.cancel(active)
                    if left:
                        _say(f"jobs still in the queue after scancel: {', '.join(left)}")
                raise
        return outcomes

    def _startable(self, queue: deque, active: list[Attempt], running: int) -> list[TaskFile]:
        """Tasks to start now, taken out of ``queue``: up to the free slots, passing over a
        task whose model is being built, after a failure, by a retry of another task (it
        waits to learn whether that model can be built at all)."""
        retrying = {a.task.model for a in active if read_model_error(a.task.path, a.task.model)}
        picked: list[TaskFile] = []
        for task in list(queue):
            if running + len(picked) >= self.max_num_workers:
                break
            if task.model in retrying:
                continue
            queue.remove(task)
            picked.append(task)
        return picked

    @staticmethod
    def _outcome(attempt: Attempt, result: Result, seconds: float) -> TaskOutcome:
        task = attempt.task
        if result.ok:
            stats_file = task.path.with_suffix(".stats.json")
            stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
            return TaskOutcome(task.name, True, seconds, task.log, stats=stats)
        tries = f"{attempt.number} attempt{'s' if attempt.number > 1 else ''}"
        error = f"{result.why} (after {tries})"
        tail = log_tail(task.log)
        return TaskOutcome(task.name, False, seconds, task.log, f"{error}\n{tail}" if tail else error)

    @staticmethod
    def _note(outcome: TaskOutcome, attempt: Attempt | None, result: Result | None) -> str:
        """The Slurm detail of a finished task's progress line: its job, or why it failed."""
        job = f"job {result.job_id}" if result is not None and result.job_id else ""
        if outcome.ok:
            return job
        if attempt is None:
            return f"not submitted: {outcome.error}"
        return ", ".join(x for x in (job, f"after {attempt.number} attempt(s): {result.why}") if x)


def _broken_model(task: TaskFile) -> str | None:
    """The one-line reason when another task of this run could not build the task's model."""
    marker = read_model_error(task.path, task.model)
    return marker["reason"] if marker and marker.get("task") != task.name else None
