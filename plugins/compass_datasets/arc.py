"""ARC (AI2 Reasoning Challenge), Easy and Challenge sets, zero-shot.

Layout: OpenCompass ``<data>/ARC/ARC-e/ARC-Easy-{Test,Dev}.jsonl`` (and ``ARC-c/
ARC-Challenge-*``); ``arc/`` instead of ``ARC/`` and the official
``ARC-V1-Feb2018-2/ARC-Easy/`` folder are found too. Each line is ``{"id", "question":
{"stem", "choices": [{"text", "label"}]}, "answerKey"}``; labels may be ``A-E`` or
``1-4`` and a question has 3 to 5 choices. Choices are relabelled ``A, B, ...`` by
position and every question is kept (ARC-Easy test: 2376).

* ``ppl`` (lm-evaluation-harness's prompt): ``Question: {stem}\\nAnswer:`` with each of the
  question's own choice texts as a continuation (per-row candidates: 3 to 5).
* ``gen`` (OpenCompass's): ``Question: {stem}\\nA. ..\\nB. ..\\nAnswer:``, ``first_option``.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, Rows

from compass_datasets.mcq import CachedLoader, choice_subset, pick_mode
from compass_datasets.readers import find, read_jsonl, require

SLOTS = "ABCDE"
SETS = {"e": ("ARC-e", "ARC-Easy", "arc-e"), "c": ("ARC-c", "ARC-Challenge", "arc-c")}
SPLITS = {"test": "Test", "dev": "Dev"}


def _row(obj: dict, path: Path, line: int) -> dict:
    require(obj, ("question", "answerKey"), path, line)
    q = obj["question"]
    if not isinstance(q, dict) or "stem" not in q or not isinstance(q.get("choices"), list):
        raise DataError(f"{path}:{line}: 'question' must have 'stem' and a list of 'choices'")
    choices = q["choices"]
    if not 2 <= len(choices) <= len(SLOTS):
        raise DataError(f"{path}:{line}: {len(choices)} choices; ARC questions have 2 to {len(SLOTS)}")
    labels = [str(c.get("label", "")).strip() for c in choices]
    key = str(obj["answerKey"]).strip()
    if key not in labels:
        raise DataError(f"{path}:{line}: answerKey {key!r} is not one of the choice labels {labels}")
    texts = [str(c.get("text", "")) for c in choices]
    gold = labels.index(key)
    row = {"id": obj.get("id", ""), "question": str(q["stem"]),
           "choices": "\n".join(f"{SLOTS[i]}. {t}" for i, t in enumerate(texts)),
           "answer": SLOTS[gold], "num_choices": len(texts)}
    row["candidates"] = {SLOTS[i]: f" {text}" for i, text in enumerate(texts)}
    return row


class ARCLoader(CachedLoader):
    def __init__(self, which: str, split: str):
        super().__init__()
        self.which, self.split = which, split

    @property
    def key(self) -> tuple:
        return ("arc", self.which, self.split)

    def locate(self, data_dir) -> Path:
        short, long, _ = SETS[self.which]
        fname = f"{long}-{SPLITS[self.split]}.jsonl"
        rels = [f"ARC/{short}/{fname}", f"arc/{short}/{fname}", f"ARC-V1-Feb2018-2/{long}/{fname}",
                f"ARC/{long}/{fname}", f"arc/{long}/{fname}", f"{long}/{fname}"]
        return find(Path(data_dir), rels, name=f"arc_{self.which}", what=f"{long} {self.split} split")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        return Rows(test=[_row(obj, path, line) for line, obj in read_jsonl(path)])


def build(which: str, mode: str, split: str = "test", name: str = "") -> Benchmark:
    if split not in SPLITS:
        raise CompassError(f"{name}: split must be one of {', '.join(SPLITS)}, got {split!r}")
    subset = choice_subset(SETS[which][2], ARCLoader(which, split), mode, labels=SLOTS,
                           gen_human="Question: {question}\n{choices}\nAnswer:",
                           ppl_human="Question: {question}\nAnswer:", candidates_field="candidates")
    return Benchmark(name or f"arc_{which}", (subset,))


def arc_e(chat: bool = False, split: str = "test") -> Benchmark:
    """ARC-Easy: gen for chat models, ppl for base models."""
    return build("e", pick_mode(None, chat), split, "arc_e")


def arc_e_gen(split: str = "test") -> Benchmark:
    return build("e", "gen", split, "arc_e_gen")


def arc_e_ppl(split: str = "test") -> Benchmark:
    return build("e", "ppl", split, "arc_e_ppl")


def arc_c(chat: bool = False, split: str = "test") -> Benchmark:
    """ARC-Challenge: gen for chat models, ppl for base models."""
    return build("c", pick_mode(None, chat), split, "arc_c")


def arc_c_gen(split: str = "test") -> Benchmark:
    return build("c", "gen", split, "arc_c_gen")


def arc_c_ppl(split: str = "test") -> Benchmark:
    return build("c", "ppl", split, "arc_c_ppl")
