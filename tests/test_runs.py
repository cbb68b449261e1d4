"""``compass runs``: the runs of a work dir, newest first, with status and headline scores."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from conftest import compass_env


def test_runs_lists_finished_and_failed_runs_newest_first(compass, evaluate, tmp_path):
    # the runs are made in this process (compass.api); `compass runs` is what is tested
    assert evaluate({"models": ["arith"], "datasets": ["toy", "toy_pair"]}, runner=None).code == 0
    time.sleep(1.1)  # run folders are named by the second
    attempts = tmp_path / "attempts"
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'[[models]]\ntype = "unbuildable"\nattempts_file = "{attempts}"\n'
                   f'[[datasets]]\ntype = "toy"\n')
    assert evaluate(cfg, runner=None).code == 1
    res = compass("runs", env=compass_env(COLUMNS="200"))  # wide enough for every column
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].split() == ["run", "started", "took", "samples", "status", "models", "datasets", "scores"]
    body = lines[2:]
    assert len(body) == 2
    failed, finished = body
    assert "unbuildable" in failed and "failed (1 task(s) failed, 10 sample(s) incomplete)" in failed
    assert "arith" in finished and "toy, toy_pair" in finished and " finished " in finished
    assert "toy-gen 50.00" in finished and "toy-pair-avg" in finished  # the benchmarks' overall rows
    assert "  25  " in finished  # samples: toy's 10 + toy_pair's 10 + 5

    narrow = compass("runs", env=compass_env(COLUMNS="130")).out.splitlines()
    assert max(map(len, narrow)) <= 130 and " finished " in narrow[3] and "failed (" in narrow[2]
    assert narrow[3].rstrip().endswith("…")  # the scores give way, not the status

    data = json.loads(compass("runs", "outputs/default", "--json").out)
    assert [r["state"] for r in data] == ["failed", "finished"]
    assert list(data[0]["failed_tasks"]) == ["unbuildable/toy-gen"]
    assert data[0]["incomplete_samples"] == 10 and data[1]["incomplete_samples"] == 0
    assert data[1]["samples_done"] == data[1]["samples_planned"] == 25 and data[1]["seconds"] > 0
    assert data[0]["failed_tasks"]["unbuildable/toy-gen"].endswith("logs/infer/unbuildable/toy-gen.out")
    assert set(data[1]["headline"]["arith"]) == {"toy-gen", "toy-pair-avg"}
    assert data[1]["headline"]["arith"]["toy-gen"] == "50.00"


def test_runs_says_interrupted_for_a_killed_run(compass, tmp_path):
    cfg = tmp_path / "slow.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 1.0\n[[datasets]]\ntype = "toy"\n')  # 5 batches, 5 s
    proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg), "--debug"],
                            cwd=tmp_path, env=compass_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list((tmp_path / "outputs" / "default").glob("*/predictions/arith/*.jsonl")):
        time.sleep(0.05)
    running = json.loads(compass("runs", "--json").out)
    proc.kill()  # kill -9: nothing is written at the end
    proc.wait()
    assert [r["state"] for r in running] == ["running"]
    (run,) = json.loads(compass("runs", "--json").out)
    assert run["state"] == "interrupted" and run["models"] == ["arith"] and run["datasets"] == ["toy"]
    # honest counts: it stopped part-way, so some samples are incomplete
    assert run["samples_planned"] == 10 and run["samples_done"] < 10
    assert run["incomplete_samples"] == 10 - run["samples_done"]
    assert f" interrupted (at {run['samples_done']}/10) " in compass("runs").out


def test_runs_bad_work_dir_is_one_line(compass):
    res = compass("runs", "nowhere")
    assert res.code == 2 and res.err.startswith("error: no work dir nowhere") and "Traceback" not in res.err
    (compass.cwd / "empty").mkdir()
    assert compass("runs", "empty").out.strip() == "no runs in empty"
