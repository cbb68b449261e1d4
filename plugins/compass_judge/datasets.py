"""Subjective benchmarks read from the data dir: ``mtbench``, ``alpaca_eval``, ``arena_hard``.

Layouts (as the upstream projects ship them; missing files are the usual one-line error):

* ``mt_bench/question.jsonl`` + ``mt_bench/reference_answer/gpt-4.jsonl`` (FastChat);
* ``alpaca_eval/results/<baseline>/model_outputs.json`` (the 805 instructions with the
  baseline's outputs; ``gpt4_1106_preview`` is AlpacaEval 2.0's baseline);
* ``arena_hard/arena-hard-v0.1/question.jsonl`` + ``model_answer/gpt-4-0314.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path

from compass.sdk import Benchmark, CachedLoader, DataError, find_data as find, PromptTemplate, Rows, Subset
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
        rows = []
        for r in _jsonl(path):
            turns = [_turn_text(t) for t in r.get("turns") or []]
            if len(turns) != 2:
                raise DataError(f"{path}: question {r.get('question_id')} has {len(turns)} turns, not 2")
            ref = refs.get(r["question_id"]) or r.get("reference")
            if r["category"] in MTBENCH_REF_CATEGORIES and not ref:
                raise DataError(f"{path}: question {r['question_id']} ({r['category']}) has no reference "
                                f"answer (expected in {ref_path})")
            rows.append({"question_id": r["question_id"], "category": r["category"], "turn_1": turns[0],
                         "turn_2": turns[1], "reference": ref if r["category"] in MTBENCH_REF_CATEGORIES else None})
        return Rows(test=rows)


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
        return Rows(test=[{"id": i, "instruction": r["instruction"], "baseline": r["output"],
                           "category": r.get("dataset", "")} for i, r in enumerate(data)])


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
                         "baseline": answers[q["question_id"]], "category": q.get("cluster", "")})
        return Rows(test=rows)


def mtbench() -> Benchmark:
    sub = Subset("mtbench", MTBenchLoader(), PromptTemplate(human="{turn_1}"), mode="gen", gold="question_id",
                 max_out_len=1024, evaluator="mtbench_judge",
                 evaluator_kwargs={"templates": templates.bundle_hash(MTBENCH_TEMPLATES)})
    return Benchmark("mtbench", (sub,), description="MT-Bench: 80 two-turn questions, judged 1-10.")


def alpaca_eval(baseline: str = "gpt4_1106_preview") -> Benchmark:
    sub = Subset("alpaca_eval", AlpacaEvalLoader(baseline), PromptTemplate(human="{instruction}"), mode="gen",
                 gold="baseline", max_out_len=2048, evaluator="pairwise_judge",
                 evaluator_kwargs={"template": "pair-three", "question": "instruction", "scoring": "winrate",
                                   "templates": templates.get("pair-three").hash, "baseline": baseline})
    return Benchmark("alpaca_eval", (sub,))


def arena_hard(baseline: str = "gpt-4-0314") -> Benchmark:
    sub = Subset("arena_hard", ArenaHardLoader(baseline), PromptTemplate(human="{question}"), mode="gen",
                 gold="baseline", max_out_len=2048, evaluator="pairwise_judge",
                 evaluator_kwargs={"template": "pair-five", "question": "question", "scoring": "bt",
                                   "templates": templates.get("pair-five").hash, "baseline": baseline})
    return Benchmark("arena_hard", (sub,))


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
                         "dimension_names": names})
        return Rows(test=rows)


def alignbench() -> Benchmark:
    sub = Subset("alignbench", AlignBenchLoader(), PromptTemplate(human="{question}"), mode="gen", gold="reference",
                 max_out_len=2048, evaluator="alignbench_judge",
                 evaluator_kwargs={"templates": templates.get("alignbench-multi-dim").hash})
    return Benchmark("alignbench", (sub,))
