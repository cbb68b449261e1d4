"""OpenCompass's multiple-choice classes of CommonsenseQA, OpenBookQA and RACE over their local files.

Each loader makes the columns OpenCompass's ``load`` makes from OpenCompass's local layout:

* ``commonsenseqaDataset``: ``commonsenseqa/{train,dev}_rand_split.jsonl`` (the official
  CommonsenseQA files) as ``{"train", "validation"}``: ``question`` (the stem), ``A``-``E`` (the
  five choices in file order), ``answerKey``; a missing train file is left out;
* ``OBQADataset`` / ``OBQADatasetV2``: one OpenBookQA file (``openbookqa/Main/test.jsonl``, or
  ``Additional/test_complete.jsonl`` with each question's ``fact1``): ``A``-``D``,
  ``question_stem``, ``answerKey`` and ``fact1`` where the file has it (``None`` for a row
  without one in a file that has it, as a ``datasets.Dataset`` fills it); V2 adds ``" what?"``
  to a stem that does not end in ``?``;
* ``RaceDataset``: ``race/{validation,test}/<name>.jsonl`` (``name`` ``middle`` or ``high``):
  ``article``, ``question``, ``A``-``D`` (``options``), ``answer``.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import DataMissing
from compass.sdk import read_jsonl as sdk_read_jsonl

#: OpenCompass dataset ids -> local places under the data dir (OpenCompass's ``DATASETS_MAPPING``)
LOCAL: dict[str, tuple[str, ...]] = {
    "opencompass/commonsense_qa": ("commonsenseqa",),
    "opencompass/openbookqa_test": ("openbookqa/Main/test.jsonl",),
    "opencompass/openbookqa_fact": ("openbookqa/Additional/test_complete.jsonl",),
    "opencompass/race": ("race",),
}


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataMissing(f"{path} not found")
    return [obj for _, obj in sdk_read_jsonl(path)]


def commonsenseqa(root: Path, **_) -> dict:
    out = {}
    for split, stub in (("train", "train_rand_split.jsonl"), ("validation", "dev_rand_split.jsonl")):
        if split == "train" and not (root / stub).is_file():
            continue
        out[split] = [{"question": r["question"]["stem"],
                       **{L: r["question"]["choices"][i]["text"] for i, L in enumerate("ABCDE")},
                       "answerKey": r["answerKey"]} for r in _rows(root / stub)]
    return out


def obqa(path: Path, what: bool = False, **_) -> list[dict]:
    rows = []
    for r in _rows(path):
        stem = r["question"]["stem"]
        if what and not stem.endswith("?"):
            stem += " what?"
        item = {**{L: r["question"]["choices"][i]["text"] for i, L in enumerate("ABCD")},
                "question_stem": stem, "answerKey": r["answerKey"]}
        if "fact1" in r:
            item["fact1"] = r["fact1"]
        rows.append(item)
    if any("fact1" in r for r in rows):
        for r in rows:
            r.setdefault("fact1", None)
    return rows


def race(root: Path, name: str = "", **_) -> dict:
    return {split: [{"article": r["article"], "question": r["question"],
                     **{L: r["options"][i] for i, L in enumerate("ABCD")}, "answer": r["answer"]}
                    for r in _rows(root / split / f"{name}.jsonl")]
            for split in ("validation", "test")}


CLASSES = {"commonsenseqaDataset": commonsenseqa, "OBQADataset": obqa,
           "OBQADatasetV2": lambda path, **_: obqa(path, what=True), "RaceDataset": race}
EVALUATORS: dict[str, str] = {}
