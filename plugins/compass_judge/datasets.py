"""Subjective benchmarks read from the data dir: ``mtbench``, ``alpaca_eval``, ``arena_hard``.

Layouts (as the upstream projects ship them; missing files are the usual one-line error):

* ``mt_bench/question.jsonl`` + ``mt_bench/reference_answer/gpt-4.jsonl`` (FastChat);
* ``alpaca_eval/results/<baseline>/model_outputs.json`` (the 805 instructions with the
  baseline's outputs; ``gpt4_1106_preview`` is AlpacaEval 2.0's baseline);
* ``arena_hard/arena-hard-v0.1/question.jsonl`` + ``model_answer/gpt-4-0314.jsonl``;
* ``arena_hard/arena-hard-v2.0/question.jsonl`` + ``model_answer/<baseline>.jsonl`` for each
  category's baseline (``o3-mini-2025-01-31`` for hard prompts, ``gemini-2.0-flash-001`` for
  creative writing), in arena-hard v2's answer format.

Each is judged with its reference's official prompt by default (``judge_template = NAME``
picks another, e.g. compass's ``pair-three`` / ``pair-five`` / ``alignbench-multi-dim``), and
candidates answer with the reference's output limit (Arena-Hard: 4096 tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

from compass.sdk import Benchmark, CachedLoader, CompassError, DataError, find_data as find, PromptTemplate, Rows, Subset
from compass_judge import templates

MTBENCH_REF_CATEGORIES = ("math", "reasoning", "coding")  # judged against the reference answers
MTBENCH_TEMPLATES = ["single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn"]


def _jsonl(path: Path) -> list[dict]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
    return out


def _turn_text(turn) -> str:
    return turn.get("content", "") if isinstance(turn, dict) else str(turn)


class MTBenchLoader(CachedLoader):
    """``baseline``: also read that model's answers (FastChat's ``model_answer/<baseline>.jsonl``)
    for the pairwise-baseline mode."""

    def __init__(self, baseline: str = ""):
        super().__init__()
        self.baseline = baseline

    @property
    def key(self) -> tuple:
        return (type(self).__name__, self.baseline)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), ["mt_bench/question.jsonl"], name="mtbench", what="MT-Bench questions",
                    how="copy FastChat's fastchat/llm_judge/data/mt_bench there")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        refs: dict = {}
        ref_path = path.parent / "reference_answer" / "gpt-4.jsonl"
        if ref_path.exists():
            for r in _jsonl(ref_path):
                refs[r["question_id"]] = [_turn_text(t) for t in r["choices"][0]["turns"]]
        base: dict = {}
        base_path = path.parent / "model_answer" / f"{self.baseline}.jsonl"
        if self.baseline:
            if not base_path.exists():
                raise DataError(f"{base_path}: no answers of the baseline {self.baseline} (FastChat's "
                                f"model_answer/ layout); copy them there or pick another baseline=")
            base = {a["question_id"]: [_turn_text(t) for t in a["choices"][0]["turns"]] for a in _jsonl(base_path)}
        rows = []
        for r in _jsonl(path):
            turns = [_turn_text(t) for t in r.get("turns") or []]
            if len(turns) != 2:
                raise DataError(f"{path}: question {r.get('question_id')} has {len(turns)} turns, not 2")
            ref = refs.get(r["question_id"]) or r.get("reference")
            if self.baseline and r["question_id"] not in base:
                raise DataError(f"{base_path}: no answer to question {r['question_id']}")
            if r["category"] in MTBENCH_REF_CATEGORIES and not ref:
                raise DataError(f"{path}: question {r['question_id']} ({r['category']}) has no reference "
                                f"answer (expected in {ref_path})")
            rows.append({"question_id": r["question_id"], "category": r["category"], "turn_1": turns[0],
                         "turn_2": turns[1], "reference": ref if r["category"] in MTBENCH_REF_CATEGORIES else None,
                         **({"baseline": base[r["question_id"]]} if self.baseline else {})})
        return Rows(test=rows)


def _gamed_rows(path: Path) -> tuple[dict[int, float], dict[int, list]]:
    """AlpacaEval's ``df_gamed.csv`` (the gamed baselines' judgements, published with the
    benchmark): each instruction's difficulty (its first row's) and its rows, in file order."""
    import csv

    difficulty: dict[int, float] = {}
    rows: dict[int, list] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for pos, r in enumerate(csv.DictReader(fh)):
            try:
                i = int(float(r["index"]))
                d = float(r["instruction_difficulty"])
                entry = [pos, float(r["preference"]) if r["preference"] not in ("", "nan") else float("nan"),
                         float(r["std_delta_len"]), d]
            except (KeyError, ValueError) as exc:
                raise DataError(f"{path}:{pos + 2}: not AlpacaEval's df_gamed.csv ({exc})") from None
            difficulty.setdefault(i, d)
            rows.setdefault(i, []).append(entry)
    return difficulty, rows


class AlpacaEvalLoader(CachedLoader):
    def __init__(self, baseline: str):
        super().__init__()
        self.baseline = baseline

    @property
    def key(self) -> tuple:
        return (type(self).__name__, self.baseline)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), [f"alpaca_eval/results/{self.baseline}/model_outputs.json"],
                    name="alpaca_eval", what=f"AlpacaEval baseline outputs ({self.baseline})",
                    how="copy tatsu-lab/alpaca_eval's results/ folder there")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON ({exc.msg})") from None
        difficulty, gamed = {}, {}
        gamed_path = path.parent.parent.parent / "df_gamed.csv"  # alpaca_eval/df_gamed.csv (optional)
        if gamed_path.exists():
            difficulty, gamed = _gamed_rows(gamed_path)
        return Rows(test=[{"id": i, "instruction": r["instruction"], "baseline": r["output"],
                           "dataset": r.get("dataset", ""),
                           **({"difficulty": difficulty.get(i), "gamed": gamed.get(i, [])} if difficulty else {})}
                          for i, r in enumerate(data)])


def _v2_answer(a: dict) -> str:
    """An answer in arena-hard v2's format (``messages[-1].content.answer``) or v0.1's."""
    if "messages" in a:
        content = a["messages"][-1]["content"]
        return content.get("answer", "") if isinstance(content, dict) else str(content)
    return _turn_text(a["choices"][0]["turns"][0])


V2_BASELINES = {"hard_prompt": "o3-mini-2025-01-31", "coding": "o3-mini-2025-01-31", "math": "o3-mini-2025-01-31",
                "creative_writing": "gemini-2.0-flash-001"}  # arena-hard v2's utils/judge_utils.py


class ArenaHardV2Loader(CachedLoader):
    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), ["arena_hard/arena-hard-v2.0/question.jsonl"], name="arena_hard_v2",
                    what="Arena-Hard v2.0 questions", how="copy lmarena/arena-hard-auto's data/ folder there")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        questions = _jsonl(path)
        answers: dict[str, dict] = {}
        for base in sorted({V2_BASELINES.get(q.get("category"), V2_BASELINES["hard_prompt"]) for q in questions}):
            answers_path = path.parent / "model_answer" / f"{base}.jsonl"
            if not answers_path.exists():
                raise DataError(f"{answers_path}: no baseline answers ({base}, arena-hard v2's baseline for "
                                f"its categories); copy arena-hard-auto's data/arena-hard-v2.0/model_answer there")
            answers[base] = {a["uid"]: _v2_answer(a) for a in _jsonl(answers_path)}
        rows = []
        for q in questions:
            base = V2_BASELINES.get(q.get("category"), V2_BASELINES["hard_prompt"])
            if q["uid"] not in answers[base]:
                raise DataError(f"{path.parent / 'model_answer' / (base + '.jsonl')}: no answer to question {q['uid']}")
            rows.append({"id": q["uid"], "question": q["prompt"], "baseline": answers[base][q["uid"]],
                         "category": q.get("category", ""), "subcategory": q.get("subcategory", "")})
        return Rows(test=rows)


class ArenaHardLoader(CachedLoader):
    def __init__(self, baseline: str):
        super().__init__()
        self.baseline = baseline

    @property
    def key(self) -> tuple:
        return (type(self).__name__, self.baseline)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), ["arena_hard/arena-hard-v0.1/question.jsonl"], name="arena_hard",
                    what="Arena-Hard v0.1 questions", how="copy lmarena/arena-hard-auto's data/ folder there")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        answers_path = path.parent / "model_answer" / f"{self.baseline}.jsonl"
        if not answers_path.exists():
            find(Path(data_dir), [str(answers_path.relative_to(Path(data_dir)))], name="arena_hard",
                 what=f"Arena-Hard baseline answers ({self.baseline})", how="copy them there")
        answers = {a["question_id"]: _turn_text(a["choices"][0]["turns"][0]) for a in _jsonl(answers_path)}
        rows = []
        for q in _jsonl(path):
            if q["question_id"] not in answers:
                raise DataError(f"{answers_path}: no answer to question {q['question_id']}")
            rows.append({"id": q["question_id"], "question": _turn_text(q["turns"][0]),
                         "baseline": answers[q["question_id"]], "cluster": q.get("cluster", "")})
        return Rows(test=rows)


MTBENCH_PAIR_TEMPLATES = ["pair-v2", "pair-math-v1", "pair-v2-multi-turn", "pair-math-v1-multi-turn"]


def mtbench(judge_mode: str = "single", baseline: str = "gpt-3.5-turbo") -> Benchmark:
    """MT-Bench as FastChat judges it: ``judge_mode = "single"`` (1-10 ratings) or
    ``"pairwise-baseline"`` (each turn against ``baseline``'s answers, both orders)."""
    if judge_mode not in ("single", "pairwise-baseline"):
        raise CompassError(f"dataset 'mtbench': judge_mode {judge_mode!r}; pick single or pairwise-baseline "
                           f"(for every pair of the run's models see --pairwise all on alpaca_eval / arena_hard)")
    pair = judge_mode == "pairwise-baseline"
    names = MTBENCH_PAIR_TEMPLATES if pair else MTBENCH_TEMPLATES
    sub = Subset("mtbench", MTBenchLoader(baseline if pair else ""), PromptTemplate(human="{turn_1}"), mode="gen",
                 gold="question_id", max_out_len=1024, evaluator="mtbench_judge",
                 evaluator_kwargs={"templates": templates.bundle_hash(names),
                                   **({"mode": judge_mode, "baseline": baseline} if pair else {})})
    return Benchmark("mtbench", (sub,), description="MT-Bench: 80 two-turn questions, judged 1-10.")


# compass's own pairwise templates and the scoring each is read with
OWN_PAIRWISE = {"pair-three": "winrate", "pair-five": "bt"}


def _pairwise_scoring(dataset: str, judge_template: str, official: str, scoring: str) -> str:
    if judge_template == official:
        return scoring
    if judge_template not in OWN_PAIRWISE:
        raise CompassError(f"dataset '{dataset}': judge_template {judge_template!r} is not one of "
                           f"{', '.join([official, *OWN_PAIRWISE])}")
    return OWN_PAIRWISE[judge_template]


def alpaca_eval(baseline: str = "gpt4_1106_preview", judge_template: str = "alpaca-eval-clf") -> Benchmark:
    """AlpacaEval 2.0: by default its weighted GPT-4 Turbo classifier prompt (one order per
    instruction, log-prob preference), win rate, standard error and length-controlled win rate."""
    scoring = _pairwise_scoring("alpaca_eval", judge_template, "alpaca-eval-clf", "alpaca")
    sub = Subset("alpaca_eval", AlpacaEvalLoader(baseline), PromptTemplate(human="{instruction}"), mode="gen",
                 gold="baseline", max_out_len=2048, evaluator="pairwise_judge",
                 evaluator_kwargs={"template": judge_template, "question": "instruction", "scoring": scoring,
                                   "templates": templates.get(judge_template).hash, "baseline": baseline})
    return Benchmark("alpaca_eval", (sub,))


def arena_hard(baseline: str = "gpt-4-0314", judge_template: str = "arena-hard-v0.1",
               first_game_only: bool = False) -> Benchmark:
    """Arena-Hard v0.1: by default its official judge prompt and show_result's score."""
    scoring = _pairwise_scoring("arena_hard", judge_template, "arena-hard-v0.1", "arena-v0.1")
    sub = Subset("arena_hard", ArenaHardLoader(baseline), PromptTemplate(human="{question}"), mode="gen",
                 gold="baseline", max_out_len=4096, evaluator="pairwise_judge",
                 evaluator_kwargs={"template": judge_template, "question": "question", "scoring": scoring,
                                   "templates": templates.get(judge_template).hash, "baseline": baseline,
                                   "seed": 42 if scoring == "arena-v0.1" else 0,  # v0.1 seeds numpy with 42
                                   "first_game_only": bool(first_game_only)})
    return Benchmark("arena_hard", (sub,))


def arena_hard_v2(style_control: str = "", first_game_only: bool = False) -> Benchmark:
    """Arena-Hard v2.0: each category against its own baseline with its own official prompt;
    per-category scores with 90% intervals; ``style_control = length | markdown | both``."""
    names = ["arena-hard-v2", "arena-hard-v2-creative"]
    sub = Subset("arena_hard_v2", ArenaHardV2Loader(), PromptTemplate(human="{question}"), mode="gen",
                 gold="baseline", max_out_len=4096, evaluator="pairwise_judge",
                 evaluator_kwargs={"template": "arena-hard-v2", "question": "question", "scoring": "arena-v2",
                                   "category_templates": {"creative_writing": "arena-hard-v2-creative"},
                                   "templates": templates.bundle_hash(names), "baseline": "per category",
                                   "seed": 42, "style_control": style_control,
                                   "first_game_only": bool(first_game_only)})
    return Benchmark("arena_hard_v2", (sub,))


class AlignBenchLoader(CachedLoader):
    """``alignbench/data/data_v1.1_release.jsonl`` and its ``config/`` (the dimensions of each
    subcategory's answer type, and their definitions)."""

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), ["alignbench/data/data_v1.1_release.jsonl", "alignbench/data/data_release.jsonl"],
                    name="alignbench", what="AlignBench questions", how="copy THUDM/AlignBench's data/ and config/ there")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        cfg = path.parent.parent / "config"

        def conf(name: str) -> dict:
            p = cfg / name
            if not p.exists():
                find(Path(data_dir), [str(p.relative_to(Path(data_dir)))], name="alignbench",
                     what=f"AlignBench config {name}", how="copy THUDM/AlignBench's config/ there")
            return json.loads(p.read_text(encoding="utf-8"))

        kinds, dims, defs = (conf("subcategory_question_mapping.json"), conf("dimension_set.json"),
                             conf("dimension_definition.json"))
        rows = []
        for number, r in enumerate(_jsonl(path), start=1):
            kind = kinds.get(r.get("subcategory"))
            if kind not in dims:
                raise DataError(f"{path}:{number}: subcategory {r.get('subcategory')!r} has no dimension set in "
                                f"{cfg / 'subcategory_question_mapping.json'}")
            names = dims[kind]
            rows.append({"question_id": r["question_id"], "category": r["category"], "subcategory": r["subcategory"],
                         "question": r["question"], "reference": r.get("reference") or "",
                         "dimensions": "\n".join(f"{i}. {n}：{defs.get(n, '')}" for i, n in enumerate(names, 1)),
                         # AlignBench's own listing (judge.py): "1. 维度: 定义" lines, each ending in a newline
                         "dimensions_listed": "".join(f"{i}. {n}: {defs.get(n)}\n" for i, n in enumerate(names, 1)),
                         "dimension_names": names})
        return Rows(test=rows)


def alignbench(judge_template: str = "alignbench-v1.1", unparseable: str = "minus-one") -> Benchmark:
    """AlignBench v1.1: by default its official rubric prompt and parser, and its show_result's
    scores (an unparseable judgement is averaged in as -1; ``unparseable = "exclude"`` leaves it out)."""
    if judge_template not in ("alignbench-v1.1", "alignbench-multi-dim"):
        raise CompassError(f"dataset 'alignbench': judge_template {judge_template!r} is not one of "
                           f"alignbench-v1.1 (official), alignbench-multi-dim (compass's)")
    sub = Subset("alignbench", AlignBenchLoader(), PromptTemplate(human="{question}"), mode="gen", gold="reference",
                 max_out_len=2048, evaluator="alignbench_judge",
                 evaluator_kwargs={"template": judge_template, "templates": templates.get(judge_template).hash,
                                   "unparseable": unparseable})
    return Benchmark("alignbench", (sub,))
