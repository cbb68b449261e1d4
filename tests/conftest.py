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
