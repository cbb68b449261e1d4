"""Reasoning models over the API, end to end against the loopback server: the length goes as
``max_completion_tokens``, no temperature or stop words are sent, and the reasoning the API
returns apart is kept in the predictions as ``<think>…</think>`` but never scored."""

from __future__ import annotations

import json

import pytest
from extras import require_extra

require_extra("openai")

from conftest import compass_env, run_compass  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402
from toy.api_plugin import expected_accuracy  # noqa: E402

KEY = "sk-test-Rr4sN8mQ2wE6tY0uI3oP"
PLUGINS = "openai,runners,metrics"
THOUGHT = "Let me think. It could be 99999, or not."
N = 20


def env():
    return compass_env("toy.api_plugin", COMPASS_PLUGINS=PLUGINS, TEST_API_KEY=KEY)


def _chat_bodies(srv: FakeOpenAI) -> list[dict]:
    return [r.body for r in srv.stats.records if r.path.endswith("/chat/completions") and r.outcome == "ok"]


def _predictions(cwd) -> list[dict]:
    run = sorted((cwd / "outputs" / "default").iterdir())[-1]
    path = next((run / "predictions").glob("*/api-arith.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def _score(out: str) -> float:
    row = [ln.split() for ln in out.splitlines() if ln.startswith("api-arith ")]
    assert len(row) == 1, out
    return float(row[0][-1])


def test_reasoning_model_gets_max_completion_tokens_and_its_thoughts_are_kept_not_scored(tmp_path):
    with FakeOpenAI(ServerConfig(require_key=KEY, reasoning=THOUGHT, reject_max_tokens=True)) as srv:
        cfg = tmp_path / "r.toml"
        cfg.write_text(f'[[models]]\ntype = "openai"\napi_base = "{srv.url}"\nmodel = "test-model"\n'
                       f'api_key_env = "TEST_API_KEY"\nreasoning = true\nmax_out_len = 4096\n')
        res = run_compass(["eval", str(cfg), "-d", "api_arith", "--limit", str(N)], tmp_path, env(), timeout=120)
        bodies = _chat_bodies(srv)
        outcomes = srv.stats.outcomes()
    assert res.code == 0, res.err
    assert outcomes == {"ok": N}, outcomes  # not one request refused for max_tokens
    assert len(bodies) == N
    for body in bodies:
        assert body["max_completion_tokens"] == 4096
        assert not {"max_tokens", "temperature", "stop"} & set(body), body
    preds = _predictions(tmp_path)
    assert all(p["prediction"].startswith(f"<think>{THOUGHT}</think>") for p in preds)
    # the reasoning mentions 99999: scored, it would make every answer wrong
    assert _score(res.out) == pytest.approx(expected_accuracy(N))


def test_reasoning_field_of_any_model_is_kept_and_plain_models_keep_max_tokens(tmp_path):
    with FakeOpenAI(ServerConfig(require_key=KEY, reasoning=THOUGHT, reasoning_field="reasoning")) as srv:
        res = run_compass(["eval", "-d", "api_arith", "--limit", str(N), "--api-base", srv.url,
                           "--api-model", "test-model", "--api-key-env", "TEST_API_KEY"], tmp_path, env(),
                          timeout=120)
        bodies = _chat_bodies(srv)
    assert res.code == 0, res.err
    assert all(b["max_tokens"] == 16 and b["temperature"] == 0 and "max_completion_tokens" not in b for b in bodies)
    assert all(p["prediction"].startswith(f"<think>{THOUGHT}</think>") for p in _predictions(tmp_path))
    assert _score(res.out) == pytest.approx(expected_accuracy(N))


def test_reasoning_preset_and_an_explicit_temperature(tmp_path):
    with FakeOpenAI(ServerConfig(require_key=KEY, models=("deepseek-reasoner",), reasoning=THOUGHT,
                                 reject_max_tokens=True)) as srv:
        cfg = tmp_path / "r.toml"
        cfg.write_text(f'[[models]]\ntype = "deepseek-reasoner"\napi_base = "{srv.url}"\n'
                       f'api_key_env = "TEST_API_KEY"\ntemperature = 0.6\nmax_out_len = 32768\n')
        res = run_compass(["eval", str(cfg), "-d", "api_arith", "--limit", "5"], tmp_path, env(), timeout=120)
        bodies = _chat_bodies(srv)
    assert res.code == 0, res.err
    assert [(b["model"], b["max_completion_tokens"], b["temperature"]) for b in bodies] == \
        [("deepseek-reasoner", 32768, 0.6)] * 5


def test_reasoning_must_be_a_boolean(tmp_path):
    cfg = tmp_path / "r.toml"
    cfg.write_text('[[models]]\ntype = "openai"\napi_base = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
                   'api_key_env = "TEST_API_KEY"\nreasoning = "yes"\n')
    res = run_compass(["eval", str(cfg), "-d", "api_arith"], tmp_path, env())
    assert res.code == 2
    assert "error: " in res.err and "reasoning must be true or false" in res.err and "Traceback" not in res.err
