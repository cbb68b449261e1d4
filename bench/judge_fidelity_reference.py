#!/usr/bin/env python3
"""The reference side of ``bench/judge_fidelity.py``: runs the reference implementations on a
job (JSON on stdin) and prints what they compute (JSON on stdout).

Runs in a venv of its own (never compass's), with the references installed as their users
install them: ``fschat`` and ``alpaca-eval`` from PyPI, arena-hard-auto (v0.1 at 3071ef95, v2 at
196f6b82) and THUDM/AlignBench as checkouts whose folders the job names. No judge API is called:
where a reference asks its judge, the call is replaced by the job's reply, and everything else
(prompt building, parsing, battles, bootstraps, GLMs) is the reference's own code.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path


def _function(path: Path, name: str, namespace: dict):
    """Define the function ``name`` of a reference module (without importing the module,
    whose top-level imports pull API clients in)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
    return namespace[name]


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# -- FastChat (MT-Bench) -----------------------------------------------------------------------

def mtbench(job: dict) -> dict:
    import pandas as pd
    from fastchat.llm_judge import common

    prompts = common.load_judge_prompts(job["judge_prompts"])
    seen: dict = {}

    def fake(model, conv, temperature, max_tokens, api_dict=None):
        seen["messages"] = conv.to_openai_api_messages()
        seen["max_tokens"] = max_tokens
        return seen["reply"]

    common.chat_completion_openai = fake
    out = []
    for it in job["items"]:
        multi = it["turn"] == 2
        name = ("single-math-v1" if it["ref"] else "single-v1") + ("-multi-turn" if multi else "")
        judge = common.Judge("gpt-4", prompts[name], ref_based=bool(it["ref"]), multi_turn=multi)
        seen["reply"] = it["reply"]
        ref = {"choices": [{"turns": it["ref"]}]} if it["ref"] else None
        rating, _, _ = common.run_judge_single({"turns": it["turns"]}, {"choices": [{"turns": it["answers"]}]},
                                               judge, ref, multi_turn=multi)
        out.append({"rating": rating, "messages": seen["messages"], "max_tokens": seen["max_tokens"]})
    df = pd.DataFrame([{"model": it["model"], "turn": it["turn"], "score": o["rating"]}
                       for it, o in zip(job["items"], out)])
    df = df[df["score"] != -1]  # FastChat's show_result: -1 (no rating) is left out
    scores = {m: {"score": float(g["score"].mean()),
                  **{f"turn_{t}": float(gt["score"].mean()) for t, gt in g.groupby("turn")}}
              for m, g in df.groupby("model")}
    return {"items": out, "scores": scores}


def mtbench_pair(job: dict) -> dict:
    """FastChat's pairwise-baseline: play_a_match_pair (both orders) and show_result's table."""
    from fastchat.llm_judge import common, show_result

    prompts = common.load_judge_prompts(job["judge_prompts"])
    replies: list = []

    def fake(model, conv, temperature, max_tokens, api_dict=None):
        return replies.pop(0)

    common.chat_completion_openai = fake
    with tempfile.TemporaryDirectory() as tmp:
        out_file = str(Path(tmp) / "pair.jsonl")
        with contextlib.redirect_stdout(io.StringIO()):
            for it in job["items"]:
                multi = it["turn"] == 2
                name = ("pair-math-v1" if it["ref"] else "pair-v2") + ("-multi-turn" if multi else "")
                judge = common.Judge("gpt-4", prompts[name], ref_based=bool(it["ref"]), multi_turn=multi)
                replies[:] = [it["g1"], it["g2"]]
                match = common.MatchPair({"question_id": it["qid"], "turns": it["turns"]}, it["model"], "baseline",
                                         {"choices": [{"turns": it["answers"]}]},
                                         {"choices": [{"turns": it["baseline"]}]}, judge,
                                         {"choices": [{"turns": it["ref"]}]} if it["ref"] else None, multi)
                common.play_a_match_pair(match, out_file)
        rows = [json.loads(x) for x in Path(out_file).read_text().splitlines()]
        scores = {}
        for model in dict.fromkeys(it["model"] for it in job["items"]):
            mine = Path(tmp) / f"{model}.jsonl"
            mine.write_text("".join(json.dumps(r) + "\n" for r in rows if r["model_1"] == model))
            args = type("A", (), {"input_file": str(mine), "bench_name": "mt_bench", "judge_model": "gpt-4",
                                  "model_list": None, "baseline_model": "baseline"})()
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                show_result.display_result_pairwise(args)
            line = next(ln for ln in buf.getvalue().splitlines() if ln.split() and ln.split()[0] == model)
            win, loss, tie, wr, lr, wra = (float(x) for x in line.split()[1:7])
            scores[model] = {"win": win, "loss": loss, "tie": tie, "win_rate": wr, "loss_rate": lr,
                             "win_rate_adjusted": wra}
    return {"winners": [[r["g1_winner"], r["g2_winner"]] for r in rows], "scores": scores}


# -- AlignBench ----------------------------------------------------------------------------------

def alignbench(job: dict) -> dict:
    import pandas as pd

    root = Path(job["repo"])
    sys.path.insert(0, str(root))
    import judge as ab  # THUDM/AlignBench judge.py (prompt_construct, post_process)
    import show_result as ab_show

    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = Path(tmp) / "config.json"
        conf = json.loads((root / "config" / "multi-dimension.json").read_text())
        conf["Paths"] = {k: str(root / v) if k.endswith(("filepath", "mapping")) else str(Path(tmp) / v)
                         for k, v in conf["Paths"].items()}
        cfg_path.write_text(json.dumps(conf))
        config = ab.Config(str(cfg_path))
        out, docs = [], {}
        with contextlib.redirect_stdout(io.StringIO()):
            for it in job["items"]:
                sample = ab.Sample(it["question"], it["reference"], it["answer"], it["category"], it["subcategory"])
                _, prompt = ab.prompt_construct(sample, config)
                rating, score = ab.post_process(it["reply"])
                out.append({"prompt": prompt, "rating": rating, "score": score})
                docs.setdefault(it["model"], []).append({"question_id": it["question_id"], "model_id": it["model"],
                                                         "score": score})
        results = {}
        for model, rows in docs.items():  # one model per show_result run, as compass scores one candidate
            judg = Path(tmp) / f"judgment_{model}"
            judg.mkdir()
            (judg / f"{model}.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in rows))
            save = Path(tmp) / f"results_{model}.xlsx"
            args = type("A", (), {"input_dir": str(judg), "save_file": str(save), "ques_file": job["ques_file"]})()
            with contextlib.redirect_stdout(io.StringIO()):
                ab_show.main(args)
            row = pd.read_excel(save).iloc[0].to_dict()
            results[model] = {k: float(v) for k, v in row.items() if k not in ("模型", "Unnamed: 0")}
    return {"items": out, "scores": results}


# -- AlpacaEval 2.0 ------------------------------------------------------------------------------

def alpaca(job: dict) -> dict:
    import numpy as np
    import pandas as pd
    from alpaca_eval import processors, utils
    from alpaca_eval.completion_parsers import logprob_parser
    from alpaca_eval.metrics import glm_winrate

    glm_winrate.hf_hub_download = lambda **kw: job["df_gamed"]  # the published file, here a synthetic one
    template = (Path(glm_winrate.__file__).parent.parent / "evaluators_configs" / "alpaca_eval_clf_gpt4_turbo"
                / "alpaca_eval_clf.txt").read_text()
    results, items_out = {}, []
    for model, items in job["models"].items():
        df = pd.DataFrame([{"instruction": it["instruction"], "output_1": it["output_1"],
                            "output_2": it["output_2"]} for it in items])
        switcher = processors.RandomSwitchTwoColumnsProcessor(
            two_columns_to_switch=["output_1", "output_2"], random_seed_columns=["instruction"],
            _switch_column="is_switched_outputs", seed=123)
        shown = switcher.preprocess(df)
        prompts, _ = utils.make_prompts(shown, template)
        prefs, binary = [], []
        for it, prompt, sw in zip(items, prompts, shown["is_switched_outputs"]):
            comp = {"logprobs": {"content": [{"token": it["text"], "logprob": 0.0,
                                              "top_logprobs": [{"token": t, "logprob": lp}
                                                               for t, lp in it["top_logprobs"]]}]}}
            with contextlib.redirect_stderr(io.StringIO()):
                p = logprob_parser(comp, numerator_token="m", denominator_tokens=["m", "M"], is_binarize=False)[0]
                pb = logprob_parser(comp, numerator_token="m", denominator_tokens=["m", "M"], is_binarize=True)[0]
            if sw:  # the switch undone, as the annotator's postprocessing does
                p, pb = 3 - p, 3 - pb
            prefs.append(p)
            binary.append(pb)
            items_out.append({"switched": bool(sw), "messages": utils.prompt_to_chatml(prompt),
                              "preference": None if np.isnan(p) else float(p)})
        ann = df.assign(preference=prefs, generator_1="baseline", generator_2=model, annotator="judge")
        out = {}
        for glm in ("length_controlled_v1", "length_controlled_minimal"):
            got = glm_winrate.get_length_controlled_winrate(ann.copy(), glm_name=glm, save_weights_dir=None,
                                                            is_warn_extreme_changes=False)
            out[glm] = {k: float(v) for k, v in got.items()}
        results[model] = out
    return {"items": items_out, "scores": results}


# -- Arena-Hard v0.1 -----------------------------------------------------------------------------

def arena_v01(job: dict) -> dict:
    import numpy as np
    import pandas as pd
    import re

    root = Path(job["repo"])
    sys.path.insert(0, str(root))
    get_score = _function(root / "gen_judgment.py", "get_score", {})
    np.NAN = np.nan  # v0.1 predates numpy 2, which dropped the alias
    import show_result as sr
    import utils_math as um

    import yaml

    pattern = re.compile(job["regex"])
    cfg = yaml.safe_load((root / "config" / "judge_config.yaml").read_text())
    prompts = [[cfg["system_prompt"], cfg["prompt_template"][0].format(question_1=q, answer_1=a, answer_2=b)]
               for q, a, b in job.get("prompts", [])]  # as gen_judgment.judgment fills them in
    verdicts, results = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        judg = Path(tmp) / "data" / "arena-hard-v0.1" / "model_judgment" / "judge"
        judg.mkdir(parents=True)
        for model, rows in job["models"].items():
            lines = []
            for row in rows:
                games = []
                for attempts in row["games"]:
                    judgment, score = "", None
                    for reply in attempts[:2]:  # number_of_judgment_attempts: 2
                        judgment += "\n" + reply
                        score, again = get_score(judgment, pattern)
                        if not again:
                            break
                    games.append({"score": score})
                    verdicts.append(score)
                lines.append(json.dumps({"question_id": row["question_id"], "model": model, "judge": "judge",
                                         "games": games}))
            (judg / f"{model}.jsonl").write_text("\n".join(lines) + "\n")
        with _cwd(Path(tmp)), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            battles = sr.get_battles_from_judgment("arena-hard-v0.1", "judge", job.get("first_game_only", False), 3,
                                                   "gpt-4-0314")
        for model in job["models"]:  # one candidate per show_result run, as compass scores one
            b = battles[battles["model_b"] == model].reset_index(drop=True)
            point = um.compute_mle_elo(b)
            np.random.seed(42)  # utils_math seeds numpy's generator at import
            with contextlib.redirect_stderr(io.StringIO()):
                boot = um.get_bootstrap_result(b, um.compute_mle_elo, 100)
            stats = pd.DataFrame([{"model": m, "score": point[m], "lower": np.percentile(boot[m], 2.5),
                                   "upper": np.percentile(boot[m], 97.5)} for m in point.index])
            stats.sort_values(by="model", inplace=True)
            got = {c: um.get_win_rate_column(stats, c, "gpt-4-0314").tolist() for c in ("score", "lower", "upper")}
            i = stats["model"].tolist().index(model)
            results[model] = {"score": got["score"][i], "lower": got["lower"][i], "upper": got["upper"][i],
                              "battles": int(len(b))}
    return {"verdicts": verdicts, "scores": results, "prompts": prompts}


# -- Arena-Hard v2 -------------------------------------------------------------------------------

def arena_v2(job: dict) -> dict:
    import numpy as np

    root = Path(job["repo"])
    sys.path.insert(0, str(root))
    get_score = _function(root / "gen_judgment.py", "get_score", {})
    import show_result as sr

    captured: list = []

    def capture(mean_scores, lower_scores, upper_scores, baseline=None):
        captured.append((mean_scores, lower_scores, upper_scores))
        return mean_scores

    sr.format_confidence_interval = capture
    import yaml
    from utils.judge_utils import JUDGE_SETTINGS

    cfg = yaml.safe_load((root / "config" / "arena-hard-v2.0.yaml").read_text())
    prompts = [[JUDGE_SETTINGS[c]["system_prompt"], cfg["prompt_template"].format(QUESTION=q, ANSWER_A=a, ANSWER_B=b)]
               for c, q, a, b in job.get("prompts", [])]  # as gen_judgment.pairwise_judgment fills them in
    verdicts = [get_score(r, job["regex_patterns"]) for r in job.get("parse_only", [])]
    results = {}
    bench = "arena-hard-v2.0"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data" / bench
        (data / "model_answer").mkdir(parents=True)
        for judge, models in job["judges"].items():
            (data / "model_judgment" / judge).mkdir(parents=True)
            for model, rows in models.items():
                lines = []
                for row in rows:
                    games = []
                    for reply in row["games"]:
                        score = get_score(reply, job["regex_patterns"])
                        verdicts.append(score)
                        games.append({"score": score})
                    lines.append(json.dumps({"uid": row["uid"], "category": row["category"], "judge": judge,
                                             "model": model, "baseline": "b", "games": games}))
                (data / "model_judgment" / judge / f"{model}.jsonl").write_text("\n".join(lines) + "\n")
        for model, meta in job["metadata"].items():
            (data / "model_answer" / f"{model}.jsonl").write_text(
                "".join(json.dumps({"uid": u, "model": model, "metadata": m}) + "\n" for u, m in meta.items()))
        with _cwd(Path(tmp)), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for run in job["runs"]:  # {"name", "judges", "model", "category", "style": [] | features}
                battles = sr.load_judgments(run["judges"], bench)
                battles = battles[(battles.category == run["category"]) & (battles.model == run["model"])]
                battles = battles.reset_index(drop=True)
                np.random.seed(run["seed"])
                captured.clear()
                if run["style"]:
                    sr.print_leaderboard_with_style_features(battles, bench, run["category"], run["style"])
                else:
                    sr.print_leaderboard(battles, run["category"])
                mean, low, high = captured[0]
                col = "scores"
                pick = lambda df, c: float(df.set_index("model").loc[run["model"], c])  # noqa: E731
                results[run["name"]] = {"score": 100 * pick(mean, col), "lower": 100 * pick(low, "lower"),
                                        "upper": 100 * pick(high, "upper"), "battles": int(len(battles))}
    return {"verdicts": verdicts, "scores": results, "prompts": prompts}


def main() -> int:
    job = json.load(sys.stdin)
    part = {"mtbench": mtbench, "mtbench_pair": mtbench_pair, "alignbench": alignbench, "alpaca": alpaca, "arena_v01": arena_v01,
            "arena_v2": arena_v2}[job["part"]]
    json.dump(part(job), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
