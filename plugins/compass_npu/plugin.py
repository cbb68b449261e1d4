"""Registers the ``npu`` model: the hf backend on an Ascend NPU (cheap manifest: no imports)."""

from compass.hookspecs import hookimpl


@hookimpl
def register_models(register):
    register("npu", "compass_npu.backend:NPUCausalLM",
             "Hugging Face causal LM on an Ascend NPU (torch-npu); takes the hf backend's options.",
             traits="compass_npu.backend:npu_traits")
