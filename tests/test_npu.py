"""Device selection for cpu/cuda/mps/npu and the ``npu`` model, without an NPU.

No test here pretends a model ran on an NPU: placement is a pure function of what the
machine offers, and torch-npu's absence (the case on this machine) must give one line
that says what to install.
"""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest
from extras import require_extra

from compass._errors import CompassError
from compass._runners import visible_devices_env

from compass_hf.devices import Accelerators, Placement, place, require_torch_npu

NONE = Accelerators()
HAS_TORCH_NPU = importlib.util.find_spec("torch_npu") is not None


@pytest.mark.parametrize("device, kwargs, available, expected", [
    ("auto", {}, NONE, Placement("cpu")),
    ("auto", {}, Accelerators(cuda=2), Placement("cuda:0")),
    ("auto", {}, Accelerators(mps=True), Placement("mps")),
    ("auto", {"num_gpus": 2}, Accelerators(cuda=2), Placement("cuda:0", "auto")),
    ("cpu", {}, Accelerators(cuda=2), Placement("cpu")),
    ("cuda:1", {}, Accelerators(cuda=2), Placement("cuda:1")),
    ("npu", {}, Accelerators(npu=8), Placement("npu:0")),
    ("npu:3", {}, Accelerators(npu=8), Placement("npu:3")),
    ("npu", {"num_gpus": 4}, Accelerators(npu=4), Placement("npu:0", "auto")),
    ("npu", {"device_map": {"": 1}}, Accelerators(npu=2), Placement("npu:0", {"": 1})),
    ("cuda", {"device_map": "balanced"}, Accelerators(cuda=2), Placement("cuda:0", "balanced")),
])
def test_place(device, kwargs, available, expected):
    assert place(device, available=available, **kwargs) == expected


@pytest.mark.parametrize("device, kwargs, available, env, message", [
    ("cuda", {}, NONE, {}, "device cuda was asked for, but torch sees no CUDA device"),
    ("npu", {}, NONE, {"ASCEND_RT_VISIBLE_DEVICES": ""},
     "torch sees no NPU device (ASCEND_RT_VISIBLE_DEVICES='')"),
    ("npu:2", {}, Accelerators(npu=2), {}, "npu:2 was asked for, but only 2 npu device(s) are visible"),
    ("npu", {"num_gpus": 4}, Accelerators(npu=2), {}, "--hf-num-gpus 4 asks for more npu devices"),
    ("mps", {}, NONE, {}, "no Apple GPU"),
])
def test_place_errors(device, kwargs, available, env, message):
    with pytest.raises(CompassError, match=message.replace("(", r"\(").replace(")", r"\)")):
        place(device, available=available, env=env, **kwargs)


def test_worker_sees_its_assigned_npus_from_index_zero():
    # The local runner restricts a worker to NPUs 2 and 3; torch-npu then numbers them 0 and 1,
    # so the model goes to npu:0 (and, with two devices for one model, is spread over both).
    env = visible_devices_env("ASCEND_RT_VISIBLE_DEVICES", [2, 3])
    assert env == {"ASCEND_RT_VISIBLE_DEVICES": "2,3"}
    visible = len(env["ASCEND_RT_VISIBLE_DEVICES"].split(","))
    assert place("npu", available=Accelerators(npu=visible), env=env) == Placement("npu:0")
    assert place("npu", num_gpus=2, available=Accelerators(npu=visible), env=env) == Placement("npu:0", "auto")
    assert visible_devices_env("CUDA_VISIBLE_DEVICES", [1]) == {"CUDA_VISIBLE_DEVICES": "1"}


@pytest.mark.skipif(HAS_TORCH_NPU, reason="torch-npu is installed here")
def test_missing_torch_npu_is_one_line():
    with pytest.raises(CompassError) as info:
        require_torch_npu()
    text = str(info.value)
    assert "pip install 'compass-eval[npu]' (needs Ascend CANN)" in text and "\n" not in text


@pytest.mark.skipif(HAS_TORCH_NPU, reason="torch-npu is installed here")
def test_npu_model_refused_at_plan_time_without_torch_npu():
    from compass._config import Component
    from compass._plan import resolve_model
    from compass._plugins import make_plugin_host

    host = make_plugin_host()
    with pytest.raises(CompassError, match=r"model 'npu' needs the package torch-npu.*needs Ascend CANN"):
        resolve_model(host, Component("npu", {"path": "Qwen/Qwen2-1.5B", "hf_type": "base"}))
    with pytest.raises(CompassError, match="device npu needs the package torch-npu.*needs Ascend CANN"):
        resolve_model(host, Component("hf", {"path": "Qwen/Qwen2-1.5B", "device": "npu:1", "hf_type": "base"}))
    # Naming another device makes the npu model an ordinary hf model.
    assert resolve_model(host, Component("npu", {"path": "Qwen/Qwen2-1.5B", "device": "cpu",
                                                 "hf_type": "base"})).traits.is_chat is False


@pytest.mark.skipif(HAS_TORCH_NPU, reason="torch-npu is installed here")
def test_npu_model_build_fails_before_loading_anything(tmp_path):
    require_extra("torch")
    from compass_npu.backend import NPUCausalLM

    with pytest.raises(CompassError, match="needs Ascend CANN") as info:
        NPUCausalLM(str(tmp_path), hf_type="base")
    assert "\n" not in str(info.value)


def test_detect_counts_npus_through_torch_npu(monkeypatch):
    """With a stand-in torch_npu module, ``detect('npu')`` imports it and asks torch.npu."""
    torch = require_extra("torch")
    from compass_hf import devices

    fake = types.ModuleType("torch_npu")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setitem(sys.modules, "torch_npu", fake)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "torch_npu" else real_find_spec(name, *a))
    monkeypatch.setattr(torch, "npu", types.SimpleNamespace(device_count=lambda: 2), raising=False)
    assert devices.detect("npu") == Accelerators(npu=2)
    assert place("npu", available=devices.detect("npu")) == Placement("npu:0")
