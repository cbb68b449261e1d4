"""Third-party plugins built only on ``compass.sdk``: a backend, an evaluator and a reporter,
each its own distribution (``contrib_plugins/``), pip-installed for real into a fresh venv
layered over the development one, used together in one run, then uninstalled.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest
from test_contrib_xyj import IGNORE, compass, env_for, run, venv  # noqa: F401  (venv: a fixture)

REPO = Path(__file__).resolve().parent.parent
CONTRIB = REPO / "contrib_plugins"
PACKAGES = {"compass-model-replay": "compass_model_replay", "compass-evaluator-f1": "compass_evaluator_f1",
            "compass-reporter-jsonl": "compass_reporter_jsonl"}


def test_contrib_plugins_import_only_the_sdk():
    """What makes them third-party: no compass module but compass.sdk, no first-party plugin."""
    for folder, package in PACKAGES.items():
        for path in (CONTRIB / folder / package).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = ([node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else
                         [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                for name in names:
                    top = name.split(".")[0]
                    assert top != "compass" or name == "compass.sdk", f"{path}: {name}"
                    assert not top.startswith("compass_") or top == package, f"{path}: {name}"


@pytest.mark.venv
def test_install_and_use_in_one_run(venv, tmp_path):  # noqa: F811
    env = env_for(tmp_path)
    for folder in PACKAGES:
        build = tmp_path / "src" / folder  # build from a copy: the source tree stays clean
        shutil.copytree(CONTRIB / folder, build, ignore=IGNORE)
        res = run([str(venv), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(build)], tmp_path, env)
        assert res.returncode == 0, res.stdout + res.stderr
    try:
        plugins = compass(venv, ["plugins"], tmp_path)
        assert plugins.returncode == 0, plugins.stderr
        for dist in PACKAGES:
            assert dist in plugins.stdout
        qa = tmp_path / "qa.jsonl"
        qa.write_text("".join(json.dumps(r) + "\n" for r in [
            {"question": "Who wrote Journey to the West?", "answer": "Wu Cheng'en"},
            {"question": "What is the capital of France?", "answer": "Paris"},
            {"question": "Which river flows through Wuhan?", "answer": "the Yangtze River"},
            {"question": "How many legs has a spider?", "answer": "eight"}]))
        replay = tmp_path / "replay.jsonl"  # recorded answers: right, right, half right, missing
        replay.write_text("".join(json.dumps(r) + "\n" for r in [
            {"prompt": "Who wrote Journey to the West?", "answer": "Wu Cheng'en"},
            {"prompt": "What is the capital of France?", "answer": "paris."},
            {"prompt": "Which river flows through Wuhan?", "answer": "Yangtze"}]))
        cfg = tmp_path / "run.toml"
        cfg.write_text('[[datasets]]\ntype = "custom"\npath = "qa.jsonl"\nevaluator = "token_f1"\n'
                       'postprocessor = "first_line"\n')
        res = compass(venv, ["eval", str(cfg), "--replay-file", str(replay), "--debug"], tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        run_dir = next((tmp_path / "outputs" / "default").iterdir())
        result = json.loads((run_dir / "results" / "replay" / "qa.json").read_text())
        # F1: 1, 1, 2·(1·0.5)/(1.5) = 2/3 ("yangtze" vs "yangtze river"), 0 → 66.67; exact: 2 of 4
        assert result["metrics"]["f1"] == pytest.approx(100 * (1 + 1 + 2 / 3 + 0) / 4)
        assert result["metrics"]["exact_match"] == pytest.approx(50.0)
        rows = [json.loads(line) for line in next((run_dir / "summary").glob("summary_*.jsonl")).read_text().splitlines()]
        assert [(r["dataset"], r["metric"], r["model"]) for r in rows] == [("qa", "f1", "replay")]  # the table's row
        assert rows[0]["score"] == pytest.approx(66.67)
        # the backend's plan-time check: a missing file is one line, exit 2, before anything runs
        bad = compass(venv, ["eval", str(cfg), "--replay-file", str(tmp_path / "nope.jsonl")], tmp_path)
        assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0, bad.stderr
        assert "replay: " in bad.stderr and "is not a file" in bad.stderr
    finally:
        res = run([str(venv), "-m", "pip", "uninstall", "-y", *PACKAGES], tmp_path, env)
        assert res.returncode == 0, res.stdout + res.stderr
    gone = compass(venv, ["plugins"], tmp_path)
    assert not any(dist in gone.stdout for dist in PACKAGES)
