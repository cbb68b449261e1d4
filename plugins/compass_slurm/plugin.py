"""Registers the ``slurm`` runner (cheap manifest: nothing is imported until it is used)."""

from compass.sdk import hookimpl


@hookimpl
def register_runners(register):
    register("slurm", "compass_slurm.runner:SlurmRunner",
             "One Slurm job per task (srun or sbatch), --partition/--qos/--slurm-time, retries.")


@hookimpl
def register_eval_options(register):
    from compass_slurm.flags import register_flags

    register_flags(register)
