"""Reporters are plugins; ``RunFinished`` carries the summary; ``compass.api`` runs evaluations."""

from __future__ import annotations

import csv
import json

from conftest import compass_env, only_run_dir

PLUGINS = "toy.toy_plugin,toy.trust_plugin"


def test_a_third_party_reporter_adds_a_format_and_observers_get_the_summary(compass, tmp_path):
    finished = tmp_path / "finished.json"
    res = compass("eval", "-m", "arith", "-d", "toy_pair",
                  env=compass_env(PLUGINS, TOY_RUN_FINISHED_FILE=str(finished)))
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    table = list(csv.DictReader((run / "summary" / f"summary_{run.name}.csv").open()))
    rows = [json.loads(x) for x in (run / "summary" / f"summary_{run.name}.jsonl").read_text().splitlines()]
    assert rows and [{k: t[k] for k in r} for r, t in zip(rows, table)] == rows
    assert [r["dataset"] for r in rows] == ["toy-first", "toy-second", "toy-pair-avg", "toy-pair-weighted"]
    event = json.loads(finished.read_text())
    assert event["ok"] is True
    assert [dict(zip(event["header"], r)) for r in event["rows"]] == rows
    assert {"csv", "jsonl", "md", "txt"} <= {p.rsplit(".", 1)[1] for p in event["report_files"]}


def test_a_broken_reporter_is_one_warning_and_the_run_goes_on(compass, tmp_path):
    res = compass("eval", "-m", "arith", "-d", "toy",
                  env=compass_env(PLUGINS, TOY_BROKEN_REPORTER="1"))
    assert res.code == 0, res.err
    warning = [ln for ln in res.err.splitlines() if "reporter 'broken'" in ln]
    assert len(warning) == 1 and "RuntimeError: this format is broken" in warning[0]
    assert "Traceback" not in res.err
    run = only_run_dir(tmp_path)
    assert (run / "summary" / f"summary_{run.name}.csv").exists()
    assert "this format is broken" in (run / "logs" / "reporter-broken.log").read_text()


def test_reporters_are_listed(compass):
    res = compass("list", "reporters", env=compass_env(PLUGINS))
    assert res.code == 0, res.err
    names = [line.split()[0] for line in res.out.splitlines()[2:] if line.split()[1:2] == ["reporter"]]
    assert {"csv", "jsonl", "md", "txt"} <= set(names)


def test_api_evaluate_returns_the_run(tmp_path, monkeypatch):
    from compass import api

    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.delenv("COMPASS_EXTRA_PLUGINS", raising=False)
    import toy.toy_plugin as toy

    host = api.plugin_host([toy])
    result = api.evaluate({"models": [{"type": "arith"}], "datasets": ["toy"], "work_dir": str(tmp_path),
                           "runner": "debug", "dump_eval_details": True}, host)
    assert result.ok and result.exit_code == 0
    assert result.run_dir.parent == tmp_path
    assert result.score("arith", "toy-gen") == 50.0
    assert [r["dataset"] for r in result.results] == ["toy-gen"]
    assert result.summary.rows[0][:4] == ("toy-gen", result.results[0]["version"], "accuracy", "gen")
    again = api.evaluate({"models": [{"type": "arith"}], "datasets": ["toy"], "work_dir": str(tmp_path),
                          "runner": "debug", "reuse": "latest"}, host)
    assert again.run_dir == result.run_dir
    assert again.reuse["arith/toy-gen"].describe() == "10 reused, 0 to infer"
    planned = api.plan({"models": ["arith"], "datasets": ["toy"]}, host)
    assert [t.name for t in planned.tasks] == ["arith/toy-gen"]


def test_api_does_not_go_through_the_cli(tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom compass import api\n"
            f"r = api.evaluate({{'models': ['mock'], 'datasets': ['demo_ceval'], 'limit': 2, 'runner': 'debug', "
            f"'work_dir': {str(tmp_path)!r}}})\n"
            "assert r.ok, r.failures\n"
            "print(sorted(m for m in sys.modules if m.startswith('compass._cli')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
