#!/usr/bin/env python3
"""Scheduling overhead: 16 trivial tasks through ``local`` vs ``slurm`` (srun and sbatch).

Usage: ``python bench/scheduling_overhead.py [--workers 2] [--repeats 1]`` on a machine
with a Slurm cluster up (``bash .ci/slurm/start-local-slurm.sh``); the Slurm rows are
skipped, saying why, when ``sinfo`` finds none.

The tasks are the test plugin's scripted ``arith`` model on one-sample shards of the toy
datasets (10 + 4 + 2 = 16 tasks), so nearly all of a task's time is scheduling: starting
it, and noticing it ended. Prints per runner: the whole ``compass eval`` wall time
(median over repeats), wall time per task, what the runner adds per task over ``local``
(``(wall - wall_local) / 16``), and the median task latency the runner itself reports
(from handing the task out to knowing its outcome). For context it also times the bare
``srun true`` and one ``python -m compass._task`` start (the Slurm runner starts a fresh
process per task, where the local runner's workers stay alive).
Target (issue 6): the Slurm runner adds well under 1 s per task in srun mode.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASKS = 16
CONFIG = """\
[[models]]
type = "arith"

[[datasets]]
type = "toy"

[[datasets]]
type = "toy_pair"
n = 4
"""
RUNNERS = [("local", "-", []), ("slurm", "srun", ["--runner", "slurm", "--slurm-mode", "srun"]),
           ("slurm", "sbatch", ["--runner", "slurm", "--slurm-mode", "sbatch"])]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "tests"), out.get("PYTHONPATH", "")]))
    out["COMPASS_EXTRA_PLUGINS"] = "toy.toy_plugin"
    return out


def slurm_problem() -> str | None:
    if shutil.which("sinfo") is None:
        return "no sinfo on PATH (start one: bash .ci/slurm/start-local-slurm.sh)"
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    if proc.returncode != 0 or not {"idle", "mixed"} & set(proc.stdout.split()):
        return f"no idle Slurm node ({(proc.stderr or proc.stdout).strip() or 'no answer'})"
    return None


def one_run(workdir: Path, extra: list[str], workers: int) -> tuple[float, list[float]]:
    """Wall seconds of one ``compass eval`` and the per-task seconds its runner reported."""
    cfg = workdir / "bench.toml"
    cfg.write_text(CONFIG)
    cmd = [sys.executable, "-m", "compass", "eval", str(cfg), "--max-partition-size", "1",
           "--max-num-workers", str(workers), "-w", str(workdir / "outputs"), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    latencies = [float(s) for s in re.findall(r" ok \((\d+(?:\.\d+)?)s", proc.stderr)]
    if len(latencies) != TASKS:
        sys.exit(f"expected {TASKS} tasks, the runner reported {len(latencies)}:\n{proc.stderr[-3000:]}")
    return wall, latencies


def timed(cmd: list[str], repeats: int = 5) -> float:
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="--max-num-workers for every runner [2]")
    ap.add_argument("--repeats", type=int, default=1, help="runs per runner; the median is shown [1]")
    args = ap.parse_args()
    from tabulate import tabulate

    problem = slurm_problem()
    rows, local_wall = [], None
    for runner, mode, extra in RUNNERS:
        if runner == "slurm" and problem:
            print(f"skipping slurm ({mode}): {problem}", file=sys.stderr)
            continue
        walls, lat = [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="compass-bench-") as tmp:
                wall, latencies = one_run(Path(tmp), extra, args.workers)
            walls.append(wall)
            lat.extend(latencies)
        wall = statistics.median(walls)
        local_wall = wall if runner == "local" else local_wall
        added = "-" if runner == "local" or local_wall is None else f"{(wall - local_wall) / TASKS:+.3f}"
        rows.append([runner, mode, args.workers, f"{wall:.2f}", f"{wall / TASKS:.3f}", added,
                     f"{statistics.median(lat):.2f}"])
    print(f"{TASKS} trivial tasks, --max-num-workers {args.workers}, {os.cpu_count()} CPUs, "
          f"median of {args.repeats} run(s)")
    print(tabulate(rows, headers=["runner", "mode", "workers", "wall s", "wall/task s",
                                  "added/task vs local s", "median task latency s"], tablefmt="github"))
    context = [["python + plugin host start (paid by every Slurm task)",
                f"{timed([sys.executable, '-c', 'from compass._plugins import make_plugin_host; make_plugin_host()']):.3f}"]]
    if not problem:
        context.insert(0, ["srun true", f"{timed(['srun', 'true']):.3f}"])
    print()
    print(tabulate(context, headers=["for context", "median s"], tablefmt="github"))


if __name__ == "__main__":
    main()
