"""OpenCompass 0.5.4 as the oracle for its pairwise subjective configs (Arena-Hard, AlpacaEval).

Run under OpenCompass's own environment (the tests never need it)::

    /tmp/peers/opencompass/bin/python bench/opencompass_pairwise.py OC_CONFIGS_ROOT tests/data/opencompass_pairwise.json

A third argument names another data folder of compass's layout (``/work/shared/data``: all 500
Arena-Hard and 805 AlpacaEval rows); ``bench/opencompass_pairwise_check.py`` then compares
compass with that output.

For each of ``arena_hard_compare.py``, ``arena_hard_compare_new.py``, ``arena_hard_compare_rawprompt.py``,
``alpacav2_judgeby_gpt4.py``, ``alpacav2_judgeby_gpt4_new.py`` and ``alpacav2_judgeby_gpt4_rawprompt.py``
(OpenCompass's files, as written): OpenCompass's layout of
the data is made from compass's small copies (``tests/data/datasets/subjective``: the questions,
the baseline's answers as a ``given_pred`` predictions file), a candidate's answers are made up
(lengths around the baseline's), and OpenCompass's own ``LMEvaluator.score`` runs the config's
evaluator with a stand-in API judge (a ``BaseAPIModel`` that records what it is sent and answers
a verdict picked by a hash of the prompt, unreadable ones included). Saved: every judge prompt as
the messages an OpenAI judge is sent (in OpenCompass's order), the replies, and the scores of
the config's reading — its ``dict_postprocessor`` (``arenahard_postprocess``,
``alpacaeval_postprocess``) or its summarizer's arithmetic (``ArenaHardSummarizer``'s
Bradley-Terry fit and seeded bootstrap via OpenCompass's functions, ``AlpacaSummarizer``).
Also saved: OpenCompass's verdict extraction on a battery of replies, and the Arena-Hard
score/interval of several synthetic battle sets.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "datasets" / "subjective"
CASES = {
    "arena_hard_compare": ("subjective/arena_hard/arena_hard_compare.py", "arenahard_datasets"),
    "arena_hard_compare_new": ("subjective/arena_hard/arena_hard_compare_new.py", "arenahard_datasets"),
    "alpacav2_judgeby_gpt4": ("subjective/alpaca_eval/alpacav2_judgeby_gpt4.py", "alpacav2_datasets"),
    "alpacav2_judgeby_gpt4_new": ("subjective/alpaca_eval/alpacav2_judgeby_gpt4_new.py", "alpacav2_datasets"),
    "arena_hard_compare_rawprompt": ("subjective/arena_hard/arena_hard_compare_rawprompt.py", "arenahard_datasets"),
    "alpacav2_judgeby_gpt4_rawprompt": ("subjective/alpaca_eval/alpacav2_judgeby_gpt4_rawprompt.py",
                                        "alpacav2_datasets"),
}
ARENA_REPLIES = ["Both are fine. My final verdict is: [[A>>B]]", "[[A>B]]", "My final verdict is tie: [[A=B]]",
                 "[[B>A]]", "Assistant B is much better: [[B>>A]]", "I cannot decide.", "[[A<B]]",
                 "first [[B>A]], then on reflection [[A>>B]]"]
ALPACA_REPLIES = ["m", "M", "M", "m", " m", "Model M", "s"]
RECORDED: list = []


def _pick(options: list[str], prompt: str) -> str:
    return options[int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % len(options)]


def make_layout(root: Path, data: Path = DATA) -> None:
    """OpenCompass's files of both sets, from compass's copies."""
    arena = root / "subjective" / "arena_hard"
    arena.mkdir(parents=True)
    questions = (data / "arena_hard" / "arena-hard-v0.1" / "question.jsonl").read_text("utf-8")
    (arena / "arenahard.jsonl").write_text(questions, "utf-8")
    answers = {}
    for line in (data / "arena_hard" / "arena-hard-v0.1" / "model_answer" / "gpt-4-0314.jsonl").open(encoding="utf-8"):
        a = json.loads(line)
        answers[a["question_id"]] = a["choices"][0]["turns"][0]["content"]
    ids = [json.loads(x)["question_id"] for x in questions.splitlines() if x.strip()]
    (arena / "arenahard.json").write_text(json.dumps({str(i): {"prediction": answers[q]} for i, q in enumerate(ids)}))
    alpaca = root / "subjective" / "alpaca_eval"
    (alpaca / "gpt4-turbo").mkdir(parents=True)
    rows = json.loads((data / "alpaca_eval" / "results" / "gpt4_1106_preview" / "model_outputs.json").read_text("utf-8"))
    (alpaca / "alpaca_eval.json").write_text(json.dumps(
        [{"question": r["instruction"], "capability": r["dataset"], "others": {}} for r in rows]))
    (alpaca / "gpt4-turbo" / "alpaca_eval.json").write_text(json.dumps(
        {str(i): {"prediction": r["output"]} for i, r in enumerate(rows)}))


def candidate(i: int, base: str) -> str:
    """A made-up answer: its length a fraction or multiple of the baseline's (at most 700 characters),
    some words, some braces."""
    factor = [3.0, 1.5, 1.0, 0.7, 0.3, 0.1, 2.2, 0.5, 1.2, 0.9][i % 10]
    words = ("The answer {%d} considers: café, 中文 words, `code` and more. " % i) * 400
    return words[: max(1, min(int(len(base) * factor), 700))]


def main(argv: list[str]) -> int:
    configs, out = Path(argv[0]), Path(argv[1])
    data = Path(argv[2]) if len(argv) > 2 else DATA
    from mmengine.config import Config
    from opencompass.models.base_api import BaseAPIModel
    from opencompass.registry import ICL_EVALUATORS, MODELS
    from opencompass.utils import build_dataset_from_cfg

    @MODELS.register_module(force=True)
    class RecordingJudge(BaseAPIModel):
        is_api = True

        def __init__(self, path="recording-judge", **_):
            super().__init__(path=path, max_seq_len=10 ** 6, query_per_second=1000, retry=0, meta_template=None)

        def generate(self, inputs, max_out_len=512, **_):
            replies = []
            for x in inputs:
                # no meta template: one text, sent as one user message; a RawPromptTemplate's
                # messages are sent as they are (OpenAI._preprocess_messages)
                msgs = [{"role": "user", "content": x}] if isinstance(x, str) else [dict(m) for m in x]
                text = "\n".join(m["content"] for m in msgs)
                options = ALPACA_REPLIES if '"model_identifier": "m"' in text else ARENA_REPLIES
                replies.append(_pick(options, text))
                RECORDED.append({"messages": msgs, "reply": replies[-1]})
            return replies

    result: dict = {"opencompass": "0.5.4", "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        make_layout(root, data)
        for case, (rel, var) in CASES.items():
            cfg = Config.fromfile(str(configs / "datasets" / rel))
            d = cfg[var][0]
            d["path"] = str(root / "subjective" / ("arena_hard" if "arena" in rel else "alpaca_eval"))
            for g in d["given_pred"]:
                g["path"] = str(root / "subjective" / ("arena_hard" if "arena" in rel else "alpaca_eval/gpt4-turbo"))
            test = build_dataset_from_cfg(d).test
            base = d["base_models"][0]["abbr"]
            given = json.loads(Path(d["given_pred"][0]["path"], d["abbr"] + ".json").read_text())
            base_preds = [given[str(i)]["prediction"] for i in range(len(test))]
            cand = [candidate(i, b) for i, b in enumerate(base_preds)]
            ev = d["eval_cfg"]["evaluator"]
            ev["judge_cfg"] = dict(type="RecordingJudge", abbr="judge", max_out_len=64, batch_size=4)
            ev["dataset_cfg"] = d
            post = ev.get("dict_postprocessor")
            if post is not None and callable(post["type"]):  # as a task's dumped config names it
                post["type"] = f"{post['type'].__module__}.{post['type'].__name__}"
            subdir = Path(tmp) / "work" / "results" / f"{base}_cand_judged-by--judge"
            ev["output_path"] = str(subdir / f"{d['abbr']}.json")
            RECORDED.clear()
            evaluator = ICL_EVALUATORS.build(ev)
            res = evaluator.score(predictions=[{"model_name": base, "model_preds": base_preds},
                                               {"model_name": "cand", "model_preds": cand}],
                                  references=list(test[d["reader_cfg"]["output_column"]]),
                                  infer_order=d["infer_order"])
            if ev.get("dict_postprocessor") is None:  # the summarizer reads the judgements
                res = summarize(d, cfg, subdir, base, Path(tmp) / "work")
            else:
                res = {k: v for k, v in res.items() if k != "details"}
            result["cases"][case] = {"config": rel, "abbr": d["abbr"], "base": base, "infer_order": d["infer_order"],
                                     "candidate": cand, "judgements": list(RECORDED), "scores": res}
            print(case, len(RECORDED), res, file=sys.stderr)
    result["extraction"] = extraction()
    result["arena_sets"] = arena_sets()
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


def summarize(d, cfg, subdir: Path, base: str, work: Path) -> dict:
    """The old configs' summarizer arithmetic, by OpenCompass's functions."""
    stype = d["summarizer"]["type"]
    name = stype if isinstance(stype, str) else stype.__name__
    if name == "ArenaHardSummarizer":
        return arena_summary(d, subdir, base)
    from mmengine.config import ConfigDict
    from opencompass.summarizers.subjective.alpacaeval import AlpacaSummarizer

    conf = ConfigDict(datasets=[d], eval=dict(partitioner=dict(models=[dict(abbr="cand")])),
                      judge_models=[dict(abbr="judge")], work_dir=str(work))
    s = AlpacaSummarizer(conf, judge_type=d["summarizer"].get("judge_type", "v2"))
    return s.summarize(time_str="t")["AlpacaEval"]["judge"]["cand"]


def arena_summary(d, subdir: Path, base: str) -> dict:
    from opencompass.summarizers.subjective import arenahard as A

    battles = A.get_battles_from_judgment(d, str(subdir), A.post_process_compass_arena)
    return _arena_stats(battles, base, A)


def _arena_stats(battles, base: str, A) -> dict:
    """ArenaHardSummarizer.get_score's score / lower / upper lines, on OpenCompass's functions."""
    import numpy as np
    import pandas as pd

    elo = A.compute_mle_elo(battles)
    np.random.seed(42)
    boot = A.get_bootstrap_result(battles, A.compute_mle_elo, 100)
    stats = pd.DataFrame()
    for i, model in enumerate(elo.index):
        stats.at[i, "model"] = model
        stats.at[i, "score"] = elo[model]
        stats.at[i, "lower"] = np.percentile(boot[model], 2.5)
        stats.at[i, "upper"] = np.percentile(boot[model], 97.5)
    stats.sort_values(by="model", inplace=True)
    for col in ("score", "lower", "upper"):
        stats[col] = A.get_win_rate_column(stats, col, base).tolist()
    row = stats[stats["model"] != base].iloc[0]
    return {k: float(row[k]) for k in ("score", "lower", "upper")}


def extraction() -> dict:
    from opencompass.datasets.subjective.alpacaeval import post_process_alpacav2
    from opencompass.datasets.subjective.arena_hard import post_process_arenahard

    replies = ARENA_REPLIES + ALPACA_REPLIES + ["", "[[A>>B]] and [[B>>A]]", "[[ A>B ]]", "[[A=B]]]", "[[a>b]]",
                                                "mM", "\nm", "[[B>A]"]
    return {"replies": replies,
            "arena": [post_process_arenahard({"prediction": r}) for r in replies],
            "alpaca": [post_process_alpacav2({"prediction": r}) for r in replies]}


def arena_sets() -> list:
    """Synthetic battle sets: labels -> OpenCompass's arenahard_postprocess score and the summarizer's interval."""
    import pandas as pd
    from opencompass.datasets.subjective.arena_hard import arenahard_postprocess
    from opencompass.summarizers.subjective import arenahard as A

    rng = random.Random(7)
    labels = ["A>>B", "A>B", "A=B", "B>A", "B>>A", None, "A<B"]
    out = []
    for n, weights in ((12, [1, 2, 3, 2, 1, 1, 1]), (30, [3, 3, 1, 1, 1, 0, 0]), (25, [0, 1, 2, 4, 3, 1, 0]),
                       (40, [1, 1, 1, 1, 1, 1, 1]), (9, [0, 0, 5, 1, 0, 0, 0])):
        games = []
        for _ in range(n):
            label = rng.choices(labels, weights)[0]
            base_first = rng.random() < 0.5
            games.append({"label": label, "base_first": base_first})
        output = {str(i): {"prediction": f"[[{g['label']}]]" if g["label"] else "none",
                           "gold": {"answer1": "gpt4-0314" if g["base_first"] else "cand",
                                    "answer2": "cand" if g["base_first"] else "gpt4-0314"}}
                  for i, g in enumerate(games)}
        score = arenahard_postprocess(output, "x")["score"]
        battles = pd.DataFrame()
        for v in output.values():
            lab = A.post_process_compass_arena(v["prediction"])
            side = {"A=B": ("tie", 1), "A>B": ("model_a", 1), "A>>B": ("model_a", 3), "B>A": ("model_b", 1),
                    "B>>A": ("model_b", 3)}.get(lab)
            if side:
                row = {"model_a": v["gold"]["answer1"], "model_b": v["gold"]["answer2"], "winner": side[0]}
                battles = pd.concat([battles, pd.DataFrame([row] * side[1])])
        stats = _arena_stats(battles, "gpt4-0314", A)
        out.append({"games": games, "postprocess_score": float(score), "summarizer": stats})
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
