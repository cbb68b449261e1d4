"""The ``compass eval`` flags of the ``hf`` backend (data only: no torch, no transformers).

Each flag's value becomes the keyword argument of the same row for every model of the
run; :mod:`compass_hf.options` names these flags in its error messages.
"""

from __future__ import annotations


def batch_size(text: str) -> int | str:
    """``N`` (a positive whole number) or ``auto``."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"expected a positive integer or 'auto', got {text!r}")
    return n


# (flag, model keyword argument, help, options of register())
HF_FLAGS: tuple[tuple[str, str, str, dict], ...] = (
    ("--hf-type", "hf_type", "HF model kind: base (plain text) or chat (chat template).",
     {"choices": ("base", "chat")}),
    ("--hf-path", "path", "HF model folder, hub id or GGUF file.", {"implies_model": "hf"}),
    ("--model-kwargs", "model_kwargs", "Extra from_pretrained() arguments, e.g. device_map='auto'.",
     {"type": "kv"}),
    ("--tokenizer-path", "tokenizer_path", "Tokenizer folder or hub id [default: --hf-path].", {}),
    ("--tokenizer-kwargs", "tokenizer_kwargs", "Extra tokenizer arguments.", {"type": "kv"}),
    ("--generation-kwargs", "generation_kwargs", "Extra generate() arguments, e.g. do_sample=True.",
     {"type": "kv"}),
    ("--max-seq-len", "max_seq_len", "Longest input; longer prompts are cut from the left.",
     {"type": int, "min": 1}),
    ("--max-out-len", "max_out_len", "Most new tokens per answer (over the datasets' own limits).",
     {"type": int, "min": 1}),
    ("--min-out-len", "min_out_len", "Fewest new tokens per answer.", {"type": int, "min": 0}),
    ("--batch-size", "batch_size", "Batch size, or 'auto' (largest that fits).",
     {"type": batch_size, "metavar": "N|auto"}),
    ("--hf-num-gpus", "num_gpus", "Accelerators per model instance (--num-gpus: OpenCompass's spelling).",
     {"type": int, "min": 0, "aliases": ("--num-gpus",)}),
    ("--stop-words", "stop_words", "Extra stop strings for generation.", {"multiple": True, "metavar": "WORD…"}),
    ("--pad-token-id", "pad_token_id", "Pad token id when the tokenizer has none.", {"type": int}),
    ("--peft-path", "peft_path", "A PEFT/LoRA adapter to apply.", {}),
    ("--peft-kwargs", "peft_kwargs", "Extra PeftModel.from_pretrained() arguments.", {"type": "kv"}),
)


def register_flags(register) -> None:
    """The ``register_eval_options`` implementation of the ``hf`` plugin."""
    for flag, key, help_text, options in HF_FLAGS:
        register(flag, help_text, model_kwarg=key, **options)
