"""Model presets: an endpoint, a model name and the variable holding its key.

Plain data, imported by the plugin manifest; each preset is the ``openai`` backend plus
these defaults (the user's options override them).
"""

from __future__ import annotations

OPENAI_BASE = "https://api.openai.com/v1"

#: backend defaults: the official endpoint; the key in OPENAI_API_KEY
BACKEND_DEFAULTS: dict = {"api_base": OPENAI_BASE, "api_key_env": "OPENAI_API_KEY"}

_MOONSHOT = {"api_base": "https://api.moonshot.cn/v1", "api_key_env": "MOONSHOT_API_KEY",
             "max_concurrency": 4}

#: name -> (one-line description, defaults)
PRESETS: dict[str, tuple[str, dict]] = {
    "moonshot-v1-8k": ("Moonshot AI moonshot-v1-8k (api.moonshot.cn; key in MOONSHOT_API_KEY).",
                       {**_MOONSHOT, "model": "moonshot-v1-8k"}),
    "moonshot-v1-32k": ("Moonshot AI moonshot-v1-32k (api.moonshot.cn; key in MOONSHOT_API_KEY).",
                        {**_MOONSHOT, "model": "moonshot-v1-32k"}),
    "moonshot-v1-128k": ("Moonshot AI moonshot-v1-128k (api.moonshot.cn; key in MOONSHOT_API_KEY).",
                         {**_MOONSHOT, "model": "moonshot-v1-128k"}),
    "deepseek-chat": ("DeepSeek deepseek-chat (api.deepseek.com; key in DEEPSEEK_API_KEY).",
                      {"api_base": "https://api.deepseek.com/v1", "api_key_env": "DEEPSEEK_API_KEY",
                       "model": "deepseek-chat", "max_concurrency": 16}),
    "qwen-plus": ("Alibaba Qwen qwen-plus, DashScope compatible mode (key in DASHSCOPE_API_KEY).",
                  {"api_base": "https://dashscope.aliyuncs.com/compatible-mode/v1",
                   "api_key_env": "DASHSCOPE_API_KEY", "model": "qwen-plus", "max_concurrency": 8}),
    # reasoning models: max_completion_tokens, their own temperature, the reasoning kept as <think>
    "o1": ("OpenAI o1, a reasoning model (key in OPENAI_API_KEY); give it a long max_out_len.",
           {**BACKEND_DEFAULTS, "model": "o1", "reasoning": True}),
    "o3-mini": ("OpenAI o3-mini, a reasoning model (key in OPENAI_API_KEY); give it a long max_out_len.",
                {**BACKEND_DEFAULTS, "model": "o3-mini", "reasoning": True}),
    "o3": ("OpenAI o3, a reasoning model (key in OPENAI_API_KEY); give it a long max_out_len.",
           {**BACKEND_DEFAULTS, "model": "o3", "reasoning": True}),
    "o4-mini": ("OpenAI o4-mini, a reasoning model (key in OPENAI_API_KEY); give it a long max_out_len.",
                {**BACKEND_DEFAULTS, "model": "o4-mini", "reasoning": True}),
    "deepseek-reasoner": ("DeepSeek deepseek-reasoner (R1; key in DEEPSEEK_API_KEY); reasoning_content "
                          "kept as <think>.", {"api_base": "https://api.deepseek.com/v1",
                                               "api_key_env": "DEEPSEEK_API_KEY", "model": "deepseek-reasoner",
                                               "reasoning": True, "max_concurrency": 16}),
    "openai-compatible": ("Your own OpenAI-compatible server (vLLM, LMDeploy, ...): --api-base URL "
                          "--api-model NAME; a key only with --api-key-env.",
                          {"api_base": None, "api_key_env": None, "max_concurrency": 32}),
}
