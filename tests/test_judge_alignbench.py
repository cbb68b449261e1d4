"""AlignBench (runs in this process through ``compass.api``): dimensions per answer type, 1-10 scale, AlignBench's groups."""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("openai")

from judge_helpers import config, in_process, lines, rating, result, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

ANSWERS = {"高音单簧管": "甲" * 85, "自然数基数理论": "乙" * 30, "Qui a compagnnon": "丙" * 12, "向南走100米": "丁" * 51}


def test_alignbench_scores_on_its_1_to_10_scale(evaluate, tmp_path):
    with FakeOpenAI(ServerConfig(models=("judge-model",), judge="length")) as srv:
        res = evaluate(config(tmp_path, "alignbench", srv.url, answers=ANSWERS), **in_process())
        prompts = srv.stats.ok_prompts()
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    m = result(run, "cand", "alignbench")["metrics"]
    pro, math_, basic, logic = rating(85), rating(30), rating(12), rating(51)
    assert (m["专业能力"], m["数学计算"], m["基本任务"], m["逻辑推理"]) == (pro, math_, basic, logic)
    assert m["reasoning"] == pytest.approx((math_ + logic) / 2)
    assert m["language"] == pytest.approx((pro + basic) / 2)
    assert m["score"] == pytest.approx(((math_ + logic) / 2 + (pro + basic) / 2) / 2)
    assert list(m)[0] == "score" and m["score"] <= 10  # not x10
    # the dimensions of each answer type, with their definitions, from the config files
    math_prompt = next(p for p in prompts if "自然数基数理论" in p)
    assert "逻辑连贯性：" in math_prompt and "创造性" not in math_prompt
    recs = {r["category"]: r for r in lines(run / "evaluations" / "cand" / "alignbench.jsonl")}
    verdict = recs["数学计算"]["judgements"]["openai"]["overall"]["verdict"]
    assert verdict == {"overall": math_, "事实正确性": math_, "满足用户需求": math_, "逻辑连贯性": math_, "完备性": math_}
