"""Command lines for one task: ``srun …`` (blocking) or ``sbatch --parsable …`` plus its script.

Pure functions of the options and the task: nothing here runs a process, so what a job
would be submitted with can be checked (and tested) without a cluster.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass, field

from compass.sdk import task_command as sdk_task_command, TaskFile



@dataclass(frozen=True)
class SlurmOptions:
    """What every job of a run is submitted with.

    :param partition: ``-p``; None for the cluster's default partition.
    :param qos: ``--qos``; None for the default.
    :param time: ``--time`` per task (Slurm syntax: minutes, ``MM:SS``, ``H:MM:SS``,
        ``D-HH``…); None for the partition's default.
    :param gres_name: GRES name for CUDA tasks (``--gres=gpu:N``).
    :param npu_gres_name: GRES name for tasks whose device is ``npu``.
    :param extra_args: free-form arguments added to every ``srun``/``sbatch`` call
        (``--cpus-per-task=8``, ``--mem=64G``, ``--account=…``, a site's own flags).
    :param python: the interpreter the job runs ``python -m compass._task`` with.
    """

    partition: str | None = None
    qos: str | None = None
    time: str | None = None
    gres_name: str = "gpu"
    npu_gres_name: str = "npu"
    extra_args: tuple[str, ...] = ()
    python: str = field(default_factory=lambda: sys.executable)


def normalize_extra_args(value) -> tuple[str, ...]:
    """``extra_args`` as a tuple of arguments: a list is kept, a string is split like a shell."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(shlex.split(value))
    return tuple(str(v) for v in value)


def job_name(token: str, task: TaskFile) -> str:
    """The Slurm job name of a task: ``compass-<token>:<task name>``.

    ``token`` is unique per run, so the name finds the run's jobs in ``squeue -n`` (srun
    mode learns job ids that way) and tells them apart in a shared queue.
    """
    safe = re.sub(r"[^\w.:/+=@-]", "_", task.name)
    return f"compass-{token}:{safe}"


def gres(opts: SlurmOptions, task: TaskFile) -> str | None:
    """``gpu:N`` (or ``<npu_gres_name>:N`` for NPU tasks) when the task needs accelerators."""
    if task.num_gpus <= 0 or task.device == "cpu":
        return None
    name = opts.npu_gres_name if task.device == "npu" else opts.gres_name
    return f"{name}:{task.num_gpus}"


def _has_option(args: tuple[str, ...], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in args)


def job_args(opts: SlurmOptions, task: TaskFile, name: str) -> list[str]:
    """Options shared by srun and sbatch: one task on one node, resources, name, extras."""
    args = ["--job-name=" + name, "--nodes=1", "--ntasks=1"]
    if opts.partition:
        args.append("--partition=" + opts.partition)
    if opts.qos:
        args.append("--qos=" + opts.qos)
    if opts.time is not None and str(opts.time):
        args.append(f"--time={opts.time}")
    if (g := gres(opts, task)) is not None:
        args.append("--gres=" + g)
    if not _has_option(opts.extra_args, "--export"):
        # The task needs this environment (PYTHONPATH, COMPASS_*, HF_*): a site default
        # of SBATCH_EXPORT=NONE would otherwise start it in a bare one.
        args.append("--export=ALL")
    args.extend(opts.extra_args)
    return args


def task_command(opts: SlurmOptions, task: TaskFile) -> list[str]:
    """``<this python> -P -m compass._task <task file>`` with an absolute path (the job's
    working directory kept off its import path: :func:`compass.sdk.task_command`)."""
    return sdk_task_command(str(task.path.absolute()), python=opts.python)


def srun_argv(opts: SlurmOptions, task: TaskFile, name: str) -> list[str]:
    """The blocking ``srun`` that runs one task; its output is redirected by the caller."""
    return ["srun", *job_args(opts, task, name), *task_command(opts, task)]


def sbatch_argv(opts: SlurmOptions, task: TaskFile, name: str, script: str) -> list[str]:
    """``sbatch --parsable`` for one task; stdout and stderr are appended to the task log."""
    log = str(task.log.absolute())
    return ["sbatch", "--parsable", *job_args(opts, task, name),
            "--output=" + log, "--error=" + log, "--open-mode=append", script]


def batch_script(opts: SlurmOptions, task: TaskFile, attempt: int, attempts: int) -> str:
    """The script ``sbatch`` runs: a header line in the log, then the task."""
    return ("#!/bin/sh\n"
            f"# compass task {task.name}, submitted by compass's slurm runner (sbatch mode)\n"
            f"printf '== task %s: slurm job %s on %s (attempt {attempt}/{attempts})\\n' "
            f"{shlex.quote(task.name)} \"$SLURM_JOB_ID\" \"$(hostname)\"\n"
            f"exec {shlex.join(task_command(opts, task))}\n")
