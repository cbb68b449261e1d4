"""OpenCompass's gsm8k_postprocess and Gsm8kEvaluator, run by their own rules (issue 24, found by
``bench/opencompass_scores.py``): compass once ran its own ``gsm8k`` extraction for them, which
takes the number after "The answer is" where OpenCompass takes the last number, so a SmolLM2
answer ending "The answer is 4:3." scored 4 in compass and 3 in OpenCompass."""

from __future__ import annotations

import pytest

GSM8K_GEN = {
    "abbr": "gsm8k", "dataset_class": "GSM8KDataset", "path": "opencompass/gsm8k",
    "reader_cfg": {"input_columns": ["question"], "output_column": "answer"},
    "infer_cfg": {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
        {"role": "HUMAN", "prompt": "Question: {question}\nLet's think step by step\nAnswer:"}]}},
        "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer", "max_out_len": 512}},
    "eval_cfg": {"evaluator": {"type": "Gsm8kEvaluator"}, "pred_postprocessor": {"type": "gsm8k_postprocess"},
                 "dataset_postprocessor": {"type": "gsm8k_dataset_postprocess"}},
}


@pytest.mark.parametrize("text, want", [
    ("The ratio is 2:3.\nThe answer is 4:3.\nThe answer is 4:3.", "3"),  # the last number, not the one said
    ("The answer is 18", "18"),
    ("She pays $1,000 in total.", "000"),  # no comma grouping, as in OpenCompass
    ("It costs -3.50, so 7.25 dollars", "7.25"),
    ("The answer is 5\nQuestion: what is 6+1?\nAnswer: 7", "5"),  # a made-up next question is cut off
    ("Question: 12 apples", "NULL"),
    ("no digits here", "NULL"),
])
def test_gsm8k_postprocess_takes_the_last_number(text, want):
    from compass_opencompass.scoring import gsm8k

    assert gsm8k(text) == want


def test_gsm8k_evaluator_compares_as_opencompass_does():
    from compass_opencompass.scoring import Gsm8kEvaluator

    got = Gsm8kEvaluator().score(["18", "18.0", "18.5", "000", "NULL", None, "7"], ["18", "18", "18", "1000", "3", "3", "7"])
    assert got["details"] == [True, True, False, False, False, False, True]
    assert got["accuracy"] == pytest.approx(300 / 7)


def test_an_opencompass_gsm8k_config_is_scored_by_those_rules():
    from compass import api
    from compass_opencompass.datasets import subset

    sub = subset(GSM8K_GEN, "gsm8k")
    assert (sub.postprocessor, sub.evaluator) == ("opencompass_gsm8k", "opencompass_gsm8k")
    registry = api.plugin_host().registry
    post = registry.get("postprocessors", sub.postprocessor).load()
    evaluator = registry.get("evaluators", sub.evaluator).load()()
    said = "The ratio is 2:3.\nThe answer is 4:3.\nThe answer is 4:3."
    assert post(said) == "3"
    assert evaluator.score([post(said), post("so 1,000.0 in all")], ["3", "1000"])["details"] == [True, False]
