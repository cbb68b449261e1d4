"""compass api-test CONFIG: TOML and OpenCompass-style API configs against the loopback server."""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("openai")

from conftest import compass_env, run_compass  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

KEY = "sk-test-occonfig-Zx81"


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(ServerConfig(require_key=KEY)) as srv:
        yield srv


def env(**extra):
    return compass_env("toy.toy_plugin", **{"OPENAI_API_KEY": KEY, **extra})


def test_api_test_on_a_toml_config(server, tmp_path):
    (tmp_path / "api.toml").write_text(
        f'datasets = ["demo_gsm8k"]\n[[models]]\ntype = "openai"\nmodel = "test-model"\napi_base = "{server.url}"\n')
    res = run_compass(["api-test", "api.toml"], tmp_path, env())
    assert res.code == 0, res.err
    assert "HTTP status  200" in res.out and "test-model" in res.out and KEY not in res.out


def test_api_test_on_an_opencompass_style_config(server, tmp_path):
    (tmp_path / "eval_api.py").write_text(f"""
from mmengine.config import read_base
from opencompass.models import OpenAI, OpenAISDK

with read_base():
    from .datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets

datasets = gsm8k_datasets
models = [
    dict(abbr='one', type=OpenAISDK, path='test-model', openai_api_base='{server.url}', key='ENV',
         query_per_second=1, max_out_len=256, max_seq_len=2048, batch_size=2),
    dict(abbr='two', type=OpenAI, path='test-model', openai_api_base='{server.url}/chat/completions',
         key='ENV', max_out_len=256),
]
""")
    res = run_compass(["api-test", "eval_api.py"], tmp_path, env())
    assert res.code == 0, res.err
    assert res.out.count("HTTP status  200") == 2 and "models[1] (two)" in res.out


def test_literal_key_is_refused(server, tmp_path):
    (tmp_path / "eval_api.py").write_text(f"""
from opencompass.models import OpenAISDK
datasets = ['demo_gsm8k']
models = [dict(type=OpenAISDK, path='moonshot-v1-8k', openai_api_base='https://api.moonshot.cn/v1',
               key='sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0')]
""")  # made up, the shape of a real key
    for args in (["api-test", "eval_api.py"], ["eval", "eval_api.py", "--dry-run"]):
        res = run_compass(args, tmp_path, env())
        lines = [ln for ln in res.err.splitlines() if ln.strip()]
        assert res.code == 2 and len(lines) == 1, res.err
        assert "export MOONSHOT_API_KEY" in lines[0] and "sk-9f8e7d6c5b4a" not in res.err


def test_the_shipped_moonshot_example_names_its_variable(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "api_examples" / "eval_api_moonshot.py"
    res = run_compass(["api-test", str(example)], tmp_path, compass_env(MOONSHOT_API_KEY=""))
    assert res.code == 2 and "export MOONSHOT_API_KEY" in res.err
