"""MT-Bench with a loopback judge (tests/openai_server.py); runs made in this process through ``compass.api``."""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("openai")

from judge_helpers import MT_IDS, config, in_process, lines, rating, result, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402


def judge_server(**kw) -> FakeOpenAI:
    return FakeOpenAI(ServerConfig(models=("judge-model",), judge="length", **kw))


def expected(skip: set = frozenset()):
    """(overall, turn 1, turn 2, per category) of the length judge, leaving out ``skip`` (qid, turn)."""
    t1 = [rating(a) for q, (_, a, _) in MT_IDS.items() if (q, 1) not in skip]
    t2 = [rating(b) for q, (_, _, b) in MT_IDS.items() if (q, 2) not in skip]
    cats = {c: [rating(x) for t, x in ((1, a), (2, b)) if (q, t) not in skip] for q, (c, a, b) in MT_IDS.items()}
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return mean(t1 + t2), mean(t1), mean(t2), {c: mean(v) for c, v in cats.items()}


def test_mtbench_scores_both_turns_per_category_and_overall(evaluate, tmp_path):
    with judge_server() as srv:
        res = evaluate(config(tmp_path, "mtbench", srv.url), **in_process())
        prompts = srv.stats.ok_prompts()
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    out = result(run, "cand", "mtbench")
    overall, t1, t2, cats = expected()
    assert out["metrics"]["score"] == pytest.approx(overall)
    assert out["metrics"]["turn_1"] == pytest.approx(t1) and out["metrics"]["turn_2"] == pytest.approx(t2)
    for cat, value in cats.items():
        assert out["metrics"][cat] == pytest.approx(value)
    assert len(prompts) == 8  # 4 questions x 2 turns, nothing re-asked
    # turn 2 was a real conversation: the candidate's own turn-1 answer precedes turn 2
    recs = {r["index"]: r for r in lines(run / "evaluations" / "cand" / "mtbench.jsonl")}
    assert recs[0]["turn_2_prediction"] == "b" * 35
    # the reference-guided template for math, the multi-turn one for turn 2, the full reply kept
    math_prompt = next(p for p in prompts if "vertices of a triangle" in p and "[The Start of Reference Answer]" in p)
    assert "[The Start of Assistant's Answer]\neeeee\n" in math_prompt
    judged = recs[2]["judgements"]["openai"]
    assert judged["turn_1"]["verdict"] == 1 and "Rating: [[1]]" in judged["turn_1"]["reply"]
    assert judged["turn_2"]["verdict"] == 10
    assert "0 of 8 judgements unparseable" in res.out
    assert out["info"]["templates"]["single-v1"] and out["version"]


def test_unparseable_replies_are_reasked_once_then_excluded(evaluate, tmp_path):
    # q131 turn 1: malformed once (the re-ask fixes it); q81 turn 2: malformed every time
    with judge_server(malformed=("Evaluate the following movie reviews",),
                      malformed_always=("Start every sentence",)) as srv:
        res = evaluate(config(tmp_path, "mtbench", srv.url), **in_process())
        reasks = [p for p in srv.stats.ok_prompts() if "Reply again" in p]
    assert res.code == 0, res.err
    out = result(run_dir(tmp_path), "cand", "mtbench")
    # q131's turn 2 prompt shows turn 1 too, so it was malformed once as well: 3 re-asks
    assert len(reasks) == 3
    overall, t1, t2, _ = expected(skip={(81, 2)})
    assert out["metrics"]["score"] == pytest.approx(overall)
    assert out["metrics"]["turn_2"] == pytest.approx(t2)
    assert out["info"]["unparseable"] == 1 and out["info"]["judgements"] == 8
    assert "1 of 8 judgements unparseable (excluded from the score)" in res.out
    rec = lines(run_dir(tmp_path) / "evaluations" / "cand" / "mtbench.jsonl")
    bad = next(r for r in rec if r["judgements"]["openai"]["turn_2"]["unparseable"])
    assert len(bad["judgements"]["openai"]["turn_2"]["replies"]) == 2  # both replies kept


SEED = 3  # with this seed some of the 8 judge requests fault (checked below)


def test_injected_judge_faults_leave_every_score_unchanged(evaluate, tmp_path):
    with judge_server(fault_rate=0.2, seed=SEED, faults=("429", "500", "drop", "badjson"),
                      retry_after="0.05") as srv:
        res = evaluate(config(tmp_path, "mtbench", srv.url), **in_process())
        outcomes = srv.stats.outcomes()
    assert res.code == 0, res.err
    assert sum(v for k, v in outcomes.items() if k != "ok") > 0, outcomes
    out = result(run_dir(tmp_path), "cand", "mtbench")
    overall, t1, t2, cats = expected()
    assert out["metrics"]["score"] == pytest.approx(overall)
    assert out["metrics"]["turn_1"] == pytest.approx(t1) and out["metrics"]["turn_2"] == pytest.approx(t2)
