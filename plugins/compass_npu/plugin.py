"""Registers the ``npu`` model: the hf backend on an Ascend NPU (cheap manifest: no imports)."""

from compass.sdk import hookimpl


@hookimpl
def register_models(register):
    register("npu", "compass_npu.backend:NPUCausalLM",
             "Hugging Face causal LM on an Ascend NPU (torch-npu); takes the hf backend's options.",
             traits="compass_npu.backend:npu_traits", display_name="compass_hf:hf_display_name")


@hookimpl
def register_devices(register):
    register("npu", "Huawei Ascend NPUs (torch-npu)", visible_devices_var="ASCEND_RT_VISIBLE_DEVICES")


@hookimpl
def provenance_packages():
    return ["torch-npu"]
