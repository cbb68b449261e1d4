"""A chat or API model's ``meta_template`` (OpenCompass's ``APITemplateParser`` table) shapes the
messages of the config's OpenCompass datasets as OpenCompass 0.5.4 does: its round roles and
``api_role``, ``reserved_roles``, and the ``begin`` message put first (the system prompt of
OpenCompass's examples/eval_internlm3_math500_thinking.py). The oracle is OpenCompass itself:
``tests/data/opencompass_chat_meta.json`` from ``bench/opencompass_chat_meta.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import compass_env

HERE = Path(__file__).resolve().parent
CASES = HERE / "data" / "opencompass_chat_meta.json"
DATA = HERE / "data" / "datasets"
CONFIGS = HERE / "data" / "opencompass_main" / "opencompass" / "configs"


def test_messages_equal_what_opencompass_sends_for_each_meta_template():
    from compass_opencompass import icl

    fixture = json.loads(CASES.read_text(encoding="utf-8"))
    prompts = {name: (mode, items) for name, mode, items in fixture["prompts"]}
    assert len(fixture["cases"]) == len(fixture["metas"]) * len(prompts) >= 20
    for case in fixture["cases"]:
        meta = fixture["metas"][case["meta"]]
        if meta is not None:
            meta = icl.check_chat_meta(meta, "test")
        mode, items = prompts[case["prompt"]]
        got = icl.chat_messages(items, meta or icl.CHAT_META, mode)
        assert got == case["messages"], (case["meta"], case["prompt"])
    # the begin message really is there (the fixture is not all default-shaped)
    firsts = {c["messages"][0]["role"] for c in fixture["cases"] if c["meta"] == "system_begin"}
    assert firsts == {"system", "user"}  # a plain-string prompt is sent as it is, without the begin message


@pytest.mark.parametrize("meta, word", [
    ([{"role": "system", "content": "hi"}], "list of messages"),
    ({"begin": "<s>", "round": [{"role": "HUMAN", "api_role": "HUMAN"}]}, "begin is a message table"),
    ({"round": "HUMAN"}, "needs a 'round' list"),
    ({"round": [{"role": "HUMAN", "api_role": "USER"}]}, "needs api_role HUMAN, BOT or SYSTEM"),
    ({"round": [{"role": "HUMAN", "api_role": "HUMAN"}], "reserved_roles": ["SYSTEM"]}, "tables with a 'role'"),
])
def test_a_meta_template_compass_cannot_apply_is_one_line(meta, word):
    from compass.sdk import CompassError
    from compass_opencompass.icl import check_chat_meta

    with pytest.raises(CompassError) as err:
        check_chat_meta(meta, "cfg.py: models[0]")
    assert word in str(err.value) and str(err.value).startswith("cfg.py: models[0]") and "\n" not in str(err.value)


# the model entry of OpenCompass's examples/eval_internlm3_math500_thinking.py (main), its system prompt cut short
THINKING = """
from mmengine.config import read_base
from opencompass.models import VLLMwithChatTemplate
with read_base():
    from opencompass.configs.datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets
datasets = gsm8k_datasets
reasoning_meta_template = dict(
    begin=dict(role='SYSTEM', api_role='SYSTEM', prompt='You are an expert mathematician.'),
    round=[dict(role='HUMAN', api_role='HUMAN'), dict(role='BOT', api_role='BOT', generate=True)])
models = [dict(type=VLLMwithChatTemplate, abbr='internlm3-8b-instruct-vllm', path=PATH,
               model_kwargs=dict(tensor_parallel_size=1), generation_kwargs=dict(do_sample=False),
               max_seq_len=32768, max_out_len=16384, batch_size=16, run_cfg=dict(num_gpus=1),
               meta_template=reasoning_meta_template)]
"""


def test_a_chat_models_begin_message_is_sent_first(compass, monkeypatch):
    from compass import api

    monkeypatch.setenv("COMPASS_OPENCOMPASS_CONFIGS", str(CONFIGS))
    cfg_file = compass.cwd / "eval_thinking.py"
    cfg_file.write_text(THINKING.replace("PATH", "'internlm/internlm3-8b-instruct'"))
    cfg = api.load_config(str(cfg_file))
    model = cfg.models[0].kwargs
    assert model["hf_type"] == "chat" and "meta_template" not in model  # not compass's begin/end-string table
    from compass_opencompass.datasets import subset

    sub = subset(cfg.datasets[0].kwargs["datasets"][0], "demo")
    row = sub.load(DATA).test[0]
    msgs = sub.template.render(row, chat=True)
    assert [m.role for m in msgs][:2] == ["SYSTEM", "HUMAN"] and msgs[0].content == "You are an expert mathematician."
    assert msgs[-1].role == "HUMAN" and row["question"] in msgs[-1].content
    # without the meta template the same row gets no system message
    plain = subset({k: v for k, v in cfg.datasets[0].kwargs["datasets"][0].items()
                    if k != "model_chat_meta_template"}, "demo").template.render(row, chat=True)
    assert [m for m in plain if m.role == "SYSTEM"] == []
    # (HuggingFacewithChatTemplate's default round also sends its empty SYSTEM slot: a "\n" after each question)
    assert [m.content.rstrip("\n") for m in plain] == [m.content.rstrip("\n") for m in msgs[1:]]
    res = compass("eval", "eval_thinking.py", "--data-dir", str(DATA), "--dry-run",
                  env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS)))
    assert res.code == 0, res.err
    assert "its meta_template shapes the chat messages as OpenCompass's APITemplateParser does" in res.err


# an API model whose meta_template is LMTemplateParser's text template (examples/eval_internlm_chat_lmdeploy_apiserver.py)
TEXT_TEMPLATE = """
from mmengine.config import read_base
from opencompass.models.turbomind_api import TurboMindAPIModel
with read_base():
    from opencompass.configs.datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets
datasets = gsm8k_datasets
meta_template = dict(round=[dict(role='HUMAN', begin='<|User|>:', end='\\\\n'),
                            dict(role='BOT', begin='<|Bot|>:', end='<eoa>\\\\n', generate=True)], eos_token_id=103028)
models = [dict(type=TurboMindAPIModel, abbr='internlm-chat-20b-turbomind', api_addr='http://0.0.0.0:23333',
               api_key='EMPTY', max_out_len=100, max_seq_len=2048, batch_size=8, meta_template=meta_template)]
"""


def test_an_api_models_text_template_is_dropped_with_a_note(compass, monkeypatch, capsys):
    from compass import api

    monkeypatch.setenv("COMPASS_OPENCOMPASS_CONFIGS", str(CONFIGS))
    cfg_file = compass.cwd / "eval_text.py"
    cfg_file.write_text(TEXT_TEMPLATE)
    cfg = api.load_config(str(cfg_file))
    assert cfg.models[0].type == "openai" and "meta_template" not in cfg.models[0].kwargs
    assert "model_chat_meta_template" not in cfg.datasets[0].kwargs["datasets"][0]
    assert "its meta_template is a text template (begin/end strings)" in capsys.readouterr().err
