"""Shared fixtures: running the real ``compass`` CLI with the test plugin loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Tests never download data: a run that misses a benchmark stops with the missing-data line,
# as it does offline. tests/test_data_fetch.py turns fetching back on against its loopback hub.
os.environ.setdefault("COMPASS_OFFLINE", "1")
REPO = TESTS.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


def compass_env(extra_plugins: str = "toy.toy_plugin", **env: str) -> dict[str, str]:
    """The environment of a CLI run: the tests' plugin loaded through the real plugin manager."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), out.get("PYTHONPATH", "")]))
    out["COMPASS_EXTRA_PLUGINS"] = extra_plugins
    out.pop("COMPASS_PLUGINS", None)
    out.update(env)
    return out


def run_compass(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 120) -> Result:
    proc = subprocess.run([sys.executable, "-m", "compass", *args], cwd=cwd, env=env or compass_env(),
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def compass(tmp_path):
    """Run ``compass ARGS…`` in a temp folder with the toy plugin; returns a Result."""

    def run(*args: str, env: dict | None = None, timeout: float = 120) -> Result:
        return run_compass(list(args), tmp_path, env, timeout)

    run.cwd = tmp_path
    return run


def only_run_dir(cwd: Path) -> Path:
    runs = sorted((cwd / "outputs" / "default").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


@dataclass
class RunInProcess:
    code: int
    out: str
    err: str
    result: object = None  # compass.api.RunResult, or None when the config was refused


@pytest.fixture
def evaluate(tmp_path, monkeypatch, capfd):
    """Run a config in this process through ``compass.api`` — the debug runner, the toy plugin
    loaded — in a temp folder; returns a RunInProcess (exit code, stdout, stderr, the RunResult).

    For tests of what a run does (reuse, scores, files): seconds faster than ``compass eval`` in
    a subprocess, which is for tests of the command itself. ``model_kwargs`` go to every model,
    as a model flag (``--max-out-len``) would; ``runner=None`` keeps the config's runner.
    """
    from compass import api
    from compass.sdk import CompassError

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPASS_PLUGINS", raising=False)

    def run(config, *, work_dir: str | None = None, reuse: str | None = None, limit: int | None = None,
            model_kwargs: dict | None = None, dump_eval_details: bool = False, data_dir: str | None = None,
            mode: str | None = None,
            runner: str | None = "debug",
            plugins: str = "toy.toy_plugin", env: dict | None = None) -> RunInProcess:
        # the test plugins as the CLI gets them (and ``env``: e.g. COMPASS_PLUGINS), so that
        # worker processes (runner=None: the config's or the default runner) load them too
        for key, value in compass_env(plugins, **(env or {})).items():
            if os.environ.get(key) != value:
                monkeypatch.setenv(key, value)
        capfd.readouterr()
        host = api.plugin_host()
        result = None
        try:
            cfg = api.load_config(config, host)
            if work_dir is not None:
                cfg.work_dir = work_dir
            if reuse is not None:
                cfg.reuse = reuse
            if limit is not None:
                cfg.limit = limit
            cfg.dump_eval_details = cfg.dump_eval_details or dump_eval_details
            if data_dir is not None:
                cfg.data_dir = data_dir
            if mode is not None:
                cfg.mode = mode
            for model in cfg.models:
                model.kwargs.update(model_kwargs or {})
            if runner == "debug":
                cfg.runner = api.Component(host.default_runner(debug=True))
            elif not cfg.runner.type:
                cfg.runner = api.Component(host.default_runner(), dict(cfg.runner.kwargs))
            result = api.evaluate(cfg, host)
            code = result.exit_code
        except CompassError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = exc.exit_code
        captured = capfd.readouterr()
        return RunInProcess(code, captured.out, captured.err, result)

    run.cwd = tmp_path
    return run


#: marks that make a test slow: `pytest -m "not slow"` (the inner loop) leaves them all out
HEAVY_MARKS = ("model", "slurm", "browser", "sandbox", "venv", "vllm")


#: marks for tests in files being rewritten elsewhere (kept out of their files until then)
MARKED_HERE = {"tests/test_progress.py::test_generated_tokens_move_while_a_batch_decodes": "model"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid in MARKED_HERE:
            item.add_marker(MARKED_HERE[item.nodeid])
        if any(item.get_closest_marker(mark) for mark in HEAVY_MARKS) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slurm"):  # one xdist worker for them all: they share the one-node cluster
            item.add_marker(pytest.mark.xdist_group("slurm"))
