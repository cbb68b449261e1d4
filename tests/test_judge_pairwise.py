"""AlpacaEval and Arena-Hard against a loopback judge (runs made in this process through
``compass.api``, the ``evaluate`` fixture); the statistics."""

from __future__ import annotations

import math
import random

import pytest
from extras import require_extra

require_extra("openai")

from compass_judge import stats  # noqa: E402
from judge_helpers import config, in_process, lines, result, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402

# candidate vs 40-character baselines: 100 chars (much longer), 50, 40 (tie), 10 (much shorter)


def judge_server(mode: str = "longer", **kw) -> FakeOpenAI:
    return FakeOpenAI(ServerConfig(models=("judge-model",), judge=mode, **kw))


def test_alpaca_eval_win_rate_with_ties_half_both_orders(evaluate, tmp_path):
    with judge_server() as srv:
        res = evaluate(config(tmp_path, "alpaca_eval", srv.url), **in_process())
        prompts = srv.stats.ok_prompts()
    assert res.code == 0, res.err
    out = result(run_dir(tmp_path), "cand", "alpaca_eval")
    m = out["metrics"]
    assert list(m)[0] == "win_rate"
    assert m["win_rate"] == 62.5  # 4 wins, 2 ties, 2 losses of 8 games
    assert (m["wins"], m["ties"], m["losses"]) == (4, 2, 2)
    assert m["position_consistency"] == 100.0
    assert len(prompts) == 8  # every pair in both orders
    first = [p for p in prompts if "famous actors" in p]
    assert first[0].index("x" * 100) != first[1].index("x" * 100)  # the candidate in each position
    assert "position consistency 100.0%" in res.out


def test_always_a_judge_gives_all_ties_and_zero_consistency(evaluate, tmp_path):
    with judge_server("always_a") as srv:
        res = evaluate(config(tmp_path, "alpaca_eval", srv.url), **in_process())
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    m = result(run, "cand", "alpaca_eval")["metrics"]
    assert m["win_rate"] == 50.0 and m["position_consistency"] == 0.0
    per_pair = [r["correct"] for r in lines(run / "evaluations" / "cand" / "alpaca_eval.jsonl")]
    assert per_pair == [0.5] * 4  # every pair a tie once both orders are counted


def test_arena_hard_bradley_terry_score_and_seeded_interval(evaluate, tmp_path):
    with judge_server() as srv:
        res = evaluate(config(tmp_path, "arena_hard", srv.url), **in_process())
    assert res.code == 0, res.err
    m = result(run_dir(tmp_path), "cand", "arena_hard")["metrics"]
    # strong verdicts weigh 3: wins 3+3+1+1, ties 1+1 (half each), losses 3+3 of 16 games
    assert m["score"] == pytest.approx(56.25)
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((10.0, 100.0))
    assert m["position_consistency"] == 100.0
    assert "95% interval [10.0, 100.0]" in res.out


def test_bradley_terry_recovers_the_order_of_synthetic_players():
    rng = random.Random(1)
    true = {"a": 2.0, "b": 1.0, "c": 0.0, "d": -1.0}
    battles = []
    for _ in range(2000):
        x, y = rng.sample(sorted(true), 2)
        p = 1 / (1 + math.exp(true[y] - true[x]))
        battles.append((x, y, 1.0 if rng.random() < p else 0.0, 1.0))
    fit = stats.bradley_terry(battles)
    assert sorted(fit, key=fit.get, reverse=True) == ["a", "b", "c", "d"]
    # two players: the fitted probability is the (weighted) share of wins, ties half
    two = [("m", "base", 1.0, 3.0), ("m", "base", 0.5, 1.0), ("m", "base", 0.0, 1.0)]
    assert 100 * stats.win_probability(stats.bradley_terry(two), "m", "base") == pytest.approx(70.0)


def test_bootstrap_interval_is_fixed_by_its_seed():
    groups = [[("m", "b", float(k % 3) / 2, 1.0)] for k in range(30)]
    share = lambda bs: 100 * sum(b[2] for b in bs) / len(bs)  # noqa: E731
    one = stats.bootstrap_interval(groups, share, 200, seed=7)
    assert one == stats.bootstrap_interval(groups, share, 200, seed=7)
    assert one != stats.bootstrap_interval(groups, share, 200, seed=8)
    assert one[0] < 50.0 < one[1]


def test_several_judges_each_judge_and_the_report_aggregates(evaluate, tmp_path):
    with judge_server() as longer, judge_server("always_a") as always_a:
        judges = "".join(
            f'[[eval_settings.judges]]\ntype = "openai"\nabbr = "{name}"\napi_base = "{srv.url}"\n'
            f'model = "judge-model"\napi_key_env = "JUDGE_KEY"\n'
            for name, srv in (("longer", longer), ("always-a", always_a)))
        res = evaluate(config(tmp_path, "alpaca_eval", None, judge=judges), **in_process())
    assert res.code == 0, res.err
    out = result(run_dir(tmp_path), "cand", "alpaca_eval")
    m = out["metrics"]
    assert m["win_rate[longer]"] == 62.5 and m["win_rate[always-a]"] == 50.0
    assert m["win_rate"] == pytest.approx(56.25)  # the mean of the judges
    assert out["info"]["per_judge"]["always-a"]["position_consistency"] == 0.0
    assert out["info"]["agreement"] == pytest.approx(37.5)  # same verdict on 3 of 8 games
    assert "0 of 16 judgements unparseable" in res.out
    assert "same verdict on 37.5% of the games" in res.out
