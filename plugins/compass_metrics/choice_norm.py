"""Multiple choice by likelihood, raw and length-normalised (lm-eval's ``acc`` / ``acc_norm``).

A ppl prediction record holds each candidate's log-likelihood (``"scores": {label: logprob}``).
``acc`` takes the label with the highest log-likelihood; ``acc_norm`` divides each by the
length in characters of the candidate's text (the row field ``text_field`` names, ``{label}``
filled in — the answer text without the space that joins it to the context) before taking
the best, so longer endings are not penalised for having more tokens.
"""

from __future__ import annotations

from typing import Mapping


def best_label(scores: Mapping[str, float], lengths: Mapping[str, int] | None = None) -> str:
    """The label with the highest score (divided by its length when ``lengths`` is given);
    the first such label on a tie."""
    def value(label: str) -> float:
        s = float(scores[label])
        return s / max(int(lengths[label]), 1) if lengths is not None else s

    return max(scores, key=value)


class ChoiceAccNorm:
    """Per-sample ``acc`` and ``acc_norm`` from the ppl scores (rule based, no model)."""

    def __init__(self, text_field: str = "text{label}"):
        self.text_field = text_field

    def score_samples(self, samples, context):
        for s in samples:
            scores = (s.record or {}).get("scores") if not s.error else None
            if not scores:
                yield s.index, {"correct": False, "correct_raw": False, "norm_choice": None}
                continue
            lengths = {label: len(str(s.row.get(self.text_field.format(label=label), ""))) for label in scores}
            raw, norm = best_label(scores, None), best_label(scores, lengths)
            gold = str(s.gold).strip()
            yield s.index, {"correct": norm == gold, "correct_raw": raw == gold, "norm_choice": norm}

    def aggregate(self, records, context):
        n = max(len(context.samples), 1)
        norm = sum(bool(r.get("correct")) for r in records.values())
        raw = sum(bool(r.get("correct_raw")) for r in records.values())
        return {"acc_norm": 100.0 * norm / n, "acc": 100.0 * raw / n}
