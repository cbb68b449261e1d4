"""The ``compass eval`` flags of the ``openai`` backend (data only: no SDK import)."""

from __future__ import annotations

# (flag, model keyword argument, help, options of register())
API_FLAGS: tuple[tuple[str, str, str, dict], ...] = (
    ("--api-base", "api_base", "OpenAI-compatible endpoint, e.g. https://api.moonshot.cn/v1.",
     {"implies_model": "openai"}),
    ("--api-model", "model", "Model name at that endpoint.", {"implies_model": "openai"}),
    ("--api-key-env", "api_key_env", "Environment variable holding the API key [default: OPENAI_API_KEY].", {}),
    ("--max-concurrency", "max_concurrency", "Most API requests in flight.", {"type": int, "min": 1}),
    ("--max-rps", "max_rps", "Most API requests per second.", {"type": float, "min": 0, "min_open": True}),
    ("--request-timeout", "timeout", "Seconds before an API request is retried.",
     {"type": float, "min": 0, "min_open": True}),
    ("--extra-body", "extra_body", "Extra JSON body fields for API requests.", {"type": "kv"}),
    ("--temperature", "temperature", "Sampling temperature for API models.", {"type": float}),
    ("--system-prompt", "system_prompt", "System prompt for API chat models.", {}),
)


def register_flags(register) -> None:
    """The ``register_eval_options`` implementation of the ``openai`` plugin."""
    for flag, key, help_text, options in API_FLAGS:
        register(flag, help_text, model_kwarg=key, **options)
