"""``judge_strategy`` for objective datasets: rule, llm, cascade (GSM8K's 5 test rows, mock answers)."""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("openai")

from judge_helpers import config, in_process, result, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

# gold: 18, 3, 70000, 540, 20
ANSWERS = {
    "Janet": "The answer is 18.",                       # the rule: right
    "robe takes": "3 bolts; plus 1 spare makes 4",      # the rule reads 4 (wrong); the judge finds 3
    "flipping a house": "70000 profit, over 5 years",   # the rule reads 5 (wrong); the judge finds 70000
    "sprints": "I think 500",                           # wrong for both
    "Wendi": "no idea",                                 # wrong for the rule; the judge never answers (malformed)
}


def run(evaluate, tmp_path, strategy: str, srv=None):
    extra = f'base = "gsm8k"\njudge_strategy = "{strategy}"\n'
    cfg = config(tmp_path, "judged", srv.url if srv else None, answers=ANSWERS)
    text = cfg.read_text().replace('type = "judged"\n', 'type = "judged"\n' + extra)
    cfg.write_text(text)
    return evaluate(cfg, **in_process())


@pytest.mark.parametrize("strategy, asked, counts", [
    ("cascade", 4, (1, 2, 1, 1)),
    ("llm", 5, (0, 3, 1, 1)),
])
def test_judge_strategy_paths_are_counted(evaluate, tmp_path, strategy, asked, counts):
    with FakeOpenAI(ServerConfig(models=("judge-model",), judge="length", malformed_always=("Wendi",))) as srv:
        res = run(evaluate, tmp_path, strategy, srv)
        prompts = [p for p in srv.stats.ok_prompts() if "Reply again" not in p]
    assert res.code == 0, res.err
    m = result(run_dir(tmp_path), "cand", "gsm8k")["metrics"]
    assert m["accuracy"] == 75.0  # 3 right of the 4 scored; the unparseable check is left out
    assert (m["rule_correct"], m["judge_correct"], m["judge_incorrect"], m["unscored"]) == counts
    assert len(prompts) == asked  # cascade: only what the rule calls wrong goes to the judge
    assert "1 of" in res.out and "judgements unparseable" in res.out


def test_rule_strategy_asks_no_judge(evaluate, tmp_path):
    res = run(evaluate, tmp_path, "rule")
    assert res.code == 0, res.err
    out = result(run_dir(tmp_path), "cand", "gsm8k")
    assert out["metrics"]["accuracy"] == 20.0 and out["evaluator"] == "accuracy"


def test_unknown_strategy_is_one_line(evaluate, tmp_path):
    res = run(evaluate, tmp_path, "vibes")
    assert res.code == 2 and "judge_strategy must be one of rule, llm, cascade, got 'vibes'" in res.err
    assert "Traceback" not in res.err
