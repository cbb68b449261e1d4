"""Reasoning models: ``<think>…</think>`` stays in the predictions but is stripped before the
answer is extracted and scored."""

from __future__ import annotations

import json

from compass._evaluate import strip_reasoning

from conftest import only_run_dir


def test_strip_reasoning():
    assert strip_reasoning("<think>3? no, 2</think>\n\n2") == "2"
    assert strip_reasoning("<think>a</think>b<think>c</think> final") == "final"
    assert strip_reasoning("<think>still thinking when cut off") == ""
    assert strip_reasoning("plain answer 4") == "plain answer 4"


def test_think_block_is_kept_in_predictions_but_not_scored(evaluate):
    answers = {"What is 1 + 1?": "<think>Is it 3? No: 1 + 1 = 2.</think>\n2",
               "What is 2 + 2?": "<think>4</think>5",
               "What is 3 + 3?": "<think>6, but I ran out of tokens"}
    table = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in answers.items())
    cfg = evaluate.cwd / "m.toml"
    cfg.write_text(f'[[models]]\ntype = "mock"\nanswers = {{ {table} }}\n\n[[datasets]]\ntype = "toy"\n')
    res = evaluate(cfg, limit=4, dump_eval_details=True)
    assert res.code == 0, res.err
    run = only_run_dir(evaluate.cwd)
    result = json.loads((run / "results" / "mock" / "toy-gen.json").read_text())
    # toy's questions are "What is k + k?" for k = 0, 1, 2, 3: only k = 1 is right once the
    # reasoning is stripped (k = 0 gets mock's default answer "A")
    assert [d["correct"] for d in result["details"]] == [False, True, False, False]
    assert [d["answer"] for d in result["details"]][1:] == ["2", "5", ""]
    preds = [json.loads(ln) for ln in (run / "predictions" / "mock" / "toy-gen.jsonl").read_text().splitlines()]
    assert any(p["prediction"] == answers["What is 1 + 1?"] for p in preds)
