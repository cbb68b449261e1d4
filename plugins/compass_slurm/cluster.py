"""The Slurm client tools, called as processes: checks, queries, submission, cancellation.

Every call has a timeout and returns parsed data; a tool that fails raises
:class:`SlurmCommandError` with its message, except queries used while polling, which
return what they could read (a busy controller must not fail a run).
"""

from __future__ import annotations

import shutil
import subprocess
import time

from compass.sdk import CompassError, did_you_mean

from compass_slurm.states import (SQUEUE_FORMAT, JobState, base_state, parse_sbatch_id, parse_squeue,
                                  state_from_scontrol)

TOOLS = {"srun": ("srun", "squeue", "scancel", "sinfo"),
         "sbatch": ("sbatch", "squeue", "scontrol", "scancel", "sinfo")}
CALL_TIMEOUT = 60.0


class SlurmCommandError(RuntimeError):
    """A Slurm tool exited non-zero or timed out; the message is its own."""


def _call(argv: list[str], timeout: float = CALL_TIMEOUT, env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        raise SlurmCommandError(f"{argv[0]} did not answer within {timeout:.0f}s") from None
    except OSError as exc:
        raise SlurmCommandError(f"{argv[0]}: {exc}") from None
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
        raise SlurmCommandError(msg)
    return proc.stdout


def require_tools(mode: str) -> None:
    """Raise a one-line :class:`CompassError` naming the first Slurm tool not on PATH."""
    for tool in TOOLS[mode]:
        if shutil.which(tool) is None:
            raise CompassError(
                f"slurm runner: '{tool}' not found on PATH; run compass on a Slurm login node or "
                f"install the Slurm client tools (Debian/Ubuntu: apt-get install slurm-client), "
                f"or use --runner local")


def partitions() -> list[str]:
    """Every partition the controller knows (``sinfo -a``), default first-marked removed."""
    try:
        out = _call(["sinfo", "-h", "-a", "-o", "%R"])
    except SlurmCommandError as exc:
        raise CompassError(f"slurm runner: cannot reach the Slurm controller (sinfo: {exc}); "
                           f"check that slurmctld is up and this host is in its cluster") from None
    return sorted({line.strip() for line in out.splitlines() if line.strip()})


def check_partition(name: str | None) -> None:
    """Raise a one-line :class:`CompassError` if ``name`` is not a partition of this cluster."""
    known = partitions()  # also proves the controller answers
    if name and name not in known:
        raise CompassError(f"slurm runner: unknown partition '{name}'{did_you_mean(name, known)} "
                           f"(this cluster has: {', '.join(known) or 'none'}; see: sinfo -s)")


def submit(argv: list[str], env: dict[str, str] | None = None) -> str:
    """Run ``sbatch --parsable …`` with ``env`` (what the job will see); returns the job id."""
    return parse_sbatch_id(_call(argv, env=env))


def states(job_ids: list[str]) -> dict[str, JobState]:
    """States of these jobs, finished ones included, in one ``squeue`` call ({} on error)."""
    if not job_ids:
        return {}
    try:
        out = _call(["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", SQUEUE_FORMAT])
    except SlurmCommandError:
        return {}
    return {k: v for k, v in parse_squeue(out).items() if k in job_ids}


def jobs_named(names: list[str], all_states: bool = True) -> dict[str, list[JobState]]:
    """Jobs by name (``squeue -n``), oldest first; active ones only unless ``all_states``."""
    if not names:
        return {}
    argv = ["squeue", "-h", "-n", ",".join(names), "-o", "%i|%T|%r|%j"]
    if all_states:
        argv[2:2] = ["-t", "all"]
    try:
        out = _call(argv)
    except SlurmCommandError:
        return {}
    found: dict[str, list[JobState]] = {}
    for line in out.splitlines():
        parts = line.strip().split("|", 3)
        if len(parts) == 4 and parts[0]:
            found.setdefault(parts[3], []).append(JobState(parts[0], base_state(parts[1]), parts[2]))
    for jobs in found.values():
        jobs.sort(key=lambda s: int(s.job_id.split("_")[0]))
    return found


def job_detail(job_id: str) -> JobState | None:
    """State, exit code and signal from ``scontrol -o show job`` (None once forgotten)."""
    try:
        out = _call(["scontrol", "-o", "show", "job", job_id])
    except SlurmCommandError:
        return None
    for line in out.splitlines():
        state = state_from_scontrol(line)
        if state is not None and state.job_id == job_id:
            return state
    return None


def cancel(job_ids: list[str]) -> None:
    """``scancel`` these jobs; problems are ignored (a job may have just finished)."""
    if job_ids:
        try:
            _call(["scancel", *job_ids])
        except SlurmCommandError:
            pass


def wait_gone(job_ids: list[str], timeout: float = 30.0, interval: float = 0.2) -> list[str]:
    """Wait until none of these jobs is pending, running or completing; returns any left."""
    deadline = time.monotonic() + timeout
    left = list(job_ids)
    while left:
        current = states(left)
        left = [j for j, s in current.items() if not s.final]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(interval)
    return left
