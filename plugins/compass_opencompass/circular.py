"""OpenCompass's circular evaluation: ``Circular*Dataset`` row expansion and ``CircularEvaluator``.

A ``Circular<X>Dataset`` reads what ``<X>`` reads, then, in each split it circulates, turns
every row into one row per order of its options (OpenCompass's ``CircularDatasetMeta``):

* the orders (``circular_patterns``): ``'circular'``, the n rotations of the option keys
  (``ABCD``, ``BCDA``, ``CDAB``, ``DABC``); ``'all_possible'``, every permutation in
  lexicographic order of the positions (24 for four options); the first order is the row as
  it was;
* in order ``p``, the option that sat under the i-th key moves to the key ``p[i]``, and the
  answer follows it (an answer that is no option key, C-Eval's empty test answers, stays);
  ARC's ``textA``-``textD`` and PIQA's ``sol1``/``sol2`` remap their letter answers the same way;
* each new row carries ``qid`` (the row's index in its split) and ``circular_pattern`` (the order);
  rows come question by question, each question's orders together, before ``test_range`` cuts.

Which splits circulate is the class's: C-Eval ``val``/``test``, MMLU/CMMLU ``test``, SIQA/PIQA
``validation``; ARC and HellaSwag have one split, which circulates. A class compass does not
read the base of (``CircularXiezhiDataset``) is refused in one line naming that base.

``CircularEvaluator`` (:class:`CircularEvaluator`) scores as OpenCompass's: a sample is right
when its extracted answer equals the reference; the first sample's order is the "origin", its
rotations "circular" (and, with ``circular_pattern='all_possible'``, its permutations);
``acc_<k>`` is the percent right among the samples whose order is in ``k``; per question,
``more_<j>_<k>`` is the percent of questions with at least ``j`` of its ``k`` orders right, and
``perf_<k>`` that with all of them.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from compass.sdk import CompassError, DataError

PATTERNS = ("circular", "all_possible")


def rotations(keys: Sequence[str]) -> list[tuple[str, ...]]:
    """The n rotations of ``keys``, itself first."""
    keys = tuple(keys)
    return [keys[i:] + keys[:i] for i in range(len(keys))]


def permutations(keys: Sequence[str]) -> list[tuple[str, ...]]:
    """Every order of ``keys``, itself first (``itertools.permutations`` order)."""
    return list(itertools.permutations(tuple(keys)))


def orders(kind: Any, keys: Sequence[str]) -> list[tuple[str, ...]]:
    if kind == "circular":
        return rotations(keys)
    if kind == "all_possible":
        return permutations(keys)
    raise CompassError(f"circular_patterns {kind!r}: OpenCompass's circular datasets take 'circular' or "
                       f"'all_possible'")


def _arc_answer(row: dict, order: tuple[str, ...]) -> None:
    letters = [k[-1] for k in order]  # textB -> B
    row["answerKey"] = letters["ABCD".index(row["answerKey"])]


def _piqa_answer(row: dict, order: tuple[str, ...]) -> None:
    moved = [int(k[-1]) - 1 for k in order]  # sol2 -> 1
    row["answer"] = "AB"[moved["AB".index(row["answer"])]]


@dataclass(frozen=True)
class Spec:
    """One ``Circular*Dataset``: its base class, the splits it circulates (``None``: a one-split
    dataset only), its option keys, and its answer column or the rule that remaps the answer."""

    base: str
    splits: tuple[str, ...] | None
    keys: Sequence[str]
    answer: str | Callable[[dict, tuple], None]


SPECS: dict[str, Spec] = {
    "CircularCEvalDataset": Spec("CEvalDataset", ("val", "test"), "ABCD", "answer"),
    "CircularMMLUDataset": Spec("MMLUDataset", ("test",), "ABCD", "target"),
    "CircularCMMLUDataset": Spec("CMMLUDataset", ("test",), "ABCD", "answer"),
    "CircularCSQADataset": Spec("commonsenseqaDataset", ("validation",), "ABCDE", "answerKey"),
    "CircularARCDataset": Spec("ARCDataset", None, ("textA", "textB", "textC", "textD"), _arc_answer),
    "CircularHSWAGDataset": Spec("HellaswagDataset_V2", None, "ABCD", "label"),
    "CircularOBQADataset": Spec("OBQADataset", None, "ABCD", "answerKey"),
    "CircularRaceDataset": Spec("RaceDataset", ("test",), "ABCD", "answer"),
    "CircularXiezhiDataset": Spec("XiezhiDataset", None, "ABCD", "answer"),
    "CircularsiqaDataset": Spec("SiqaDatasetV3", ("validation",), "ABC", "answer"),
    "CircularPIQADataset": Spec("PIQADatasetV2", ("validation",), ("sol1", "sol2"), _piqa_answer),
}


def expand_row(row: Mapping, qid: int, patterns: list[tuple[str, ...]], keys: tuple[str, ...],
               answer: str | Callable[[dict, tuple], None]) -> list[dict]:
    """One question's rows, one per order in ``patterns``."""
    out = []
    for order in patterns:
        new = copy.deepcopy(dict(row))
        for i, key in enumerate(keys):
            new[order[i]] = row[key]
        if callable(answer):
            answer(new, order)
        elif row[answer] in keys:
            new[answer] = order[keys.index(row[answer])]
        new["qid"] = qid
        new["circular_pattern"] = list(order)
        out.append(new)
    return out


def expand(rows: Sequence[Mapping], kind: Any = "circular", keys: Sequence[str] = "ABCD",
           answer: str | Callable[[dict, tuple], None] = "answer") -> list[dict]:
    """Every row of one split, expanded question by question (``qid`` = its index in the split)."""
    keys = tuple(keys)
    patterns = orders(kind, keys)
    return [new for qid, row in enumerate(rows) for new in expand_row(row, qid, patterns, keys, answer)]


def loader(spec: Spec, table: Mapping[str, Callable[..., Any]]) -> Callable[..., Any]:
    """The ``Circular*Dataset`` loader: the base class's loader from ``table``, then the expansion."""

    def load(root: Path, circular_patterns: Any = "circular", option_keys: Sequence[str] | None = None,
             answer_key: str | None = None, **kwargs: Any) -> Any:
        keys = tuple(option_keys) if option_keys is not None else tuple(spec.keys)
        answer = answer_key if answer_key is not None else spec.answer
        loaded = table[spec.base](root, **kwargs)
        if isinstance(loaded, list):  # one split: circulated whatever the class's splits
            return expand(loaded, circular_patterns, keys, answer)
        return {split: expand(rows, circular_patterns, keys, answer) if spec.splits and split in spec.splits
                else rows for split, rows in loaded.items()}

    return load


def classes(table: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The ``Circular*Dataset`` loaders whose base class ``table`` (compass's ``CLASSES``) reads."""
    return {name: loader(spec, table) for name, spec in SPECS.items() if spec.base in table}


def missing_base(name: str, where: str) -> CompassError | None:
    """The one-line error for a ``Circular*Dataset`` whose base class compass does not read."""
    spec = SPECS.get(name)
    if spec is None:
        return None
    return CompassError(f"{where}: {name} circulates the rows of OpenCompass's {spec.base}, which compass does not "
                        f"read yet; drop that dataset from the config")


# ------------------------------------------------------------------ CircularEvaluator
def build(ev: Mapping, d: Mapping, where: str) -> dict:
    """``eval_cfg.evaluator = dict(type=CircularEvaluator, circular_pattern=...)`` -> compass's scoring."""
    pattern = ev.get("circular_pattern", "circular")
    if pattern not in PATTERNS:
        raise CompassError(f"{where}.eval_cfg.evaluator: CircularEvaluator's circular_pattern is 'circular' or "
                           f"'all_possible', not {pattern!r}")
    return {"evaluator": "opencompass_circular", "evaluator_kwargs": {"circular_pattern": pattern}}


def circular_metrics(correct: Sequence[bool], patterns: Sequence[Sequence[str]], qids: Sequence[Any],
                     circular_pattern: str = "circular") -> dict[str, float]:
    """``CircularEvaluator``'s metrics from each sample's verdict, order and question id."""
    if not correct:
        return {}
    first = tuple(patterns[0])
    groups = {"origin": [first], "circular": rotations(first)}
    if circular_pattern == "all_possible":
        groups["all_possible"] = permutations(first)
    members = {k: set(v) for k, v in groups.items()}
    right = {k: 0 for k in groups}
    count = {k: 0 for k in groups}
    per_q: dict[str, dict[Any, int]] = {k: {} for k in groups}
    for ok, order, qid in zip(correct, patterns, qids):
        for k in groups:
            if tuple(order) in members[k]:
                right[k] += bool(ok)
                count[k] += 1
                per_q[k][qid] = per_q[k].get(qid, 0) + bool(ok)
    out = {f"acc_{k}": right[k] / count[k] * 100 for k in groups}
    for k, n in ((k, len(v)) for k, v in groups.items()):
        questions = per_q[k]
        for j in range(1, n + 1):
            share = sum(c >= j for c in questions.values()) / len(questions) * 100
            out[f"perf_{k}" if j == n else f"more_{j}_{k}"] = share
    return out


class CircularEvaluator:
    """OpenCompass's ``CircularEvaluator``: see the module docstring. Reads each row's ``qid`` and
    ``circular_pattern`` (a ``Circular*Dataset``'s rows)."""

    def __init__(self, circular_pattern: str = "circular"):
        if circular_pattern not in PATTERNS:
            raise CompassError(f"opencompass_circular: circular_pattern is 'circular' or 'all_possible', "
                               f"not {circular_pattern!r}")
        self.circular_pattern = circular_pattern

    def score_samples(self, samples, context) -> Iterator[tuple[int, dict]]:
        for s in samples:
            yield s.index, {"correct": s.error is None and s.answer == s.gold}

    def aggregate(self, records: Mapping, context) -> dict:
        samples = context.samples
        for s in samples:
            if "circular_pattern" not in s.row or "qid" not in s.row:
                raise DataError(f"{context.subset.name}: CircularEvaluator needs the rows of a Circular*Dataset "
                                f"(qid, circular_pattern); use one in the config")
        return circular_metrics([bool(records.get(s.index, {}).get("correct")) for s in samples],
                                [s.row["circular_pattern"] for s in samples], [s.row["qid"] for s in samples],
                                self.circular_pattern)


# ------------------------------------------------------------------ what datasets.py merges in
EVALUATORS = {"CircularEvaluator": "opencompass_circular"}
BUILDERS = {"CircularEvaluator": build}


def summarizer_note(cfg: Mapping) -> str | None:
    """The note for ``CircularSummarizer``'s ``metric_types``, which compass's table does not take."""
    types = cfg.get("metric_types")
    if not types:
        return None
    return (f"CircularSummarizer's metric_types ({', '.join(map(str, types))}) are not columns in compass's table: "
            f"each dataset's row shows its first metric (acc_origin); results/<model>/<dataset>.json has every "
            f"acc_*, more_* and perf_* metric")
