"""End to end: eval → predictions → results → summary files (the real CLI for the runners and
what the terminal shows; the rest through ``compass.api`` in this process)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import only_run_dir

EXPECTED_ROWS = [
    # dataset, metric, mode, arith score
    ("toy-gen", "accuracy", "gen", "50.00"),
    ("toy-first", "accuracy", "gen", "50.00"),
    ("toy-second", "accuracy", "ppl", "60.00"),
    ("toy-pair-avg", "naive_average", "-", "55.00"),
    ("toy-pair-weighted", "weighted_average", "-", "53.33"),
]


@pytest.mark.parametrize("runner_args", [["--debug"], ["--max-num-workers", "2", "--max-partition-size", "3"]],
                         ids=["debug", "local-sharded"])
def test_eval_writes_predictions_results_and_summary(compass, runner_args):
    res = compass("eval", "-m", "arith", "-d", "toy", "toy_pair", *runner_args)
    assert res.code == 0, res.err
    run = only_run_dir(compass.cwd)
    # every folder of the run layout
    for sub in ("configs", "logs/infer", "logs/eval", "predictions", "results", "summary"):
        assert (run / sub).is_dir(), sub
    # predictions: every index exactly once across shards
    preds = [json.loads(line) for p in sorted((run / "predictions" / "arith").glob("toy-gen*.jsonl"))
             for line in p.read_text().splitlines()]
    assert sorted(p["index"] for p in preds) == list(range(10))
    by_index = {p["index"]: p for p in preds}
    assert by_index[3]["prediction"].strip() == "7" and by_index[3]["gold"] == "6"
    # results
    result = json.loads((run / "results" / "arith" / "toy-second.json").read_text())
    assert result["metrics"] == {"accuracy": 60.0}
    assert result["num_samples"] == 5 and result["failed"] == 0 and result["mode"] == "ppl"
    # summary: printed, and written as csv/txt/md with identical numbers
    ts = run.name
    with open(run / "summary" / f"summary_{ts}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["dataset", "version", "metric", "mode", "arith",
                       "arith_stderr", "arith_ci95_low", "arith_ci95_high"]
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == EXPECTED_ROWS
    assert all(len(r[1]) == 6 for r in rows[1:4])  # version hashes
    md = (run / "summary" / f"summary_{ts}.md").read_text()
    assert "| toy-pair-weighted" in md and "53.33" in md
    assert "toy-pair-avg" in (run / "summary" / f"summary_{ts}.txt").read_text()
    for name, _, _, score in EXPECTED_ROWS:
        line = next(ln for ln in res.out.splitlines() if ln.startswith(name + " "))
        assert line.split()[-1] == score
    # the config actually used
    configs = list((run / "configs").glob("*.json"))
    assert json.loads(configs[0].read_text())["models"] == [{"type": "arith"}]


def test_local_runner_writes_per_task_logs(compass):
    res = compass("eval", "-m", "arith", "-d", "toy", "--max-partition-size", "5")
    assert res.code == 0, res.err
    run = only_run_dir(compass.cwd)
    logs = sorted(p.name for p in (run / "logs" / "infer" / "arith").iterdir())
    assert logs == ["toy-gen_0.out", "toy-gen_1.out"]
    assert "inferred 5 samples" in (run / "logs" / "infer" / "arith" / "toy-gen_1.out").read_text()
    assert (run / "logs" / "eval" / "arith" / "toy-gen.out").read_text().count('"accuracy": 50.0') == 1
    assert "2/2 tasks" in res.err


def test_mock_model_runs_the_whole_pipeline(evaluate):
    # The mock answers from its table: right for 0+0 .. 4+4, default "A" otherwise.
    table = ", ".join(f'"What is {k} + {k}?" = "{2 * k}"' for k in range(5))
    cfg = evaluate.cwd / "mock.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n[[datasets]]\ntype = "toy"\n')
    res = evaluate(cfg)
    assert res.code == 0, res.err
    line = next(ln for ln in res.out.splitlines() if ln.startswith("toy-gen"))
    assert line.split()[-1] == "50.00"


def test_dry_run_prints_plan_and_loads_nothing(compass, tmp_path):
    crash = tmp_path / "crash"
    crash.write_text("x")  # the model would fail if it were ever called
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[models]]\ntype = "arith"\ncrash_file = "{crash}"\n[[datasets]]\ntype = "toy"\n')
    res = compass("eval", str(cfg), "--dry-run", "--max-partition-size", "4")
    assert res.code == 0, res.err
    assert "3 inference tasks, 10 samples" in res.out
    assert "arith/toy-gen_2" in res.out
    assert not (compass.cwd / "outputs").exists()


def test_limit_takes_first_n_samples(evaluate):
    res = evaluate({"models": ["arith"], "datasets": ["toy"]}, limit=3, dump_eval_details=True)
    assert res.code == 0, res.err
    result = json.loads((only_run_dir(evaluate.cwd) / "results" / "arith" / "toy-gen.json").read_text())
    assert result["num_samples"] == 3
    assert result["metrics"]["accuracy"] == pytest.approx(200 / 3)
    assert [d["correct"] for d in result["details"]] == [True, False, True]


def test_infer_then_eval_modes(evaluate):
    res = evaluate({"models": ["arith"], "datasets": ["toy"]}, mode="infer")
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    assert not list((run / "results").rglob("*.json"))
    res = evaluate({"models": ["arith"], "datasets": ["toy"]}, mode="eval", reuse="latest", runner=None)
    assert res.code == 0, res.err
    assert json.loads((run / "results" / "arith" / "toy-gen.json").read_text())["metrics"]["accuracy"] == 50.0
    res = evaluate({"models": ["arith"], "datasets": ["toy"]}, mode="viz", reuse=run.name)
    assert res.code == 0 and "50.00" in res.out


def test_failed_task_is_reported_and_others_finish(compass, tmp_path):
    crash = tmp_path / "crash"
    crash.write_text("x")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[models]]\ntype = "arith"\n\n[[models]]\ntype = "arith"\nabbr = "broken"\n'
        f'crash_file = "{crash}"\n\n[[datasets]]\ntype = "toy"\n')
    res = compass("eval", str(cfg), "--max-num-workers", "2")
    assert res.code == 1
    assert "FAILED task broken/toy-gen" in res.err
    assert "logs/infer/broken/toy-gen.out" in res.err
    assert "scripted failure: crash file present" in res.err  # the tail of the task's log
    line = next(ln for ln in res.out.splitlines() if ln.startswith("toy-gen"))
    assert line.split()[-2:] == ["50.00", "-"]  # arith finished, broken has no result
    assert "-r " in res.err


def test_streaming_backend_answers_are_written_as_they_come(evaluate):
    res = evaluate({"models": ["arith-stream"], "datasets": ["toy"]})
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    records = [json.loads(line) for line in (run / "predictions" / "arith-stream" / "toy-gen.jsonl").read_text().splitlines()]
    assert sorted(r["index"] for r in records) == list(range(10))
    assert all(r["prediction"] == str(2 * r["index"] + r["index"] % 2) for r in records)
    assert next(ln for ln in res.out.splitlines() if ln.startswith("toy-gen")).split()[-1] == "50.00"
