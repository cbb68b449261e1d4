"""Registers the ``hf`` backend and its presets (a cheap manifest: no torch, no transformers)."""

from compass.sdk import hookimpl

BACKEND = "compass_hf.backend:HFCausalLM"
TRAITS = "compass_hf.traits:hf_traits"


@hookimpl
def register_models(register):
    from compass_hf.presets import OPENCOMPASS_ALIASES, PRESETS

    register("hf", BACKEND,
             "Hugging Face causal LM (base or chat) from --hf-path: hub id, local folder or GGUF file.",
             traits=TRAITS, display_name="compass_hf.traits:display_name")
    for name, (description, defaults) in PRESETS.items():
        register(name, BACKEND, description, defaults=defaults, traits=TRAITS)
    for alias, (target, abbr, note) in OPENCOMPASS_ALIASES.items():
        register.alias(alias, target, abbr=abbr, note=note or "OpenCompass's model config name")


@hookimpl
def register_eval_options(register):
    from compass_hf.flags import register_flags

    register_flags(register)


@hookimpl
def provenance_packages():
    return ["torch", "transformers", "accelerate", "tokenizers", "sentencepiece", "gguf", "peft"]
