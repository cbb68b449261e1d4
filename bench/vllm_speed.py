"""W1 through compass's ``hf`` and ``vllm`` backends in one run: inference speed, model load apart.

W1: GSM8K, the first 100 test problems, greedy, at most 256 new tokens, on the embedded
default (SmolLM2-135M-Instruct, float32 on CPU). Both models are the same preset; the
second has ``accelerator = "vllm"`` (what ``-a vllm`` sets). One ``compass eval`` run, one
worker (the models run one after the other, never at the same time); each task's telemetry
gives its inference seconds and its model load apart. Run it in the venv that has vLLM::

    .venv-vllm/bin/python bench/vllm_speed.py [--limit 100] [--data-dir ../shared/data]

Prints a table and the speed-up of vLLM's inference over hf's, plus how many greedy
answers are equal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--max-out-len", type=int, default=256)
    ap.add_argument("--dataset", default="gsm8k")
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--kv-cache-gib", default="2", help="VLLM_CPU_KVCACHE_SPACE")
    ap.add_argument("--eager", action="store_true", help="vLLM without torch.compile (enforce_eager=True)")
    args = ap.parse_args()
    data_dir = str(Path(args.data_dir).resolve())  # the run's cwd is a temporary folder
    work = Path(tempfile.mkdtemp(prefix="vllm-speed-"))
    cfg = work / "w1.toml"
    model = f'type = "smollm2-135m-instruct"\nmax_out_len = {args.max_out_len}\n'
    eager = "model_kwargs = { enforce_eager = true }\n" if args.eager else ""
    cfg.write_text(f'[[models]]\n{model}abbr = "hf"\n\n[[models]]\n{model}abbr = "vllm"\naccelerator = "vllm"\n'
                   f'{eager}\n[[datasets]]\ntype = "{args.dataset}"\n', encoding="utf-8")
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": args.kv_cache_gib}
    cmd = [sys.executable, "-m", "compass", "eval", str(cfg), "--limit", str(args.limit), "--data-dir",
           data_dir, "--max-num-workers", "1", "-w", str(work / "out")]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        return proc.returncode
    run = sorted((work / "out").iterdir())[-1]
    rows = json.loads(next((run / "summary").glob("telemetry_*.json")).read_text())
    by_model = {}
    for r in rows:
        name = "vllm" if "vllm" in r["task"].split("/")[0] else "hf"
        by_model[name] = r
    print(f"W1: {args.dataset} first {args.limit}, greedy, max {args.max_out_len} new tokens; "
          f"one run, wall {wall:.1f} s ({' '.join(cmd[3:])})")
    print(f"{'backend':8} {'samples':>7} {'inference s':>11} {'gen tok':>8} {'gen tok/s':>9} {'model load s':>12}")
    for name in ("hf", "vllm"):
        r = by_model[name]
        rate = r["completion_tokens"] / r["seconds"] if r["seconds"] else 0.0
        print(f"{name:8} {r['samples']:>7} {r['seconds']:>11.1f} {r['completion_tokens']:>8} {rate:>9.1f} "
              f"{r.get('model_load_seconds', 0):>12.1f}")
    speedup = by_model["hf"]["seconds"] / by_model["vllm"]["seconds"]
    same = total = 0
    hf = _preds(run, "hf")
    vl = _preds(run, "vllm")
    for i in hf:
        total += 1
        same += hf[i] == vl.get(i)
    print(f"vllm inference speed-up over hf: {speedup:.2f}x; equal greedy answers: {same}/{total}")
    return 0


def _preds(run: Path, model: str) -> dict[int, str]:
    out = {}
    for path in (run / "predictions" / model).glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out[rec["index"]] = rec["prediction"]
    return out


if __name__ == "__main__":
    sys.exit(main())
