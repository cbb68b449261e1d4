"""``compass api-test`` against the loopback server: success, 401, 404, unreachable, no key."""

from __future__ import annotations

import socket

import pytest
from extras import require_extra

require_extra("openai")

from conftest import compass_env, run_compass  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402
from toy.api_plugin import expected_accuracy  # noqa: E402

KEY = "sk-test-apitest-Hj4kL9"


def env(**extra):
    return compass_env("toy.api_plugin", **{"COMPASS_PLUGINS": "openai,runners,metrics", "TEST_API_KEY": KEY, **extra})


def flags(url: str, model: str = "test-model") -> list[str]:
    return ["api-test", "--api-base", url, "--api-model", model, "--api-key-env", "TEST_API_KEY"]


def one_error_line(res) -> str:
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2, (res.code, res.out, res.err)
    assert len(lines) == 1 and lines[0].startswith("error: "), res.err
    return lines[0]


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(ServerConfig(require_key=KEY, leak_key_in_errors=True)) as srv:
        yield srv


def test_success_prints_the_table(server, tmp_path):
    res = run_compass(flags(server.url), tmp_path, env())
    assert res.code == 0, res.err
    assert server.url in res.out and "test-model" in res.out
    assert "HTTP status  200" in res.out
    assert "answer       5" in res.out
    assert "prompt +" in res.out and " ms" in res.out
    assert "logprobs     yes" in res.out
    assert "$TEST_API_KEY (set)" in res.out and KEY not in res.out


def test_then_a_tiny_eval(server, tmp_path):
    res = run_compass([*flags(server.url), "--eval", "api_arith", "--limit", "3"], tmp_path, env())
    assert res.code == 0, res.err
    row = [ln for ln in res.out.splitlines() if ln.startswith("api-arith ")]
    assert row and float(row[0].split()[-1]) == pytest.approx(expected_accuracy(3), abs=0.01)
    assert (tmp_path / "outputs" / "default").is_dir()


def test_bad_key(server, tmp_path):
    line = one_error_line(run_compass(flags(server.url), tmp_path, env(TEST_API_KEY="sk-wrong-key-123456")))
    assert "bad key" in line and "401" in line and "$TEST_API_KEY" in line
    assert "sk-wrong-key-123456" not in line  # the server quoted it back; we do not


def test_unknown_model(server, tmp_path):
    line = one_error_line(run_compass(flags(server.url, "no-such-model"), tmp_path, env()))
    assert "unknown model 'no-such-model'" in line and "404" in line and "test-model" in line


def test_rate_limited(tmp_path):
    with FakeOpenAI(ServerConfig(rate_limit_first=10, retry_after="7")) as srv:
        line = one_error_line(run_compass(flags(srv.url), tmp_path, env()))
    assert "rate limited" in line and "429" in line and "Retry-After: 7s" in line


def test_unreachable_port(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    line = one_error_line(run_compass(flags(f"http://127.0.0.1:{port}/v1"), tmp_path, env()))
    assert f"cannot reach 127.0.0.1:{port}" in line and "--api-base" in line


def test_tls_to_a_plain_http_server(server, tmp_path):
    line = one_error_line(run_compass(flags(server.url.replace("http://", "https://")), tmp_path, env()))
    assert "TLS error" in line and "http://" in line


def test_key_not_set(tmp_path):
    e = env()
    e.pop("TEST_API_KEY")
    line = one_error_line(run_compass(flags("http://127.0.0.1:9/v1"), tmp_path, e))
    assert "export TEST_API_KEY" in line
