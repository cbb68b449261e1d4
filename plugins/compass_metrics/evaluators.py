"""Scorers: ``score(predictions, references) -> {metric: percent, "details": [bool]}``."""

from __future__ import annotations


def _norm(value: object) -> str:
    return "" if value is None else str(value).strip()


class Accuracy:
    """Exact agreement of the prediction with the reference, as a percentage."""

    def score(self, predictions: list, references: list) -> dict:
        correct = [p is not None and _norm(p) == _norm(r) for p, r in zip(predictions, references)]
        value = 100.0 * sum(correct) / len(correct) if correct else 0.0
        return {"accuracy": value, "details": correct}
