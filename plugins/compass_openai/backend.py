"""The ``openai`` model backend: :class:`compass._types.Model` over an OpenAI-compatible API.

* gen: chat completions for chat models (role-tagged messages, an optional system prompt),
  completions with the plain-text prompt for base models;
* ppl / clp (only with ``logprobs=True``, for servers that echo prompt log-probabilities,
  like vLLM): one completions request per question, with one prompt per candidate.

The core calls these methods synchronously with ``batch_size`` requests at a time; they
run concurrently on the client's private event loop, under its limits. A request that
fails after its retries gives ``Completion(error=...)`` / ``Failure(...)``, never an empty
answer, so the sample is counted as failed and ``--reuse`` asks it again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Iterator

from compass.sdk import (Completion, Failure, GenerateRequest, LoglikelihoodRequest, Message, OptionsRequest, prompt_to_text)
from compass_openai.client import ApiClient, Failed, LoopThread
from compass_openai.logprobs import span_logprob
from compass_openai.retry import MalformedResponse
from compass_openai.settings import MAX_STOP, ApiSettings

ROLES = {"SYSTEM": "system", "HUMAN": "user", "BOT": "assistant"}
REPORT_EVERY = 30.0  # seconds between two "what happened on the wire" lines in the task log


def to_messages(prompt: tuple[Message, ...], system_prompt: str | None) -> list[dict]:
    """Chat messages for a prompt; ``system_prompt`` leads (merged with the prompt's own)."""
    messages = [{"role": ROLES[m.role], "content": m.content} for m in prompt]
    if system_prompt:
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": f"{system_prompt}\n\n{messages[0]['content']}"}
        else:
            messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """``text`` up to the first stop string (servers take at most four; we honour all)."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if i != -1:
                cut = min(cut, i)
    return text[:cut]


def with_reasoning(message: dict, text: str) -> str:
    """``text`` after the message's separate reasoning as ``<think>…</think>``, if it has one."""
    thought = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(thought, str) and thought.strip():
        return f"<think>{thought}</think>{text}"
    return text


def first_top_logprobs(choice: dict) -> tuple[tuple[str, float], ...]:
    """The first generated token's top alternatives in a chat choice (``logprobs.content[0]``),
    as (token, log-probability) pairs; () when the server sent none."""
    content = ((choice.get("logprobs") or {}).get("content") or [])
    if not content:
        return ()
    return tuple((str(t.get("token")), float(t.get("logprob"))) for t in content[0].get("top_logprobs") or []
                 if t.get("logprob") is not None)


class OpenAIModel:
    """A model behind an OpenAI-compatible endpoint.

    :param model: the model's name at the endpoint (``--api-model``).
    :param api_base: the endpoint, e.g. ``https://api.moonshot.cn/v1`` (``--api-base``).
    :param api_key_env: the environment variable holding the key (``--api-key-env``); empty
        or ``None`` for a server that checks none. The key itself is never an option.
    :param chat: chat completions (role-tagged messages) or plain completions.
    :param logprobs: the server returns echoed prompt log-probabilities, so ppl and clp
        datasets can be evaluated (vLLM does; most hosted chat APIs do not).
    :param system_prompt: a system message put before every prompt (chat models).
    :param temperature: sampling temperature (default: the request's, 0; for a reasoning model
        none is sent, so the model's own applies).
    :param reasoning: a reasoning model (o1, o3, deepseek-reasoner; the presets set it): the
        length goes as ``max_completion_tokens`` (it counts the hidden reasoning too), no
        ``temperature`` is sent unless set here, and stop words are applied client-side.
        Whatever the model, a reasoning text the server returns apart (``reasoning_content``,
        DeepSeek; ``reasoning``, vLLM/OpenRouter) is kept in the prediction as
        ``<think>…</think>`` before the answer, and stripped before the answer is extracted.
    :param extra_body: more JSON fields for every request (``top_p``, ``seed``, vendor options).
    :param max_concurrency: most requests in flight (``--max-concurrency``); the limit backs
        off on 429/503 and grows back (``adaptive=False`` keeps it fixed).
    :param max_rps: most requests started per second, retries included (``--max-rps``).
    :param timeout: seconds before one attempt is abandoned and retried (``--request-timeout``).
    :param max_retries / backoff_base / backoff_max: retry policy (exponential backoff with
        jitter, never sooner than ``Retry-After``).
    :param batch_size: requests per call from the core [default: 8 × max_concurrency].
    :param http_backend: ``auto`` (aiohttp under the SDK when installed: a third of the CPU
        per request of httpx's pool), ``aiohttp`` or ``httpx`` (the SDK's own).
    :param max_out_len / stop_words: handled by the core (they arrive in each request).
    :param api_key: refused with an explanation: keys come only from the environment.
    """

    def __init__(self, model: str | None = None, api_base: str | None = None,
                 api_key_env: str | None = "OPENAI_API_KEY", chat: bool = True, logprobs: bool = False,
                 system_prompt: str | None = None, temperature: float | None = None, reasoning: bool = False,
                 extra_body: dict | None = None, max_concurrency: int = 8, max_rps: float | None = None,
                 timeout: float = 60.0, max_retries: int = 6, backoff_base: float = 0.5,
                 backoff_max: float = 30.0, adaptive: bool = True, batch_size: int | None = None,
                 http_backend: str = "auto", max_out_len: int | None = None, stop_words: list | None = None,
                 api_key: None = None):
        self.settings = ApiSettings.from_kwargs(
            api_key=api_key, model=model, api_base=api_base, api_key_env=api_key_env, chat=chat, logprobs=logprobs,
            system_prompt=system_prompt, temperature=temperature, reasoning=reasoning, extra_body=extra_body,
            max_concurrency=max_concurrency, max_rps=max_rps, timeout=timeout, max_retries=max_retries,
            backoff_base=backoff_base, backoff_max=backoff_max, adaptive=adaptive, batch_size=batch_size,
            http_backend=http_backend)
        try:
            import openai  # noqa: F401
        except ImportError:
            from compass.sdk import CompassError

            raise CompassError("the openai backend needs the 'openai' package: "
                               "pip install 'compass-eval[api]'") from None
        self.client = ApiClient(self.settings, self.settings.read_key())
        self.batch_size = self.settings.chunk
        self._loop = LoopThread()
        self._reported = time.monotonic()

    # -- gen -------------------------------------------------------------------------------

    def generate(self, requests: list[GenerateRequest]) -> list[Completion]:
        return self._loop.run(self._gather(self._generate_one, requests))

    def generate_stream(self, requests: list[GenerateRequest]) -> Iterator[tuple[int, Completion]]:
        """Every request at once (the limiter bounds what is in flight); each answer as it lands.

        No batch boundary drains the connections, and the core writes answers as they come.
        """
        futures = {self._loop.submit(self._generate_one(r)): pos for pos, r in enumerate(requests)}
        try:
            for fut in concurrent.futures.as_completed(futures):
                yield futures[fut], fut.result()
                if time.monotonic() - self._reported >= REPORT_EVERY:
                    self._reported = time.monotonic()
                    self._report()
        finally:
            for fut in futures:
                fut.cancel()

    async def _generate_one(self, req: GenerateRequest) -> Completion:
        s = self.settings
        if s.reasoning:  # the length includes the reasoning; the model's own temperature
            body: dict = {"model": s.model, "max_completion_tokens": req.max_out_len}
            if s.temperature is not None:
                body["temperature"] = s.temperature
        else:
            body = {"model": s.model, "max_tokens": req.max_out_len,
                    "temperature": s.temperature if s.temperature is not None else req.temperature}
            if req.stop:
                body["stop"] = list(req.stop[:MAX_STOP])
        if s.chat:
            path, key = "/chat/completions", "message"
            body["messages"] = to_messages(req.prompt, s.system_prompt)
            if req.top_logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = int(req.top_logprobs)
        else:
            path, key = "/completions", "text"
            body["prompt"] = prompt_to_text(req.prompt)
        body.update(s.extra_body)

        def parse(data: dict) -> Completion:
            choice = data["choices"][0]
            text = choice[key]["content"] if key == "message" else choice[key]
            finish = choice.get("finish_reason") or ""
            if not isinstance(text, str):
                if text is None and finish in ("content_filter", "length"):
                    text = ""
                else:
                    raise MalformedResponse(f"a choice without text: {str(choice)[:120]}")
            text = cut_at_stop(text, req.stop)
            if key == "message":
                text = with_reasoning(choice[key], text)
            usage = data.get("usage") or {}
            return Completion(text, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                              completion_tokens=int(usage.get("completion_tokens") or 0),
                              finish_reason=str(finish),
                              top_logprobs=first_top_logprobs(choice) if req.top_logprobs else ())

        out = await self.client.call(path, body, parse)
        return Completion("", error=out.message) if isinstance(out, Failed) else out

    # -- ppl / clp ---------------------------------------------------------------------------

    def loglikelihood(self, requests: list[LoglikelihoodRequest]) -> list[tuple[float, ...] | Failure]:
        return self._loop.run(self._gather(lambda r: self._score(r.prompt, r.continuations), requests))

    def option_logprobs(self, requests: list[OptionsRequest]) -> list[tuple[float, ...] | Failure]:
        return self._loop.run(self._gather(lambda r: self._score(r.prompt, r.options), requests))

    async def _score(self, prompt: tuple[Message, ...], continuations: tuple[str, ...]):
        """Log-likelihood of each continuation after the prompt, in one request."""
        s = self.settings
        context = prompt_to_text(prompt)
        texts = [context + c for c in continuations]
        body = {"model": s.model, "prompt": texts, "max_tokens": 1, "temperature": 0, "echo": True,
                "logprobs": 1, **s.extra_body}

        def parse(data: dict) -> tuple[float, ...]:
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            if len(choices) != len(texts):
                raise MalformedResponse(f"{len(choices)} choices for {len(texts)} prompts")
            return tuple(span_logprob(c.get("logprobs"), len(context), len(t)) for c, t in zip(choices, texts))

        out = await self.client.call("/completions", body, parse)
        return Failure(out.message) if isinstance(out, Failed) else out

    # -- plumbing --------------------------------------------------------------------------

    async def _gather(self, one, requests: list) -> list:
        out = list(await asyncio.gather(*(one(r) for r in requests)))
        if time.monotonic() - self._reported >= REPORT_EVERY:
            self._reported = time.monotonic()
            self._report()
        return out

    def _report(self) -> None:
        lim = self.client.limiter
        self.client.log(f"{self.client.stats.line()}; concurrency limit {int(lim.limit)}/{lim.maximum}"
                        f" (peak {lim.peak} in flight)")

    def close(self) -> None:
        """Close the connections and say what happened on the wire (to the task log)."""
        try:
            self._loop.run(self.client.aclose())
        finally:
            self._loop.close()
        self._report()
