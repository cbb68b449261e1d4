"""Token F1 and exact match as SQuAD v1.1's evaluation defines them.

Both sides are normalised (lower case, punctuation and the articles a/an/the removed,
whitespace collapsed); F1 is the harmonic mean of token precision and recall over the bag
of tokens; with several golds a sample takes its best. Meets :class:`compass.sdk.Evaluator`
(the ``score`` shape) and gives per-sample verdicts through ``details``.
"""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: object) -> str:
    return " ".join(_ARTICLES.sub(" ", str(text or "").lower().translate(_PUNCT)).split())


def f1(answer: object, gold: object) -> float:
    pred, ref = normalize(answer).split(), normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _golds(gold: object) -> list:
    return list(gold) if isinstance(gold, (list, tuple)) else [gold]


class TokenF1:
    """``score(answers, golds)`` → ``{"f1": …, "exact_match": …}`` in percent."""

    def score(self, answers: list, golds: list) -> dict:
        if not answers:
            return {"f1": 0.0, "exact_match": 0.0}
        f1s = [max(f1(a, g) for g in _golds(gs)) for a, gs in zip(answers, golds)]
        ems = [max(float(normalize(a) == normalize(g)) for g in _golds(gs)) for a, gs in zip(answers, golds)]
        return {"f1": 100 * sum(f1s) / len(f1s), "exact_match": 100 * sum(ems) / len(ems)}

    def details(self, answers: list, golds: list) -> list[bool]:
        """A sample counts as right when some gold matches it exactly (after normalising)."""
        return [any(normalize(a) == normalize(g) for g in _golds(gs)) for a, gs in zip(answers, golds)]
