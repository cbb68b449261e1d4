"""compass_slurm: the ``slurm`` runner — every inference task as a job on a Slurm cluster.

Modules, one job each:

* :mod:`compass_slurm.plugin` — the cheap manifest (registers the runner by name);
* :mod:`compass_slurm.commands` — builds ``srun``/``sbatch`` command lines and batch scripts;
* :mod:`compass_slurm.states` — parses ``squeue``/``scontrol`` output and explains job states;
* :mod:`compass_slurm.cluster` — runs the Slurm client tools (query, submit, cancel);
* :mod:`compass_slurm.launchers` — starts and watches one job per task (srun or sbatch mode);
* :mod:`compass_slurm.runner` — :class:`SlurmRunner`: the bounded pool, retries, Ctrl-C.
"""
