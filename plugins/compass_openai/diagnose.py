"""One line per way an endpoint can refuse us, each with the fix (``compass api-test``)."""

from __future__ import annotations

from urllib.parse import urlparse

from compass_openai.retry import ApiError
from compass_openai.settings import ApiSettings


def _host(url: str) -> str:
    p = urlparse(url)
    port = p.port or (443 if p.scheme == "https" else 80)
    return f"{p.hostname}:{port}"


def explain(error: ApiError, s: ApiSettings, models: list[str] | None = None) -> str:
    """What went wrong talking to ``s.api_base`` and what to do about it, in one line."""
    where = s.api_base
    if error.kind == "auth":
        var = f"${s.api_key_env}" if s.api_key_env else "no key (none configured)"
        return (f"bad key: {where} refused the key from {var} (HTTP 401) — check the key is valid "
                f"for this endpoint, or point --api-key-env at the right variable")
    if error.kind == "forbidden":
        return (f"forbidden: {where} does not let this key use '{s.model}' (HTTP 403) — check the "
                f"account's access and plan")
    if error.kind == "not_found":
        if models:
            shown = ", ".join(models[:8]) + (", …" if len(models) > 8 else "")
            return (f"unknown model '{s.model}' at {where} (HTTP 404) — pass --api-model with one "
                    f"the server lists: {shown}")
        return (f"not found at {where} (HTTP 404): unknown model '{s.model}' or wrong path — check "
                f"--api-model, and that --api-base ends where the API starts (usually /v1)")
    if error.kind == "rate_limited":
        wait = f" (Retry-After: {error.retry_after:g}s)" if error.retry_after is not None else ""
        return (f"rate limited by {where} (HTTP 429){wait} — wait and retry; for runs lower "
                f"--max-concurrency or set --max-rps; check the account's quota: {error.message}")
    if error.kind == "tls":
        return (f"TLS error talking to {_host(where)}: {error.message} — check the scheme (http:// "
                f"vs https://) and the host name, or set SSL_CERT_FILE for a private CA")
    if error.kind == "connection":
        return (f"cannot reach {_host(where)} ({error.message}) — check --api-base, that the server "
                f"is running, and any proxy settings")
    if error.kind == "timeout":
        return (f"no answer from {where} within {s.timeout:g}s — the server is slow or unreachable; "
                f"check the network or raise --request-timeout")
    if error.kind == "server":
        return f"server error at {where} (HTTP {error.status}): {error.message} — try again later"
    if error.kind == "malformed":
        return (f"{where} did not answer in OpenAI's format ({error.message}) — is --api-base an "
                f"OpenAI-compatible endpoint (usually ending in /v1)?")
    return f"{where} refused the request (HTTP {error.status}): {error.message}"
