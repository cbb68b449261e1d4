"""Which cores vLLM's CPU engine computes on: the worker's thread budget, bound to its cores.

vLLM-CPU binds its OpenMP compute threads to cores (``VLLM_CPU_OMP_THREADS_BIND``, default
``auto``). ``auto`` keeps one core per rank free for its scheduler and binds the rest, and
keeps an ``OMP_NUM_THREADS`` found in the environment as torch's thread count. In a compass
worker, which the local runner gives ``OMP_NUM_THREADS`` = its share of the cores, that meant
two OpenMP threads spinning on the one bound core of a 2-core machine: W1 decoded at 8.8
tokens/s instead of 58 with vLLM's defaults, and 107 with both cores bound (bench/RESULTS.md,
"vLLM backend vs hf").

So, unless the user set ``VLLM_CPU_OMP_THREADS_BIND`` themselves:

* a worker whose budget covers every core it may run on (one worker, the usual case) binds
  them all, split evenly between tensor-parallel ranks;
* a worker with fewer threads than cores (several workers share the machine) does not bind
  (``nobind``: the workers would otherwise all bind the same first cores) and runs its budget
  of threads where the OS puts them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

BIND = "VLLM_CPU_OMP_THREADS_BIND"


def usable_cpus() -> list[int]:
    """The cores this process may run on (its affinity mask), in order."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this OS
        return list(range(os.cpu_count() or 1))


def thread_budget(threads: int | None, environ: Mapping[str, str], cpus: list[int]) -> int:
    """Threads this worker may use: ``threads`` (the model's setting), else ``OMP_NUM_THREADS``
    (the runner's share), else every usable core."""
    if threads:
        return int(threads)
    try:
        given = int(environ.get("OMP_NUM_THREADS") or 0)
    except ValueError:
        given = 0
    return given if given > 0 else len(cpus)


def engine_thread_env(threads: int | None, ranks: int, environ: Mapping[str, str],
                      cpus: list[int]) -> dict[str, str]:
    """Environment for vLLM's CPU engine processes (empty when the user chose a binding)."""
    if BIND in environ:
        return {}
    budget = thread_budget(threads, environ, cpus)
    ranks = max(1, ranks)
    if budget < len(cpus) or len(cpus) < ranks:
        return {BIND: "nobind", "OMP_NUM_THREADS": str(max(1, budget // ranks))}
    per_rank = len(cpus) // ranks
    groups = [cpus[r * per_rank:(r + 1) * per_rank] for r in range(ranks)]
    return {BIND: "|".join(",".join(str(c) for c in g) for g in groups), "OMP_NUM_THREADS": str(per_rank)}
