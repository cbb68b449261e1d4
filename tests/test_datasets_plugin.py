"""The datasets plugin as users meet it: registrations, variants, and the CLI commands
``compass data``, ``compass data fetch``, ``compass new-dataset`` and ``compass eval`` on the
shipped demo sets and a custom file."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from compass._dataset import Benchmark
from compass._plugins import make_plugin_host

from conftest import compass_env, only_run_dir, run_compass

DATA = Path(__file__).parent / "data" / "datasets"


@pytest.fixture(scope="module")
def registry():
    return make_plugin_host().registry


def ours(registry):
    return [r for r in registry.all("datasets") if r.plugin == "datasets"]


# AGIEval for base models, as OpenCompass's agieval_mixed: one-letter questions ranked by
# likelihood, letter sets and formulas generated
MIXED_FOR_BASE = ("agieval",)


def test_every_dataset_builds_without_data_for_chat_and_base(registry):
    regs = ours(registry)
    assert len(regs) >= 40
    for reg in regs:
        assert reg.description and "\n" not in reg.description
        factory = reg.load()
        if reg.name in ("custom", "declarative"):  # built from options only
            continue
        takes_chat = "chat" in inspect.signature(factory).parameters
        for chat in (True, False):
            bench = factory(chat=chat) if takes_chat else factory()
            assert isinstance(bench, Benchmark) and bench.subsets, reg.name
            modes = {s.mode for s in bench.subsets}
            if reg.name.endswith(("_gen", "_ppl", "_clp")):
                assert modes == {reg.name.rsplit("_", 1)[1]}, reg.name
            elif reg.name.startswith(("gsm8k", "math", "demo_gsm8k", "demo_math")) or not takes_chat:
                assert modes == {"gen"}, reg.name  # generative only (GSM8K, BBH, IFEval, AIME, ...)
            elif reg.name in MIXED_FOR_BASE:  # letters by likelihood, the rest generated
                assert modes == ({"gen"} if chat else {"gen", "ppl"}), reg.name
            else:  # a bare name with a ppl variant: gen for chat models, ppl for base models
                assert takes_chat, reg.name
                assert modes == {"gen" if chat else "ppl"}, reg.name


def test_group_members_are_subsets(registry):
    for reg in ours(registry):
        if reg.name in ("custom", "declarative"):
            continue
        bench = reg.load()()
        names = {s.name for s in bench.subsets}
        for group in bench.groups:
            assert set(group.members) <= names, (reg.name, group.name)


def test_plugin_modules_import_nothing_heavy():
    code = ("import sys, compass_datasets.plugin, compass_metrics.plugin; "
            "heavy = [m for m in ('torch', 'transformers', 'sympy', 'compass_datasets.ceval', "
            "'compass_datasets.data_cmd', 'compass_metrics.math_equiv') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_compass_data_table(tmp_path):
    res = run_compass(["data", "--data-dir", str(DATA)], tmp_path)
    assert res.code == 0, res.err
    lines = {line.split()[0]: line.split() for line in res.out.splitlines() if line and not line.startswith("-")}
    assert lines["ceval"][1:4] == ["partial", "19", "1/52"]
    assert lines["gsm8k"][1:4] == ["present", "5", "1"] and lines["gsm8k"][4] == "gsm8k/test.jsonl"
    assert lines["arc_e_compass_ppl"][1:3] == ["present", "6"]
    assert lines["demo_ceval"][1:4] == ["present", "70", "4/4"]
    assert lines["math"][1] == "missing" and "math/math.json" in " ".join(lines["math"])
    assert lines["math"][-2:] == ["fetchable:", "hf:EleutherAI/hendrycks_math"]  # where it can come from
    assert lines["gsm8k"][-1] == "local" and lines["demo_ceval"][-4:] == ["shipped", "with", "its", "plugin"]
    assert lines["custom"][1:3] == ["needs", "options"] and "needs path=FILE" in res.out
    assert f"data dir: {DATA.resolve()} (--data-dir)" in res.out


def test_compass_data_filter_and_env(tmp_path):
    env = compass_env(COMPASS_DATA_DIR=str(DATA))
    res = run_compass(["data", "--filter", "boolq"], tmp_path, env)
    assert res.code == 0, res.err
    assert "(COMPASS_DATA_DIR)" in res.out
    assert [ln.split()[0] for ln in res.out.splitlines()[3:]] == ["boolq", "boolq_gen", "boolq_ppl"]


def test_fetch_unknown_and_unsupported_names(tmp_path):
    res = run_compass(["data", "fetch", "cevl"], tmp_path)
    assert res.code == 2 and "did you mean 'ceval'" in res.err
    res = run_compass(["data", "fetch", "gaokao"], tmp_path)
    assert res.code == 2 and "compass data import OpenCompassData-core" in res.err


def test_new_dataset_scaffold(tmp_path):
    res = run_compass(["new-dataset", "my-quiz", "--dir", str(tmp_path)], tmp_path)
    assert res.code == 0, res.err
    root = tmp_path / "compass-dataset-my-quiz"
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "compass-dataset-my-quiz"' in pyproject
    assert '[project.entry-points.compass]\nmy_quiz = "compass_dataset_my_quiz.plugin"' in pyproject
    for rel in ("compass_dataset_my_quiz/plugin.py", "compass_dataset_my_quiz/benchmark.py",
                "compass_dataset_my_quiz/data/test.csv", "tests/test_my_quiz.py", "README.md"):
        assert (root / rel).is_file(), rel
    # the generated code works
    sys.path.insert(0, str(root))
    try:
        from compass_dataset_my_quiz.benchmark import build

        sub = build(chat=False).subsets[0]
        assert len(sub.load(None).test) == 2 and sub.mode == "ppl"
        assert build(chat=True).subsets[0].mode == "gen"
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m.startswith("compass_dataset_my_quiz")]:
            del sys.modules[mod]
    again = run_compass(["new-dataset", "my-quiz", "--dir", str(tmp_path)], tmp_path)
    assert again.code == 2 and "already exists" in again.err
    bad = run_compass(["new-dataset", "My Quiz", "--dir", str(tmp_path)], tmp_path)
    assert bad.code == 2 and "lower-case" in bad.err


def test_eval_demo_sets_with_no_data_dir(tmp_path):
    res = run_compass(["eval", "-m", "mock", "-d", "demo_ceval", "demo_gsm8k", "demo_math", "--debug"], tmp_path)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    summary = next((run / "summary").glob("*.csv")).read_text().splitlines()
    names = [ln.split(",")[0] for ln in summary[1:]]
    assert names == ["demo_ceval-computer_network", "demo_ceval-middle_school_geography",
                     "demo_ceval-high_school_history", "demo_ceval-basic_medicine", "demo_ceval-stem",
                     "demo_ceval-social-science", "demo_ceval-humanities", "demo_ceval-other", "demo_ceval",
                     "demo_gsm8k", "demo_math"]


def test_eval_custom_without_path_is_one_line(tmp_path):
    res = run_compass(["eval", "-m", "mock", "-d", "custom"], tmp_path)
    assert res.code == 2 and "Traceback" not in res.err
    assert "error: custom dataset: needs path=FILE" in res.err


def test_eval_custom_dataset_flags(tmp_path):
    quiz = tmp_path / "quiz.csv"
    quiz.write_text("question,A,B,C,D,answer\nSky colour?,red,blue,green,pink,B\n1+1?,2,3,4,5,A\n")
    res = run_compass(["eval", "-m", "mock", "--custom-dataset-path", str(quiz),
                       "--custom-dataset-infer-method", "ppl", "--debug"], tmp_path)
    assert res.code == 0, res.err
    run = only_run_dir(tmp_path)
    row = [ln for ln in next((run / "summary").glob("*.csv")).read_text().splitlines() if ln.startswith("quiz,")]
    assert row and row[0].split(",")[3] == "ppl"


def test_compass_data_survives_a_broken_dataset(tmp_path):
    (tmp_path / "brokends.py").write_text(
        "from compass.hookspecs import hookimpl\n\n"
        "def explode():\n    raise RuntimeError('boom')\n\n"
        "@hookimpl\ndef register_datasets(register):\n"
        "    register('broken-ds', explode, 'Always fails (tests).')\n")
    env = compass_env(extra_plugins="toy.toy_plugin,brokends")
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    res = run_compass(["data", "--data-dir", str(DATA)], tmp_path, env)
    assert res.code == 0, res.err
    broken = next(ln for ln in res.out.splitlines() if ln.startswith("broken-ds"))
    assert "error" in broken and "RuntimeError: boom" in broken
    assert any(ln.startswith("gsm8k ") and "present" in ln for ln in res.out.splitlines())
