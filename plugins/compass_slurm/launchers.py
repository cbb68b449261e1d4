"""Start one Slurm job for a task, notice when it ends, cancel it: srun and sbatch modes.

Both launchers have the same three methods, used by :class:`compass_slurm.runner.SlurmRunner`:

* ``start(task, number) -> Attempt`` — attempt ``number`` of the task is on its way
  (never waits for the job);
* ``poll(attempts) -> [(Attempt, Result)]`` — those that have ended, and how;
* ``cancel(attempts) -> [job id]`` — ``scancel`` them, and any job of a task not yet seen to
  end (``live``), and wait until the queue has none left; returns the ids still there
  after the wait (normally none).

srun mode runs a blocking ``srun`` per task as a child process (its exit code is the
task's); sbatch mode submits ``sbatch --parsable`` jobs, which survive the driver, and
reads their states from ``squeue``/``scontrol`` (never ``sbatch --wait``: it notices the
end only at 2, 10, 42… s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from compass.sdk import TaskFile

from compass_slurm import cluster
from compass_slurm.commands import SlurmOptions, batch_script, job_name, sbatch_argv, srun_argv
from compass_slurm.states import JobState

TIME_LIMIT_MARK = "DUE TO TIME LIMIT"  # slurmstepd's words when the limit kills a step
FORGOTTEN_AFTER = 60.0  # seconds a submitted job may be missing from squeue before it counts as lost


@dataclass
class Attempt:
    """One try of one task: a job (or a job request) in flight."""

    task: TaskFile
    number: int
    name: str
    proc: subprocess.Popen | None = None
    job_id: str | None = None
    missing_since: float | None = None
    log_offset: int = 0


@dataclass(frozen=True)
class Result:
    """How an attempt ended: ``ok``, and for a failure one line saying why."""

    ok: bool
    why: str = ""
    job_id: str | None = None
    state: str = "COMPLETED"


def _append(log: Path, text: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")


def worker_env() -> dict[str, str]:
    """The environment jobs are started with: this process's, so the task finds the same
    Python packages, PYTHONPATH and COMPASS_* settings."""
    env = dict(os.environ)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


class _Launcher:
    """What both modes share: options, environment, and the names of jobs not yet done."""

    def __init__(self, opts: SlurmOptions, token: str, attempts: int):
        self.opts = opts
        self.token = token
        self.attempts = attempts
        self.env = worker_env()
        self.live: set[str] = set()  # job names started and not yet seen to end

    def _name(self, task: TaskFile) -> str:
        name = job_name(self.token, task)
        self.live.add(name)  # before the job exists: a Ctrl-C while submitting still finds it
        return name

    def _ended(self, done: list[tuple[Attempt, Result]]) -> list[tuple[Attempt, Result]]:
        for a, _ in done:
            self.live.discard(a.name)
        return done

    def _sweep(self, known: list[str]) -> list[str]:
        """Cancel ``known`` job ids and every queued job with a live name; wait until gone."""
        cluster.cancel(known)
        named = [s.job_id for jobs in cluster.jobs_named(sorted(self.live), all_states=False).values()
                 for s in jobs]
        cluster.cancel([j for j in named if j not in known])
        return cluster.wait_gone(sorted(set(known) | set(named)))


class SrunLauncher(_Launcher):
    """Blocking ``srun`` child processes, output appended to each task's log."""

    def __init__(self, opts: SlurmOptions, token: str, attempts: int):
        super().__init__(opts, token, attempts)
        self.seen: set[str] = set()  # job ids already blamed on an earlier attempt

    def start(self, task: TaskFile, number: int) -> Attempt:
        name = self._name(task)
        argv = srun_argv(self.opts, task, name)
        _append(task.log, f"== task {task.name}: srun attempt {number}/{self.attempts} as Slurm job '{name}'")
        offset = task.log.stat().st_size
        with open(task.log, "ab") as log:
            # A new session: Ctrl-C reaches only the driver, which then cancels the jobs
            # (srun itself would only print its status on a single SIGINT).
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=self.env, start_new_session=True)
        return Attempt(task, number, name, proc=proc, log_offset=offset)

    def poll(self, attempts: list[Attempt]) -> list[tuple[Attempt, Result]]:
        done = []
        for a in attempts:
            code = a.proc.poll() if a.proc else None
            if code is None:
                continue
            done.append((a, Result(True) if code == 0 else self._failure(a, code)))
        return self._ended(done)

    def _failure(self, a: Attempt, code: int) -> Result:
        """Why srun exited ``code``: the job's final state from Slurm, else srun's own words."""
        state = self._final_state(a)
        if _log_says_time_limit(a.task.log, a.log_offset):
            return Result(False, f"job {a.job_id or '?'} TIMEOUT: killed by its Slurm time limit",
                          a.job_id, "TIMEOUT")
        if state is None:  # no job was created: srun's own error is in the log
            return Result(False, f"srun exited with code {code} before a job ran", None, "SUBMIT_FAILED")
        if state.ok or not state.final:
            return Result(False, f"job {state.job_id} {state.state}, srun exit code {code}", state.job_id, "FAILED")
        why = state.describe()
        if state.state == "FAILED" and not state.exit_code:
            why += f" (srun exit code {code})"
        return Result(False, why, state.job_id, state.state)

    def _final_state(self, a: Attempt) -> JobState | None:
        """The state of the newest job named like this attempt that no earlier attempt had."""
        for _ in range(10):  # the job may be COMPLETING for a moment after srun returns
            jobs = [j for j in cluster.jobs_named([a.name]).get(a.name, []) if j.job_id not in self.seen]
            if not jobs:
                return None
            a.job_id = jobs[-1].job_id
            state = cluster.job_detail(a.job_id) or jobs[-1]
            if state.final:
                break
            time.sleep(0.2)
        self.seen.add(a.job_id)
        return state

    def cancel(self, attempts: list[Attempt]) -> list[str]:
        queued = [s.job_id for jobs in cluster.jobs_named(sorted(self.live), all_states=False).values()
                  for s in jobs]
        cluster.cancel(queued)
        for a in attempts:  # srun cancels its own job on SIGTERM (covers a request not yet queued)
            if a.proc and a.proc.poll() is None:
                try:
                    a.proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for a in attempts:
            if a.proc:
                try:
                    a.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    a.proc.kill()
                    a.proc.wait()
        return self._sweep(queued)


class SbatchLauncher(_Launcher):
    """``sbatch --parsable`` submissions, followed with one ``squeue`` call per poll."""

    def start(self, task: TaskFile, number: int) -> Attempt:
        name = self._name(task)
        script = task.path.with_suffix(".sbatch.sh")
        script.write_text(batch_script(self.opts, task, number, self.attempts), encoding="utf-8")
        task.log.parent.mkdir(parents=True, exist_ok=True)
        attempt = Attempt(task, number, name)
        try:
            attempt.job_id = cluster.submit(sbatch_argv(self.opts, task, name, str(script.absolute())), self.env)
        except cluster.SlurmCommandError as exc:
            _append(task.log, f"== task {task.name}: sbatch attempt {number}/{self.attempts} refused: {exc}")
        return attempt

    def poll(self, attempts: list[Attempt]) -> list[tuple[Attempt, Result]]:
        done = [(a, Result(False, "sbatch refused the job (see the log)", None, "SUBMIT_FAILED"))
                for a in attempts if a.job_id is None]
        current = cluster.states([a.job_id for a in attempts if a.job_id])
        now = time.monotonic()
        for a in attempts:
            if a.job_id is None:
                continue
            state = current.get(a.job_id)
            if state is None:  # not in squeue: ask scontrol, and give up only after a while
                state = cluster.job_detail(a.job_id)
                if state is None:
                    a.missing_since = a.missing_since or now
                    if now - a.missing_since > FORGOTTEN_AFTER:
                        done.append((a, Result(False, f"job {a.job_id} vanished: Slurm no longer knows it",
                                               a.job_id, "UNKNOWN")))
                    continue
            a.missing_since = None
            if not state.final:
                continue
            if state.ok:
                done.append((a, Result(True, job_id=a.job_id)))
                continue
            detail = cluster.job_detail(a.job_id) or state  # adds the exit code and signal
            done.append((a, Result(False, detail.describe(), a.job_id, detail.state)))
        return self._ended(done)

    def cancel(self, attempts: list[Attempt]) -> list[str]:
        return self._sweep([a.job_id for a in attempts if a.job_id])


def _log_says_time_limit(log: Path, offset: int) -> bool:
    """slurmstepd wrote ``… CANCELLED AT … DUE TO TIME LIMIT ***`` after ``offset`` in the log."""
    try:
        with open(log, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(offset, fh.tell() - 8192))
            return TIME_LIMIT_MARK in fh.read().decode("utf-8", "replace")
    except OSError:
        return False


def make_launcher(mode: str, opts: SlurmOptions, token: str, attempts: int):
    """The launcher for ``mode`` (``srun`` or ``sbatch``)."""
    return (SrunLauncher if mode == "srun" else SbatchLauncher)(opts, token, attempts)
