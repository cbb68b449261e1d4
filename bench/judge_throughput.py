"""Judging throughput: settled judgements/s against a loopback judge with 200 ms latency.

``compass_judge.judge.Judge.ask`` (what every judged evaluator calls: templates rendered,
all questions handed to the ``openai`` backend's ``generate_stream`` at once, replies parsed
as they come) judges ``15 × concurrency`` AlpacaEval-style pairs (about 3 s of ideal time)
against ``tests/openai_server.py --judge longer`` in its own process, after one warm-up
round; the rate is compared with the ideal ``concurrency / latency`` (goal: ≥ 90%).

    .venv/bin/python bench/judge_throughput.py [--latency 0.2] [--concurrency 32] [--json out.json]
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
SERVER = HERE.parent / "tests" / "openai_server.py"


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--latency", str(latency), "--judge", "longer",
                             "--model", "judge-model"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if not line or line[0] != "PORT":
        proc.kill()
        raise SystemExit("the loopback server did not start")
    return proc, f"http://127.0.0.1:{line[1]}/v1"


def judge_round(judge, template, n: int, tag: str) -> tuple[float, int]:
    questions = [((k, "ab"), template, {"question": f"{tag} question {k}?", "answer_a": "x" * (10 + k % 7),
                                         "answer_b": "y" * 12}) for k in range(n)]
    t0 = time.perf_counter()
    settled = sum(1 for _, j in judge.ask(questions) if j.verdict is not None)
    return time.perf_counter() - t0, settled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    os.environ["COMPASS_JUDGE_CACHE"] = "0"  # measure the judge, not the cache
    from compass_judge import templates
    from compass_judge.judge import Judge, JudgeSpec
    from compass_openai.backend import OpenAIModel

    proc, url = start_server(args.latency)
    try:
        model = OpenAIModel(model="judge-model", api_base=url, api_key_env=None, max_concurrency=args.concurrency)
        judge = Judge(JudgeSpec("openai"), model)
        template = templates.get("pair-three")
        n = 15 * args.concurrency
        judge_round(judge, template, args.concurrency, "warm-up")
        seconds, settled = judge_round(judge, template, n, "bench")
        model.close()
    finally:
        proc.kill()
        proc.wait()
    rate = settled / seconds
    ideal = args.concurrency / args.latency
    out = {"judgements": settled, "asked": n, "seconds": round(seconds, 3), "per_s": round(rate, 1),
           "ideal_per_s": round(ideal, 1), "share_of_ideal": round(rate / ideal, 3)}
    print(f"judged {settled}/{n} in {seconds:.2f}s: {rate:.1f}/s, ideal {ideal:.1f}/s "
          f"({100 * rate / ideal:.1f}% of ideal; goal >= 90%)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0 if settled == n else 1


if __name__ == "__main__":
    sys.exit(main())
