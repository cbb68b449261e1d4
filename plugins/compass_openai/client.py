"""One logical request to the endpoint: limits, timeout, retries — and the loop it runs on.

:class:`ApiClient` wraps the official SDK's ``AsyncOpenAI`` (its own retries switched off,
``max_retries=0``, so the policy in force is :mod:`compass_openai.retry`). Every attempt
takes a slot of the adaptive concurrency limit and a token of the rate cap, and is cut
off after ``timeout`` seconds in total. A request that still fails after its retries comes
back as :class:`Failed` with a one-line reason (the key scrubbed from it), never as an
exception.

:class:`LoopThread` is a private event loop in a daemon thread: the core calls backends
synchronously, and the client (its connection pool, its learned concurrency limit) lives
on across those calls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine, TypeVar

from compass_openai.ratelimit import AdaptiveConcurrency, RateLimiter
from compass_openai.retry import ApiError, MalformedResponse, RetryPolicy, classify
from compass_openai.settings import ApiSettings, scrub

T = TypeVar("T")


class LoopThread:
    """An asyncio loop in a daemon thread; :meth:`run` blocks until a coroutine is done."""

    def __init__(self, name: str = "compass-openai"):
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _start(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop
        return loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = self.submit(coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future:
        """Start ``coro`` on the loop; its result arrives on the returned future."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop or self._start())

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()


@dataclass(frozen=True)
class Failed:
    """A request that failed after its retries: why (one line, no key in it)."""

    message: str


@dataclass
class ClientStats:
    """What happened on the wire, for the closing log line and the benchmarks."""

    attempts: int = 0
    ok: int = 0
    retries: int = 0
    failed: int = 0
    errors: Counter = field(default_factory=Counter)

    def line(self) -> str:
        errs = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
        return (f"{self.ok + self.failed} requests: {self.ok} ok, {self.failed} failed; "
                f"{self.attempts} attempts, {self.retries} retries (errors: {errs})")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class ApiClient:
    """Sends requests to one endpoint under the limits and the retry policy of ``settings``."""

    def __init__(self, settings: ApiSettings, key: str, *, log: Callable[[str], None] = _log,
                 seed: int | None = None):
        self.settings = settings
        self._key = key
        self._log_fn = log
        self.policy = RetryPolicy(settings.max_retries, settings.backoff_base, settings.backoff_max)
        self.limiter = AdaptiveConcurrency(settings.max_concurrency, adaptive=settings.adaptive,
                                           on_change=self.log)
        self.rate = RateLimiter(settings.max_rps) if settings.max_rps else None
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._sdk = None
        self._told: set[str] = set()
        self._warm = False
        self._warm_lock = asyncio.Lock()

    def log(self, msg: str) -> None:
        self._log_fn(f"[{self.settings.model}] {scrub(msg, self._key)}")

    def sdk(self):
        """The SDK client, made on first use inside the running loop."""
        if self._sdk is None:
            from openai import AsyncOpenAI

            from compass_openai.transport import make_http_client

            extra = {}
            http_client = make_http_client(self.settings.http_backend)
            if http_client is not None:
                extra["http_client"] = http_client
            self._sdk = AsyncOpenAI(api_key=self._key, base_url=self.settings.api_base, max_retries=0,
                                    timeout=self.settings.timeout, **extra)
        return self._sdk

    async def call(self, path: str, body: dict, parse: Callable[[dict], T]) -> T | Failed:
        """POST ``body`` to ``path`` (``/chat/completions``) and ``parse`` the JSON answer.

        Retried per the policy; :class:`Failed` if it gave up. The request goes through the
        SDK's client (auth, base URL, timeouts, errors mapped to ``openai.APIStatusError``
        and friends) as raw JSON: the SDK's typed request transform and response models
        cost ~3 ms of CPU per request, which at 200 requests/s is most of a core.
        """
        attempt = 0
        while True:
            if self._warm:
                value, error = await self._attempt(path, body, parse)
            else:
                async with self._warm_lock:
                    # The very first attempt goes alone: the SDK finishes setting itself up
                    # (lazy imports, the first connection) outside any rate-limited burst,
                    # and an endpoint that refuses us shows with one request, not a volley.
                    first = not self._warm
                    if first:
                        value, error = await self._attempt(path, body, parse)
                        self._warm = True
                if not first:
                    value, error = await self._attempt(path, body, parse)
            if error is None:
                return value
            self.stats.errors[error.kind] += 1
            wait = self.policy.delay(attempt, error, self._rng)
            if wait is None:
                self.stats.failed += 1
                return self._give_up(error, attempt + 1)
            if error.kind not in self._told:
                self._told.add(error.kind)
                self.log(f"{error.describe()} — retrying (with backoff; shown once per kind of error)")
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(wait)

    async def _attempt(self, path: str, body: dict, parse) -> tuple[Any, ApiError | None]:
        """One HTTP attempt under the limits: ``(value, None)`` or ``(None, error)``."""
        sdk = self.sdk()  # made before the token is taken: its set-up is no request's delay
        started = await self.limiter.acquire()
        outcome, error = "error", None
        try:
            if self.rate is not None:
                await self.rate.acquire()
            self.stats.attempts += 1
            try:
                raw = await asyncio.wait_for(sdk.post(path, body=body, cast_to=bytes), self.settings.timeout)
                data = json.loads(raw)
                try:
                    value = parse(data)
                except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
                    raise MalformedResponse(f"{type(exc).__name__}: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - classified below; unknown ones re-raised
                error = classify(exc)
                if error is None:
                    raise
                outcome = "throttled" if error.throttled else "error"
                return None, error
            outcome = "ok"
            self.stats.ok += 1
            return value, None
        finally:
            await self.limiter.release(started, outcome, error.retry_after if error else None)

    def _give_up(self, error: ApiError, attempts: int) -> Failed:
        if not error.retryable:
            msg = f"{error.describe()} (not retried)"
        elif error.retry_after is not None and error.retry_after > self.policy.max_retry_after:
            msg = f"{error.describe()} (the server asks to wait {error.retry_after:.0f}s; not waited for)"
        else:
            msg = f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {error.describe()}"
        return Failed(scrub(msg, self._key))

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None
