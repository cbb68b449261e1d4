"""McNemar's test on paired per-sample correctness: is a change in accuracy more than noise?

Two runs answer the same samples. Only the discordant samples carry information: ``b``
right in A and wrong in B, ``c`` wrong in A and right in B. Under "no real difference"
each discordant sample goes either way with probability 1/2, so ``b`` is Binomial(b + c, 1/2).

* fewer than :data:`EXACT_BELOW` discordant samples: the exact two-sided binomial p-value,
  ``min(1, 2 * sum_{k <= min(b, c)} C(n, k) / 2**n)``;
* otherwise the chi-square approximation with continuity correction,
  ``(|b - c| - 1)**2 / (b + c)`` with one degree of freedom, ``p = erfc(sqrt(x / 2))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EXACT_BELOW = 25
ALPHA = 0.05


@dataclass(frozen=True)
class McNemar:
    b: int            # right in A, wrong in B
    c: int            # wrong in A, right in B
    p: float
    test: str         # "exact" or "chi2"
    statistic: float | None = None  # the chi-square value (chi2 only)

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


def exact_p(b: int, c: int) -> float:
    """Two-sided exact binomial p-value of ``b`` vs ``c`` discordant samples."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def chi2_p(b: int, c: int) -> tuple[float, float]:
    """(statistic, p) of the continuity-corrected McNemar chi-square."""
    n = b + c
    if n == 0:
        return 0.0, 1.0
    stat = max(abs(b - c) - 1, 0) ** 2 / n
    return stat, math.erfc(math.sqrt(stat / 2))


def mcnemar(b: int, c: int) -> McNemar:
    if b + c < EXACT_BELOW:
        return McNemar(b, c, exact_p(b, c), "exact")
    stat, p = chi2_p(b, c)
    return McNemar(b, c, p, "chi2", stat)


#: the multiple-comparison correction applied to a comparison's McNemar p-values
CORRECTION = "Benjamini–Hochberg"


def adjust(pvalues: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (scipy's ``false_discovery_control``): a delta is
    significant when its adjusted p is below :data:`ALPHA`, which holds the expected share of
    false discoveries among the significant deltas at ``ALPHA``."""
    if not pvalues:
        return []
    from scipy.stats import false_discovery_control

    return [float(q) for q in false_discovery_control(pvalues, method="bh")]
