"""The options of an API model, checked once, and the API key read from the environment.

Used at planning time (:func:`openai_traits`, so a missing key or URL stops the run before
anything starts) and when the model is built. Imports nothing heavy.

The key is only ever read from the environment variable named by ``api_key_env``; it is
held by the client object and never put into options, configs, logs or predictions
(:meth:`ApiSettings.scrub` removes it from any error text that quotes it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

from compass.sdk import CompassError, ModelTraits, MODES

#: OpenAI's legacy limit on stop sequences; more are applied client-side
MAX_STOP = 4
NO_KEY = "EMPTY"  # what a server that checks no key receives (vLLM's convention)


@dataclass(frozen=True)
class ApiSettings:
    """Validated model options (see :class:`compass_openai.backend.OpenAIModel`)."""

    model: str
    api_base: str
    api_key_env: str | None = "OPENAI_API_KEY"
    chat: bool = True
    logprobs: bool = False
    system_prompt: str | None = None
    temperature: float | None = None
    reasoning: bool = False
    extra_body: dict = field(default_factory=dict)
    max_concurrency: int = 8
    max_rps: float | None = None
    timeout: float = 60.0
    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    adaptive: bool = True
    batch_size: int | None = None
    http_backend: str = "auto"

    @classmethod
    def from_kwargs(cls, where: str = "openai", **kw) -> ApiSettings:
        """Check user options; every problem is one line naming the option and the fix."""
        if kw.get("api_key"):
            raise CompassError(f"{where}: a key is never an option (it would end up in configs and shell "
                               f"history); export it in an environment variable and name that with "
                               f"--api-key-env / api_key_env")
        model = kw.get("model")
        if not isinstance(model, str) or not model.strip():
            raise CompassError(f"{where}: no model name; pass --api-model NAME (the model's name at the endpoint)")
        base = kw.get("api_base")
        if not isinstance(base, str) or not base.strip():
            raise CompassError(f"{where}: no endpoint; pass --api-base URL (e.g. http://127.0.0.1:8000/v1)")
        parsed = urlparse(base.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise CompassError(f"{where}: --api-base {base!r} is not an http(s) URL "
                               f"(e.g. https://api.moonshot.cn/v1)")
        env = kw.get("api_key_env")
        if env is not None and not isinstance(env, str):
            raise CompassError(f"{where}: api_key_env must name an environment variable, got {env!r}")
        if env and (env.startswith(("sk-", "Bearer")) or not env.replace("_", "").isalnum()):
            raise CompassError(f"{where}: --api-key-env takes the NAME of an environment variable "
                               f"(e.g. MOONSHOT_API_KEY), not the key itself")
        extra = kw.get("extra_body") or {}
        if not isinstance(extra, dict):
            raise CompassError(f"{where}: extra_body must be a table of key = value, got {extra!r}")

        def number(name, default, kind=float, low=0.0, strict=True):
            value = kw.get(name)
            if value is None:
                return default
            try:
                value = kind(value)
            except (TypeError, ValueError):
                raise CompassError(f"{where}: {name} must be a number, got {kw[name]!r}") from None
            if value < low or (strict and value == low):
                raise CompassError(f"{where}: {name} must be {'>' if strict else '>='} {low}, got {value}")
            return value

        reasoning = kw.get("reasoning", False)
        if not isinstance(reasoning, bool):
            raise CompassError(f"{where}: reasoning must be true or false (true for reasoning models such as "
                               f"o1, o3 or deepseek-reasoner), got {reasoning!r}")
        http_backend = kw.get("http_backend") or "auto"
        if http_backend not in ("auto", "aiohttp", "httpx"):
            raise CompassError(f"{where}: http_backend must be auto, aiohttp or httpx, got {http_backend!r}")
        return cls(
            http_backend=http_backend,
            model=model.strip(), api_base=base.strip().rstrip("/"), api_key_env=env or None,
            chat=bool(kw.get("chat", True)), logprobs=bool(kw.get("logprobs", False)),
            system_prompt=kw.get("system_prompt") or None,
            temperature=number("temperature", None, float, 0.0, strict=False), reasoning=reasoning,
            extra_body=dict(extra),
            max_concurrency=number("max_concurrency", 8, int, 1, strict=False),
            max_rps=number("max_rps", None),
            timeout=number("timeout", 60.0),
            max_retries=number("max_retries", 6, int, 0, strict=False),
            backoff_base=number("backoff_base", 0.5, float, 0.0, strict=False),
            backoff_max=number("backoff_max", 30.0),
            adaptive=bool(kw.get("adaptive", True)),
            batch_size=number("batch_size", None, int, 1, strict=False),
        )

    @property
    def modes(self) -> frozenset[str]:
        """gen always; ppl and clp where the server returns echoed log-probabilities."""
        return frozenset(MODES) if self.logprobs else frozenset({"gen"})

    def read_key(self) -> str:
        """The API key from the environment (``EMPTY`` for a server that needs none)."""
        if not self.api_key_env:
            return NO_KEY
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            hint = ""
            if self.api_key_env == "OPENAI_API_KEY" and "api.openai.com" not in self.api_base:
                hint = "; for a server that checks no key use -m openai-compatible"
            raise CompassError(f"the API key is not set: export {self.api_key_env}=<your key> "
                               f"(compass reads keys only from the environment; pick another "
                               f"variable with --api-key-env){hint}")
        return key

    @property
    def chunk(self) -> int:
        """Requests handed to the backend per call.

        The core waits for a whole chunk before handing over the next, so the slots drain
        at the end of each; eight rounds per chunk keep that under a few percent, while a
        killed run still loses at most one chunk.
        """
        return self.batch_size or max(32, 8 * self.max_concurrency)


def scrub(text: str, key: str | None) -> str:
    """``text`` with every occurrence of ``key`` replaced by ``***``."""
    if key and key != NO_KEY and len(key) >= 4:
        text = text.replace(key, "***")
    return text


def openai_traits(**kwargs) -> ModelTraits:
    """Planning-time check: options valid, key present; chat or not, which modes."""
    settings = ApiSettings.from_kwargs(**_known(kwargs))
    settings.read_key()
    return ModelTraits(is_chat=settings.chat, modes=settings.modes, operational=OPERATIONAL)


#: options that change how requests are sent, not what is answered (left out of fingerprints)
OPERATIONAL = frozenset({"api_key_env", "max_concurrency", "max_rps", "timeout", "max_retries", "backoff_base",
                         "backoff_max", "adaptive", "batch_size", "http_backend"})


def _known(kwargs: dict) -> dict:
    """Options that only the core uses (generation length, stop words) are not settings."""
    return {k: v for k, v in kwargs.items() if k not in ("max_out_len", "stop_words")}
