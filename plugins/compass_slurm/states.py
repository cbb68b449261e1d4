"""Slurm job states: parse ``squeue``/``scontrol`` text and say what a final state means.

Only the text formats are used: ``squeue --json`` in Slurm 22.05 ignores ``-j``, and
clusters without slurmdbd have no ``sacct``, so a finished job is read from
``squeue -t all`` / ``scontrol -o show job`` while the controller still remembers it
(``MinJobAge``, 300 s by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# squeue -o format for JobState; the separator cannot occur in ids, states or reasons
SQUEUE_FORMAT = "%i|%T|%r"

ACTIVE = frozenset({
    "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "REQUEUED",
    "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "SPECIAL_EXIT",
    "RESV_DEL_HOLD", "POWER_UP_NODE",
})
FINAL = frozenset({
    "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
    "BOOT_FAIL", "DEADLINE", "REVOKED",
})

MEANING = {
    "FAILED": "the task exited non-zero",
    "TIMEOUT": "killed by its Slurm time limit",
    "CANCELLED": "cancelled (scancel, or by an administrator)",
    "NODE_FAIL": "its node failed",
    "OUT_OF_MEMORY": "killed for using more memory than it was given",
    "PREEMPTED": "preempted by a higher-priority job",
    "BOOT_FAIL": "its node failed to boot",
    "DEADLINE": "it reached its deadline",
    "REVOKED": "revoked",
}


@dataclass(frozen=True)
class JobState:
    """A job's state as Slurm reports it.

    :param job_id: the Slurm job id.
    :param state: base state name (``RUNNING``, ``FAILED``, ``TIMEOUT``…).
    :param reason: Slurm's reason field (``Resources``, ``NonZeroExitCode``, ``TimeLimit``…).
    :param exit_code: the job's exit status, when known.
    :param signal: the signal that ended it, when known (0 for none).
    """

    job_id: str
    state: str
    reason: str = ""
    exit_code: int | None = None
    signal: int = 0

    @property
    def final(self) -> bool:
        """The job will not run again (any state not known to be active counts as final)."""
        return self.state not in ACTIVE

    @property
    def ok(self) -> bool:
        return self.state == "COMPLETED" and not self.exit_code

    def describe(self) -> str:
        """One line for a failure report, e.g. ``job 12 TIMEOUT: killed by its Slurm time limit``."""
        text = f"job {self.job_id} {self.state}"
        meaning = MEANING.get(self.state)
        details = []
        if self.exit_code:
            details.append(f"exit code {self.exit_code}")
        if self.signal:
            details.append(f"signal {self.signal}")
        if meaning:
            text += f": {meaning}"
        return text + (f" ({', '.join(details)})" if details else "")


def base_state(text: str) -> str:
    """``CANCELLED by 0`` → ``CANCELLED``; ``COMPLETING+`` style flags are dropped too."""
    word = text.strip().split()[0] if text.strip() else "UNKNOWN"
    return re.split(r"[^A-Z_]", word.upper(), maxsplit=1)[0] or "UNKNOWN"


def parse_squeue(text: str) -> dict[str, JobState]:
    """Lines of ``squeue -h -o '%i|%T|%r'`` → job id → state (later lines win)."""
    out: dict[str, JobState] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 2 or not parts[0]:
            continue
        out[parts[0]] = JobState(parts[0], base_state(parts[1]), parts[2] if len(parts) > 2 else "")
    return out


def parse_scontrol_record(line: str) -> dict[str, str]:
    """One ``scontrol -o show job`` line → its ``Key=Value`` fields.

    Keys may contain ``:`` and ``/`` (``AllocNode:Sid``, ``CPUs/Task``); a value runs up
    to the next `` Key=`` so values with spaces (``Command``, ``WorkDir``) stay whole.
    """
    fields: dict[str, str] = {}
    for item in re.split(r"\s+(?=[A-Za-z][\w:/]*=)", line.strip()):
        key, sep, value = item.partition("=")
        if sep:
            fields[key] = value
    return fields


def state_from_scontrol(line: str) -> JobState | None:
    """A :class:`JobState` with exit code and signal from one ``scontrol -o show job`` line."""
    fields = parse_scontrol_record(line)
    if "JobId" not in fields or "JobState" not in fields:
        return None
    code, signal = None, 0
    match = re.fullmatch(r"(\d+):(\d+)", fields.get("ExitCode", ""))
    if match:
        code, signal = int(match.group(1)), int(match.group(2))
    return JobState(fields["JobId"], base_state(fields["JobState"]), fields.get("Reason", ""), code, signal)


def parse_sbatch_id(text: str) -> str:
    """``sbatch --parsable`` prints ``ID`` or ``ID;CLUSTER``; returns the id."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    job_id = first.split(";")[0].strip()
    if not re.fullmatch(r"\d+(_\d+)?", job_id):
        raise ValueError(f"unexpected sbatch --parsable output: {text.strip()!r}")
    return job_id
