"""OpenCompass-style Python configs run without mmengine/opencompass; datasets declared as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from extras import require_extra

DATA = Path(__file__).resolve().parent / "data" / "datasets"
MOCK = "dict(type='mock', chat=False, answers={\"Tracy didn't go home\": 'Find somewhere to go', 'Sydney walked': 'incredulous'})"

READ_BASE = f"""
from mmengine.config import read_base

with read_base():
    from .datasets.siqa.siqa_ppl import siqa_datasets

datasets = [*siqa_datasets]
models = [{MOCK}]
"""

# the notes' opt125m + siqa_ppl example: its own siqa_datasets, written as OpenCompass writes it
NOTES = """
from opencompass.models import HuggingFaceCausalLM
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import PPLInferencer
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.datasets import siqaDataset
from opencompass.partitioners import SizePartitioner
from opencompass.runners import LocalRunner
from opencompass.tasks import OpenICLInferTask

siqa_reader_cfg = dict(input_columns=['context', 'question', 'answerA', 'answerB', 'answerC'],
                       output_column='label', test_split='validation')
siqa_infer_cfg = dict(
    prompt_template=dict(type=PromptTemplate, template={
        1: dict(round=[dict(role='HUMAN', prompt='{context}\\nQuestion: {question}\\nAnswer:'), dict(role='BOT', prompt='BOT_A')]),
        2: dict(round=[dict(role='HUMAN', prompt='{context}\\nQuestion: {question}\\nAnswer:'), dict(role='BOT', prompt='BOT_B')]),
        3: dict(round=[dict(role='HUMAN', prompt='{context}\\nQuestion: {question}\\nAnswer:'), dict(role='BOT', prompt='BOT_C')]),
    }),
    retriever=dict(type=ZeroRetriever),
    inferencer=dict(type=PPLInferencer))
siqa_eval_cfg = dict(evaluator=dict(type=AccEvaluator))
siqa_datasets = [dict(abbr='siqa', type=siqaDataset, path='./data/siqa', reader_cfg=siqa_reader_cfg,
                      infer_cfg=siqa_infer_cfg, eval_cfg=siqa_eval_cfg)]

opt125m = dict(type=HuggingFaceCausalLM, path='MODEL_PATH', tokenizer_path='MODEL_PATH',
               tokenizer_kwargs=dict(padding_side='left', truncation_side='left', proxies=None, trust_remote_code=True),
               max_seq_len=2048, abbr='opt125m', max_out_len=100, batch_size=8, run_cfg=dict(num_gpus=0))
models = [opt125m]
datasets = [*siqa_datasets]
infer = dict(partitioner=dict(type=SizePartitioner, max_task_size=1000),
             runner=dict(type=LocalRunner, max_num_workers=1, task=dict(type=OpenICLInferTask)))
"""


def score(res, row: str = "siqa") -> float:
    lines = [ln.split() for ln in res.out.splitlines() if ln.startswith(row + " ")]
    assert lines, res.out + res.err
    return float(lines[0][-1])


def verdicts(cwd: Path) -> list:
    run = sorted((cwd / "outputs" / "default").iterdir())[-1]
    path = next((run / "results").rglob("*.samples.jsonl"))
    return [json.loads(ln)["correct"] for ln in path.read_text().splitlines()]


def test_read_base_siqa_ppl_scores_like_the_builtin(evaluate):
    # both configs run in this process (compass.api reads OpenCompass .py configs as the CLI does)
    cfg = evaluate.cwd / "eval_siqa.py"
    cfg.write_text(READ_BASE)
    res = evaluate(cfg, data_dir=str(DATA))
    assert res.code == 0, res.err
    ours, ours_v = score(res), verdicts(evaluate.cwd)
    builtin = evaluate.cwd / "builtin.py"
    builtin.write_text(f"datasets = ['siqa_compass_ppl']\nmodels = [{MOCK}]\n")
    res = evaluate(builtin, data_dir=str(DATA))
    assert res.code == 0, res.err
    assert score(res) == ours and verdicts(evaluate.cwd) == ours_v
    assert 0 < ours < 100


@pytest.mark.model
def test_read_base_siqa_ppl_scores_like_the_builtin_on_a_real_model(compass, tmp_path_factory):
    require_extra("torch")
    import hf_models

    path = str(hf_models.build_llama(tmp_path_factory.mktemp("m") / "llama"))
    model = f"dict(type='hf', path={path!r}, hf_type='base', batch_size=4)"
    (compass.cwd / "a.py").write_text(READ_BASE.replace(MOCK, model))
    (compass.cwd / "b.py").write_text(f"datasets = ['siqa_compass_ppl']\nmodels = [{model}]\n")
    res = compass("eval", "a.py", "--data-dir", str(DATA), "--debug")
    assert res.code == 0, res.err[-2000:]
    first = (score(res), verdicts(compass.cwd))
    res = compass("eval", "b.py", "--data-dir", str(DATA), "--debug")
    assert res.code == 0, res.err[-2000:]
    assert (score(res), verdicts(compass.cwd)) == first


@pytest.mark.model
def test_notes_config_runs_as_written(compass, tmp_path_factory):
    require_extra("torch")
    import hf_models

    path = str(hf_models.build_llama(tmp_path_factory.mktemp("m") / "llama"))
    text = NOTES.replace("MODEL_PATH", path)
    for label, col in (("A", "answerA"), ("B", "answerB"), ("C", "answerC")):
        text = text.replace(f"BOT_{label}", "{" + col + "}")
    (compass.cwd / "eval_opt125m_siqa.py").write_text(text)
    res = compass("eval", "eval_opt125m_siqa.py", "--data-dir", str(DATA), "--debug")
    assert res.code == 0, res.err[-2000:]
    assert 0 <= score(res) <= 100 and "opt125m" in res.out
    dumped = compass("eval", "eval_opt125m_siqa.py", "--dump-config")
    assert dumped.code == 0, dumped.err
    assert 'type = "opencompass"' in dumped.out and 'hf_type = "base"' in dumped.out
    assert "max_partition_size = 1000" in dumped.out
    # the dump is a config compass runs: the same plan
    (compass.cwd / "migrated.toml").write_text(dumped.out)
    a = compass("eval", "eval_opt125m_siqa.py", "--data-dir", str(DATA), "--dry-run")
    b = compass("eval", "migrated.toml", "--data-dir", str(DATA), "--dry-run")
    assert a.code == b.code == 0, b.err
    assert a.out.splitlines()[1:] == b.out.splitlines()[1:]


@pytest.mark.parametrize("line, name", [
    ("from opencompass.models import AlayaLM\nmodels = [dict(type=AlayaLM, path='x')]\ndatasets = ['siqa_compass_ppl']", "AlayaLM"),
    ("from opencompass.datasets import FooDataset\nmodels = ['mock']\ndatasets = [dict(type=FooDataset, path='x')]",
     "FooDataset"),
    ("from opencompass.runners import DLCRunner\nmodels = ['mock']\ndatasets = ['siqa_compass_ppl']\n"
     "infer = dict(runner=dict(type=DLCRunner))", "DLCRunner"),
])
def test_unknown_class_is_one_line(compass, line, name):
    (compass.cwd / "bad.py").write_text(line + "\n")
    res = compass("eval", "bad.py", "--dry-run")
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1, res.err
    assert lines[0].startswith("error: ") and f"OpenCompass class {name}" in lines[0] and "offers" in lines[0]


def test_opencompass_shims_stay_out_of_help(compass):
    res = compass("--help")
    assert res.code == 0
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys; from compass._cli.main import main\n"
                          "try:\n    main(['--help'])\nexcept SystemExit: pass\n"
                          "print([m for m in sys.modules if m.startswith(('compass_opencompass.shims', 'compass_opencompass.translate'))])"],
                         capture_output=True, text=True)
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr
