"""The evaluation stage: context, model-calling evaluators run as tasks, resume, contracts.

What a run computes goes through ``compass.api`` in this process (the ``evaluate`` fixture);
runs that must be killed, or whose tasks must run in workers, start the real command."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import compass_env, only_run_dir

PLUGINS = "toy.toy_plugin,toy.trust_plugin"


def _env(**extra) -> dict:
    return compass_env(PLUGINS, **extra)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def _judged_config(tmp_path: Path, delay: float = 0.0, n: int = 6) -> Path:
    cfg = tmp_path / "judged.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n\n[[datasets]]\ntype = "toy_judged"\n'
                   f'calls_file = "{tmp_path / "calls.jsonl"}"\ndelay = {delay}\nn = {n}\n')
    return cfg


def test_model_judge_runs_as_a_task_through_the_runner(compass, tmp_path):
    res = compass("eval", str(_judged_config(tmp_path)), "--dump-eval-details", env=_env())
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    result = json.loads((run / "results" / "arith" / "toy-judged.json").read_text())
    # arith is right on even questions: 0, 2, 4 of 6
    assert result["metrics"] == {"judged_accuracy": 50.0}
    assert [d["correct"] for d in result["details"]] == [True, False, True, False, True, False]
    records = _lines(run / "evaluations" / "arith" / "toy-judged.jsonl")
    assert sorted(r["index"] for r in records) == list(range(6))
    assert all(r["judge_reply"] in ("yes", "no") and r["prompt_seen"] for r in records)
    # it ran in a runner's worker process (a task file of its own), not in the launcher
    assert (run / "tasks" / "eval__arith__toy-judged.json").exists()
    assert {r["pid"] for r in records} != {os.getpid()}
    assert "judged_accuracy" in res.out


def test_killed_evaluation_resumes_without_redoing_finished_samples(tmp_path):
    cfg = _judged_config(tmp_path, delay=0.5, n=10)
    env = _env()
    proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    evals = None
    deadline = time.time() + 90
    while time.time() < deadline:
        runs = list((tmp_path / "outputs" / "default").glob("*")) if (tmp_path / "outputs").exists() else []
        if runs:
            evals = runs[0] / "evaluations" / "arith" / "toy-judged.jsonl"
            if len(_lines(evals)) >= 1:
                break
        time.sleep(0.05)
    # the launcher and the worker judging (workers run in sessions of their own), mid-judging
    log = evals.parents[2] / "logs" / "eval" / "arith" / "toy-judged.out"
    worker = int(re.search(r"\(pid (\d+)\)", log.read_text()).group(1))
    os.killpg(proc.pid, signal.SIGKILL)
    os.kill(worker, signal.SIGKILL)
    proc.communicate(timeout=30)
    finished = {r["index"] for r in _lines(evals)}
    assert 1 <= len(finished) < 10, finished
    calls_before = len(_lines(tmp_path / "calls.jsonl"))

    res = subprocess.run([sys.executable, "-m", "compass", "eval", str(cfg), "-r"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    calls = _lines(tmp_path / "calls.jsonl")[calls_before:]
    asked_again = {c["index"] for c in calls}
    assert asked_again == set(range(10)) - finished, "finished judgements were redone"
    result = json.loads((evals.parents[2] / "results" / "arith" / "toy-judged.json").read_text())
    assert result["metrics"]["judged_accuracy"] == 50.0
    assert result["evaluation"] == {"evaluated": 10 - len(finished), "reused": len(finished)}


def test_documented_details_method_is_called(evaluate, tmp_path):
    res = evaluate({"models": ["arith"], "datasets": ["toy_details"]}, dump_eval_details=True, plugins=PLUGINS)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    result = json.loads((run / "results" / "arith" / "toy-details.json").read_text())
    assert [d["correct"] for d in result["details"]] == [k % 2 == 0 for k in range(10)]
    verdicts = _lines(run / "results" / "arith" / "toy-details.samples.jsonl")
    assert [(v["index"], v["correct"], v["gold"]) for v in verdicts] == [(k, k % 2 == 0, str(2 * k)) for k in range(10)]


def test_backend_returning_too_few_answers_is_an_error_not_a_shift(evaluate, tmp_path):
    res = evaluate({"models": ["arith-short"], "datasets": ["toy"]}, plugins=PLUGINS)
    assert res.code == 1
    assert "model backend 'arith-short' returned 1 answers for 2 requests" in res.err
    run = only_run_dir(tmp_path)
    pred = run / "predictions" / "arith-short" / "toy-gen.jsonl"
    assert not _lines(pred), "no answer may be written against the wrong sample"


def test_mixed_base_and_chat_models_get_rows_for_what_each_ran(evaluate, tmp_path):
    data = Path(__file__).parent / "data" / "datasets"
    cfg = tmp_path / "mixed.toml"
    cfg.write_text(f'data_dir = "{data}"\n'
                   '[[models]]\ntype = "mock"\nabbr = "base"\nchat = false\n'
                   '[[models]]\ntype = "mock"\nabbr = "chat"\nchat = true\n'
                   '[[datasets]]\ntype = "ceval"\nsubjects = ["computer_network"]\n')
    res = evaluate(cfg, limit=4)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    rows = list(csv.DictReader((run / "summary" / f"summary_{run.name}.csv").open()))
    subject = [r for r in rows if r["dataset"] == "ceval-computer_network"]
    assert len(subject) == 2, rows
    by_mode = {r["mode"]: r for r in subject}
    assert set(by_mode) == {"ppl", "gen"}
    assert by_mode["ppl"]["base"] != "-" and by_mode["ppl"]["chat"] == "-"
    assert by_mode["gen"]["chat"] != "-" and by_mode["gen"]["base"] == "-"
    assert by_mode["ppl"]["version"] != by_mode["gen"]["version"]
    for model in ("base", "chat"):
        result = json.loads((run / "results" / model / "ceval-computer_network.json").read_text())
        assert by_mode[result["mode"]]["version"] == result["version"]
    # the C-Eval average still has one value per model
    average = next(r for r in rows if r["dataset"] == "ceval")
    assert average["base"] != "-" and average["chat"] != "-"


def test_details_of_samples_never_answered_are_written(compass, tmp_path):
    """--dump-eval-details after -r with a wider --limit: the samples with no prediction carry their
    prompt as messages (it used to stop the evaluation: a Message is not JSON)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[models]]\ntype = "arith"\n\n[[datasets]]\ntype = "toy"\n')
    assert compass("eval", str(cfg), "--limit", "2").code == 0
    res = compass("eval", str(cfg), "--limit", "4", "-r", "latest", "--mode", "eval", "--dump-eval-details")
    assert res.code == 0, res.err
    result = json.loads((only_run_dir(tmp_path) / "results" / "arith" / "toy-gen.json").read_text())
    assert result["missing"] == 2 and len(result["details"]) == 4
    never = [d for d in result["details"] if d["prediction"] is None]
    assert len(never) == 2 and all(isinstance(d["prompt"], list) and d["prompt"][0]["content"] for d in never)
