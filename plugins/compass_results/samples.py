"""The samples behind a comparison: question, each run's raw and extracted answer, gold and verdict.

A sample joins two files of a run: its verdict (``results/<model>/<dataset>.samples.jsonl``:
``correct``, ``answer`` — the extracted answer —, ``gold``) and its prediction
(``predictions/<model>/<dataset>[_<shard>].jsonl``: the prompt and the raw ``prediction``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from compass.sdk import all_predictions, json_safe, prompt_record_text, RunFolder

#: the kinds of sample a comparison lists, in the order they are shown
KINDS = {
    "a_right": "right in A, wrong in B",
    "b_right": "wrong in A, right in B",
    "both_wrong": "wrong in both, with different answers",
}



def _asked(prompt) -> str:
    """The last user message of a chat prompt; a text prompt as it is."""
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict)
                 and str(m.get("role", "")).lower() in ("user", "human")]
        return str(users[-1]) if users else prompt_record_text(prompt)
    return str(prompt or "")


def shared_prefix(prompts: list) -> int:
    """How many leading characters every prompt of a dataset shares (its instructions and
    fixed few-shot examples), cut back to the start of a line; 0 when that would leave a
    prompt with nothing."""
    texts = [_asked(p) for p in prompts]
    if not texts:
        return 0
    cut = len(os.path.commonprefix(texts))
    cut = texts[0].rfind("\n", 0, cut) + 1 if cut else 0
    return cut if all(t[cut:].strip() for t in texts) else 0


def question_of(prompt, prefix: int = 0) -> str:
    """The question a prompt asks: its last user message (chat) or its text, without the
    ``prefix`` characters every prompt of its dataset shares (few-shot examples)."""
    return _asked(prompt)[prefix:].strip()


@dataclass
class Side:
    """One run's view of one sample."""

    correct: bool | None
    answer: object  # extracted
    raw: object     # the model's raw prediction
    error: str | None = None


@dataclass
class Sample:
    index: int
    kind: str
    question: str
    gold: object
    a: Side
    b: Side


def predictions(root: Path, model: str, dataset: str) -> dict[int, dict]:
    return all_predictions(RunFolder(Path(root)), model, dataset)


def samples(kinds: dict[str, list[int]], verdicts_a: dict[int, dict], verdicts_b: dict[int, dict],
            preds_a: dict[int, dict], preds_b: dict[int, dict]) -> list[Sample]:
    """The samples of ``kinds`` (``{kind: [index, …]}``), in index order within each kind."""
    out = []
    prefix = shared_prefix([r.get("origin_prompt") for r in (preds_a or preds_b).values()])
    for kind, indices in kinds.items():
        for i in indices:
            va, vb = verdicts_a.get(i, {}), verdicts_b.get(i, {})
            pa, pb = preds_a.get(i, {}), preds_b.get(i, {})
            prompt = pa.get("origin_prompt") if pa else pb.get("origin_prompt")
            gold = va.get("gold", vb.get("gold"))
            out.append(Sample(i, kind, question_of(prompt, prefix), json_safe(gold),
                              Side(va.get("correct"), json_safe(va.get("answer")), json_safe(pa.get("prediction")),
                                   va.get("error") or pa.get("error")),
                              Side(vb.get("correct"), json_safe(vb.get("answer")), json_safe(pb.get("prediction")),
                                   vb.get("error") or pb.get("error"))))
    return out
