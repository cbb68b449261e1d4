"""The vllm backend as the planner sees it: no model loads here (seconds, any venv).

``-a/--accelerator vllm`` turns hf models (presets, --hf-path) into vllm models and leaves
others alone; without vLLM installed a vllm model is refused at plan time in one line
naming the extra. The real-model tests are in tests/test_vllm.py (the vLLM venv).
"""

from __future__ import annotations

import importlib.util
import json

import pytest

HAS_VLLM = importlib.util.find_spec("vllm") is not None
no_vllm = pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed in this Python: the 'not installed' "
                                              "error cannot happen here (it is checked in the main venv)")
_needs_vllm = pytest.mark.skipif(not HAS_VLLM, reason="needs vLLM (the .venv-vllm of .ci/run)")


def with_vllm(test):
    """Needs vLLM: skipped in the main venv, run in .venv-vllm (`-m vllm`)."""
    return pytest.mark.vllm(_needs_vllm(test))


def _one_error_line(res) -> str:
    assert res.code == 2, (res.out, res.err)
    lines = [line for line in res.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.err
    assert "Traceback" not in res.err
    return lines[0]


@no_vllm
def test_vllm_missing_is_one_line_naming_the_extra(compass, tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    res = compass("eval", "-m", "vllm", "--hf-path", str(model), "--hf-type", "base", "-d", "demo_ceval",
                  "--limit", "1")
    line = _one_error_line(res)
    assert "needs vLLM" in line and "[vllm]" in line and ".venv-vllm" in line
    assert not (compass.cwd / "outputs").exists() or not list((compass.cwd / "outputs").rglob("*.jsonl"))


@no_vllm
def test_accelerator_converts_a_preset_to_vllm(compass):
    # the preset is an hf model: -a vllm makes it a vllm model, which needs vLLM (absent here)
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "vllm", "-d", "demo_ceval", "--limit", "1")
    assert "needs vLLM" in _one_error_line(res)


def test_accelerator_leaves_other_backends_alone(compass):
    res = compass("eval", "-m", "mock", "--accelerator", "vllm", "-d", "demo_ceval", "--limit", "2", "--debug")
    assert res.code == 0, res.err
    preds = list((compass.cwd / "outputs").rglob("predictions/mock/*.jsonl"))
    assert preds, res.err


def test_unknown_accelerator_in_a_config_file(compass):
    cfg = compass.cwd / "run.toml"
    cfg.write_text('[[models]]\ntype = "smollm2-135m-instruct"\naccelerator = "lmdeploy"\n'
                   '[[datasets]]\ntype = "demo_ceval"\n', encoding="utf-8")
    line = _one_error_line(compass("eval", str(cfg), "--limit", "1"))
    assert "'lmdeploy' is not a backend that converts models" in line and "vllm" in line


def test_accelerator_flag_refuses_other_names(compass):
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "lmdeploy", "-d", "demo_ceval")
    assert res.code == 2 and "lmdeploy" in res.err and "vllm" in res.err


def test_peft_adapter_is_named(compass, tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "vllm", "--peft-path", str(adapter),
                  "-d", "demo_ceval", "--limit", "1")
    line = _one_error_line(res)
    assert "does not apply PEFT adapters" in line and "-m hf" in line


@with_vllm
def test_converted_preset_plan(compass):
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "vllm", "-d", "demo_ceval", "--limit", "1",
                  "--dry-run")
    assert res.code == 0, res.err
    tasks = [json.loads(p.read_text()) for p in (compass.cwd / "outputs").rglob("tasks/*.json")]
    if tasks:  # a dry run may write no task files; the plan printout names the model then
        assert {t["model"]["type"] for t in tasks} == {"vllm"}
    assert "smollm2-135m-instruct-vllm" in res.out + res.err


@with_vllm
def test_bad_engine_kwarg_is_one_line(compass):
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "vllm", "--model-kwargs", "gpu_memory_utilisation=0.5",
                  "-d", "demo_ceval", "--limit", "1")
    line = _one_error_line(res)
    assert "vLLM's engine does not take 'gpu_memory_utilisation'" in line and "gpu_memory_utilization" in line


@with_vllm
def test_more_gpus_than_visible_is_refused_before_loading(compass):
    res = compass("eval", "-m", "smollm2-135m-instruct", "-a", "vllm", "--hf-num-gpus", "2", "-d", "demo_ceval",
                  "--limit", "1", env=_env(CUDA_VISIBLE_DEVICES="0"))
    # refused when the runner starts, before any worker or model: the run folder is named first
    assert res.code == 2 and "Traceback" not in res.err, res.err
    line = res.err.strip().splitlines()[-1]
    assert line.startswith("error: ") and "2 cuda devices" in line and "1 are visible" in line
    assert not list((compass.cwd / "outputs").rglob("*.jsonl"))


def _env(**extra):
    from conftest import compass_env

    return compass_env(**extra)
