#!/usr/bin/env python3
"""compass's subjective scores against the reference implementations, on the same judgements.

For each benchmark a seeded synthetic set of judge replies (≥ 1,000 judgements: clean verdicts,
strong verdicts, ties, unparseable and adversarial replies — format examples quoted before the
verdict, conflicting labels, decimals, wrong brackets, lower case …) is scored twice: by the
reference implementation (``bench/judge_fidelity_reference.py``, run with ``--ref-python``, a
venv of its own holding ``fschat`` and ``alpaca-eval`` from PyPI, with arena-hard-auto v0.1 /
v2 and THUDM/AlignBench checkouts in ``--ref-root``), and by compass's own code (its templates,
:mod:`compass_judge.verdicts` and the evaluators' ``aggregate``). It prints, per benchmark,
whether the prompts are byte-identical, how many replies the two parse differently (the target:
none) and the scores side by side.

    python bench/judge_fidelity.py --ref-python /tmp/refvenv/bin/python --ref-root /tmp/ref \\
        --data /work/shared/data [--parts mtbench,alignbench,alpaca,arena_v01,arena_v2] [--json out.json]

The reference venv: ``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install fschat alpaca-eval
scikit-learn pandas torch==2.13.0 transformers psutil anthropic openai jsonlines openpyxl tqdm pyyaml
tenacity requests``; ``--ref-root`` holds ``arena-v01/`` (arena-hard-auto @ 3071ef95),
``arena-v2/`` (@ 196f6b82) and ``alignbench/`` (THUDM/AlignBench @ 5b79d4a), each a plain copy
of the repository's files. No judge is called: the replies are the synthetic ones.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "core"), str(ROOT / "plugins")]

from compass_judge import leaderboard, verdicts  # noqa: E402
from compass_judge.templates import shipped  # noqa: E402

SETTINGS = {"judge": "judge-model"}


def reference(args, job: dict) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([args.ref_python, str(ROOT / "bench" / "judge_fidelity_reference.py")],
                         input=json.dumps(job, ensure_ascii=False), capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"reference {job['part']} failed:\n{out.stderr[-3000:]}")
    got = json.loads(out.stdout)
    got["seconds"] = time.perf_counter() - t0
    return got


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def ctx(n: int, **settings):
    return SimpleNamespace(settings={**SETTINGS, **settings}, samples=[None] * n)


def record(verdict, reply: str) -> dict:
    return {"verdict": verdict, "reply": reply, "replies": [reply], "unparseable": verdict is None}


def close(a, b, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return abs(a - b) <= tol


# -- MT-Bench ----------------------------------------------------------------------------------

def rating_reply(rng: random.Random) -> str:
    r = rng.randint(1, 10)
    kind = rng.choices(range(10), weights=[40, 6, 8, 6, 6, 5, 5, 8, 6, 10])[0]
    return [f"The answer is helpful and accurate. Rating: [[{r}]]",
            f"Some issues. Rating: [[{r}.5]]" if r < 10 else "Rating: [[10]]",
            f'The required format is "[[rating]]", for example: "Rating: [[5]]". My rating: [[{r}]]',
            f"Rating: [[{r}]]\nScore: {rng.randint(1, 5)}/5 for style",
            f"Rating: [[{r}, {rng.randint(1, 10)}]]",
            f"I would give it [{r}] overall.",
            f"[[{rng.choice([0, 11, 12])}]] is off the scale, so Rating: [[{r}]]",
            "The answer is fine; I will not give a number.",
            f"Rating: {r}/10",
            f"评分：[[{r}]]"][kind]


def part_mtbench(args) -> dict:
    data = Path(args.data) / "mt_bench"
    questions = jsonl(data / "question.jsonl")
    refs = {r["question_id"]: r["choices"][0]["turns"] for r in jsonl(data / "reference_answer" / "gpt-4.jsonl")}
    rng = random.Random(1)
    models = ["model-a", "model-b", "model-c", "model-d", "model-e", "model-f", "model-g"]
    items = []
    for model in models:
        for q in questions:
            answers = [f"{model} answer to turn {t}: " + "word " * rng.randint(5, 60) for t in (1, 2)]
            ref = refs.get(q["question_id"]) if q["category"] in ("math", "reasoning", "coding") else None
            for turn in (1, 2):
                items.append({"model": model, "qid": q["question_id"], "category": q["category"], "turn": turn,
                              "turns": q["turns"], "answers": answers, "ref": ref, "reply": rating_reply(rng)})
    ref = reference(args, {"part": "mtbench", "judge_prompts": str(data / "judge_prompts.jsonl"), "items": items})
    from compass_judge.single import MTBenchJudge

    t = shipped()
    same_prompt = diff_parse = 0
    records: dict[str, dict] = {m: {} for m in models}
    for it, r in zip(items, ref["items"]):
        name = ("single-math-v1" if it["ref"] else "single-v1") + ("-multi-turn" if it["turn"] == 2 else "")
        fields = ({"question": it["turns"][0], "answer": it["answers"][0]} if it["turn"] == 1 else
                  {"question_1": it["turns"][0], "answer_1": it["answers"][0], "question_2": it["turns"][1],
                   "answer_2": it["answers"][1]})
        if it["ref"]:
            fields.update({"ref_answer_1": it["ref"][0], "ref_answer_2": it["ref"][1]})
        system, user = t[name].render(**fields)
        same_prompt += r["messages"] == [{"role": "system", "content": system}, {"role": "user", "content": user}] \
            and r["max_tokens"] == t[name].max_out_len
        mine = verdicts.read(t[name], it["reply"])
        theirs = None if r["rating"] == -1 else float(r["rating"])
        diff_parse += mine != theirs
        rec = records[it["model"]].setdefault(it["qid"], {"category": it["category"], "judgements": {"judge": {}}})
        rec["judgements"]["judge"][f"turn_{it['turn']}"] = record(mine, it["reply"])
    rows = []
    for m in models:
        got = MTBenchJudge().aggregate(records[m], ctx(len(questions)))
        for k in ("score", "turn_1", "turn_2"):
            rows.append((f"{m} {k}", ref["scores"][m][k], got[k]))
    return {"judgements": len(items), "prompts_identical": same_prompt, "parse_differences": diff_parse,
            "rows": rows, "tolerance": 1e-4, "ref_seconds": ref["seconds"]}


def pair_reply(rng: random.Random) -> str:
    label = rng.choice("ABC")
    kind = rng.choices(range(6), weights=[60, 10, 8, 8, 7, 7])[0]
    return [f"Assistant {label if label != 'C' else 'A'} is more helpful. My final verdict is: [[{label}]]",
            f'The format is "[[A]]", "[[B]]" or "[[C]]". Verdict: [[{label}]]',  # quoting: FastChat reads [[A]]
            f"[[{label}]] ... on reflection [[{rng.choice('ABC')}]]",
            "Both are fine, I cannot decide.",
            f"Final verdict: [{label}]",
            f"verdict: [[{label.lower()}]]"][kind]


def part_mtbench_pair(args) -> dict:
    data = Path(args.data) / "mt_bench"
    questions = jsonl(data / "question.jsonl")
    refs = {r["question_id"]: r["choices"][0]["turns"] for r in jsonl(data / "reference_answer" / "gpt-4.jsonl")}
    rng = random.Random(6)
    models = ["model-a", "model-b", "model-c", "model-d"]
    items = []
    for model in models:
        for q in questions:
            answers = [f"{model} turn {t}: " + "w " * rng.randint(5, 40) for t in (1, 2)]
            baseline = [f"baseline turn {t}: " + "v " * rng.randint(5, 40) for t in (1, 2)]
            ref = refs.get(q["question_id"]) if q["category"] in ("math", "reasoning", "coding") else None
            for turn in (1, 2):
                items.append({"model": model, "qid": q["question_id"], "turn": turn, "turns": q["turns"],
                              "answers": answers, "baseline": baseline, "ref": ref,
                              "g1": pair_reply(rng), "g2": pair_reply(rng)})
    ref = reference(args, {"part": "mtbench_pair", "judge_prompts": str(data / "judge_prompts.jsonl"), "items": items})
    from compass_judge.single import MTBenchJudge

    t = shipped()
    diff_parse = 0
    records: dict[str, dict] = {m: {} for m in models}
    for it, (w1, w2) in zip(items, ref["winners"]):
        name = ("pair-math-v1" if it["ref"] else "pair-v2") + ("-multi-turn" if it["turn"] == 2 else "")
        v1, v2 = verdicts.read(t[name], it["g1"]), verdicts.read(t[name], it["g2"])
        back1 = {"model_1": "A>B", "model_2": "B>A", "tie": "A=B", "error": None}[w1]
        back2 = {"model_2": "A>B", "model_1": "B>A", "tie": "A=B", "error": None}[w2]
        diff_parse += (v1 != back1) + (v2 != back2)
        rec = records[it["model"]].setdefault(it["qid"], {"category": "", "judgements": {"judge": {}}})
        rec["judgements"]["judge"][f"turn_{it['turn']}:g1"] = record(v1, it["g1"])
        rec["judgements"]["judge"][f"turn_{it['turn']}:g2"] = record(v2, it["g2"])
    rows = []
    for m in models:
        got = MTBenchJudge(mode="pairwise-baseline", baseline="baseline").aggregate(records[m], ctx(len(questions)))
        for k in ("win_rate_adjusted", "win_rate", "loss_rate", "win", "loss", "tie"):
            rows.append((f"{m} {k}", ref["scores"][m][k], got[k]))
    return {"judgements": 2 * len(items), "prompts_identical": "n/a (FastChat's templates, as in single)",
            "parse_differences": diff_parse, "rows": rows, "tolerance": 1e-4, "ref_seconds": ref["seconds"]}


# -- AlignBench --------------------------------------------------------------------------------

def align_reply(rng: random.Random, dims: list[str]) -> str:
    s = {d: rng.randint(1, 10) for d in dims}
    o = rng.randint(1, 10)
    body = ", ".join(f"'{d}': {v}" for d, v in s.items())
    kind = rng.choices(range(9), weights=[45, 8, 8, 6, 6, 6, 8, 6, 7])[0]
    return ["逐维度分析……\n{" + body + f", '综合得分': {o}}}",
            "格式示例：{'事实正确性': 9, '综合得分': 7}\n分析……\n{" + body + f", '综合得分': {o}}}",
            "{" + body + f", '综合得分': {o}.5}}",
            "分析……\n{\n" + ",\n".join(f"'{d}': {v}" for d, v in s.items()) + f",\n'综合得分': {o}\n}}",
            "{" + ", ".join(f'"{d}": {v}' for d, v in s.items()) + f', "综合得分": {o}}}',
            f"综合得分：{o}分",
            f"因此 '综合得分': {o}.25，理由如上。",
            "{" + body + "}",
            "我无法评价这个回答。"][kind]


def part_alignbench(args) -> dict:
    root = Path(args.data) / "alignbench"
    qs = jsonl(root / "data" / "data_v1.1_release.jsonl")
    conf = {n: json.loads((root / "config" / f"{n}.json").read_text(encoding="utf-8"))
            for n in ("subcategory_question_mapping", "dimension_set", "dimension_definition")}
    rng = random.Random(2)
    models = ["model-a", "model-b"]
    items = []
    for model in models:
        for q in qs:
            dims = conf["dimension_set"][conf["subcategory_question_mapping"][q["subcategory"]]]
            items.append({"model": model, "question_id": q["question_id"], "category": q["category"],
                          "subcategory": q["subcategory"], "question": q["question"], "reference": q["reference"],
                          "answer": f"{model}：" + "答" * rng.randint(5, 200), "dims": dims,
                          "reply": align_reply(rng, dims)})
    ref = reference(args, {"part": "alignbench", "repo": str(Path(args.ref_root) / "alignbench"),
                           "ques_file": str(root / "data" / "data_v1.1_release.jsonl"), "items": items})
    from compass_judge.alignbench import AlignBenchJudge

    t = shipped()["alignbench-v1.1"]
    defs = conf["dimension_definition"]
    same_prompt = diff_parse = 0
    records: dict[str, dict] = {m: {} for m in models}
    for it, r in zip(items, ref["items"]):
        listed = "".join(f"{i}. {d}: {defs.get(d)}\n" for i, d in enumerate(it["dims"], 1))
        system, user = t.render(category=it["category"], dimensions=listed, question=it["question"],
                                reference=it["reference"], answer=it["answer"])
        same_prompt += (system == "" and user == r["prompt"])
        mine = verdicts.read(t, it["reply"])
        theirs = None if r["score"] == -1 else {"overall": float(r["score"]),
                                                **{k: float(v) for k, v in r["rating"].items() if k != "综合得分"}}
        diff_parse += mine != theirs
        records[it["model"]][it["question_id"]] = {"category": it["category"],
                                                   "judgements": {"judge": {"overall": record(mine, it["reply"])}}}
    rows = []
    for m in models:
        for mode, tag in (("minus-one", "show_result (-1 averaged in)"),):
            got = AlignBenchJudge(template="alignbench-v1.1", unparseable=mode).aggregate(records[m], ctx(len(qs)))
            theirs = ref["scores"][m]
            rows.append((f"{m} overall [{tag}]", theirs["总分"], got["score"]))
            rows.append((f"{m} 中文推理", theirs["中文推理"], got["reasoning"]))
            rows.append((f"{m} 中文语言", theirs["中文语言"], got["language"]))
            for cat in ("数学计算", "逻辑推理", "专业能力", "角色扮演"):
                rows.append((f"{m} {cat}", theirs[cat], got[cat]))
        excl = AlignBenchJudge(template="alignbench-v1.1", unparseable="exclude").aggregate(records[m], ctx(len(qs)))
        rows.append((f"{m} overall [unparseable = exclude]", None, excl["score"]))
    return {"judgements": len(items), "prompts_identical": same_prompt, "parse_differences": diff_parse,
            "rows": rows, "tolerance": 1e-4, "ref_seconds": ref["seconds"]}


# -- AlpacaEval 2.0 ----------------------------------------------------------------------------

def part_alpaca(args) -> dict:
    rows_in = json.loads((Path(args.data) / "alpaca_eval/results/gpt4_1106_preview/model_outputs.json").read_text())
    rng = random.Random(3)
    n = len(rows_in)
    # the published df_gamed.csv (HF hub) cannot be fetched here: a synthetic one of the same layout
    # (two gamed baselines; the first n rows are instructions 0..n-1 in order)
    difficulty = [rng.gauss(0, 1) for _ in range(n)]
    gamed = []
    for model, shift in (("gamed_verbose", 1.0), ("gamed_concise", -1.0)):
        for i in range(n):
            z = shift + 0.5 * rng.gauss(0, 1)
            p = 1 / (1 + math.exp(-(0.8 * math.tanh(z) - 0.3 * difficulty[i])))
            gamed.append({"index": i, "model": model, "preference": p, "std_delta_len": -z,
                          "instruction_difficulty": difficulty[i], "not_gamed_baseline": False})
    tmp = Path(tempfile.mkdtemp(prefix="judge_fidelity_"))
    gamed_csv = tmp / "df_gamed.csv"
    import csv

    with gamed_csv.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(gamed[0]))
        w.writeheader()
        w.writerows(gamed)
    # two candidates and a length-biased judge: "concise" is better and short, "verbose" worse and long
    models = {"concise": (0.6, 0.5), "verbose": (-0.4, 2.5)}
    items: dict[str, list] = {}
    for model, (quality, length) in models.items():
        items[model] = []
        for i, r in enumerate(rows_in):
            base, mine = r["output"], "x" * max(1, int(len(r["output"]) * length * rng.uniform(0.6, 1.4)))
            switched = leaderboard.alpaca_switched(r["instruction"])
            bias = 1.2 * math.tanh((len(mine) - len(base)) / 1000)
            p_cand = 1 / (1 + math.exp(-(quality + bias - 0.3 * difficulty[i] + rng.gauss(0, 0.5))))
            p_m = p_cand if switched else 1 - p_cand  # m is output 1 as shown
            kind = rng.choices(range(5), weights=[80, 6, 6, 4, 4])[0]
            top = [("m", math.log(max(p_m, 1e-9))), ("M", math.log(max(1 - p_m, 1e-9))), ("The", -12.0)]
            if kind == 1:
                top = [t for t in top if t[0] != "M"]
            elif kind == 2:
                top = [t for t in top if t[0] != "m"]
            elif kind == 3:
                top = [("The", -0.2), ("Model", -2.0)]  # neither m nor M: unparseable
            elif kind == 4:
                top = [("m", math.log(0.5)), ("M", math.log(0.5))]  # an exact tie
            top.sort(key=lambda x: -x[1])
            items[model].append({"instruction": r["instruction"], "output_1": base, "output_2": mine,
                                 "text": top[0][0], "top_logprobs": top, "id": i})
    ref = reference(args, {"part": "alpaca", "df_gamed": str(gamed_csv), "models": items})
    from compass_judge.pairwise import PairwiseJudge

    t = shipped()["alpaca-eval-clf"]
    same_prompt = diff_parse = k = 0
    rows = []
    for model in models:
        records, samples = {}, []
        for it in items[model]:
            r = ref["items"][k]
            k += 1
            switched = leaderboard.alpaca_switched(it["instruction"])
            a, b = (it["output_2"], it["output_1"]) if switched else (it["output_1"], it["output_2"])
            system, user = t.render(question=it["instruction"], answer_a=a, answer_b=b)
            same_prompt += r["messages"] == [{"role": "system", "content": system}, {"role": "user", "content": user}] \
                and r["switched"] == switched
            p_a = verdicts.read(t, it["text"], top_logprobs=tuple(map(tuple, it["top_logprobs"])))
            order = "ab" if switched else "ba"
            cand = None if p_a is None else (p_a if order == "ab" else 1 - p_a)
            theirs = None if r["preference"] is None else r["preference"] - 1
            diff_parse += not close(cand, theirs, 1e-9)
            records[it["id"]] = {"judgements": {"judge": {order: record(p_a, it["text"])}},
                                 "lengths": [len(it["output_2"]), len(it["output_1"])]}
            g = [[j, e["preference"], e["std_delta_len"], e["instruction_difficulty"]]
                 for j, e in enumerate(gamed) if e["index"] == it["id"]]
            samples.append(SimpleNamespace(index=it["id"], row={"difficulty": difficulty[it["id"]], "gamed": g}))
        judge = PairwiseJudge(template="alpaca-eval-clf", question="instruction", scoring="alpaca")
        got = judge.aggregate(records, SimpleNamespace(settings=SETTINGS, samples=samples))
        theirs = ref["scores"][model]["length_controlled_v1"]
        rows += [(f"{model} win rate", theirs["win_rate"], got["win_rate"]),
                 (f"{model} standard error", theirs["standard_error"], got["standard_error"]),
                 (f"{model} discrete win rate", theirs["discrete_win_rate"], got["discrete_win_rate"]),
                 (f"{model} LC win rate (v1, synthetic df_gamed)", theirs["length_controlled_winrate"],
                  got["length_controlled_winrate"]),
                 (f"{model} LC standard error", theirs["lc_standard_error"], got["lc_standard_error"])]
        bare = SimpleNamespace(settings=SETTINGS, samples=[SimpleNamespace(index=s.index, row={}) for s in samples])
        got_min = judge.aggregate(records, bare)
        rows.append((f"{model} LC win rate (minimal GLM)",
                     ref["scores"][model]["length_controlled_minimal"]["length_controlled_winrate"],
                     got_min["length_controlled_winrate"]))
    return {"judgements": k, "prompts_identical": same_prompt, "parse_differences": diff_parse, "rows": rows,
            "tolerance": 0.1, "ref_seconds": ref["seconds"],
            "note": "unparseable: neither m nor M in the top log-probs"}


# -- Arena-Hard --------------------------------------------------------------------------------

LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]


def arena_reply(rng: random.Random, p_a: float, v2: bool) -> list[str]:
    """One game's replies (a second one only where the first has no label: v0.1 re-asks it)."""
    x = rng.random()
    label = LABELS[0 if x < p_a * 0.35 else 1 if x < p_a else 2 if x < p_a + 0.12 else
                   3 if x < p_a + 0.12 + (1 - p_a) * 0.6 else 4]
    kind = rng.choices(range(9), weights=[60, 8, 6, 5, 5, 4, 4, 4, 4])[0]
    other = rng.choice([v for v in LABELS if v != label])
    if kind == 0:
        return [f"My own answer first… Comparing both… My final verdict is: [[{label}]]"]
    if kind == 1:
        return [f'Example output: "My final verdict is tie: [[A=B]]". Mine: [[{label}]]']  # quoted example
    if kind == 2:
        return [f"Initially [[{other}]], but on reflection [[{label}]]"]  # conflicting labels
    if kind == 3:
        return [f"verdict: [[{label.lower()}]]"]  # lower case
    if kind == 4:
        return [f"My final verdict is [{label}]"]  # single brackets
    if kind == 5:
        return ["Both answers have merits and flaws.", f"My final verdict is: [[{label}]]"]  # no label: re-asked
    if kind == 6:
        flip = {"A>B": "B<A", "B>A": "A<B", "A>>B": "B<<A", "B>>A": "A<<B", "A=B": "B=A"}[label]
        return [f"Final verdict: [[{flip}]]"]
    if kind == 7:
        return ["I cannot decide between them."] * 2  # no label, twice
    return [f"Final verdict: [[{'A' if label[0] == 'A' else 'B'}]]"] if not v2 else [f"Final: [[{label}]] [[{label}]]"]


def part_arena_v01(args) -> dict:
    qs = jsonl(Path(args.data) / "arena_hard" / "arena-hard-v0.1" / "question.jsonl")
    rng = random.Random(4)
    models = {"strong": 0.72, "weak": 0.3}
    job_models: dict[str, list] = {}
    for model, p in models.items():
        job_models[model] = []
        for q in qs:
            g1 = arena_reply(rng, 1 - p, False)  # game 1: the baseline as A
            g2 = arena_reply(rng, p, False)  # game 2: the candidate as A
            job_models[model].append({"question_id": q["question_id"], "games": [g1, g2]})
    answers = {a["question_id"]: a["choices"][0]["turns"][0]["content"]
               for a in jsonl(Path(args.data) / "arena_hard" / "arena-hard-v0.1" / "model_answer" / "gpt-4-0314.jsonl")}
    cand = {q["question_id"]: f"Candidate answer {i}: " + "text " * rng.randint(10, 300) for i, q in enumerate(qs)}
    prompt_in = [(q["turns"][0]["content"], a, b) for q in qs
                 for a, b in ((answers[q["question_id"]], cand[q["question_id"]]),
                              (cand[q["question_id"]], answers[q["question_id"]]))]
    ref = reference(args, {"part": "arena_v01", "repo": str(Path(args.ref_root) / "arena-v01"),
                           "regex": r"\[\[([AB<>=]+)\]\]", "models": job_models, "prompts": prompt_in})
    t = shipped()["arena-hard-v0.1"]
    same_prompt = sum(list(t.render(question=q, answer_a=a, answer_b=b)) == r
                      for (q, a, b), r in zip(prompt_in, ref["prompts"]))
    from compass_judge.pairwise import PairwiseJudge

    diff_parse = k = n = 0
    rows = []
    for model in models:
        records = {}
        for i, row in enumerate(job_models[model]):
            parts = {}
            for order, attempts in zip(("ba", "ab"), row["games"]):
                text = attempts[0]
                v = verdicts.read(t, text)
                if v is None and verdicts.reask(t, text) and len(attempts) > 1:
                    v = verdicts.read(t, "\n" + attempts[0] + "\n" + attempts[1])
                theirs = ref["verdicts"][k]
                k += 1
                n += 1
                diff_parse += v != (theirs if theirs in LABELS else None)
                parts[order] = record(v, text)
            records[i] = {"judgements": {"judge": parts}}
        judge = PairwiseJudge(template="arena-hard-v0.1", scoring="arena-v0.1", seed=42, baseline="gpt-4-0314")
        got = judge.aggregate(records, SimpleNamespace(settings=SETTINGS, samples=[None] * len(qs)))
        theirs = ref["scores"][model]
        rows += [(f"{model} score", theirs["score"], got["score"]),
                 (f"{model} 95% lower", theirs["lower"], got["ci_low"]),
                 (f"{model} 95% upper", theirs["upper"], got["ci_high"]),
                 (f"{model} interval width", theirs["upper"] - theirs["lower"], got["ci_high"] - got["ci_low"]),
                 (f"{model} battles", theirs["battles"], got["battles"])]
    return {"judgements": n, "prompts_identical": f"{same_prompt} of {len(prompt_in)}", "parse_differences": diff_parse,
            "rows": rows, "tolerance": 0.1, "ref_seconds": ref["seconds"]}


def part_arena_v2(args) -> dict:
    qs = jsonl(Path(args.data) / "arena_hard" / "arena-hard-v2.0" / "question.jsonl")
    rng = random.Random(5)
    models = {"strong": 0.68, "weak": 0.35}
    judges = ["judge-1", "judge-2"]
    data = {j: {m: [] for m in models} for j in judges}
    meta = {m: {} for m in [*models, "o3-mini-2025-01-31", "gemini-2.0-flash-001"]}
    for q in qs:
        for m in meta:
            scale = 1.0 if m not in models else 1.6 if m == "strong" else 0.8
            tokens = int(rng.randint(100, 1500) * scale)
            meta[m][q["uid"]] = {"token_len": tokens,
                                 "header_count": {"h1": rng.randint(0, 3), "h2": rng.randint(0, 4)},
                                 "list_count": {"ordered": rng.randint(0, 8), "unordered": rng.randint(0, 8)},
                                 "bold_count": {"**": rng.randint(0, 6), "__": 0}}
    for j in judges:
        for model, p in models.items():
            for q in qs:
                games = [arena_reply(rng, 1 - p, True)[-1], arena_reply(rng, p, True)[-1]]
                data[j][model].append({"uid": q["uid"], "category": q["category"], "games": games})
    parse_only = [arena_reply(rng, 0.5, True)[0] + " [[A>>>B]]" * (i % 3 == 0) + " [[AB]]" * (i % 5 == 0)
                  for i in range(300)]

    def label_ok(reply):  # the reference's show_result raises KeyError on a label outside its table
        return verdicts.arena_v2(reply) is not None or not any(verdicts._ARENA_V2[0].findall(reply.upper())
                                                                 or verdicts._ARENA_V2[1].findall(reply.upper()))

    for j in judges:
        for model in models:
            for row in data[j][model]:
                row["games"] = [g if label_ok(g) else "no verdict" for g in row["games"]]
    runs = []
    for model in models:
        for cat in ("hard_prompt", "creative_writing"):
            runs.append({"name": f"{model} {cat}", "judges": ["judge-1"], "model": model, "category": cat,
                         "style": [], "seed": 42})
        runs.append({"name": f"{model} hard_prompt pooled", "judges": judges, "model": model,
                     "category": "hard_prompt", "style": [], "seed": 42})
        runs.append({"name": f"{model} hard_prompt style", "judges": ["judge-1"], "model": model,
                     "category": "hard_prompt", "style": ["length", "markdown"], "seed": 42})
    prompt_in = [(q["category"], q["prompt"], "Baseline answer " + "b " * rng.randint(5, 50),
                  "Candidate answer " + "c " * rng.randint(5, 50)) for q in qs]
    job = {"part": "arena_v2", "repo": str(Path(args.ref_root) / "arena-v2"), "judges": data, "metadata": meta,
           "runs": runs, "regex_patterns": [r"\[\[([AB<>=]+)\]\]", r"\[([AB<>=]+)\]"], "parse_only": parse_only,
           "prompts": prompt_in}
    ref = reference(args, job)
    tpl = {"creative_writing": shipped()["arena-hard-v2-creative"]}
    same_prompt = sum(list(tpl.get(c, shipped()["arena-hard-v2"]).render(question=q, answer_a=a, answer_b=b)) == r
                      for (c, q, a, b), r in zip(prompt_in, ref["prompts"]))
    from compass_judge.pairwise import PairwiseJudge

    t = shipped()["arena-hard-v2"]
    diff_parse = sum(verdicts.read(t, r) != (leaderboard_label(v)) for r, v in zip(parse_only, ref["verdicts"]))
    n = len(parse_only) + sum(2 * len(data[j][m]) for j in judges for m in models)
    baseline = {"hard_prompt": "o3-mini-2025-01-31", "creative_writing": "gemini-2.0-flash-001"}
    flat = lambda d: {k: v if isinstance(v, int) else sum(v.values()) for k, v in d.items()}  # noqa: E731
    rows = []
    for run in runs:
        names = run["judges"]
        records = {}
        for i, q in enumerate(qs):
            if q["category"] != run["category"]:
                continue
            js = {}
            for j in names:
                row = data[j][run["model"]][i]
                js[j] = {"ba": record(verdicts.read(t, row["games"][0]), row["games"][0]),
                         "ab": record(verdicts.read(t, row["games"][1]), row["games"][1])}
            records[i] = {"judgements": js, "category": q["category"],
                          "style": [flat(meta[run["model"]][q["uid"]]), flat(meta[baseline[q["category"]]][q["uid"]])]}
        judge = PairwiseJudge(template="arena-hard-v2", scoring="arena-v2", seed=42,
                              style_control="both" if run["style"] else "")
        got = judge.aggregate(records, SimpleNamespace(settings=SETTINGS, samples=[None] * len(records)))
        theirs = ref["scores"][run["name"]]
        rows += [(f"{run['name']} score", theirs["score"], got["score"]),
                 (f"{run['name']} 90% lower", theirs["lower"], got["ci_low"]),
                 (f"{run['name']} 90% upper", theirs["upper"], got["ci_high"]),
                 (f"{run['name']} interval width", theirs["upper"] - theirs["lower"], got["ci_high"] - got["ci_low"])]
    return {"judgements": n, "prompts_identical": f"{same_prompt} of {len(prompt_in)}", "parse_differences": diff_parse,
            "rows": rows, "tolerance": 0.1, "ref_seconds": ref["seconds"]}


def leaderboard_label(v):
    """The reference v2 label as compass's verdict (None: no label, or one outside the table)."""
    return None if v is None else verdicts._ARENA_LABELS.get(v)


PARTS = {"mtbench": part_mtbench, "mtbench_pair": part_mtbench_pair, "alignbench": part_alignbench, "alpaca": part_alpaca,
         "arena_v01": part_arena_v01, "arena_v2": part_arena_v2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-python", required=True, help="python of the venv holding the references")
    ap.add_argument("--ref-root", required=True, help="folder with arena-v01/, arena-v2/, alignbench/")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--parts", default=",".join(PARTS))
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    report = {}
    for name in args.parts.split(","):
        t0 = time.perf_counter()
        out = PARTS[name](args)
        out["seconds"] = time.perf_counter() - t0
        report[name] = out
        print(f"\n== {name}: {out['judgements']} judgements; prompts identical: {out['prompts_identical']}; "
              f"replies parsed differently: {out['parse_differences']}  ({out['seconds']:.0f} s)")
        worst = 0.0
        for label, theirs, mine in out["rows"]:
            d = None if theirs is None or mine is None else mine - theirs
            if d is not None and not math.isnan(d):
                worst = max(worst, abs(d))
            shown = lambda x: "—" if x is None else f"{x:10.4f}"  # noqa: E731
            print(f"  {label:58s} ref {shown(theirs)}  compass {shown(mine)}  diff {shown(d)}")
        out["max_abs_difference"] = worst
        print(f"  max |difference| {worst:.6f} (target ≤ {out['tolerance']})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
