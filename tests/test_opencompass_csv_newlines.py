"""C-Eval/MMLU/CMMLU CSV files read as OpenCompass reads them (issue 24, found by
``bench/opencompass_scores.py``): OpenCompass opens them in text mode with universal newlines,
so a quoted field's ``\\r\\n`` reaches the prompt as ``\\n``; compass once kept the ``\\r``, and
19 of 19 ``ceval-high_school_geography`` prompts differed from OpenCompass's by it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ceval" / "formal_ceval"

CEVAL_GEN = {
    "abbr": "ceval-mine", "dataset_class": "CEvalDataset", "path": "opencompass/ceval-exam", "name": "mine",
    "reader_cfg": {"input_columns": ["question", "A", "B", "C", "D"], "output_column": "answer",
                   "train_split": "dev", "test_split": "val"},
    "infer_cfg": {"prompt_template": {"type": "PromptTemplate", "template": {"round": [
        {"role": "HUMAN", "prompt": "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案: "}]}},
        "retriever": {"type": "ZeroRetriever"}, "inferencer": {"type": "GenInferencer"}},
    "eval_cfg": {"evaluator": {"type": "AccEvaluator"}},
}


def _write(folder: Path, split: str, rows: list[list[str]]) -> None:
    (folder / split).mkdir(parents=True, exist_ok=True)
    with open(folder / split / f"mine_{split}.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)


def test_a_quoted_crlf_reaches_the_prompt_as_a_newline(tmp_path):
    from compass_opencompass.datasets import subset

    root = tmp_path / "ceval" / "formal_ceval"
    header = ["id", "question", "A", "B", "C", "D", "answer"]
    _write(root, "dev", [header, ["0", "dev question", "a", "b", "c", "d", "A"]])
    _write(root, "val", [header, ["0", "first line\r\n①second line\r\nthird", "x\r\ny", "b", "c", "d", "B"]])
    assert b"first line\r\n" in (root / "val" / "mine_val.csv").read_bytes()  # the file really holds CRLF
    sub = subset(CEVAL_GEN, "ceval-mine")
    rows = sub.load(tmp_path)
    assert rows.test[0]["question"] == "first line\n①second line\nthird"
    assert rows.test[0]["A"] == "x\ny"
    for chat in (False, True):
        text = "".join(m.content for m in sub.prompt(rows, 0, chat=chat))
        # (the base text ends the HUMAN turn with a newline, the chat message does not)
        assert text.removesuffix("\n") == "first line\n①second line\nthird\nA. x\ny\nB. b\nC. c\nD. d\n答案: "


@pytest.mark.skipif(not (SHARED / "val" / "high_school_geography_val.csv").is_file(),
                    reason="needs the shared C-Eval copy (../shared/data/ceval)")
def test_the_real_ceval_file_that_showed_it():
    from compass_opencompass.datasets import subset

    d = {**CEVAL_GEN, "name": "high_school_geography", "abbr": "ceval-high_school_geography"}
    assert b"\r\n" in (SHARED / "val" / "high_school_geography_val.csv").read_bytes()
    rows = subset(d, "ceval-high_school_geography").load(SHARED.parent.parent)
    # one of the five dev examples ceval_gen puts before every question
    assert any(r["question"].startswith("下列措施有利于广西产糖业走出困境的是____\n①扩大甘蔗播种面积")
               for r in rows.fewshot[:5])
    assert not any("\r" in v for r in rows.test + rows.fewshot for v in r.values() if isinstance(v, str))
