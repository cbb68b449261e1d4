"""compass_hf: the Hugging Face causal-LM backend (base and chat), its presets and the
embedded default model, ``smollm2-135m-instruct``.

Module map (only ``plugin``, ``presets``, ``options``, ``paths``, ``templates``, ``traits``,
``devices`` and ``backend`` are importable without torch):

* ``plugin`` / ``presets`` — what is registered; ``traits`` — plan-time checks;
* ``options`` — keyword arguments; ``paths`` — hub id / folder / ``pkg://``;
* ``devices`` — cpu/cuda/mps/npu placement; ``loading`` / ``gguf_cache`` — from_pretrained;
* ``templates`` / ``encoding`` — prompts to token ids;
* ``batching`` — padding and the forward call; ``scoring`` — ppl and clp, with
  ``prefix`` (a shared few-shot prefix's KV cache) and ``segments`` (passes packed without
  padding); ``generation`` / ``decoding`` / ``slots`` — gen with continuous batching over
  a slot KV buffer; ``autobatch`` — ``batch_size="auto"``; ``backend`` — the Model the core calls.

The package face — what other plugins may build on (``from compass_hf import HFCausalLM``;
the vllm and npu backends do) — is :data:`__all__` below, resolved on first use so that
importing it costs nothing; every submodule is private to this package.
"""

from __future__ import annotations

from compass.sdk import lazy_exports

_FACE: dict[str, str] = {
    "HFCausalLM": "compass_hf.backend",
    "HFSettingsModel": "compass_hf.backend",
    "HFOptions": "compass_hf.options",
    "flag": "compass_hf.options",
    "hf_traits": "compass_hf.traits",
    "hf_display_name": "compass_hf.traits",
    "check_options": "compass_hf.traits",
    "check_torch_npu": "compass_hf.devices",
    "import_transformers": "compass_hf.loading",
    "load": "compass_hf.loading",
    "Encoder": "compass_hf.encoding",
    "MetaTemplate": "compass_hf.templates",
    "left_truncate": "compass_hf.batching",
    "finish": "compass_hf.generation",
    "make_groups": "compass_hf.scoring",
    "PKG_SCHEME": "compass_hf.paths",
    "package_dir": "compass_hf.paths",
    "resolve_location": "compass_hf.paths",
    "gguf_cache_enabled": "compass_hf.gguf_cache",
    "gguf_cache_lookup": "compass_hf.gguf_cache",
}
_RENAMED = {"gguf_cache_enabled": "enabled", "gguf_cache_lookup": "lookup", "hf_display_name": "display_name"}

__all__ = sorted(_FACE)

__getattr__, __dir__ = lazy_exports(__name__, _FACE, _RENAMED)
