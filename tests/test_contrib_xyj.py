"""The third-party dataset package, pip-installed for real into a fresh virtual environment.

The venv is created with ``python -m venv`` and layered over the development venv (a
``.pth`` that adds its site-packages), so compass and its dependencies are there without
a network; ``compass-dataset-ceval-xyj`` is then installed into the new venv only, with
pip, used through the ``compass`` CLI, and uninstalled. The development venv is never
modified.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTRIB = REPO / "contrib_datasets" / "compass-dataset-ceval-xyj"
IGNORE = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")


def run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv that sees the development venv's packages (compass included)."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).stdout.strip()
    dev_site = sysconfig.get_paths()["purelib"]
    Path(site, "_compass_dev.pth").write_text(f"import site; site.addsitedir({dev_site!r})\n")
    return python


def env_for(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPASS_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INDEX"] = "1"  # everything is local; never reach for a registry
    env["HOME"] = str(tmp)
    return env


def compass(python: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return run([str(python), "-m", "compass", *args], cwd, env_for(cwd))


@pytest.mark.venv
def test_install_list_eval_uninstall(venv, tmp_path):
    env = env_for(tmp_path)
    before = compass(venv, ["list", "datasets", "xyj"], tmp_path)
    assert before.returncode == 0 and "ceval-xyj" not in before.stdout

    build = tmp_path / "src"  # build from a copy: the source tree stays clean
    shutil.copytree(CONTRIB, build, ignore=IGNORE)
    res = run([str(venv), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(build)], tmp_path, env)
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        listed = compass(venv, ["list", "datasets", "xyj"], tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert "ceval-xyj" in listed.stdout and "ceval_xyj" in listed.stdout  # name and plugin

        plugins = compass(venv, ["plugins"], tmp_path)
        assert "compass-dataset-ceval-xyj" in plugins.stdout

        ev = compass(venv, ["eval", "-m", "mock", "-d", "ceval-xyj", "--debug"], tmp_path)
        assert ev.returncode == 0, ev.stderr
        run_dir = next((tmp_path / "outputs" / "default").iterdir())
        result = json.loads((run_dir / "results" / "mock" / "ceval-xyj.json").read_text())
        assert result["num_samples"] == 20 and result["mode"] == "gen"
        assert result["metrics"]["accuracy"] == pytest.approx(25.0)  # mock answers "A": 5 of 20
        preds = (run_dir / "predictions" / "mock" / "ceval-xyj.jsonl").read_text(encoding="utf-8")
        assert "以下是中国关于《西游记》考试的单项选择题" in preds

        status = compass(venv, ["data", "--filter", "xyj"], tmp_path)
        assert status.returncode == 0 and "present" in status.stdout and " 20 " in status.stdout

        # the package's own tests pass against the installed package
        own = run([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CONTRIB / "tests")], tmp_path, env)
        assert own.returncode == 0, own.stdout + own.stderr
    finally:
        res = run([str(venv), "-m", "pip", "uninstall", "-y", "compass-dataset-ceval-xyj"], tmp_path, env)
        assert res.returncode == 0, res.stdout + res.stderr
    gone = compass(venv, ["list", "datasets", "xyj"], tmp_path)
    assert "ceval-xyj" not in gone.stdout
    assert "ceval-xyj" not in compass(venv, ["list", "datasets"], tmp_path).stdout


@pytest.mark.slow  # builds a wheel
def test_compass_wheel_ships_the_demo_data(tmp_path):
    """A regular (non-editable) install carries the demo sets and the C-Eval subject mapping."""
    src = tmp_path / "src"  # build from a copy: the repository gets no build/ folder
    for part in ("core", "plugins"):
        shutil.copytree(REPO / part, src / part, ignore=IGNORE)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, src / part)
    res = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
               "-w", str(tmp_path), str(src)], tmp_path, env_for(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    wheel = next(tmp_path.glob("compass_eval-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in ("compass_datasets/data/ceval/subject_mapping.json",
                "compass_datasets/data/demo/ceval/formal_ceval/val/computer_network_val.csv",
                "compass_datasets/data/demo/gsm8k/test.jsonl", "compass_datasets/data/demo/gsm8k/train.jsonl",
                "compass_datasets/data/demo/math/math500/test.jsonl", "compass_datasets/data/demo/math/SOURCE.md"):
        assert rel in names, rel
    # the OpenCompass-style config modules `with read_base(): from .datasets... import ...` finds
    shipped = REPO / "plugins" / "compass_opencompass" / "configs"
    configs = sorted(str(p.relative_to(REPO / "plugins")) for p in shipped.rglob("*") if p.suffix in (".py", ".md"))
    assert len(configs) >= 15 and "compass_opencompass/configs/datasets/siqa/siqa_ppl.py" in configs
    assert sorted(n for n in names if n.startswith("compass_opencompass/configs/")) == configs


ARC_MINI = REPO / "contrib_datasets" / "compass-dataset-arc-mini"


@pytest.mark.venv
def test_benchmarks_shipped_as_data_files(venv, tmp_path):
    """Two packages whose benchmark is a TOML declaration registered with ``from_file`` — the
    contrib arc-mini and what ``compass new-dataset NAME --declarative`` writes — installed
    with one pip call, found through the entry point, evaluated, checked by their own tests."""
    env = env_for(tmp_path)
    made = compass(venv, ["new-dataset", "my-quiz", "--declarative", "--dir", str(tmp_path)], tmp_path)
    assert made.returncode == 0, made.stderr
    quiz = tmp_path / "compass-dataset-my-quiz"
    assert not (quiz / "compass_dataset_my_quiz" / "benchmark.py").exists()  # no code builds it
    assert (quiz / "compass_dataset_my_quiz" / "my-quiz.toml").is_file()
    arc = tmp_path / "arc-src"  # build from a copy: the source tree stays clean
    shutil.copytree(ARC_MINI, arc, ignore=IGNORE)
    res = run([str(venv), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(arc), str(quiz)],
              tmp_path, env)
    assert res.returncode == 0, res.stdout + res.stderr
    dists = ["compass-dataset-arc-mini", "compass-dataset-my-quiz"]
    try:
        listed = compass(venv, ["list", "datasets", "mini"], tmp_path).stdout + \
            compass(venv, ["list", "datasets", "my-quiz"], tmp_path).stdout
        assert "arc-mini" in listed and "arc_mini" in listed and "my-quiz" in listed  # names and plugins

        ev = compass(venv, ["eval", "-m", "mock", "-d", "arc-mini", "my-quiz", "--debug"], tmp_path)
        assert ev.returncode == 0, ev.stderr
        scores = {ln.split()[0]: ln.split()[-1] for ln in ev.stdout.splitlines()
                  if ln.split() and ln.split()[0] in ("arc-e-mini", "arc-c-mini", "arc-mini", "my-quiz")}
        # mock answers "A": 3 of ARC-Easy's 10, 1 of ARC-Challenge's 10, 1 of the quiz's 2
        assert scores == {"arc-e-mini": "30.00", "arc-c-mini": "10.00", "arc-mini": "20.00", "my-quiz": "50.00"}
        run_dir = next((tmp_path / "outputs" / "default").iterdir())
        preds = (run_dir / "predictions" / "mock" / "arc-c-mini.jsonl").read_text(encoding="utf-8")
        assert "An astronomer observes that a planet rotates faster" in preds  # a shipped row, read via pkg://

        status = compass(venv, ["data", "--filter", "mini"], tmp_path)
        assert status.returncode == 0 and "present" in status.stdout and " 20 " in status.stdout, status.stdout

        for pkg in (ARC_MINI, quiz):  # each package's own tests pass against the installed package
            own = run([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")], tmp_path, env)
            assert own.returncode == 0, own.stdout + own.stderr
    finally:
        res = run([str(venv), "-m", "pip", "uninstall", "-y", *dists], tmp_path, env)
        assert res.returncode == 0, res.stdout + res.stderr
    gone = compass(venv, ["list", "datasets"], tmp_path).stdout
    assert "arc-mini" not in gone and "my-quiz" not in gone
