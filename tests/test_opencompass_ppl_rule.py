"""OpenCompass's PPLInferencer picks the label whose whole text has the lowest mean token loss;
compass runs such a config with the ``mean_all`` ppl rule, and a backend that cannot compute it
is refused when the run is planned (measured against OpenCompass 0.5.4 itself in
bench/opencompass_scores.py; the rule's arithmetic in tests/test_hf_backend.py)."""

from __future__ import annotations

import pytest

from compass.sdk import CompassError, Subset
from compass_opencompass.datasets import subset as oc_subset

TEMPLATE = {1: "{q}\nAnswer: {a}", 2: "{q}\nAnswer: {b}"}


def _config(inferencer: str) -> dict:
    return dict(abbr="two", dataset_class="CustomDataset", path="x.jsonl",
                reader_cfg=dict(input_columns=["q", "a", "b"], output_column="label"),
                infer_cfg=dict(prompt_template=dict(type="PromptTemplate", template=TEMPLATE),
                               retriever=dict(type="ZeroRetriever"), inferencer=dict(type=inferencer)),
                eval_cfg=dict(evaluator=dict(type="AccEvaluator")))


def test_ppl_inferencer_asks_for_opencompass_rule_and_ll_inferencer_for_the_sum():
    assert oc_subset(_config("PPLInferencer"), "t").ppl_score == "mean_all"
    assert oc_subset(_config("LLInferencer"), "t").ppl_score == "sum"


def test_the_rule_reaches_the_request_and_the_version():
    from compass.sdk import Rows

    s = oc_subset(_config("PPLInferencer"), "t")
    rows = Rows(test=[{"q": "2+2?", "a": "4", "b": "5", "label": 1, "_oc_candidates": {"1": " 4", "2": " 5"}}])
    assert s.request(rows, 0, chat=False).score == "mean_all"
    plain = oc_subset(_config("LLInferencer"), "t")
    assert s.version != plain.version  # a run scored by the other rule is another version


def test_unknown_rule_is_one_line():
    with pytest.raises(CompassError, match="unknown ppl_score 'mean'"):
        Subset("x", lambda d: None, None, mode="ppl", candidates={"A": " A"}, ppl_score="mean")


CONFIG = """
from opencompass.openicl.icl_prompt_template import PromptTemplate
from opencompass.openicl.icl_retriever import ZeroRetriever
from opencompass.openicl.icl_inferencer import PPLInferencer
from opencompass.openicl.icl_evaluator import AccEvaluator
from opencompass.datasets import CustomDataset
datasets = [dict(abbr='two', type=CustomDataset, path='{data}',
    reader_cfg=dict(input_columns=['q', 'a', 'b'], output_column='label'),
    infer_cfg=dict(prompt_template=dict(type=PromptTemplate, template={{1: '{{q}} {{a}}', 2: '{{q}} {{b}}'}}),
                   retriever=dict(type=ZeroRetriever), inferencer=dict(type=PPLInferencer)),
    eval_cfg=dict(evaluator=dict(type=AccEvaluator)))]
models = [{model}]
"""


@pytest.mark.parametrize("model, refused", [
    ("dict(type='mock', chat=False, answers={})", False),
    ("dict(type='openai', model='m', api_base='http://127.0.0.1:9/v1', logprobs=True, chat=False)", True),
])
def test_a_backend_without_the_rule_is_refused_when_planned(compass, model, refused):
    data = compass.cwd / "two.jsonl"
    data.write_text('{"q": "2+2?", "a": "4", "b": "5", "label": 1}\n')
    cfg = compass.cwd / "eval_two.py"
    cfg.write_text(CONFIG.format(data=data, model=model))
    res = compass("eval", str(cfg), "--dry-run", env={"OPENAI_API_KEY": "sk-test-not-a-real-key"})
    if refused:
        assert res.code == 2 and "cannot score ppl candidates by 'mean_all'" in res.err, res.err
        assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    else:
        assert res.code == 0, res.err
