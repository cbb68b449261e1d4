"""OpenCompass 0.5.4's circular evaluation on small real rows: the oracle of
``tests/test_opencompass_circular.py`` (``tests/data/opencompass_circular.json``).

With OpenCompass's own classes (``opencompass.datasets.circular``) it

* expands the rows of ``tests/data/datasets`` with each ``Circular*Dataset`` compass reads the
  base of (ARC, C-Eval, MMLU, CMMLU, HellaSwag, SIQA, PIQA, CommonsenseQA, OpenBookQA, RACE),
  ``'circular'`` and ``'all_possible'``,
  and records every circulated split's rows in order;
* renders ARC-e's prompt (``configs/datasets/ARC_e/ARC_e_gen_1e0de5.py``'s template) for each
  expanded row with OpenCompass's ``PromptTemplate``;
* scores fixed predictions of those rows with ``CircularEvaluator`` (both patterns, and a
  ``test_range``-like cut that starts mid-question).

Run it in the environment where OpenCompass 0.5.4 is installed::

    /tmp/peers/opencompass/bin/python bench/opencompass_circular.py tests/data/opencompass_circular.json
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "datasets"

#: (class, its load() keyword arguments with paths relative to DATA, circular_patterns)
CASES = [
    ("CircularARCDataset", {"path": "ARC/ARC-e/ARC-Easy-Test.jsonl", "name": "ARC-Easy"}, "circular"),
    ("CircularARCDataset", {"path": "ARC/ARC-c/ARC-Challenge-Test.jsonl", "name": "ARC-Challenge"}, "all_possible"),
    ("CircularCEvalDataset", {"path": "circular/ceval/formal_ceval", "name": "computer_network"}, "circular"),
    ("CircularMMLUDataset", {"path": "mmlu", "name": "abstract_algebra"}, "circular"),
    ("CircularCMMLUDataset", {"path": "cmmlu", "name": "agronomy"}, "all_possible"),
    ("CircularHSWAGDataset", {"path": "circular/hellaswag/hellaswag.jsonl"}, "circular"),
    ("CircularsiqaDataset", {"path": "siqa"}, "circular"),
    ("CircularsiqaDataset", {"path": "siqa"}, "all_possible"),
    ("CircularPIQADataset", {"path": "piqa"}, "circular"),
    ("CircularCSQADataset", {"path": "commonsenseqa"}, "circular"),
    ("CircularOBQADataset", {"path": "openbookqa/Additional/test_complete.jsonl"}, "circular"),
    ("CircularOBQADataset", {"path": "openbookqa/Main/test.jsonl"}, "all_possible"),
    ("CircularRaceDataset", {"path": "race", "name": "middle"}, "circular"),
]
#: OpenCompass's SIQA/PIQA loaders also read a train split, which these copies lack: a copy of
#: the dev files stands in for it (only the validation split is recorded)
NEEDS_TRAIN = ("siqa", "piqa")


def _plain(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def expansions(circular, tmp: Path) -> list[dict]:
    out = []
    for cls, kwargs, kind in CASES:
        path = DATA / kwargs["path"]
        if kwargs["path"] in NEEDS_TRAIN:
            path = tmp / kwargs["path"]
            if not path.exists():
                shutil.copytree(DATA / kwargs["path"], path)
                shutil.copy(path / "dev.jsonl", path / "train.jsonl")
                shutil.copy(path / "dev-labels.lst", path / "train-labels.lst")
        loaded = getattr(circular, cls).load(kind, **{**kwargs, "path": str(path)})
        klass = getattr(circular, cls)
        if hasattr(loaded, "keys"):
            splits = {s: [_plain(r) for r in loaded[s]] for s in loaded if s in (klass.default_circular_splits or ())}
            others = {s: len(loaded[s]) for s in loaded if s not in splits}
        else:
            splits, others = {"": [_plain(r) for r in loaded]}, {}
        out.append({"class": cls, "kwargs": kwargs, "circular_patterns": kind, "splits": splits, "others": others})
    return out


#: the base classes compass reads for the circular ones (choice_sets.py), loaded whole
PLAIN = [("commonsenseqaDataset", {"path": "commonsenseqa"}), ("OBQADataset", {"path": "openbookqa/Main/test.jsonl"}),
         ("OBQADatasetV2", {"path": "openbookqa/Additional/test_complete.jsonl"}),
         ("RaceDataset", {"path": "race", "name": "high"})]


def plain_loads() -> list[dict]:
    import opencompass.datasets as ocd

    out = []
    for cls, kwargs in PLAIN:
        loaded = getattr(ocd, cls).load(**{**kwargs, "path": str(DATA / kwargs["path"])})
        splits = {s: [_plain(r) for r in loaded[s]] for s in loaded} if hasattr(loaded, "keys") else \
            {"": [_plain(r) for r in loaded]}
        out.append({"class": cls, "kwargs": kwargs, "splits": splits})
    return out


def arc_prompts(rows: list[dict]) -> list[str]:
    """ARC_e_gen_1e0de5's HUMAN turn for each row, by OpenCompass's PromptTemplate."""
    from mmengine.config import Config

    from opencompass.openicl.icl_prompt_template import PromptTemplate

    cfg = Config.fromfile(str(Path("/tmp/oc/src/opencompass/configs/datasets/ARC_e/ARC_e_gen_1e0de5.py")))
    spec = dict(cfg["ARC_e_datasets"][0]["infer_cfg"]["prompt_template"])
    spec.pop("type")
    tpl = PromptTemplate(**spec)
    out = []
    for row in rows:
        items = tpl.generate_item(row)
        out.append([p["prompt"] for p in items if isinstance(p, dict) and p.get("role") == "HUMAN"][0])
    return out


def predictions(rows: list[dict], answer: str, letters: str) -> list[str]:
    """A fixed, mixed set of answers: right for most rows, wrong (the next letter) for every
    third row and for every row of the second question, an empty answer for the fifth row."""
    preds = []
    for i, r in enumerate(rows):
        gold = str(r[answer])
        wrong = letters[(letters.index(gold) + 1) % len(letters)] if gold in letters else letters[0]
        preds.append("" if i == 4 else wrong if i % 3 == 2 or r["qid"] == 1 else gold)
    return preds


def scores(circular, cases: list[dict]) -> list[dict]:
    out = []
    picks = [(0, "", "answerKey", "ABCD", "circular", None), (1, "", "answerKey", "ABCD", "all_possible", None),
             (1, "", "answerKey", "ABCD", "circular", None), (3, "test", "target", "ABCD", "circular", None),
             (7, "validation", "answer", "ABC", "all_possible", None),
             (0, "", "answerKey", "ABCD", "circular", [2, None]), (4, "test", "answer", "ABCD", "all_possible", [5, 40]),
             (9, "validation", "answerKey", "ABCDE", "circular", None)]
    for case, split, answer, letters, pattern, cut in picks:
        rows = cases[case]["splits"][split]
        if cut:
            rows = rows[cut[0]:cut[1]]
        preds = predictions(rows, answer, letters)
        refs = [str(r[answer]) for r in rows]
        ev = circular.CircularEvaluator(circular_pattern=pattern)
        metrics = ev.score(preds, refs, rows)
        out.append({"case": case, "split": split, "cut": cut, "circular_pattern": pattern, "predictions": preds,
                    "references": refs, "metrics": {k: float(v) for k, v in metrics.items()}})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    from opencompass.datasets import circular

    with tempfile.TemporaryDirectory() as tmp:
        cases = expansions(circular, Path(tmp))
    fixture = {"opencompass": "0.5.4", "cases": cases, "plain": plain_loads(), "scores": scores(circular, cases),
               "arc_e_prompts": arc_prompts(cases[0]["splits"][""])}
    Path(argv[0]).write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{argv[0]}: {len(cases)} expansions ({sum(len(r) for c in cases for r in c['splits'].values())} rows), "
          f"{len(fixture['scores'])} scorings, {len(fixture['arc_e_prompts'])} prompts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
