"""The converters against real data: each benchmark's files in ``../shared/data`` (the
OpenCompass layout) are put into the form its hub repository has (parquet columns, split
files), converted back with the recipe's converter, and read by compass's own loaders —
which must give exactly the rows they give from the original files.

Skipped, saying why, without the shared data.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from extras import require_extra

require_extra("pyarrow")

from compass_datasets.convert import CONVERTERS  # noqa: E402

from hub_fixtures import pq  # noqa: E402

TESTS = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("COMPASS_SHARED_DATA") or TESTS.parent.parent / "shared" / "data")


def _jsonl(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


def _need(*rels: str) -> None:
    missing = [r for r in rels if not (SHARED / r).exists()]
    if missing:
        pytest.skip(f"shared data not found: {SHARED / missing[0]} (set COMPASS_SHARED_DATA)")


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _rows(factory, data_dir: Path, **kwargs) -> list:
    bench = factory(**kwargs)
    return [(s.name, list(s.load(data_dir).test), list(s.load(data_dir).fewshot)) for s in bench.subsets]


def _same(factory, converted: Path, **kwargs) -> None:
    original = _rows(factory, SHARED, **kwargs)
    assert original and all(rows for _, rows, _ in original)
    assert _rows(factory, converted, **kwargs) == original


def test_gsm8k(tmp_path):
    from compass_datasets.gsm8k import gsm8k

    _need("gsm8k/test.jsonl", "gsm8k/train.jsonl")
    src = _write(tmp_path / "hub", {f"main/{s}-00000-of-00001.parquet": pq(_jsonl(SHARED / f"gsm8k/{s}.jsonl"))
                                    for s in ("test", "train")})
    CONVERTERS["gsm8k"](src, tmp_path / "data")
    _same(gsm8k, tmp_path / "data", chat=False)


def test_arc(tmp_path):
    from compass_datasets.arc import arc_c_ppl, arc_e_gen

    files = {}
    for short, long in (("ARC-c", "ARC-Challenge"), ("ARC-e", "ARC-Easy")):
        for split, name in (("test", "Test"), ("validation", "Dev")):
            _need(f"arc/{short}/{long}-{name}.jsonl")
            rows = [{"id": r["id"], "question": r["question"]["stem"], "answerKey": r["answerKey"],
                     "choices": {"text": [c["text"] for c in r["question"]["choices"]],
                                 "label": [c["label"] for c in r["question"]["choices"]]}}
                    for r in _jsonl(SHARED / f"arc/{short}/{long}-{name}.jsonl")]
            files[f"{long}/{split}-00000-of-00001.parquet"] = pq(rows)
    CONVERTERS["arc"](_write(tmp_path / "hub", files), tmp_path / "data")
    _same(arc_c_ppl, tmp_path / "data")
    _same(arc_e_gen, tmp_path / "data")


@pytest.mark.parametrize("name", ["piqa", "siqa"])
def test_labelled_commonsense(tmp_path, name):
    from compass_datasets import commonsense

    _need(f"{name}/dev.jsonl", f"{name}/dev-labels.lst")
    rows = _jsonl(SHARED / f"{name}/dev.jsonl")
    labels = (SHARED / f"{name}/dev-labels.lst").read_text().split()
    hub = [{**r, "label": int(lab) if name == "piqa" else lab} for r, lab in zip(rows, labels)]
    folder = "plain_text" if name == "piqa" else "default"
    CONVERTERS[name](_write(tmp_path / "hub", {f"{folder}/validation/0000.parquet": pq(hub)}), tmp_path / "data")
    _same(getattr(commonsense, f"{name}_ppl"), tmp_path / "data")


def test_mbpp(tmp_path):
    from compass_code.mbpp import mbpp

    _need("mbpp/mbpp.jsonl")
    rows = _jsonl(SHARED / "mbpp/mbpp.jsonl")
    split = {"prompt": range(1, 11), "test": range(11, 511), "validation": range(511, 601), "train": range(601, 975)}
    files = {f"full/{s}-00000-of-00001.parquet": pq([r for r in rows if r["task_id"] in ids]) for s, ids in split.items()}
    CONVERTERS["mbpp"](_write(tmp_path / "hub", files), tmp_path / "data")
    _same(mbpp, tmp_path / "data")


def test_humaneval(tmp_path):
    from compass_code.humaneval import humaneval

    _need("humaneval/HumanEval.jsonl.gz")
    rows = _jsonl(SHARED / "humaneval/HumanEval.jsonl.gz")
    CONVERTERS["humaneval"](_write(tmp_path / "hub", {"openai_humaneval/test-00000-of-00001.parquet": pq(rows)}),
                            tmp_path / "data")
    _same(humaneval, tmp_path / "data")


def test_bbh(tmp_path):
    from compass_datasets.bbh import TASKS, bbh

    _need(*(f"bbh/bbh/{t}.json" for t in TASKS), *(f"bbh/cot-prompts/{t}.txt" for t in TASKS))
    files = {f"{t}/test-00000-of-00001.parquet": pq(json.loads((SHARED / f"bbh/bbh/{t}.json").read_text())["examples"])
             for t in TASKS}
    CONVERTERS["bbh"](_write(tmp_path / "hub", files), tmp_path / "data")
    _same(bbh, tmp_path / "data")  # the shipped chain-of-thought prompts are the paper's


def test_ceval_from_its_zip(tmp_path):
    from compass_datasets.ceval import ceval_ppl
    from hub_fixtures import zip_bytes

    _need("ceval/formal_ceval/val", "ceval/formal_ceval/dev")
    root = SHARED / "ceval" / "formal_ceval"
    archive = zip_bytes({p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.csv"))})
    CONVERTERS["ceval"](_write(tmp_path / "hub", {"ceval-exam.zip": archive}), tmp_path / "data")
    _same(ceval_ppl, tmp_path / "data")


def test_mmlu_from_parquet(tmp_path):
    import csv

    from compass_datasets.mmlu import SUBJECTS, mmlu_ppl

    _need(*(f"mmlu/{s}/{subject}_{s}.csv" for s in ("dev", "val") for subject in SUBJECTS))
    files = {}
    for short, split in (("dev", "dev"), ("val", "validation")):
        for subject in SUBJECTS:
            with open(SHARED / f"mmlu/{short}/{subject}_{short}.csv", encoding="utf-8", newline="") as fh:
                rows = [{"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])}
                        for r in csv.reader(fh)]
            files[f"{subject}/{split}-00000-of-00001.parquet"] = pq(rows)
            if split == "validation":  # the shared copy has no test split; the converter needs one
                files[f"{subject}/test-00000-of-00001.parquet"] = pq(rows[:1])
    CONVERTERS["mmlu"](_write(tmp_path / "hub", files), tmp_path / "data")
    _same(mmlu_ppl, tmp_path / "data", split="val")


def test_arena_hard_from_the_hubs_later_form(tmp_path):
    from compass_judge.datasets import arena_hard

    base = "arena_hard/arena-hard-v0.1"
    _need(f"{base}/question.jsonl", f"{base}/model_answer/gpt-4-0314.jsonl")
    questions = [{"uid": q["question_id"], "category": q["category"], "cluster": q["cluster"],
                  "prompt": q["turns"][0]["content"]} for q in _jsonl(SHARED / f"{base}/question.jsonl")]
    answers = [{"uid": a["question_id"], "model": a["model_id"],
                "messages": [{"role": "user", "content": "…"},
                             {"role": "assistant", "content": {"answer": a["choices"][0]["turns"][0]["content"]}}]}
               for a in _jsonl(SHARED / f"{base}/model_answer/gpt-4-0314.jsonl")]
    lines = lambda rows: "".join(json.dumps(r) + "\n" for r in rows).encode()  # noqa: E731
    src = _write(tmp_path / "hub", {"data/arena-hard-v0.1/question.jsonl": lines(questions),
                                    "data/arena-hard-v0.1/model_answer/gpt-4-0314.jsonl": lines(answers)})
    CONVERTERS["arena_hard"](src, tmp_path / "data")
    _same(arena_hard, tmp_path / "data")


def test_mtbench_from_the_hub_copy(tmp_path):
    from compass_judge.datasets import mtbench

    _need("mt_bench/question.jsonl", "mt_bench/reference_answer/gpt-4.jsonl")
    rows = [{**{k: v for k, v in q.items() if k != "turns"}, "prompt": q["turns"]}
            for q in _jsonl(SHARED / "mt_bench/question.jsonl")]
    src = _write(tmp_path / "hub", {
        "raw/question.jsonl": "".join(json.dumps(r) + "\n" for r in rows).encode(),
        "raw/reference_answer/gpt-4.jsonl": (SHARED / "mt_bench/reference_answer/gpt-4.jsonl").read_bytes()})
    CONVERTERS["mtbench"](src, tmp_path / "data")
    _same(mtbench, tmp_path / "data")


def test_nq_open_and_aime(tmp_path):
    from compass_datasets.aime import aime2024
    from compass_datasets.nq_open import nq_open

    _need("nq_open/nq_open/NQ-open.dev.jsonl", "aime/aime24/test.jsonl")
    files = {"nq_open/validation-00000-of-00001.parquet": pq(_jsonl(SHARED / "nq_open/nq_open/NQ-open.dev.jsonl")),
             "data/train-00000-of-00001.parquet": pq(_jsonl(SHARED / "aime/aime24/test.jsonl"))}
    src = _write(tmp_path / "hub", files)
    CONVERTERS["nq_open"](src, tmp_path / "data")
    CONVERTERS["aime2024"](src, tmp_path / "data")
    _same(nq_open, tmp_path / "data")
    _same(aime2024, tmp_path / "data")
