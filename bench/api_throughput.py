"""API throughput: completed requests/s against a loopback server with 200 ms latency.

For each concurrency (1, 8, 32, 64) the same workload — ``15 × concurrency`` short chat
requests, i.e. about 3 s of ideal time — goes through

* compass's ``openai`` backend, called as the core calls it (``generate`` on chunks of
  ``batch_size`` requests), and
* lm-eval's ``local-chat-completions`` (``num_concurrent``), if it is installed in the
  sibling venv ``$PEERS_DIR/lmeval`` (``/work/shared/tools/peer-bench/peers/install_lm_eval.sh``),

and is compared with the ideal ``concurrency / latency``. The server
(``tests/openai_server.py``) runs in its own process; each side gets one warm-up round
first (connections, lazy imports), as a long evaluation would amortize them.

    .venv/bin/python bench/api_throughput.py [--latency 0.2] [--levels 1,8,32,64] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SERVER = REPO / "tests" / "openai_server.py"
QUESTION = "Q: What is {k} + 1?\nA:"


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if not line or line[0] != "PORT":
        proc.kill()
        raise SystemExit("the loopback server did not start")
    return proc, f"http://127.0.0.1:{line[1]}/v1"


def run_compass(url: str, concurrency: int, n: int) -> dict:
    """Requests through the backend in chunks of ``batch_size``, as ``compass._infer`` sends them."""
    from compass._types import GenerateRequest, Message
    from compass_openai.backend import OpenAIModel

    model = OpenAIModel(model="test-model", api_base=url, api_key_env=None, max_concurrency=concurrency)
    reqs = [GenerateRequest((Message("HUMAN", QUESTION.format(k=k)),), max_out_len=16) for k in range(n)]
    try:
        model.generate(reqs[:concurrency])  # warm-up
        t0, cpu0 = time.perf_counter(), time.process_time()
        done = 0
        for pos in range(0, n, model.batch_size):
            out = model.generate(reqs[pos:pos + model.batch_size])
            done += sum(1 for c in out if not c.error)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        model.client._log_fn = lambda msg: None  # the closing stats line is not a figure here
        model.close()
    return {"completed": done, "seconds": seconds, "cpu_ms_per_request": 1000 * cpu / n}


def lm_eval_worker(url: str, concurrency: int, n: int) -> None:
    """Runs inside the lm-eval venv: the same requests through ``local-chat-completions``."""
    import logging

    logging.disable(logging.WARNING)
    from lm_eval.api.instance import Instance
    from lm_eval.models.api_models import JsonChatStr
    from lm_eval.models.openai_completions import LocalChatCompletion

    lm = LocalChatCompletion(base_url=f"{url}/chat/completions", model="test-model",
                             num_concurrent=concurrency, max_retries=3, tokenized_requests=False,
                             tokenizer_backend=None)

    def instances(count: int, offset: int) -> list:
        return [Instance(request_type="generate_until", doc={}, idx=k,
                         arguments=(JsonChatStr(json.dumps([{"role": "user", "content": QUESTION.format(k=k)}])),
                                    {"until": ["\n\n"], "max_gen_toks": 16}))
                for k in range(offset, offset + count)]

    lm.generate_until(instances(concurrency, 10_000), disable_tqdm=True)  # warm-up
    reqs = instances(n, 0)
    t0, cpu0 = time.perf_counter(), time.process_time()
    out = lm.generate_until(reqs, disable_tqdm=True)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"completed": sum(1 for o in out if o), "seconds": seconds,
                      "cpu_ms_per_request": 1000 * cpu / n}))


def run_lm_eval(python: Path, url: str, concurrency: int, n: int) -> dict | None:
    env = dict(os.environ, OPENAI_API_KEY="EMPTY", TQDM_DISABLE="1", HF_HUB_OFFLINE="1")
    proc = subprocess.run([str(python), __file__, "--lm-eval-worker", url, str(concurrency), str(n)],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"lm-eval run failed (c={concurrency}): {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--lm-eval-worker":
        lm_eval_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--levels", default="1,8,32,64")
    ap.add_argument("--per-slot", type=int, default=15, help="requests per unit of concurrency")
    ap.add_argument("--json", default=None, help="also write the figures here")
    ap.add_argument("--no-lm-eval", action="store_true")
    args = ap.parse_args()
    peers = Path(os.environ.get("PEERS_DIR", "/tmp/peers"))
    lm_python = peers / "lmeval" / "bin" / "python"
    use_lm_eval = not args.no_lm_eval and lm_python.exists()
    if not use_lm_eval:
        print(f"lm-eval half skipped: no {lm_python} (see install_lm_eval.sh)", file=sys.stderr)

    proc, url = start_server(args.latency)
    rows = []
    try:
        for c in (int(x) for x in args.levels.split(",")):
            n = c * args.per_slot
            ideal = c / args.latency
            ours = run_compass(url, c, n)
            row = {"concurrency": c, "requests": n, "ideal_rps": ideal,
                   "compass_rps": ours["completed"] / ours["seconds"], "compass_completed": ours["completed"],
                   "compass_cpu_ms": ours["cpu_ms_per_request"]}
            if use_lm_eval:
                theirs = run_lm_eval(lm_python, url, c, n)
                if theirs:
                    row["lm_eval_rps"] = theirs["completed"] / theirs["seconds"]
                    row["lm_eval_completed"] = theirs["completed"]
                    row["lm_eval_cpu_ms"] = theirs["cpu_ms_per_request"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    from tabulate import tabulate

    table = [[r["concurrency"], r["requests"], f"{r['ideal_rps']:.1f}",
              f"{r['compass_rps']:.1f} ({100 * r['compass_rps'] / r['ideal_rps']:.0f}%)",
              f"{r['compass_cpu_ms']:.2f}",
              (f"{r['lm_eval_rps']:.1f} ({100 * r['lm_eval_rps'] / r['ideal_rps']:.0f}%)"
               if "lm_eval_rps" in r else "-"),
              f"{r['lm_eval_cpu_ms']:.2f}" if "lm_eval_cpu_ms" in r else "-"] for r in rows]
    print(f"loopback server, {args.latency * 1000:.0f} ms per request; completed requests/s (share of ideal), "
          f"client CPU ms per request")
    print(tabulate(table, headers=["concurrency", "requests", "ideal", "compass", "cpu ms",
                                   "lm-eval local-chat-completions", "cpu ms"],
                   tablefmt="github", disable_numparse=True))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
