"""A folder named like compass's package in the working directory must not shadow it.

Every process compass starts (local workers, Slurm jobs) runs with the working directory
kept off its import path (``python -P``), while relative paths in configs still resolve
against it. Run through the real console script, as a user types it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import compass_env, only_run_dir

from compass.sdk import task_command

COMPASS = Path(sys.executable).with_name("compass")


def shadowed_cwd(tmp_path: Path) -> Path:
    """A working directory holding ``compass/`` (a namespace package if it were importable)
    and a config that names its files relative to the working directory."""
    (tmp_path / "compass").mkdir()
    (tmp_path / "compass" / "notes.toml").write_text("x = 1\n")
    (tmp_path / "qa.jsonl").write_text('{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\n')
    (tmp_path / "compass" / "run.toml").write_text(
        '[[models]]\ntype = "mock"\n\n[[datasets]]\ntype = "custom"\npath = "qa.jsonl"\n\n'
        '[[datasets]]\ntype = "demo_gsm8k"\n')
    return tmp_path


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPASS), *args], cwd=cwd, env=compass_env(), capture_output=True, text=True,
                          timeout=300)


def test_the_task_command_keeps_the_working_directory_off_the_path(tmp_path):
    cwd = shadowed_cwd(tmp_path)
    probe = task_command()[:-1] + ["-c", "import compass, sys; print(compass.__file__)"]
    probe = [a for a in probe if a not in ("-m",)]  # the same interpreter flags, a probe instead of the module
    out = subprocess.run(probe, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    assert out.endswith("__init__.py") and not out.startswith(str(cwd)), out
    plain = subprocess.run([sys.executable, "-c", "import compass; print(compass.__file__)"], cwd=cwd,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert plain == "None"  # what the workers imported before: the folder, as a namespace package


def test_local_workers_run_beside_a_compass_folder(tmp_path):
    cwd = shadowed_cwd(tmp_path)
    res = run(cwd, "eval", "compass/run.toml", "--limit", "2", "--max-num-workers", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ImportError" not in res.stderr and "failed" not in res.stdout
    run_dir = only_run_dir(cwd)  # outputs/default, relative to the working directory
    assert (run_dir / "results" / "mock" / "qa.json").is_file()
    assert (run_dir / "results" / "mock" / "demo_gsm8k.json").is_file()
