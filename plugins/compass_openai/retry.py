"""Which failures are worth another attempt, and how long to wait before it.

:func:`classify` turns an exception raised while asking the endpoint into an
:class:`ApiError` (kind, HTTP status, ``Retry-After``, whether to retry); exceptions it
does not know (a bug) return ``None`` and are left to propagate. :class:`RetryPolicy`
gives the wait before attempt ``n + 1``: exponential backoff with jitter, and never less
than the server's ``Retry-After``.

Retried: 429, 408, 409, 5xx, timeouts, dropped or refused connections, malformed JSON.
Not retried: 400, 401, 403, 404, 422 (the same request would fail the same way) and
certificate errors.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import time
from dataclasses import dataclass

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529}
THROTTLE_STATUS = {429, 503, 529}


class MalformedResponse(Exception):
    """The server answered 200 with something that is not the expected JSON."""


@dataclass(frozen=True)
class ApiError:
    """One failed attempt, classified."""

    kind: str  # rate_limited, server, timeout, connection, tls, malformed, auth, forbidden, not_found, bad_request
    message: str
    retryable: bool
    status: int | None = None
    retry_after: float | None = None
    cause: BaseException | None = None

    @property
    def throttled(self) -> bool:
        return self.status in THROTTLE_STATUS

    def describe(self) -> str:
        head = f"HTTP {self.status}" if self.status else self.kind.replace("_", " ")
        return f"{head}: {self.message}"


def parse_retry_after(headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return _one_line(err["message"])
        if isinstance(err, str):
            return _one_line(err)
    return _one_line(getattr(exc, "message", None) or str(exc))


def classify(exc: BaseException) -> ApiError | None:
    """An :class:`ApiError` for a failure of the endpoint, ``None`` for anything else."""
    try:
        import openai
    except ImportError:  # pragma: no cover - the backend needs it anyway
        openai = None
    if openai is not None and isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        headers = getattr(exc.response, "headers", None)
        msg = _status_message(exc)
        retry_after = parse_retry_after(headers)
        kinds = {401: "auth", 403: "forbidden", 404: "not_found", 429: "rate_limited"}
        kind = kinds.get(status) or ("server" if status >= 500 else "bad_request")
        return ApiError(kind, msg, status in RETRY_STATUS, status, retry_after, exc)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) or (openai is not None and isinstance(exc, openai.APITimeoutError)):
        return ApiError("timeout", "no answer in time", True, cause=exc)
    if openai is not None and isinstance(exc, openai.APIConnectionError):
        for inner in _chain(exc):
            if isinstance(inner, ssl.SSLCertVerificationError):
                return ApiError("tls", _one_line(inner), False, cause=inner)
            if isinstance(inner, ssl.SSLError):
                return ApiError("tls", _one_line(inner), True, cause=inner)
        inner = next((e for e in _chain(exc) if e is not exc), None)
        return ApiError("connection", _one_line(inner or exc) or "connection failed", True, cause=exc)
    if isinstance(exc, (MalformedResponse, json.JSONDecodeError)) or (
            openai is not None and isinstance(exc, openai.APIResponseValidationError)):
        return ApiError("malformed", _one_line(f"malformed response: {exc}"), True, cause=exc)
    if isinstance(exc, (ConnectionError, OSError)) and not isinstance(exc, FileNotFoundError):
        return ApiError("connection", _one_line(exc), True, cause=exc)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` is a floor, and a ceiling on patience.

    Wait before attempt ``n + 1`` (``n`` from 0): a random value in ``[b/2, b]`` where
    ``b = min(cap, base * 2**n)`` — or the server's ``Retry-After`` plus up to 10 % when that
    is longer. A ``Retry-After`` above ``max_retry_after`` (a spent daily quota) is not
    waited for: the request fails now, with that in its message.
    """

    max_retries: int = 6
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, error: ApiError, rng: random.Random) -> float | None:
        if attempt >= self.max_retries or not error.retryable:
            return None
        ceiling = min(self.cap, self.base * (2 ** attempt))
        wait = rng.uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = max(wait, error.retry_after * (1 + 0.1 * rng.random()))
        return wait
