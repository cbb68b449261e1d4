"""OpenCompass configs run by their own definition, imported from the user's OpenCompass tree."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import compass_env

from compass_opencompass import icl

DATA = Path(__file__).resolve().parent / "data" / "datasets"

# an OpenCompass-style siqa config whose prompt differs from every one compass ships
SIQA = """
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import PPLInferencer
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.datasets import siqaDataset

siqa_reader_cfg = dict(input_columns=['context', 'question', 'answerA', 'answerB', 'answerC'],
                       output_column='label', test_split='validation', test_range='[0:2]')
siqa_infer_cfg = dict(
    prompt_template=dict(type=PromptTemplate, template={
        i: dict(round=[dict(role='HUMAN', prompt='MINE {context}\\nQ: {question}\\nA:'),
                       dict(role='BOT', prompt='{answer%s}' % c)]) for i, c in ((1, 'A'), (2, 'B'), (3, 'C'))}),
    retriever=dict(type=ZeroRetriever), inferencer=dict(type=PPLInferencer))
siqa_datasets = [dict(abbr='siqa_mine', type=siqaDataset, path='opencompass/siqa', reader_cfg=siqa_reader_cfg,
                      infer_cfg=siqa_infer_cfg, eval_cfg=dict(evaluator=dict(type=AccEvaluator)))]
"""

GSM8K = """
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import FixKRetriever
from opencompass.openicl.icl_inferencer import GenInferencer
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.datasets import GSM8KDataset, gsm8k_postprocess, gsm8k_dataset_postprocess

gsm8k_datasets = [dict(
    abbr='gsm8k_2shot', type=GSM8KDataset, path='opencompass/gsm8k',
    reader_cfg=dict(input_columns=['question'], output_column='answer', test_range='[0:3]'),
    infer_cfg=dict(
        ice_template=dict(type=PromptTemplate, template=dict(round=[
            dict(role='HUMAN', prompt='Question: {question}\\nAnswer:'), dict(role='BOT', prompt='{answer}\\n')])),
        prompt_template=dict(type=PromptTemplate, template=dict(begin='</E>', round=[
            dict(role='HUMAN', prompt='Question: {question}\\nAnswer:')]), ice_token='</E>'),
        retriever=dict(type=FixKRetriever, fix_id_list=[1, 0]),
        inferencer=dict(type=GenInferencer, max_out_len=77)),
    eval_cfg=dict(evaluator=dict(type=AccEvaluator), pred_postprocessor=dict(type=gsm8k_postprocess),
                  dataset_postprocessor=dict(type=gsm8k_dataset_postprocess)))]
"""

EVAL = """
from mmengine.config import read_base
with read_base():
    from opencompass.configs.datasets.siqa.siqa_mine import siqa_datasets
    from opencompass.configs.datasets.gsm8k.gsm8k_mine import gsm8k_datasets
datasets = [*siqa_datasets, *gsm8k_datasets]
models = [dict(type='mock', chat=CHAT, answers={})]
"""


def _tree(root: Path) -> Path:
    configs = root / "opencompass" / "configs"
    (configs / "datasets" / "siqa").mkdir(parents=True)
    (configs / "datasets" / "gsm8k").mkdir(parents=True)
    (configs / "datasets" / "siqa" / "siqa_mine.py").write_text(SIQA)
    (configs / "datasets" / "gsm8k" / "gsm8k_mine.py").write_text(GSM8K)
    (root / "examples").mkdir()
    return configs


def _predictions(cwd: Path, name: str) -> list[dict]:
    run = sorted((cwd / "outputs" / "default").iterdir())[-1]
    rows = [json.loads(x) for x in (run / "predictions" / "mock" / f"{name}.jsonl").read_text().splitlines()]
    return sorted(rows, key=lambda r: r["index"])


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_config_in_an_opencompass_checkout_runs_its_own_prompts(compass):
    _tree(compass.cwd)
    cfg = compass.cwd / "examples" / "eval_mine.py"
    for chat in (False, True):
        cfg.write_text(EVAL.replace("CHAT", str(chat)))
        res = compass("eval", str(cfg), "--data-dir", str(DATA), "--debug")
        assert res.code == 0, res.err[-2000:]
        assert "compass's own copies" not in res.err and "compass's prompt" not in res.err
        assert "siqa_mine" in res.out and "gsm8k_2shot" in res.out
        siqa = _predictions(compass.cwd, "siqa_mine")
        first = _jsonl(DATA / "siqa" / "dev.jsonl")[0]
        assert len(siqa) == 2  # test_range kept
        want = f"MINE {first['context']}\nQ: {first['question']}\nA:"
        got = siqa[0]["origin_prompt"]
        if chat:
            assert got == [{"role": "HUMAN", "content": want + "\n"}]
        else:
            assert got == want + "\n"  # OpenCompass joins the turns with a newline
        gsm = _predictions(compass.cwd, "gsm8k_2shot")
        assert len(gsm) == 3
        train, test = _jsonl(DATA / "gsm8k" / "train.jsonl"), _jsonl(DATA / "gsm8k" / "test.jsonl")
        spec = icl.from_config({
            "ice_template": {"template": {"round": [{"role": "HUMAN", "prompt": "Question: {question}\nAnswer:"},
                                                    {"role": "BOT", "prompt": "{answer}\n"}]}},
            "prompt_template": {"template": {"begin": "</E>", "round": [
                {"role": "HUMAN", "prompt": "Question: {question}\nAnswer:"}]}, "ice_token": "</E>"}},
            {"output_column": "answer"})
        p = spec.gen(test[0], [train[1], train[0]])
        if chat:
            msgs = icl.chat_messages(p)
            role = {"user": "HUMAN", "assistant": "BOT"}
            assert gsm[0]["origin_prompt"] == [{"role": role[m["role"]], "content": m["content"]} for m in msgs]
            assert len(msgs) == 5 and train[1]["question"] in msgs[0]["content"]
        else:
            assert gsm[0]["origin_prompt"] == icl.base_text(p)
            assert gsm[0]["origin_prompt"].startswith(f"Question: {train[1]['question']}\nAnswer:\n{train[1]['answer']}")
        assert gsm[0]["gold"] == test[0]["answer"].split("#### ")[1].replace(",", "")


def test_env_variable_names_the_tree_and_the_fallback_says_so_in_one_line(compass, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("oc")
    configs = _tree(elsewhere)
    cfg = compass.cwd / "eval.py"
    cfg.write_text(EVAL.replace("CHAT", "False"))
    res = compass("eval", str(cfg), "--data-dir", str(DATA), "--dry-run",
                  env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(configs)))
    assert res.code == 0, res.err[-2000:]
    assert "siqa_mine" in res.out
    # no tree: compass's own copy of siqa_ppl, and one line saying so
    cfg.write_text("from mmengine.config import read_base\nwith read_base():\n"
                   "    from opencompass.configs.datasets.siqa.siqa_ppl import siqa_datasets\n"
                   "datasets = siqa_datasets\nmodels = [dict(type='mock', chat=False, answers={})]\n")
    res = compass("eval", str(cfg), "--data-dir", str(DATA), "--dry-run")
    assert res.code == 0, res.err[-2000:]
    lines = [ln for ln in res.err.splitlines() if "compass's own copies" in ln]
    assert len(lines) == 1 and "datasets.siqa.siqa_ppl" in lines[0] and "COMPASS_OPENCOMPASS_CONFIGS" in lines[0]
    res = compass("eval", str(cfg), "--dry-run", env=compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(tmp_path_factory.mktemp("empty"))))
    assert res.code == 2 and "COMPASS_OPENCOMPASS_CONFIGS" in res.err and "Traceback" not in res.err


MODELS = """
from opencompass.models import TurboMindModelwithChatTemplate, MoonShot
models = [
    dict(type=TurboMindModelwithChatTemplate, abbr='internlm2_5-1_8b-chat-turbomind', path='internlm/internlm2_5-1_8b-chat',
         engine_config=dict(session_len=8192, max_batch_size=16, tp=1),
         gen_config=dict(top_k=1, temperature=1e-6, top_p=0.9, max_new_tokens=4096),
         max_seq_len=8192, max_out_len=4096, batch_size=16, run_cfg=dict(num_gpus=1)),
    dict(abbr='moonshot-v1-32k', type=MoonShot, path='moonshot-v1-32k', key='ENV',
         url='https://api.moonshot.cn/v1/chat/completions', query_per_second=1, max_out_len=2048,
         max_seq_len=4096, retry=2),
]
datasets = ['gsm8k_compass_gen']
"""


def test_engine_and_api_model_classes_map_with_one_note_each(compass):
    (compass.cwd / "models.py").write_text(MODELS)
    res = compass("eval", "models.py", "--dump-config")
    assert res.code == 0, res.err[-2000:]
    assert 'type = "hf"' in res.out and 'hf_type = "chat"' in res.out and "engine_config" not in res.out
    assert 'api_base = "https://api.moonshot.cn/v1"' in res.out and 'api_key_env = "MOONSHOT_API_KEY"' in res.out
    notes = [ln for ln in res.err.splitlines() if ln.startswith("note:")]
    assert any("TurboMindModelwithChatTemplate runs with transformers" in n for n in notes)
    assert any("MoonShot is sent through compass's OpenAI-compatible backend" in n for n in notes)


def test_a_class_without_counterpart_is_one_line_exit_2(compass):
    (compass.cwd / "bad.py").write_text("from opencompass.models import AlayaLM\nmodels = [dict(type=AlayaLM, path='x')]\n"
                                        "datasets = ['gsm8k_compass_gen']\n")
    res = compass("eval", "bad.py", "--dry-run")
    assert res.code == 2 and "AlayaLM" in res.err and "it offers" in res.err and "Traceback" not in res.err
    assert len([ln for ln in res.err.splitlines() if ln.strip()]) == 1


def test_summary_groups_become_group_rows_and_bm25_is_refused_in_one_line(compass):
    _tree(compass.cwd)
    cfg = compass.cwd / "examples" / "eval_sum.py"
    cfg.write_text(EVAL.replace("CHAT", "False") + "summarizer = dict(dataset_abbrs=['both', ['siqa_mine', "
                   "'accuracy'], 'not_run'], summary_groups=["
                   "dict(name='both', subsets=['siqa_mine', ['gsm8k_2shot', 'accuracy']])])\n")
    res = compass("eval", str(cfg), "--data-dir", str(DATA), "--debug")
    assert res.code == 0, res.err[-2000:]
    assert any(ln.startswith("both ") and "naive_average" in ln for ln in res.out.splitlines()), res.out
    # the table follows dataset_abbrs (a name no row has: a row of '-'), then the rows it did not name
    firsts = [ln.split()[0] for ln in res.out.split("\n\n")[0].splitlines()[2:] if ln.strip()]
    assert firsts[:4] == ["both", "siqa_mine", "not_run", "gsm8k_2shot"], res.out
    assert "not_run" in res.out and "dataset_abbrs is not applied" not in res.err
    bm25 = compass.cwd / "opencompass" / "configs" / "datasets" / "siqa" / "siqa_mine.py"
    bm25.write_text(SIQA.replace("ZeroRetriever", "BM25Retriever"))
    res = compass("eval", str(cfg), "--data-dir", str(DATA), "--dry-run")
    assert res.code == 2 and "BM25Retriever" in res.err and "Traceback" not in res.err
    assert len([ln for ln in res.err.splitlines() if ln.startswith("error")]) == 1


def test_opencompass_config_names_run_that_file_case_insensitively(compass, tmp_path_factory):
    root = tmp_path_factory.mktemp("oc")
    configs = _tree(root)
    (configs / "datasets" / "siqa" / "siqa_ppl_42bc6e.py").write_text(SIQA)  # a real name, our content
    env = compass_env(COMPASS_OPENCOMPASS_CONFIGS=str(configs))
    res = compass("eval", "-m", "mock", "-d", "SIQA_PPL_42bc6e", "--data-dir", str(DATA), "--debug", env=env)
    assert res.code == 0, res.err[-2000:]
    assert "configs/datasets/siqa/siqa_ppl_42bc6e.py" in res.err and "siqa_mine" in res.out
    assert _predictions(compass.cwd, "siqa_mine")[0]["origin_prompt"][0]["content"].startswith("MINE ")  # mock: chat
    res = compass("eval", "-m", "mock", "-d", "siqa_ppl_42bc6e", "--dry-run")
    assert res.code == 2 and "COMPASS_OPENCOMPASS_CONFIGS" in res.err and "Traceback" not in res.err


HUMANEVAL = """
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import GenInferencer
from opencompass.datasets import HumanevalDataset, HumanEvalEvaluator, humaneval_postprocess_v2

humaneval_datasets = [dict(
    abbr='openai_humaneval', type=HumanevalDataset, path='opencompass/humaneval',
    reader_cfg=dict(input_columns=['prompt'], output_column='task_id', train_split='test', test_range='[0:3]'),
    infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template=dict(round=[
        dict(role='HUMAN', prompt='Complete the following python code:\\n{prompt}')])),
        retriever=dict(type=ZeroRetriever), inferencer=dict(type=GenInferencer, max_out_len=512)),
    eval_cfg=dict(evaluator=dict(type=HumanEvalEvaluator), pred_role='BOT', k=[1, 10, 100],
                  pred_postprocessor=dict(type=humaneval_postprocess_v2)))]
"""


def test_humaneval_config_runs_programs_as_opencompass_does(compass):
    import shutil

    if shutil.which("bwrap") is None:
        import pytest

        pytest.skip("bubblewrap is not installed (compass runs model code only in its sandbox)")
    rows = _jsonl(DATA / "humaneval" / "HumanEval.jsonl")[:3]
    # a chat model writes the whole function in a fenced block (v2 strips leading blanks, as OpenCompass does)
    answers = {r["prompt"][-60:]: "Here:\n```python\n" + r["prompt"] + r["canonical_solution"] + "```\n" for r in rows}
    (compass.cwd / "he.py").write_text(HUMANEVAL)
    (compass.cwd / "eval_he.py").write_text(
        "from mmengine.config import read_base\nwith read_base():\n    from .he import humaneval_datasets\n"
        f"datasets = humaneval_datasets\nmodels = [dict(type='mock', chat=True, answers={answers!r})]\n")
    res = compass("eval", "eval_he.py", "--data-dir", str(DATA), "--debug", timeout=300)
    assert res.code == 0, res.err[-2000:]
    line = next(ln for ln in res.out.splitlines() if ln.startswith("openai_humaneval"))
    assert line.split()[-1] == "100.00", res.out
