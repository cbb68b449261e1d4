"""The backend's limits, measured at the loopback server: rps cap, concurrency, Retry-After, timeout.

Plus the pieces on their own: AIMD, the retry policy, log-probability spans, the cheap
manifest.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time

import pytest
from extras import require_extra

require_extra("openai")

from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

from compass._errors import CompassError  # noqa: E402
from compass._types import GenerateRequest, LoglikelihoodRequest, Message, OptionsRequest  # noqa: E402
from compass_openai.backend import OpenAIModel, cut_at_stop, to_messages  # noqa: E402
from compass_openai.logprobs import span_logprob  # noqa: E402
from compass_openai.ratelimit import AdaptiveConcurrency, RateLimiter  # noqa: E402
from compass_openai.retry import ApiError, RetryPolicy, parse_retry_after  # noqa: E402
from compass_openai.settings import openai_traits  # noqa: E402


def requests(n: int, start: int = 0) -> list[GenerateRequest]:
    return [GenerateRequest((Message("HUMAN", f"Q: What is {k} + 1?\nA:"),), max_out_len=8)
            for k in range(start, start + n)]


def model(srv: FakeOpenAI, **kw) -> OpenAIModel:
    kw.setdefault("api_key_env", None)
    return OpenAIModel(model="test-model", api_base=srv.url, **kw)


def test_rps_cap_holds_at_the_server():
    with FakeOpenAI(ServerConfig()) as srv:
        m = model(srv, max_rps=20, max_concurrency=16)
        try:
            t0 = time.monotonic()
            out = m.generate(requests(31))
            took = time.monotonic() - t0
        finally:
            m.close()
        times = sorted(r.t for r in srv.stats.records)
    assert all(not c.error for c in out)
    assert took >= 30 / 20 * 0.95
    # in any stretch of 10 consecutive gaps at least 10/20 s passed, give or take one
    # request's worth of network jitter: at most rps * T + 1 requests in any T seconds
    for i in range(len(times) - 10):
        assert times[i + 10] - times[i] >= 0.5 - 0.05, (i, times[i + 10] - times[i])
    assert len(times) / (times[-1] - times[0]) <= 20 * 1.05 + 1


def test_concurrency_limit_holds_and_is_used():
    with FakeOpenAI(ServerConfig(latency=0.1)) as srv:
        m = model(srv, max_concurrency=4)
        try:
            out = m.generate(requests(24))
        finally:
            m.close()
        peak = srv.stats.max_in_flight
    assert all(not c.error for c in out)
    assert peak == 4  # the four slots were used, never a fifth (no wall-clock bound: machines are busy)
    assert m.batch_size == 32  # the core hands over enough requests to fill them


def test_429_pauses_everyone_for_retry_after_and_cuts_concurrency_once_per_burst():
    with FakeOpenAI(ServerConfig(rate_limit_first=3, retry_after="1")) as srv:
        m = model(srv, max_concurrency=8)
        try:
            out = m.generate(requests(6))
        finally:
            m.close()
        recs = sorted(srv.stats.records, key=lambda r: r.t)
    assert all(not c.error for c in out)
    bursts = [[recs[0]]]
    for r in recs[1:]:
        if r.t - bursts[-1][-1].t < 0.5:  # a volley's requests, however busy the machine (the pauses are 1 s)
            bursts[-1].append(r)
        else:
            bursts.append([r])
    # the first request goes alone and is told to wait 1 s; then everyone waits that long,
    # and only 4 (8 halved) go at once; two of them are told the same; everyone waits again
    assert [r.outcome for r in bursts[0]] == ["429"]
    assert len(bursts) == 3 and len(bursts[1]) == 4
    assert sorted(r.outcome for r in bursts[1]) == ["429", "429", "ok", "ok"]
    assert all(r.outcome == "ok" for r in bursts[2])
    for before, after in zip(bursts, bursts[1:]):
        assert after[0].t - before[-1].t >= 0.95  # Retry-After: 1
    assert m.client.limiter.cuts == 2, "one cut per volley of 429s, not one per 429"


def test_timeout_then_failed_sample_with_its_error():
    with FakeOpenAI(ServerConfig(latency=20.0)) as srv:
        m = model(srv, timeout=0.3, max_retries=1, backoff_base=0.01)
        try:
            t0 = time.monotonic()
            (out,) = m.generate(requests(1))
            took = time.monotonic() - t0
        finally:
            m.close()
    assert out.text == "" and "gave up after 2 attempts" in out.error and "timeout" in out.error
    assert took < 10  # two 0.3 s attempts, never the server's 20 s (a bound a busy machine keeps)


def test_non_retryable_status_is_not_retried():
    with FakeOpenAI(ServerConfig(models=("other",))) as srv:
        m = model(srv)
        try:
            (out,) = m.generate(requests(1))
        finally:
            m.close()
        assert len(srv.stats.records) == 1
    assert "HTTP 404" in out.error and "not retried" in out.error


def test_ppl_and_clp_scores_and_failure():
    prompt = (Message("HUMAN", "Q: What is 2 + 3?\nA:"),)
    mc = (Message("HUMAN", "Q: What is 2 + 3?\nA. 6\nB. 5\nAnswer:"),)
    with FakeOpenAI(ServerConfig()) as srv:
        m = model(srv, logprobs=True, chat=False)
        try:
            (ll,) = m.loglikelihood([LoglikelihoodRequest(prompt, (" 5", " 6"))])
            (op,) = m.option_logprobs([OptionsRequest(mc, ("A", "B"))])
            srv.cfg.fail = lambda p: True
            m.client.policy = type(m.client.policy)(max_retries=0)
            (bad,) = m.loglikelihood([LoglikelihoodRequest(prompt, (" 5", " 6"))])
        finally:
            m.close()
    assert ll[0] > ll[1] and op[1] > op[0]
    assert "HTTP 500" in bad.error


# -- the pieces on their own ---------------------------------------------------------------


def test_rate_limiter_spacing_with_a_fake_clock():
    now = [100.0]
    rl = RateLimiter(4, clock=lambda: now[0])
    assert [rl.reserve() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    now[0] += 10  # idle time is not saved up beyond the burst
    assert rl.reserve() == 0.0 and rl.reserve() == 0.25
    burst = RateLimiter(4, burst=3, clock=lambda: now[0] + 100)
    assert [burst.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 0.25]


def test_aimd_halves_once_per_round_trip_and_grows_back():
    async def go():
        lim = AdaptiveConcurrency(8)
        starts = [await lim.acquire() for _ in range(8)]
        for s in starts:  # eight 429s from requests that were all in flight together
            await lim.release(s, "throttled")
        assert int(lim.limit) == 4 and lim.cuts == 1
        successes = 0
        while lim.limit < 8:
            s = await lim.acquire()
            await lim.release(s, "ok")
            successes += 1
        assert 20 <= successes <= 26  # about +1 per window of `limit` successes: 4 + 5 + 6 + 7
        s = await lim.acquire()
        await lim.release(s, "throttled", retry_after=0.2)
        assert int(lim.limit) == 4 and lim.pause_until > time.monotonic() + 0.1

    asyncio.run(go())


def test_retry_policy_backoff_and_retry_after():
    rng = random.Random(0)
    p = RetryPolicy(max_retries=3, base=0.5, cap=2.0)
    err = ApiError("server", "boom", True, 500)
    waits = [p.delay(n, err, rng) for n in range(4)]
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0 and 1.0 <= waits[2] <= 2.0
    assert waits[3] is None
    slow = ApiError("rate_limited", "slow down", True, 429, retry_after=3.0)
    assert 3.0 <= p.delay(0, slow, rng) <= 3.3
    assert p.delay(0, ApiError("rate_limited", "quota", True, 429, retry_after=86400), rng) is None
    assert p.delay(0, ApiError("auth", "bad key", False, 401), rng) is None
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "2"}) == 2.0


def test_span_logprob_and_prompt_helpers():
    lp = {"tokens": ["Q", ":", " 2", " 5"], "token_logprobs": [None, -1.0, -2.0, -0.5],
          "text_offset": [0, 1, 2, 4]}
    assert span_logprob(lp, 4, 6) == -0.5
    assert span_logprob(lp, 2, 6) == -2.5
    msgs = to_messages((Message("SYSTEM", "be brief"), Message("HUMAN", "hi"), Message("BOT", "yo")), "sys")
    assert msgs == [{"role": "system", "content": "sys\n\nbe brief"}, {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"}]
    assert cut_at_stop("12\nQ: next", ("\nQ:", "x")) == "12"


def test_traits_modes_and_option_errors(monkeypatch):
    monkeypatch.setenv("SOME_KEY", "k")
    base = {"model": "m", "api_base": "http://127.0.0.1:1/v1", "api_key_env": "SOME_KEY"}
    assert openai_traits(**base).modes == frozenset({"gen"})
    assert openai_traits(**base, logprobs=True).modes == frozenset({"gen", "ppl", "clp"})
    assert openai_traits(**base, chat=False).is_chat is False
    monkeypatch.delenv("SOME_KEY")
    with pytest.raises(CompassError, match="export SOME_KEY"):
        openai_traits(**base)
    with pytest.raises(CompassError, match="NAME of an environment variable"):
        openai_traits(**{**base, "api_key_env": "sk-abc123"})
    with pytest.raises(CompassError, match="--api-base"):
        openai_traits(model="m", api_key_env=None)
    with pytest.raises(CompassError, match="--api-model"):
        openai_traits(api_base="http://x/v1", api_key_env=None)
    with pytest.raises(CompassError, match="never an option"):
        openai_traits(**base, api_key="sk-123")


def test_plugin_manifest_does_not_import_the_sdk():
    code = ("import sys, compass_openai.plugin, compass_openai.backend, compass_openai.api_test;"
            "from compass._plugins import make_plugin_host; make_plugin_host().registry;"
            "assert 'openai' not in sys.modules, 'openai imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("http_backend", ["aiohttp", "httpx"])
def test_every_fault_kind_is_survived_on_both_wires(http_backend):
    require_extra(http_backend if http_backend == "aiohttp" else "openai")
    cfg = ServerConfig(fault_rate=0.5, slow_seconds=1.0, retry_after="0.05", seed=7)
    with FakeOpenAI(cfg) as srv:
        m = model(srv, http_backend=http_backend, timeout=0.4, backoff_base=0.02, max_retries=8,
                  adaptive=False)
        try:
            out = m.generate(requests(24))
            kinds = dict(m.client.stats.errors)
        finally:
            m.close()
    assert all(not c.error and c.text for c in out), [c.error for c in out if c.error]
    assert set(kinds) == {"rate_limited", "server", "timeout", "connection", "malformed"}, kinds


@pytest.mark.parametrize("http_backend", ["aiohttp", "httpx"])
def test_tls_and_refused_connections_are_named(http_backend):
    require_extra(http_backend if http_backend == "aiohttp" else "openai")
    with FakeOpenAI(ServerConfig()) as srv:
        tls = OpenAIModel(model="test-model", api_base=srv.url.replace("http:", "https:"), api_key_env=None,
                          http_backend=http_backend, max_retries=0)
        try:
            (out,) = tls.generate(requests(1))
        finally:
            tls.close()
    assert "tls: " in out.error and "SSL" in out.error, out.error
    sock_port = srv.port  # closed now: nothing listens
    gone = OpenAIModel(model="test-model", api_base=f"http://127.0.0.1:{sock_port}/v1", api_key_env=None,
                       http_backend=http_backend, max_retries=1, backoff_base=0.01)
    try:
        (out,) = gone.generate(requests(1))
    finally:
        gone.close()
    assert "gave up after 2 attempts: connection" in out.error, out.error
