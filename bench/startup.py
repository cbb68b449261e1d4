#!/usr/bin/env python3
"""Start-up cost of the CLI: ``compass --help`` / ``compass list`` beside lm-eval's.

Usage: ``python bench/startup.py [--repeats 5]``. Peers are looked for in
``$PEERS_DIR/lmeval`` (default ``/tmp/peers``; made by
``../shared/tools/peer-bench/peers/install_lm_eval.sh``) and skipped when absent.

Prints, per command: median wall seconds and peak RSS over the repeats, the ratio to
compass's figure, and which heavy modules ``compass`` imported (evidence, not timing).
Targets (issue 2): ``compass --help`` ≤ 0.25 s, ``compass list`` ≤ 0.5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("torch", "transformers", "openai", "datasets", "numpy", "aiohttp")


def measure(cmd: list[str], repeats: int) -> tuple[float, float, int]:
    """(median wall s, best wall s, peak RSS MiB) of ``cmd`` run ``repeats`` times."""
    walls, rss = [], 0
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = max(rss, after, before)
        if proc.returncode not in (0,):
            print(f"  note: {' '.join(cmd)} exited {proc.returncode}", file=sys.stderr)
    return statistics.median(walls), min(walls), rss // 1024


def imported_heavy(args: list[str]) -> list[str]:
    code = ("import sys\nfrom compass._cli.main import main\n"
            f"sys.argv=['compass', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(len(sys.modules), [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return proc.stderr.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    compass = shutil.which("compass") or str(Path(sys.executable).parent / "compass")
    peers = Path(os.environ.get("PEERS_DIR", "/tmp/peers"))
    lm_eval = peers / "lmeval" / "bin" / "lm_eval"
    rows = [("compass --help", [compass, "--help"]), ("compass list", [compass, "list"]),
            ("compass list datasets ceval", [compass, "list", "datasets", "ceval"])]
    if lm_eval.exists():
        rows += [("lm_eval --help", [str(lm_eval), "--help"]), ("lm_eval ls tasks", [str(lm_eval), "ls", "tasks"])]
    else:
        print(f"(lm-eval not found at {lm_eval}: peer rows skipped)")
    results = {}
    print(f"{'command':32} {'median s':>9} {'best s':>8} {'peak MiB':>9} {'vs compass':>11}")
    for name, cmd in rows:
        med, best, rss = measure(cmd, 1 if "ls tasks" in name else args.repeats)
        results[name] = med
        base = results["compass --help"] if "help" in name else results.get("compass list", med)
        print(f"{name:32} {med:9.3f} {best:8.3f} {rss:9d} {med / base:10.1f}x")
    for a in (["--help"], ["list"]):
        print(f"modules imported by compass {' '.join(a)}: {imported_heavy(a)}  (count, heavy ones)")


if __name__ == "__main__":
    main()
