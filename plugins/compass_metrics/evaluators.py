"""Scorers: ``score(predictions, references) -> {metric: percent, "details": [bool]}``.

A prediction of ``None`` is a failed sample and counts as wrong. A reference may be a
list (or tuple) of acceptable answers; matching any of them is correct.
"""

from __future__ import annotations

import re
import string
from typing import Callable, Sequence


def _norm(value: object) -> str:
    return "" if value is None else str(value).strip()


def _alternatives(reference: object) -> list:
    return list(reference) if isinstance(reference, (list, tuple)) else [reference]


def _score(metric: str, predictions: Sequence, references: Sequence,
           same: Callable[[object, object], bool]) -> dict:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    details = [p is not None and any(same(p, r) for r in _alternatives(r_))
               for p, r_ in zip(predictions, references)]
    value = 100.0 * sum(details) / len(details) if details else 0.0
    return {metric: value, "details": details}


class Accuracy:
    """Exact agreement of the prediction with the reference (after ``str()``/strip)."""

    def score(self, predictions: list, references: list) -> dict:
        return _score("accuracy", predictions, references, lambda p, r: _norm(p) == _norm(r))


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("，。、；：？！“”‘’（）【】《》…·")


def normalize_answer(text: object) -> str:
    """Lower case, no punctuation, no English articles, single spaces (SQuAD-style)."""
    s = _norm(text).lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


class ExactMatch:
    """Agreement after normalisation: case, punctuation, articles and spacing are ignored."""

    def score(self, predictions: list, references: list) -> dict:
        return _score("exact_match", predictions, references,
                      lambda p, r: normalize_answer(p) == normalize_answer(r))


class MathEquiv:
    """Mathematical equivalence of final answers (``0.5`` = ``\\frac{1}{2}``).

    Uses ``math-verify`` when it is installed, otherwise compass's own normaliser plus
    sympy (the ``[math]`` extra); without sympy, normalised strings are compared.
    """

    def __init__(self, use_math_verify: bool = True):
        self.use_math_verify = use_math_verify

    def score(self, predictions: list, references: list) -> dict:
        from compass_metrics.math_equiv import is_equiv

        return _score("accuracy", predictions, references,
                      lambda p, r: is_equiv(p, r, use_math_verify=self.use_math_verify))
