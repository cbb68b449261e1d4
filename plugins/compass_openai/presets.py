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
    "openai-compatible": ("Your own OpenAI-compatible server (vLLM, LMDeploy, ...): --api-base URL "
                          "--api-model NAME; a key only with --api-key-env.",
                          {"api_base": None, "api_key_env": None, "max_concurrency": 32}),
}
