"""MT-Bench through ``compass eval`` with a loopback judge (tests/openai_server.py)."""

from __future__ import annotations

import pytest
from extras import require_extra

require_extra("openai")

from judge_helpers import MT_IDS, config, env, lines, rating, result, run_dir  # noqa: E402
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


def test_mtbench_scores_both_turns_per_category_and_overall(compass, tmp_path):
    with judge_server() as srv:
        res = compass("eval", str(config(tmp_path, "mtbench", srv.url)), env=env())
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


def test_forgiving_parser_reasks_unparseable_replies_once_then_excludes_them(compass, tmp_path):
    # q131 turn 1: malformed once (the re-ask fixes it); q81 turn 2: malformed every time
    with judge_server(malformed=("Evaluate the following movie reviews",),
                      malformed_always=("Start every sentence",), quote_format=True) as srv:
        res = compass("eval", str(config(tmp_path, "mtbench", srv.url)), "--judge-parser", "forgiving", env=env())
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


def test_injected_judge_faults_leave_every_score_unchanged(compass, tmp_path):
    with judge_server(fault_rate=0.2, seed=SEED, faults=("429", "500", "drop", "badjson"),
                      retry_after="0.05") as srv:
        res = compass("eval", str(config(tmp_path, "mtbench", srv.url)), env=env())
        outcomes = srv.stats.outcomes()
    assert res.code == 0, res.err
    assert sum(v for k, v in outcomes.items() if k != "ok") > 0, outcomes
    out = result(run_dir(tmp_path), "cand", "mtbench")
    overall, t1, t2, cats = expected()
    assert out["metrics"]["score"] == pytest.approx(overall)
    assert out["metrics"]["turn_1"] == pytest.approx(t1) and out["metrics"]["turn_2"] == pytest.approx(t2)


def test_fastchat_prompts_lengths_and_parser_by_default(compass, tmp_path):
    """The judge gets FastChat's exact prompt and max_tokens=2048, and its replies are read as
    FastChat reads them: the first [[n]] (then [n]); no re-ask; unparseable counted."""
    # keyed by a candidate answer (a turn-2 prompt shows turn 1's answer too: the first key found wins)
    replies = {"hhhhhhhhhhhhhhh": "I rate it [7] out of 10 [[bold]]",  # q131 turn 2: the backup [n], 7
               "eeeee": "Rating: [[6]]\nScore: 3/5 for style, [[9]] overall",  # q111 both turns: the first [[n]], 6
               "ggggggg": "The answer is fine. Rating: [[8, 6]]"}  # q131 turn 1: no [[n]], no [n]: unparseable
    with judge_server(replies=replies) as srv:
        res = compass("eval", str(config(tmp_path, "mtbench", srv.url)), env=env())
        records = [r for r in srv.stats.records if r.outcome == "ok"]
    assert res.code == 0, res.err
    assert len(records) == 8 and all(r.body["max_tokens"] == 2048 for r in records)  # nothing re-asked
    from compass_judge.templates import shipped

    single = shipped()["single-v1"]
    writing = next(r for r in records if "Compose an engaging travel blog" in r.prompt and "### User" not in r.prompt)
    q81 = "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural experiences " \
          "and must-see attractions."
    assert writing.body["messages"] == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": single.prompt.format(question=q81, answer="a" * 25)}]
    out = result(run_dir(tmp_path), "cand", "mtbench")
    # the length judge: q81 3 and 4, q101 6 and 10; the replies above: q111 6 and 6, q131 — and 7
    assert out["metrics"]["turn_1"] == pytest.approx((3 + 6 + 6) / 3)
    assert out["metrics"]["turn_2"] == pytest.approx((4 + 10 + 6 + 7) / 4)
    assert out["metrics"]["score"] == pytest.approx(42 / 7)
    assert out["info"]["unparseable"] == 1 and "1 of 8 judgements unparseable" in res.out


def test_pairwise_baseline_mode_as_fastchat_counts_it(compass, tmp_path):
    """judge_mode = "pairwise-baseline": each turn against gpt-3.5-turbo's answers (40 characters) with
    FastChat's pair templates, both orders; disagreeing orders a tie, an unparseable verdict left out."""
    replies = {"eeeee\n[The End of Assistant A's Answer]": "I cannot decide."}  # q111 turn 1, candidate as A
    with judge_server(replies=replies) as srv:
        cfg = config(tmp_path, "mtbench", srv.url, dataset_opts='judge_mode = "pairwise-baseline"\n')
        res = compass("eval", str(cfg), env=env())
        got = [r for r in srv.stats.records if r.outcome == "ok"]
    assert res.code == 0, res.err
    assert len(got) == 16 and all(r.body["max_tokens"] == 2048 for r in got)  # 4 questions x 2 turns x 2 orders
    from compass_judge.templates import shipped

    pair = shipped()["pair-v2"]
    q81 = next(r for r in got if "[The Start of Assistant A's Answer]\n" + "a" * 25 + "\n" in r.prompt)
    assert q81.body["messages"][0] == {"role": "system", "content": pair.system}
    assert q81.body["messages"][1]["content"] == pair.prompt.format(
        question="Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural "
                 "experiences and must-see attractions.", answer_a="a" * 25, answer_b="B" * 40)
    m = result(run_dir(tmp_path), "cand", "mtbench")["metrics"]
    # turn 1: 25, 55, (5: left out), 70 vs 40 -> loss, win, win; turn 2: 35, 95, 200, 15 -> loss, win, win, loss
    assert (m["win"], m["loss"], m["tie"]) == (4, 3, 0)
    assert m["win_rate_adjusted"] == pytest.approx(4 / 7) and m["turn_1_win_rate_adjusted"] == pytest.approx(2 / 3)
    assert "1 of 16 judgements unparseable: 1 turn comparisons left out" in res.out


def test_pairwise_baseline_disagreeing_orders_are_ties(compass, tmp_path):
    with FakeOpenAI(ServerConfig(models=("judge-model",), judge="always_a")) as srv:
        cfg = config(tmp_path, "mtbench", srv.url, dataset_opts='judge_mode = "pairwise-baseline"\n')
        res = compass("eval", str(cfg), env=env())
    assert res.code == 0, res.err
    m = result(run_dir(tmp_path), "cand", "mtbench")["metrics"]
    assert (m["win"], m["loss"], m["tie"], m["win_rate"], m["win_rate_adjusted"]) == (0, 0, 8, 0.0, 0.5)
