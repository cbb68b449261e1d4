"""The ``compass eval`` flags of the ``slurm`` runner (data only)."""

from __future__ import annotations

# (flag, runner keyword argument, help, options of register())
SLURM_FLAGS: tuple[tuple[str, str, str, dict], ...] = (
    ("--partition", "partition", "Slurm partition (--runner slurm).", {}),
    ("--qos", "qos", "Slurm QOS (--runner slurm).", {}),
    ("--slurm-time", "time", "Slurm time limit per task, e.g. 2:00:00.", {}),
    ("--retry", "retry", "Retries of a failed Slurm task [default: 2].", {"type": int, "min": 0}),
    ("--slurm-mode", "mode", "Blocking srun steps or submitted sbatch jobs.", {"choices": ("srun", "sbatch")}),
)


def register_flags(register) -> None:
    """The ``register_eval_options`` implementation of the ``slurm`` plugin."""
    for flag, key, help_text, options in SLURM_FLAGS:
        register(flag, help_text, runner_kwarg=key, **options)
