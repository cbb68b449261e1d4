"""Registers the ``slurm`` runner (cheap manifest: nothing is imported until it is used)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_runners(register):
    register("slurm", "compass_slurm.runner:SlurmRunner",
             "One Slurm job per task (srun or sbatch), --partition/--qos/--slurm-time, retries.")
