"""A worker SIGKILLed during inference loses nothing finished; ``-r`` completes the run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

from conftest import compass_env, only_run_dir, run_compass


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sigkill_worker_then_reuse_recomputes_nothing(tmp_path):
    cfg = tmp_path / "slow.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 0.4\nbatch_size = 2\n\n'
                   '[[datasets]]\ntype = "toy"\n')
    env = compass_env()
    proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pred = log = None
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = list((tmp_path / "outputs" / "default").glob("*")) if (tmp_path / "outputs").exists() else []
        if runs:
            pred = runs[0] / "predictions" / "arith" / "toy-gen.jsonl"
            log = runs[0] / "logs" / "infer" / "arith" / "toy-gen.out"
            if pred.exists() and len(_records(pred)) >= 4:
                break
        time.sleep(0.05)
    assert pred is not None and pred.exists(), "inference never started"
    worker_pid = int(re.search(r"\(pid (\d+)\)", log.read_text()).group(1))
    os.kill(worker_pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "worker process died" in err and "FAILED task arith/toy-gen" in err
    before = {r["index"]: r for r in _records(pred)}
    assert 4 <= len(before) < 10, "the kill must land mid-run"

    res = run_compass(["eval", str(cfg), "-r"], tmp_path, env)
    assert res.code == 0, res.err
    after = _records(pred)
    indices = [r["index"] for r in after]
    assert sorted(indices) == list(range(10)), "each sample exactly once: nothing finished was recomputed"
    for r in after[: len(before)]:
        assert before[r["index"]] == r
    resumed = [ln for ln in res.out.splitlines() if ln.startswith("toy-gen")]

    # an uninterrupted run ends with the same summary
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    res2 = run_compass(["eval", "-m", "arith", "-d", "toy"], fresh, env)
    assert res2.code == 0, res2.err
    assert [ln for ln in res2.out.splitlines() if ln.startswith("toy-gen")] == resumed
    assert resumed[0].split()[-1] == "50.00"
    assert only_run_dir(tmp_path).name in res.err


def test_reuse_with_everything_done_infers_nothing(compass):
    assert compass("eval", "-m", "arith", "-d", "toy", "--debug").code == 0
    res = compass("eval", "-m", "arith", "-d", "toy", "--debug", "-r", "latest")
    assert res.code == 0, res.err
    assert "inferred" not in res.err  # no task was started
    assert "50.00" in res.out
