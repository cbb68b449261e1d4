"""Real OpenCompass files (tests/data/opencompass_main, copied from OpenCompass's main branch):
examples planned against the checkout around them, model config names, mmengine ConfigDict
semantics, API keys written in example configs."""

from __future__ import annotations

from pathlib import Path

from conftest import compass_env

DATA = Path(__file__).resolve().parent / "data" / "datasets"
MAIN = Path(__file__).resolve().parent / "data" / "opencompass_main"
CONFIGS = MAIN / "opencompass" / "configs"


def _env(**extra: str) -> dict:
    env = compass_env(**extra)
    if "COMPASS_OPENCOMPASS_CONFIGS" not in extra:
        env.pop("COMPASS_OPENCOMPASS_CONFIGS", None)
    return env


def _errors(res) -> list[str]:
    return [ln for ln in res.err.splitlines() if ln.startswith("error")]


def test_a_main_example_plans_as_written_against_its_own_checkout(compass):
    # eval_lmdeploy_demo.py as shipped: read_base imports from opencompass.configs of the tree around it
    res = compass("eval", str(MAIN / "examples" / "eval_lmdeploy_demo.py"), "--data-dir", str(DATA), "--dry-run",
                  env=_env())
    assert res.code == 0, res.err
    assert "internlm2_5-1_8b-chat-turbomind/demo_gsm8k" in res.out  # the file's abbrs, model and dataset
    assert "TurboMindModelwithChatTemplate runs with transformers" in res.err
    assert "compass's own copies" not in res.err  # nothing was served from compass's fallback copies


def test_an_example_importing_a_config_its_tree_lacks_is_one_line(compass):
    res = compass("eval", str(MAIN / "examples" / "eval_hf_llama2.py"), "--dry-run", env=_env())
    assert res.code == 2 and "Traceback" not in res.err, res.err
    assert len(_errors(res)) == 1 and len([ln for ln in res.err.splitlines() if ln.strip()]) == 1, res.err
    line = _errors(res)[0]
    assert "eval_hf_llama2.py:4" in line and "configs/datasets/agieval/agieval_mixed_713d14.py" in line
    assert str(CONFIGS) in line and "renamed or removed" in line


def test_model_config_names_run_that_file_case_insensitively(compass):
    env = _env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS), OPENAI_API_KEY="not-a-real-key")
    res = compass("eval", "-m", "HF_InternLM2_5_1_8b_Chat", "gpt_4o_2024_05_13", "-d", "demo_gsm8k",
                  "--dry-run", "--dump-config", env=env)
    assert res.code == 0, res.err
    res = compass("eval", "-m", "HF_InternLM2_5_1_8b_Chat", "gpt_4o_2024_05_13", "-d", "demo_gsm8k",
                  "--dry-run", env=env)
    assert res.code == 0, res.err
    # the files' abbrs name the models; hf chat from HuggingFacewithChatTemplate, openai from OpenAI
    assert "internlm2_5-1_8b-chat-hf/demo_gsm8k" in res.out and "GPT-4o-2024-05-13/demo_gsm8k" in res.out
    assert "runs configs/models/hf_internlm/hf_internlm2_5_1_8b_chat.py of your OpenCompass tree" in res.err
    # a name OpenCompass has whose file this tree lacks: one line naming the file
    res = compass("eval", "-m", "hf_llama2_7b", "-d", "demo_gsm8k", "--dry-run", env=env)
    assert res.code == 2 and len(_errors(res)) == 1 and "models/hf_llama/hf_llama2_7b.py" in res.err, res.err


def test_model_config_name_settings_reach_the_model(compass):
    from compass_opencompass.oc_models import expand

    import os

    old = os.environ.get("COMPASS_OPENCOMPASS_CONFIGS")
    os.environ["COMPASS_OPENCOMPASS_CONFIGS"] = str(CONFIGS)
    try:
        type_, kwargs, abbr = expand("hf_internlm/lmdeploy_internlm2_5_1_8b_chat", max_out_len=64)
    finally:
        if old is None:
            os.environ.pop("COMPASS_OPENCOMPASS_CONFIGS")
        else:
            os.environ["COMPASS_OPENCOMPASS_CONFIGS"] = old
    assert (type_, abbr) == ("hf", "internlm2_5-1_8b-chat-turbomind")
    assert kwargs["path"] == "internlm/internlm2_5-1_8b-chat" and kwargs["hf_type"] == "chat"
    assert kwargs["max_out_len"] == 64 and kwargs["num_gpus"] == 1  # the flag wins; run_cfg's num_gpus kept
    assert "engine_config" not in kwargs and "gen_config" not in kwargs


def test_configs_are_mmengine_config_dicts(compass):
    # what OpenCompass's own configs do (configs/datasets/ruler/ruler_8k_gen.py, demo_*_gen.py):
    # .deepcopy()/.copy() of an imported dataset, attribute reads and writes
    (compass.cwd / "eval_copies.py").write_text(
        "from mmengine.config import read_base\n"
        "with read_base():\n"
        "    from opencompass.configs.datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets\n"
        "first = gsm8k_datasets[0].deepcopy()\n"
        "first.abbr = 'deep_' + first.abbr\n"
        "first.reader_cfg.test_range = '[0:2]'\n"
        "second = gsm8k_datasets[0].copy()\n"
        "second['abbr'] = 'shallow'\n"
        "assert gsm8k_datasets[0].abbr == 'demo_gsm8k' and gsm8k_datasets[0].reader_cfg.test_range == '[0:64]'\n"
        "datasets = [first, second]\n"
        "models = [dict(type='mock', chat=True, answers={})]\n")
    res = compass("eval", "eval_copies.py", "--data-dir", str(DATA), "--dry-run",
                  env=_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS)))
    assert res.code == 0, res.err
    rows = {ln.split()[0]: ln.split() for ln in res.out.splitlines() if ln.startswith("mock/")}
    assert rows["mock/deep_demo_gsm8k"][2] == "2", res.out  # its own test_range
    assert "mock/shallow" in rows, res.out


QWEN3_MODEL = """
from opencompass.models import OpenAISDK
from opencompass.runners import LocalRunner
from opencompass.partitioners import NaivePartitioner, NumWorkerPartitioner
from opencompass.tasks import OpenICLInferTask, OpenICLEvalTask
with read_base():
    from opencompass.configs.datasets.demo.demo_gsm8k_chat_gen import gsm8k_datasets
datasets = gsm8k_datasets
# the model entry of OpenCompass's examples/eval_qwen3.py (main), its key and server list as written
models = [dict(abbr='Qwen_Qwen3-235B-A22B', type=OpenAISDK, path='Qwen/Qwen3-235B-A22B', key=KEY,
               openai_api_base=['http://106.15.231.215:40007/v1/'],
               meta_template=dict(round=[dict(role='HUMAN', api_role='HUMAN'),
                                         dict(role='BOT', api_role='BOT', generate=True)]),
               query_per_second=16, batch_size=128, temperature=0.6, tokenizer_path='gpt-4',
               max_out_len=32768, max_seq_len=32768)]
# its infer/eval stages as written
infer = dict(partitioner=dict(type=NumWorkerPartitioner, num_worker=8),
             runner=dict(type=LocalRunner, task=dict(type=OpenICLInferTask)))
eval = dict(partitioner=dict(type=NaivePartitioner, n=8), runner=dict(type=LocalRunner, task=dict(type=OpenICLEvalTask)))
summarizer = dict(dataset_abbrs=['MATH', ['demo_gsm8k', 'accuracy'], ['aime2024', 'accuracy (32 runs average)']],
                  summary_groups=[])
"""


def test_keys_written_in_example_configs(compass):
    head = "from mmengine.config import read_base\n"
    env = _env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS), OPENAI_API_KEY="not-a-real-key")
    # an example's stand-in key ('sk-admin', 'YOUR_API_KEY'): the usual variable is read instead
    for key in ("'sk-admin'", "'YOUR_API_KEY'"):
        (compass.cwd / "eval_q.py").write_text(head + QWEN3_MODEL.replace("KEY", key))
        res = compass("eval", "eval_q.py", "--data-dir", str(DATA), "--dry-run", env=env)
        assert res.code == 0, res.err
        assert "stand-in for your key; compass reads $OPENAI_API_KEY" in res.err
        assert "Qwen_Qwen3-235B-A22B/demo_gsm8k" in res.out
        (compass.cwd / "eval_q.py").unlink()
    # no key for a server that checks none: planned without any variable set
    (compass.cwd / "eval_q.py").write_text(head + QWEN3_MODEL.replace("KEY", "'EMPTY'"))
    res = compass("eval", "eval_q.py", "--data-dir", str(DATA), "--dry-run",
                  env=_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS), OPENAI_API_KEY=""))
    assert res.code == 0 and "the server checks no key" in res.err, res.err
    # its stages and summarizer as compass has them: the runner, the table's row order
    (compass.cwd / "eval_q.py").write_text(head + QWEN3_MODEL.replace("KEY", "'sk-admin'"))
    res = compass("eval", "eval_q.py", "--data-dir", str(DATA), "--dry-run", "--dump-config", env=env)
    assert res.code == 0, res.err
    assert 'summarizer.order = ["MATH", ["demo_gsm8k", "accuracy"], ["aime2024", "accuracy (32 runs average)"]]' \
        in res.out, res.out
    assert 'api_key_env = "OPENAI_API_KEY"' in res.out and "sk-admin" not in res.out
    # the shape of a real key: refused in one line, never echoed
    secret = "sk-" + "7c1e" * 8
    (compass.cwd / "eval_q.py").write_text(head + QWEN3_MODEL.replace("KEY", repr(secret)))
    res = compass("eval", "eval_q.py", "--data-dir", str(DATA), "--dry-run", env=env)
    assert res.code == 2 and len(_errors(res)) == 1 and "literal API key" in res.err and secret not in res.err
    # a short real key (a self-hosted server's token) too: neither echoed nor swapped for $OPENAI_API_KEY
    (compass.cwd / "eval_q.py").write_text(head + QWEN3_MODEL.replace("KEY", "'token-abc123'"))
    res = compass("eval", "eval_q.py", "--data-dir", str(DATA), "--dry-run", env=env)
    assert res.code == 2 and "literal API key" in res.err and "token-abc123" not in res.err, res.err


def test_openai_model_kwargs_of_opencompass_are_mapped(compass):
    from compass_opencompass.shims import placeholder
    from compass_opencompass.translate import model

    lightllm = placeholder("opencompass.models", "LightllmAPI")
    # the model entry of OpenCompass's examples/eval_lightllm.py (main)
    out = model(dict(abbr='LightllmAPI', type=lightllm, url='http://localhost:1030/generate', meta_template=None,
                     batch_size=32, max_workers_per_task=128, rate_per_worker=1024, retry=4,
                     generation_kwargs=dict(do_sample=False, ignore_eos=False, max_new_tokens=1024)), "x")
    assert out["api_base"] == "http://localhost:1030/v1" and out["api_key_env"] is None
    assert out["max_rps"] == 1024 and out["max_retries"] == 4 and out["max_concurrency"] == 32
    assert out["max_out_len"] == 1024 and out["temperature"] == 0.0 and out["extra_body"] == {"ignore_eos": False}


LM_CASES = Path(__file__).resolve().parent / "data" / "opencompass_lm_template.json"


def test_base_meta_template_renders_as_opencompass_lmtemplateparser():
    import json

    from compass_opencompass.lm_template import lm_text

    cases = json.loads(LM_CASES.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 50 and {c["mode"] for c in cases} == {"gen", "ppl"}
    for c in cases:  # OpenCompass 0.5.4's own LMTemplateParser output for each recorded prompt
        assert lm_text(c["prompt"], c["meta"], c["mode"]) == c["opencompass"], (c["file"], c["meta"])


# the model entry of OpenCompass's examples/eval_multi_prompt_demo.py (main): a base class with a meta_template
MULTI_PROMPT_MODEL = """
from opencompass.models import HuggingFaceCausalLM
with read_base():
    from opencompass.configs.datasets.demo.demo_gsm8k_base_gen import gsm8k_datasets
datasets = [*gsm8k_datasets]
_meta_template = dict(round=[
    dict(role='HUMAN', begin='<|User|>:', end='<eoh>\\n'),
    dict(role='BOT', begin='<|Bot|>:', end='<eoa>\\n', generate=True),
], )
models = [dict(type=HuggingFaceCausalLM, abbr='internlm-chat-7b-hf', path='internlm/internlm-chat-7b',
               tokenizer_path='internlm/internlm-chat-7b',
               tokenizer_kwargs=dict(padding_side='left', truncation_side='left', use_fast=False, trust_remote_code=True),
               max_out_len=100, max_seq_len=2048, batch_size=8, meta_template=_meta_template,
               model_kwargs=dict(trust_remote_code=True, device_map='auto'), run_cfg=dict(num_gpus=1, num_procs=1))]
"""


def test_a_base_models_meta_template_shapes_its_prompts(compass, monkeypatch):
    from compass import api
    from compass_opencompass.datasets import subset

    monkeypatch.setenv("COMPASS_OPENCOMPASS_CONFIGS", str(CONFIGS))
    cfg_file = compass.cwd / "eval_meta.py"
    cfg_file.write_text("from mmengine.config import read_base\n" + MULTI_PROMPT_MODEL)
    cfg = api.load_config(str(cfg_file))
    assert cfg.models[0].kwargs["hf_type"] == "base" and "meta_template" not in cfg.models[0].kwargs
    d = cfg.datasets[0].kwargs["datasets"][0]
    sub = subset(d, "demo")
    rows = sub.load(DATA)
    text = sub.template.render(rows.test[0], chat=False)[0].content
    first = rows.test[0]["question"]
    # 4 worked examples as <|User|>/<|Bot|> rounds, then the row's question and the BOT's begin, as OpenCompass
    assert text.startswith("<|User|>:Question: ") and text.count("<eoa>\n") == 4
    assert text.endswith(f"<|User|>:Question: {first}\nLet's think step by step\nAnswer:<eoh>\n<|Bot|>:")
    res = compass("eval", "eval_meta.py", "--data-dir", str(DATA), "--dry-run",
                  env=_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS)))
    assert res.code == 0 and "its meta_template shapes the prompts as OpenCompass's LMTemplateParser" in res.err
    # two base models with different meta templates in one config: one line, exit 2
    two = MULTI_PROMPT_MODEL + "models.append(dict(models[0], abbr='other', meta_template=dict(round=[" \
                               "dict(role='HUMAN', begin='Q:'), dict(role='BOT', begin='A:', generate=True)])))\n"
    cfg_file.write_text("from mmengine.config import read_base\n" + two)
    res = compass("eval", "eval_meta.py", "--data-dir", str(DATA), "--dry-run",
                  env=_env(COMPASS_OPENCOMPASS_CONFIGS=str(CONFIGS)))
    assert res.code == 2 and len(_errors(res)) == 1 and "different meta_templates" in res.err, res.err
