"""The references' protocols by default, through ``compass eval`` against a loopback judge that
answers in the references' formats: the exact prompts and request settings the judge receives,
the references' parsers (adversarial replies included) and the exact scores."""

from __future__ import annotations

import json
import math
import random

import pytest
from extras import require_extra

require_extra("openai")

from compass_judge import leaderboard, verdicts  # noqa: E402
from compass_judge.templates import shipped  # noqa: E402
from judge_helpers import DATA, config, env, lines, result, run_dir  # noqa: E402
from openai_server import FakeOpenAI, ServerConfig  # noqa: E402


def judge_server(mode: str = "longer", **kw) -> FakeOpenAI:
    return FakeOpenAI(ServerConfig(models=("judge-model",), judge=mode, **kw))


def ok(srv) -> list:
    return [r for r in srv.stats.records if r.outcome == "ok"]


# -- AlpacaEval 2.0 ----------------------------------------------------------------------------

ALPACA = json.loads((DATA / "alpaca_eval/results/gpt4_1106_preview/model_outputs.json").read_text())
# candidate answers (judge_helpers.PAIR_ANSWERS): 100, 50, 40 and 10 characters against 40-character baselines
ALPACA_PREF = [0.95, 0.8, 0.5, 0.05]  # the loopback judge's P(candidate preferred)


def test_alpaca_eval_official_classifier_once_per_instruction_with_logprobs(compass, tmp_path):
    with judge_server() as srv:
        res = compass("eval", str(config(tmp_path, "alpaca_eval", srv.url)), env=env())
        got = ok(srv)
    assert res.code == 0, res.err
    assert len(got) == 4  # each instruction once, in AlpacaEval's order
    template = shipped()["alpaca-eval-clf"]
    from judge_helpers import PAIR_ANSWERS

    for row in ALPACA:
        mine = next(v for k, v in PAIR_ANSWERS.items() if k in row["instruction"])
        switched = leaderboard.alpaca_switched(row["instruction"])
        a, b = (mine, row["output"]) if switched else (row["output"], mine)
        req = next(r for r in got if row["instruction"] in r.prompt)
        user = req.body["messages"][1]["content"]
        assert req.body["messages"][0] == {"role": "system", "content": template.system}
        assert user == template.prompt.format(question=row["instruction"], answer_a=a, answer_b=b)
        assert f'"model_identifier": "m",\n        "output": """{a}"""' in user
        assert f'"model_identifier": "M",\n        "output": """{b}"""' in user
        assert user.endswith("m or M.\n\n## Best Model Identifier")
        assert (req.body["max_tokens"], req.body["temperature"], req.body["logprobs"], req.body["top_logprobs"]) \
            == (1, 1.0, True, 5)
    assert sorted(leaderboard.alpaca_switched(r["instruction"]) for r in ALPACA) == [False, True, True, True]
    m = result(run_dir(tmp_path), "cand", "alpaca_eval")["metrics"]
    assert list(m)[0] == "length_controlled_winrate"
    assert m["win_rate"] == pytest.approx(100 * sum(ALPACA_PREF) / 4)
    sd = math.sqrt(sum((p - 0.575) ** 2 for p in ALPACA_PREF) / 3)
    assert m["standard_error"] == pytest.approx(100 * sd / 2)
    assert m["discrete_win_rate"] == pytest.approx(62.5)  # 1, 1, a draw, 0
    assert (m["n_wins"], m["n_wins_base"], m["n_draws"], m["n_total"]) == (2, 1, 1, 4)
    assert math.isnan(m["length_controlled_winrate"])  # 4 instructions: too few for its 5-fold GLM
    assert "GLM length_controlled_minimal" in res.out and "0 of 4 judgements unparseable" in res.out


def test_alpaca_eval_discrete_preference_without_logprobs(compass, tmp_path):
    # the judge API returns no log-probs: the one-token reply decides (m: output 1, M: output 2)
    replies = {"famous actors": "M", "US states": "m", "kickball": "the first one", "1920s": "m"}
    with judge_server(replies=replies, chat_logprobs=False) as srv:
        res = compass("eval", str(config(tmp_path, "alpaca_eval", srv.url)), env=env())
    assert res.code == 0, res.err
    run = run_dir(tmp_path)
    prefs = {}
    for rec, row in zip(sorted(lines(run / "evaluations" / "cand" / "alpaca_eval.jsonl"), key=lambda r: r["index"]),
                        ALPACA):
        key = next(k for k in replies if k in row["instruction"])
        prefs[key] = rec["correct"]
    switched = {k: leaderboard.alpaca_switched(next(r["instruction"] for r in ALPACA if k in r["instruction"]))
                for k in replies}
    # "M" is output 2: the candidate unless the order was switched
    assert prefs["famous actors"] == (0.0 if switched["famous actors"] else 1.0)
    assert prefs["US states"] == (1.0 if switched["US states"] else 0.0)
    assert prefs["kickball"] is None  # not m or M: unparseable, counted, not scored
    m = result(run, "cand", "alpaca_eval")
    scored = [v for v in prefs.values() if v is not None]
    assert m["metrics"]["win_rate"] == pytest.approx(100 * sum(scored) / 3)
    assert m["info"]["unparseable"] == 1 and "1 of 4 judgements unparseable" in res.out


# -- Arena-Hard v0.1 ---------------------------------------------------------------------------

def test_arena_hard_v01_official_prompt_parser_and_score(compass, tmp_path):
    template = shipped()["arena-hard-v0.1"]
    assert "Begin your evaluation by generating your own answer to the prompt." in template.system
    assert "1. Assistant A is significantly better: [[A>>B]]" in template.system
    # q "ABC notation" (candidate 100 chars vs 40): game 2 replies with two different labels -> dropped;
    # q "SOLVE THIS IN C++": every reply first has no label -> re-asked with the reference's follow-up
    replies = {"xxxxxxxxxx\n<|The End of Assistant A": "A is better [[A>B]]. On reflection: [[B>A]]."}
    with judge_server(replies=replies, malformed=("SOLVE THIS IN C++",)) as srv:
        res = compass("eval", str(config(tmp_path, "arena_hard", srv.url)), env=env())
        got = ok(srv)
    assert res.code == 0, res.err
    first = [r for r in got if len(r.body["messages"]) == 2]
    assert len(first) == 8 and all(r.body["max_tokens"] == 4096 for r in got)
    abc = "Use ABC notation to write a melody in the style of a folk tune."
    game1 = [r for r in first if abc in r.prompt and r.body["messages"][1]["content"].index("x" * 100)
             > r.body["messages"][1]["content"].index("<|The Start of Assistant B")]
    assert len(game1) == 1
    q = game1[0]
    user = q.body["messages"][1]["content"]
    assert user.startswith(f"<|User Prompt|>\n{abc}\n\n<|The Start of Assistant A's Answer|>\n")
    assert user.endswith("\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n"
                         + "x" * 100 + "\n<|The End of Assistant B's Answer|>")
    assert q.body["messages"][0] == {"role": "system", "content": template.system}
    again = [r for r in got if len(r.body["messages"]) == 4]
    assert len(again) == 2 and all(r.body["messages"][3]["content"] ==
                                   "continue your judgment and finish by outputting a final verdict label" for r in again)
    m = result(run_dir(tmp_path), "cand", "arena_hard")["metrics"]
    # candidate view, question by question, game 1 (baseline as A) then game 2: ABC notation 100 vs 40 -> A>>B x3,
    # game 2 dropped; C++ 50 vs 40 -> A>B twice; Alignment 40 vs 40 -> ties; semikinematic 10 vs 40 -> B>>A x3 twice
    battles = [1.0] * 3 + [1.0, 1.0] + [0.5, 0.5] + [0.0] * 6
    want = leaderboard.arena_v01(battles, 100, 42)
    assert m["score"] == pytest.approx(100 * sum(battles) / len(battles))
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((want["ci_low"], want["ci_high"]))
    assert m["battles"] == len(battles)
    assert "1 of 8 judgements unparseable" in res.out and "95% interval" in res.out


# -- Arena-Hard v2 -----------------------------------------------------------------------------

V2_ANSWERS = {"mp4 file": "x" * 100, "<div style": "y" * 30, "poema": "z" * 40, "cloud": "w" * 90}


def test_arena_hard_v2_categories_baselines_prompts_and_dropped_questions(compass, tmp_path):
    # the "<div" question's game 1 gets an unknown label: v2 drops the whole question (both games)
    replies = {"yyyyyyyyyy\n<|The End of Assistant B": "Final: [[A>>>B]]"}
    with judge_server(replies=replies) as srv:
        res = compass("eval", str(config(tmp_path, "arena_hard_v2", srv.url, answers=V2_ANSWERS)), env=env())
        got = ok(srv)
    assert res.code == 0, res.err
    assert len(got) == 8 and all(r.body["max_tokens"] == 16000 for r in got)
    creative = next(r for r in got if "poema" in r.prompt)
    assert creative.body["messages"][0]["content"] == shipped()["arena-hard-v2-creative"].system
    assert "generating your own answer" not in creative.body["messages"][0]["content"]
    hard = next(r for r in got if "mp4 file" in r.prompt)
    assert hard.body["messages"][0]["content"] == shipped()["arena-hard-v2"].system
    m = result(run_dir(tmp_path), "cand", "arena_hard_v2")["metrics"]
    hard_battles = [1.0] * 6  # mp4: 100 vs 40, both games A>>B for the candidate (x3 each)
    cre_battles = [0.5, 0.5] + [1.0] * 6  # poema: a tie twice; cloud: 90 vs 40, >>, x3 twice
    for cat, battles in (("hard_prompt", hard_battles), ("creative_writing", cre_battles)):
        want = leaderboard.arena_v2(battles, 100, 42)
        assert m[f"score:{cat}"] == pytest.approx(want["score"])
        assert (m[f"ci_low:{cat}"], m[f"ci_high:{cat}"]) == pytest.approx((want["ci_low"], want["ci_high"]))
    assert m["score"] == m["score:hard_prompt"] and m["dropped:hard_prompt"] == 1 and m["dropped"] == 1
    assert "90% interval" in res.out


# -- AlignBench --------------------------------------------------------------------------------

ALIGN_ANSWERS = {"高音单簧管": "甲" * 85, "自然数基数理论": "乙" * 30, "Qui a compagnnon": "丙" * 12, "向南走100米": "丁" * 51}


def test_alignbench_official_prompt_and_parser(compass, tmp_path):
    # the logic question's judge writes decimals in its dict: AlignBench's "'key': integer" pairs read 6.5 as 6
    # the 专业能力 question's judge gives no score: unparseable, averaged in as -1 as AlignBench's show_result does
    replies = {"丁丁丁丁丁": "分析……\n{'事实正确性': 6, '逻辑连贯性': 7.5, '综合得分': 6.5}",
               "甲甲甲甲甲": "这个回答无法评分。"}
    with judge_server("length", replies=replies) as srv:
        res = compass("eval", str(config(tmp_path, "alignbench", srv.url, answers=ALIGN_ANSWERS)), env=env())
        got = ok(srv)
    assert res.code == 0, res.err
    assert len(got) == 4
    math_q = next(r for r in got if "自然数基数理论" in r.prompt)
    assert len(math_q.body["messages"]) == 1  # one user message, no system prompt, as judge.py sends it
    text = math_q.body["messages"][0]["content"]
    assert text.startswith("你是一个擅长评价文本质量的助手。\n请你以公正的评判者的身份，评估一个AI助手对于用户提问的回答的质量。"
                           "由于您评估的回答类型是数学计算，因此你需要从下面的几个维度对回答进行评估:\n1. 事实正确性: ")
    assert "作为示例，参考答案可以得到8分。" in text and "并确保你的打分结果是整数" in text
    assert text.endswith("[助手的答案开始]\n" + "乙" * 30 + "\n[助手的答案结束]\n")
    m = result(run_dir(tmp_path), "cand", "alignbench")["metrics"]
    rating = lambda n: min(10, 1 + n // 10)  # noqa: E731
    assert m["逻辑推理"] == 6.0
    assert (m["专业能力"], m["数学计算"], m["基本任务"]) == (-1.0, rating(30), rating(12))
    assert m["score"] == pytest.approx(((rating(30) + 6) / 2 + (-1 + rating(12)) / 2) / 2)
    assert "1 of 4 judgements unparseable (averaged in as -1" in res.out


# -- the parsers, reply by reply ---------------------------------------------------------------

@pytest.mark.parametrize("reply, fastchat, forgiving", [
    ("Rating: [[6]]\nScore: 3/5 for style", 6.0, 3.0),
    ("Rating: [[8, 6]]", None, 8.0),
    ('The format is "[[rating]]", e.g. "Rating: [[5]]". My rating: [[7]]', 5.0, 7.0),
    ("[[11]] is off the scale; Rating: [[4]]", 11.0, 4.0),
    ("I give it [6].", 6.0, None),
    ("Rating: 7/10", None, 7.0),
])
def test_mtbench_rating_parsers(reply, fastchat, forgiving):
    t = shipped()["single-v1"]
    assert verdicts.read(t, reply, "reference") == fastchat
    assert verdicts.read(t, reply, "forgiving") == forgiving


@pytest.mark.parametrize("reply, v01, v2", [
    ("My final verdict is: [[A>B]]", "A>B", "A>B"),
    ("[[A>B]] at first, then [[B>A]]", None, "B>A"),  # v0.1: conflicting labels drop the game; v2: the last
    ("Example: [[A=B]]. Final verdict: [[A=B]]", "A=B", "A=B"),
    ("[[A]] is better", None, None),  # a label outside the table
    ("final: [[a<<b]]", None, "B>>A"),  # v2 reads the reply upper-cased
    ("verdict [B>A]", None, "B>A"),  # v2's second pattern, single brackets
    ("no label at all", None, None),
])
def test_arena_parsers(reply, v01, v2):
    assert verdicts.read(shipped()["arena-hard-v0.1"], reply) == v01
    assert verdicts.read(shipped()["arena-hard-v2"], reply) == v2


def test_arena_v01_reasks_only_a_reply_without_any_label():
    t = shipped()["arena-hard-v0.1"]
    assert verdicts.reask(t, "I cannot decide") == "continue your judgment and finish by outputting a final verdict label"
    assert verdicts.reask(t, "[[A>B]] or [[B>A]]") == ""  # conflicting: dropped, not re-asked
    assert verdicts.reask(shipped()["arena-hard-v2"], "I cannot decide") == ""
    assert verdicts.reask(shipped()["single-v1"], "no rating") == ""  # FastChat asks once


@pytest.mark.parametrize("reply, verdict", [
    ("{'事实正确性': 8, '满足用户需求': 7, '综合得分': 7}", {"overall": 7.0, "事实正确性": 8.0, "满足用户需求": 7.0}),
    ("例如 {'综合得分': 5}\n{'事实正确性': 3, '综合得分': 4}", {"overall": 4.0, "事实正确性": 3.0}),  # the last braces
    ("综合得分为 '综合得分': 6.5 分", {"overall": 6.5}),  # no dict: the fallback
    ('{"事实正确性": 8, "综合得分": 7}', None),  # double quotes: not AlignBench's format
    ("综合得分：7", None),
])
def test_alignbench_parser(reply, verdict):
    assert verdicts.read(shipped()["alignbench-v1.1"], reply) == verdict


def test_alpaca_logprob_preference():
    t = shipped()["alpaca-eval-clf"]
    p = verdicts.read(t, "m", top_logprobs=(("m", math.log(0.6)), ("M", math.log(0.3)), ("The", -5.0)))
    assert p == pytest.approx(0.6 / 0.9)
    assert verdicts.read(t, "M", top_logprobs=(("M", -0.01),)) == 0.0  # m absent: probability 0
    assert verdicts.read(t, "x", top_logprobs=(("The", -0.1),)) is None
    assert (verdicts.read(t, " m\n"), verdicts.read(t, "M"), verdicts.read(t, "model m")) == (1.0, 0.0, None)


def test_style_control_is_deterministic_and_ignores_unrelated_style():
    """Arena-Hard v2's style control (features standardised over the battles, as upstream): with
    style features unrelated to the outcomes the score stays the plain one's; seeded, repeatable."""
    require_extra("sklearn")
    import numpy as np

    rng = random.Random(7)
    meta = lambda: {"token_len": rng.randint(100, 1500), "header_count": rng.randint(0, 3),  # noqa: E731
                    "list_count": rng.randint(0, 5), "bold_count": rng.randint(0, 4)}
    cand = [meta() for _ in range(600)]
    base = [meta() for _ in range(600)]
    battles = [1.0 if rng.random() < 0.7 else 0.0 for _ in range(600)]
    features = np.asarray(leaderboard.style_features(cand, base))
    plain = leaderboard.arena_v2(battles, 100, 42)
    styled = leaderboard.style_controlled(battles, features, 100, 42)
    assert abs(styled["score"] - plain["score"]) < 2.0
    assert styled["ci_low"] < styled["score"] < styled["ci_high"]
    assert styled == leaderboard.style_controlled(battles, features, 100, 42)
    assert leaderboard.style_features(cand, base, length_only=True).shape == (600, 1)


def _lc_case():
    """60 instructions, a synthetic df_gamed of AlpacaEval's layout, a length-biased judge."""
    rng = random.Random(11)
    n = 60
    diff = [round(rng.gauss(0, 1), 6) for _ in range(n)]
    gamed = []
    for shift in (1.0, -1.0):
        for i in range(n):
            z = shift + 0.5 * rng.gauss(0, 1)
            gamed.append([len(gamed), round(1 / (1 + math.exp(-(0.8 * math.tanh(z) - 0.3 * diff[i]))), 6),
                          round(-z, 6), diff[i]])
    base_len = [rng.randint(200, 2000) for _ in range(n)]
    cand_len = [int(b * rng.uniform(0.5, 3.0)) for b in base_len]
    prefs = []
    for i in range(n):
        p = 1 / (1 + math.exp(-(0.2 + 1.2 * math.tanh((cand_len[i] - base_len[i]) / 1000) - 0.3 * diff[i])))
        prefs.append(None if i % 17 == 5 else round(p, 6))
    return diff, gamed, base_len, cand_len, prefs


def test_length_controlled_win_rate_equals_alpaca_evals():
    """The figures alpaca_eval 0.6.6's get_length_controlled_winrate gives on this case (computed once
    with the reference, `bench/judge_fidelity.py` compares on 1,610 judgements)."""
    require_extra("sklearn")
    diff, gamed, base_len, cand_len, prefs = _lc_case()
    g = {"preference": [e[1] for e in gamed], "std_delta_len": [e[2] for e in gamed],
         "instruction_difficulty": [e[3] for e in gamed]}
    assert 100 * sum(p for p in prefs if p is not None) / 56 == pytest.approx(66.53178214285714)
    v1 = leaderboard.length_controlled(prefs, cand_len, base_len, diff, g)
    assert v1["length_controlled_winrate"] == pytest.approx(55.58793887555813, abs=1e-6)
    assert v1["lc_standard_error"] == pytest.approx(0.9162883166534148, abs=1e-6)
    minimal = leaderboard.length_controlled(prefs, cand_len, base_len)
    assert minimal["length_controlled_winrate"] == pytest.approx(54.241052958840555, abs=1e-6)


def test_alpaca_eval_lc_uses_df_gamed_from_the_data_folder(compass, tmp_path):
    """With AlpacaEval's df_gamed.csv beside results/, the LC GLM is length_controlled_v1 (each
    instruction's difficulty and the gamed baselines from the file), the same figure as the function's."""
    require_extra("sklearn")
    diff, gamed, base_len, cand_len, _ = _lc_case()
    n = 12
    data = tmp_path / "data" / "alpaca_eval"
    (data / "results" / "gpt4_1106_preview").mkdir(parents=True)
    rows = [{"instruction": f"Instruction number {i}: say something.", "output": "b" * base_len[i],
             "dataset": "test", "generator": "gpt4_1106_preview"} for i in range(n)]
    (data / "results" / "gpt4_1106_preview" / "model_outputs.json").write_text(json.dumps(rows))
    lines_ = ["index,model,preference,std_delta_len,instruction_difficulty,not_gamed_baseline"]
    for k, (shift_name, start) in enumerate((("gamed_verbose", 0), ("gamed_concise", 60))):
        for i in range(n):
            e = gamed[start + i]
            lines_.append(f"{i},{shift_name},{e[1]},{e[2]},{diff[i]},False")
    (data / "df_gamed.csv").write_text("\n".join(lines_) + "\n")
    answers = {f"Instruction number {i}:": "c" * cand_len[i] for i in range(n)}
    cfg = config(tmp_path, "alpaca_eval", None, answers=answers)
    with judge_server() as srv:
        text = cfg.read_text().replace(f'data_dir = "{DATA}"', f'data_dir = "{tmp_path / "data"}"')
        cfg.write_text(text + f'[eval_settings.judge]\ntype = "openai"\napi_base = "{srv.url}"\nmodel = "judge-model"\n'
                              f'api_key_env = "JUDGE_KEY"\n')
        res = compass("eval", str(cfg), env=env())
    assert res.code == 0, res.err
    out = result(run_dir(tmp_path), "cand", "alpaca_eval")
    assert out["info"]["lc_glm"] == "length_controlled_v1" and "GLM length_controlled_v1" in res.out
    prefs = {r["index"]: r["correct"] for r in lines(run_dir(tmp_path) / "evaluations" / "cand" / "alpaca_eval.jsonl")}
    g = {"preference": [e[1] for e in gamed[:n]] + [e[1] for e in gamed[60:60 + n]],
         "std_delta_len": [e[2] for e in gamed[:n]] + [e[2] for e in gamed[60:60 + n]],
         "instruction_difficulty": diff[:n] + diff[:n]}
    want = leaderboard.length_controlled([prefs[i] for i in range(n)], cand_len[:n], base_len[:n], diff[:n], g)
    assert out["metrics"]["length_controlled_winrate"] == pytest.approx(want["length_controlled_winrate"])
    assert not math.isnan(want["length_controlled_winrate"])
