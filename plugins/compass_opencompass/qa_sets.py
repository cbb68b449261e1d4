"""OpenCompass's question-answer dataset classes over compass's data: NQ, NQ-Open, AIME 2024, IFEval.

Each loader makes the columns OpenCompass's ``load`` makes, from OpenCompass's local layout
when it is there, else from the files compass keeps for the same benchmark:

* ``NaturalQuestionDataset``: ``nq-{dev,test}.qa.csv`` (tab separated: question, answer
  list); ``test`` keeps every answer, ``dev`` only the first. Without them, ``test`` is
  compass's ``nq_open/NQ-open.dev.jsonl``: the 3,610 NQ-Open dev questions, which DPR's NQ test
  (OpenCompass's file) is made of — in the Google file's order, so a ``test_range`` cut picks
  other rows than OpenCompass's (OpenCompass's file is not in the shared data: not compared
  line by line here);
* ``NQOpenDataset``: ``nq-open-{validation,train}.jsonl``; ``train`` keeps the first answer.
  ``validation`` falls back to ``NQ-open.dev.jsonl`` (the same file, as HF ``nq_open`` ships it);
* ``Aime2024Dataset``: ``question``/``answer`` from OpenCompass's ``aime.jsonl``
  (``origin_prompt``, ``gold_answer``) or compass's ``aime/aime24/test.jsonl``
  (``problem``, ``answer``; its zero-padded answers such as ``025`` read as the integer they are);
* ``IFEvalDataset``: ``prompt`` and ``reference`` (the whole record), plus the record's
  ``instruction_id_list`` and ``kwargs`` (``None`` arguments dropped, as ``IFEvaluator`` does)
  for compass's ``ifeval`` checker.

``NQEvaluator`` scores as OpenCompass's: the prediction's first line, lower-cased, after its
last "answer is"; both sides through ``general_postprocess``; correct when any normalised
answer is contained in the normalised prediction.
"""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path
from typing import Any

from compass.sdk import DataError, DataMissing
from compass.sdk import read_jsonl as sdk_read_jsonl

#: OpenCompass dataset ids -> local places under the data dir, OpenCompass's first
LOCAL: dict[str, tuple[str, ...]] = {
    "opencompass/natural_question": ("nq", "nq_open/nq_open", "nq_open"),  # nq_open/: `compass data fetch nq_open`
    "opencompass/nq_open": ("nq-open", "nq_open/nq_open", "nq_open"),
    "opencompass/aime2024": ("aime.jsonl", "aime/aime24/test.jsonl", "aime24/test.jsonl"),
    "opencompass/IFEval": ("ifeval/input_data.jsonl", "IFEval/input_data.jsonl"),
}
#: compass's copy of NQ-Open dev (the Google release), inside an nq/nq-open/nq_open folder
NQ_OPEN_DEV = "NQ-open.dev.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    return [obj for _, obj in sdk_read_jsonl(path)]


def _nq_open_dev(root: Path) -> list[dict]:
    rows = read_jsonl(root / NQ_OPEN_DEV)
    return [{"question": r["question"], "answer": list(r["answer"])} for r in rows]


def qa_csv(path: Path, first_only: bool) -> list[dict]:
    """OpenCompass's ``*.qa.csv`` (NQ, TriviaQA): a question and a Python list of answers per line,
    tab-separated; ``first_only``: the first answer, as a string (the splits OpenCompass reads so)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, rec in enumerate(csv.reader(f, delimiter="\t"), 1):
            if len(rec) != 2:
                raise DataError(f"{path}:{n}: expected 2 tab-separated columns (question, answers), got {len(rec)}")
            try:
                answers = ast.literal_eval(rec[1])  # a Python list literal, e.g. "['1972', 'December 1972']"
            except (ValueError, SyntaxError):
                raise DataError(f"{path}:{n}: the answers are not a list literal: {rec[1][:60]!r}") from None
            if not isinstance(answers, (list, tuple)) or not answers:
                raise DataError(f"{path}:{n}: the answers are not a non-empty list: {rec[1][:60]!r}")
            rows.append({"question": rec[0], "answer": answers[0] if first_only else list(answers)})
    return rows


def natural_question(root: Path, **_) -> dict:
    """``NaturalQuestionDataset``: ``{"test": ..., "dev": ...}`` (``dev`` only when its file is there)."""
    out = {}
    for split in ("dev", "test"):
        f = root / f"nq-{split}.qa.csv"
        if f.is_file():
            out[split] = qa_csv(f, first_only=split == "dev")
    if "test" not in out:
        if not (root / NQ_OPEN_DEV).is_file():
            raise DataMissing(f"{root}: neither OpenCompass's nq-test.qa.csv nor NQ-Open's {NQ_OPEN_DEV}; "
                              f"put one of them there")
        out["test"] = _nq_open_dev(root)
    return out


def nq_open(root: Path, **_) -> dict:
    """``NQOpenDataset``: ``{"validation": ..., "train": ...}`` (``train`` only when its file is there)."""
    out = {}
    val = root / "nq-open-validation.jsonl"
    out["validation"] = read_jsonl(val) if val.is_file() else _nq_open_dev(root)
    train = root / "nq-open-train.jsonl"
    if train.is_file():
        out["train"] = [{**r, "answer": r["answer"][0]} for r in read_jsonl(train)]
    return out


def _aime_answer(value: Any) -> str:
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else text


def aime2024(path: Path, **_) -> list[dict]:
    """``Aime2024Dataset``: one split with ``question`` and ``answer``."""
    rows = []
    for n, r in enumerate(read_jsonl(path), 1):
        if "origin_prompt" in r:  # OpenCompass's aime.jsonl
            rows.append({**r, "question": r["origin_prompt"], "answer": r["gold_answer"]})
        elif "problem" in r and "answer" in r:  # compass's aime24/test.jsonl
            rows.append({"question": r["problem"], "answer": _aime_answer(r["answer"])})
        else:
            raise DataError(f"{path}:{n}: expected origin_prompt/gold_answer (OpenCompass) or problem/answer")
    return rows


def ifeval(path: Path, **_) -> list[dict]:
    """``IFEvalDataset``: ``prompt`` and ``reference``, plus what compass's ``ifeval`` checker reads."""
    rows = []
    for n, r in enumerate(read_jsonl(path), 1):
        ids, kwargs = r.get("instruction_id_list"), r.get("kwargs")
        if not isinstance(ids, list) or not isinstance(kwargs, list) or len(ids) != len(kwargs) or "prompt" not in r:
            raise DataError(f"{path}:{n}: expected prompt, and instruction_id_list and kwargs of equal length")
        rows.append({"prompt": r["prompt"], "reference": r, "instruction_id_list": list(ids),
                     "kwargs": [{k: v for k, v in (a or {}).items() if v is not None} for a in kwargs]})
    return rows


CLASSES = {"NaturalQuestionDataset": natural_question, "NQOpenDataset": nq_open,
           "Aime2024Dataset": aime2024, "IFEvalDataset": ifeval}


# ---- NQEvaluator
def general_postprocess(text: str) -> str:
    """OpenCompass's ``general_postprocess``: up to the first newline, period or comma; no
    punctuation; no articles; blanks collapsed."""
    head = re.split(r"[\n.,]", text, maxsplit=1)[0]
    head = re.sub(r"[^\w\s]", "", head)
    head = re.sub(r"\b(a|an|the)\b", "", head, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", head).strip()


def nq_prediction(text: str) -> str:
    first = str(text or "").strip().split("\n")[0].lower()
    if "answer is" in first:
        first = first.split("answer is")[-1]
    return general_postprocess(first)


def nq_correct(prediction: str, answers: Any) -> bool:
    answers = [answers] if isinstance(answers, str) else list(answers or ())
    pred = nq_prediction(prediction)
    return any(general_postprocess(str(a)).lower() in pred for a in answers)


class NQEvaluator:
    """``NQEvaluator``: see the module docstring; ``score`` is the percent correct."""

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        details = [nq_correct("" if p is None else str(p), r) for p, r in zip(predictions, references)]
        return {"score": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


# ---- what datasets.py merges into its tables
EVALUATORS = {"NQEvaluator": "opencompass_nq", "IFEvaluator": "ifeval"}
