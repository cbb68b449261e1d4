"""Runs never report success they did not have: a worker that cannot start, Ctrl-C, a work
dir that cannot be written, ``-r`` with nothing to reuse."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import compass_env, only_run_dir


def _status(run: Path) -> dict:
    (path,) = sorted((run / "summary").glob("status_*.json"))[-1:]
    return json.loads(path.read_text())


def test_a_worker_that_cannot_start_fails_its_task(tmp_path, monkeypatch, capsys):
    """Popen raising (EAGAIN: no process left for the user) is a failed task, named in the
    summary and the status file, exit 1 — not a table of '-' and exit 0."""
    from compass import api
    from compass_runners import local

    monkeypatch.setenv("COMPASS_EXTRA_PLUGINS", "toy.toy_plugin")
    monkeypatch.chdir(tmp_path)

    def refuse(self, env, errlog):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(local.LocalRunner, "_start", refuse)
    result = api.evaluate({"models": [{"type": "arith"}], "datasets": [{"type": "toy"}],
                           "work_dir": str(tmp_path / "out")})
    err = capsys.readouterr().err
    assert result.exit_code == 1
    assert "FAILED task arith/toy-gen" in err and "the worker process could not start" in err
    assert "Resource temporarily unavailable" in err and "Traceback" not in err
    status = _status(result.run_dir)
    assert status["state"] == "failed" and list(status["failed_tasks"]) == ["arith/toy-gen"]


def test_ctrl_c_is_interrupted_everywhere_and_lists_what_did_not_finish(tmp_path):
    cfg = tmp_path / "slow.toml"
    cfg.write_text('[[models]]\ntype = "arith"\ndelay = 1.0\n[[datasets]]\ntype = "toy"\n'
                   '[[datasets]]\ntype = "toy_pair"\n')
    proc = subprocess.Popen([sys.executable, "-m", "compass", "eval", str(cfg)], cwd=tmp_path, env=compass_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "outputs" / "default").glob("*/predictions/arith/*.jsonl")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "FAILED" not in err and "worker process died" not in err, err
    assert "interrupted before" in err and "arith/toy-gen" in err
    status = _status(only_run_dir(tmp_path))
    assert status["state"] == "interrupted" and status["exit_code"] == 130
    assert "arith/toy-gen" in status["not_finished"] and status["failed_tasks"] == {}
    resumed = subprocess.run([sys.executable, "-m", "compass", "eval", str(cfg), "-r"], cwd=tmp_path,
                             env=compass_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "reusing finished predictions" in resumed.stderr
    assert _status(only_run_dir(tmp_path))["state"] == "finished"


@pytest.mark.parametrize("where", ["file", "under a file", "read-only"])
def test_a_work_dir_that_cannot_be_written_is_one_line_exit_2(compass, where):
    import os

    blocker = compass.cwd / "not-a-folder"
    blocker.write_text("x")
    work = {"file": blocker, "under a file": blocker / "sub", "read-only": compass.cwd / "ro"}[where]
    if where == "read-only":
        if os.geteuid() == 0:
            work = Path("/proc/compass-work-dir")  # a read-only place even for root
        else:
            work.mkdir()
            work.chmod(0o555)
    res = compass("eval", "-m", "arith", "-d", "toy", "-w", str(work))
    assert res.code == 2, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot create the run folder"), res.err
    assert "-w/--work-dir" in lines[0] and "Traceback" not in res.err


def test_reuse_with_nothing_to_reuse_says_so(compass):
    res = compass("eval", "-m", "arith", "-d", "toy", "-r")
    assert res.code == 0, res.err
    assert "-r: no earlier run in outputs/default to reuse: this is a new run" in res.err
    again = compass("eval", "-m", "arith", "-d", "toy", "-r")
    assert "no earlier run" not in again.err and "reusing finished predictions" in again.err
