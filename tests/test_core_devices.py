"""Devices: one decision at plan time (kind and count), carried by the task file to the runner.

The end-to-end tests run the real CLI with the local runner and a toy model that logs the
accelerator variables its worker process was started with, under a parent that may use only
devices 4-7: two workers with two devices each must get ``4,5`` and ``6,7``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import compass_env, only_run_dir

from compass._devices import Devices, Resources, share_out, task_resources
from compass._errors import CompassError, PluginError
from compass._plugins import make_plugin_host
from compass.sdk import hookimpl

#: the device kinds the first-party plugins register (runners: cuda, cpu, mps; npu: npu)
DEVICES = make_plugin_host().devices
VARS = {"cuda": "CUDA_VISIBLE_DEVICES", "npu": "ASCEND_RT_VISIBLE_DEVICES"}

HAS_TORCH_NPU = importlib.util.find_spec("torch_npu") is not None


@pytest.mark.parametrize("kwargs, default, expected", [
    ({}, "", Resources("", 0)),                                          # the model decides (auto)
    ({"num_gpus": 2}, "", Resources("cuda", 2)),                         # accelerators without a kind
    ({"device": "auto", "num_gpus": 1}, "", Resources("cuda", 1)),
    ({"device": "npu:1", "num_gpus": 2}, "", Resources("npu", 2)),
    ({"model_kwargs": {"device": "npu"}, "num_gpus": 1}, "", Resources("npu", 1)),
    ({"num_gpus": 2}, "npu", Resources("npu", 2)),                       # the class default: an npu backend
    ({}, "npu", Resources("npu", 0)),
    ({"device": "cpu", "num_gpus": 2}, "npu", Resources("cpu", 0)),      # settings beat the class default
    ({"device": "cuda", "num_gpus": 2}, "npu", Resources("cuda", 2)),
    ({"device": "mps", "num_gpus": 1}, "", Resources("mps", 0)),         # one device, nothing to share out
    ({"model_kwargs": {"device_map": {"": 1}}}, "", Resources("cuda", 2)),
    ({"model_kwargs": {"device_map": {"model": "npu:0", "lm_head": "npu:3"}}, "device": "npu"}, "",
     Resources("npu", 4)),
    ({"model_kwargs": {"device_map": "auto"}}, "", Resources("", 0)),
])
def test_task_resources(kwargs, default, expected):
    got = task_resources(kwargs, default, DEVICES)
    assert (got.device, got.num_gpus) == (expected.device, expected.num_gpus)
    assert got.visible_devices_var == VARS.get(got.device)  # as the kind's plugin registered it


@pytest.mark.parametrize("kwargs, message", [
    ({"device": "tpu"}, "device='tpu' is not a device kind compass can schedule"),
    ({"num_gpus": "two"}, "num_gpus='two' is not a whole number of devices"),
    ({"num_gpus": -1}, "num_gpus=-1 is not a whole number of devices"),
])
def test_task_resources_refuses_what_no_runner_can_honour(kwargs, message):
    with pytest.raises(CompassError, match=message):
        task_resources(kwargs, "", DEVICES)


def test_device_kinds_come_from_plugins():
    """The core knows no device kind: without registrations, none can be scheduled."""
    assert set(DEVICES.names) == {"cuda", "cpu", "mps", "npu"}
    assert DEVICES.get("npu").plugin == "npu" and DEVICES.default_accelerator.name == "cuda"
    with pytest.raises(CompassError, match=r"device='cuda' is not a device kind compass can schedule; "
                                           r"use one of auto, \(none registered\)"):
        task_resources({"device": "cuda"}, "", Devices())
    with pytest.raises(CompassError, match="no plugin registered a default accelerator"):
        task_resources({"num_gpus": 1}, "", Devices())


class TPU:
    @hookimpl
    def register_devices(self, register):
        register("tpu", "a third-party accelerator", visible_devices_var="TPU_VISIBLE_CHIPS")


def test_a_plugin_adds_a_device_kind():
    devices = make_plugin_host([TPU()]).devices
    assert task_resources({"device": "tpu:1", "num_gpus": 2}, "", devices) == Resources("tpu", 2, "TPU_VISIBLE_CHIPS")
    assert share_out("tpu", 1, 1, 2, var="TPU_VISIBLE_CHIPS", env={"TPU_VISIBLE_CHIPS": "7,8"}) == {
        "TPU_VISIBLE_CHIPS": "8"}
    with pytest.raises(PluginError, match="device kind 'tpu' is registered by two plugins"):
        make_plugin_host([TPU(), type("Again", (TPU,), {})()]).devices


def test_share_out_takes_the_parents_visible_devices():
    env = {"CUDA_VISIBLE_DEVICES": "4,5,6,7"}
    assert [share_out("cuda", 2, k, 2, var="CUDA_VISIBLE_DEVICES", env=env) for k in range(2)] == [
        {"CUDA_VISIBLE_DEVICES": "4,5"}, {"CUDA_VISIBLE_DEVICES": "6,7"}]
    assert share_out("cuda", 1, 3, 4, var="CUDA_VISIBLE_DEVICES", env={"CUDA_VISIBLE_DEVICES": "GPU-a,GPU-b,GPU-c,GPU-d"}) == {
        "CUDA_VISIBLE_DEVICES": "GPU-d"}
    assert share_out("npu", 2, 1, 2, var="ASCEND_RT_VISIBLE_DEVICES", env={"ASCEND_RT_VISIBLE_DEVICES": "0,2,4,6"}) == {
        "ASCEND_RT_VISIBLE_DEVICES": "4,6"}
    # nothing set: devices from 0; `total` (the runner's num_devices) bounds them
    assert share_out("cuda", 2, 1, 2, var="CUDA_VISIBLE_DEVICES", env={}) == {"CUDA_VISIBLE_DEVICES": "2,3"}
    assert share_out("cpu", 2, 1, 2, var=None, env={}) == {}
    with pytest.raises(CompassError, match=r"3 workers × 2 cuda devices need 6 devices but 4 are visible "
                                           r"\(CUDA_VISIBLE_DEVICES=4,5,6,7\); lower --max-num-workers"):
        share_out("cuda", 2, 2, 3, var="CUDA_VISIBLE_DEVICES", env=env)
    with pytest.raises(CompassError, match="need 4 devices but 3 are visible"):
        share_out("npu", 2, 1, 2, var="ASCEND_RT_VISIBLE_DEVICES", env={}, total=3)


def test_hf_settings_decide_the_kind(monkeypatch):
    """``hf`` states its device kind through its traits; ``npu`` is an npu model by default."""
    from compass._config import Component
    from compass._plan import resolve_model
    from compass._plugins import make_plugin_host

    host = make_plugin_host()
    hf = resolve_model(host, Component("hf", {"path": "Qwen/Qwen2-1.5B", "hf_type": "base",
                                              "model_kwargs": {"device": "cuda:0"}, "num_gpus": 2}))
    assert hf.traits.device == "cuda"
    assert hf.resources == Resources("cuda", 2, "CUDA_VISIBLE_DEVICES")
    auto = resolve_model(host, Component("hf", {"path": "Qwen/Qwen2-1.5B", "hf_type": "base"}))
    assert auto.traits.device == "" and auto.resources == Resources()
    if not HAS_TORCH_NPU:  # the npu traits check that torch-npu is installed, without importing it
        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: object() if name == "torch_npu" else real_find_spec(name, *a))
    npu = resolve_model(host, Component("npu", {"path": "Qwen/Qwen2-1.5B", "hf_type": "base", "num_gpus": 2}))
    assert npu.traits.device == "npu"
    assert npu.resources == Resources("npu", 2, "ASCEND_RT_VISIBLE_DEVICES")


# ---------------------------------------------------------------------------------------
# plan → task file → worker environment, through the real CLI and local runner
# ---------------------------------------------------------------------------------------


def _run_two_workers(compass, model: str, env_log: Path, **env: str):
    cfg = compass.cwd / "devices.toml"
    cfg.write_text(f'[[models]]\ntype = "{model}"\nnum_gpus = 2\nenv_log = "{env_log}"\ndelay = 0.3\n\n'
                   '[[datasets]]\ntype = "toy"\n')
    run_env = compass_env(**env)
    for var in ("CUDA_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES"):
        if var not in env:
            run_env.pop(var, None)
    # 10 questions in shards of 5: two tasks, one per worker
    res = compass("eval", str(cfg), "--max-num-workers", "2", "--max-partition-size", "5", env=run_env)
    assert res.code == 0, res.err
    seen = [json.loads(line) for line in env_log.read_text().splitlines()]
    assert len({s["pid"] for s in seen}) == 2, seen  # two worker processes built the model
    tasks = sorted(p for p in (only_run_dir(compass.cwd) / "tasks").glob(f"{model}__toy-gen_*.json")
                   if not p.name.endswith(".stats.json"))
    return seen, [json.loads(t.read_text())["resources"] for t in tasks]


def test_cuda_workers_get_their_share_of_the_parents_gpus(compass):
    env_log = compass.cwd / "env.jsonl"
    seen, resources = _run_two_workers(compass, "arith-devices", env_log, CUDA_VISIBLE_DEVICES="4,5,6,7")
    assert resources == [{"device": "cuda", "num_gpus": 2, "visible_devices_var": "CUDA_VISIBLE_DEVICES"}] * 2
    assert sorted(s["CUDA_VISIBLE_DEVICES"] for s in seen) == ["4,5", "6,7"]
    assert all(s["ASCEND_RT_VISIBLE_DEVICES"] is None for s in seen)


def test_npu_model_without_a_device_setting_gets_npus_not_gpus(compass):
    env_log = compass.cwd / "env.jsonl"
    seen, resources = _run_two_workers(compass, "arith-npu", env_log, ASCEND_RT_VISIBLE_DEVICES="4,5,6,7")
    assert resources == [{"device": "npu", "num_gpus": 2, "visible_devices_var": "ASCEND_RT_VISIBLE_DEVICES"}] * 2
    assert sorted(s["ASCEND_RT_VISIBLE_DEVICES"] for s in seen) == ["4,5", "6,7"]
    assert all(s["CUDA_VISIBLE_DEVICES"] is None for s in seen)


def test_too_few_visible_devices_is_one_line(compass):
    cfg = compass.cwd / "devices.toml"
    cfg.write_text(f'[[models]]\ntype = "arith-devices"\nnum_gpus = 2\nenv_log = "{compass.cwd / "e"}"\n\n'
                   '[[datasets]]\ntype = "toy"\n')
    res = compass("eval", str(cfg), "--max-num-workers", "2", "--max-partition-size", "5",
                  env=compass_env(CUDA_VISIBLE_DEVICES="4,5,6"))
    assert res.code == 2, res.err
    assert "error: 2 workers × 2 cuda devices need 4 devices but 3 are visible (CUDA_VISIBLE_DEVICES=4,5,6)" \
        in res.err and "Traceback" not in res.err
