"""pass@k: the chance that at least one of k samples drawn from n passes.

The unbiased estimator 1 - C(n-c, k) / C(n, k) for a problem with ``c`` of ``n`` samples
passing (Chen et al., 2021), computed as a product to stay exact for large n.
"""

from __future__ import annotations

from typing import Iterable

from compass.sdk import pass_at_k  # noqa: F401  (re-exported: one estimator for every evaluator)

DEFAULT_KS = (1, 10, 100)


def pass_at_ks(counts: Iterable[tuple[int, int]], ks: Iterable[int] = DEFAULT_KS) -> dict[str, float]:
    """Mean pass@k (percent) over problems given ``(n, c)`` per problem, for every k <= min n."""
    counts = list(counts)
    if not counts:
        return {"pass@1": 0.0}
    least = min(n for n, _ in counts)
    out = {}
    for k in sorted(set(ks)):
        if k <= least:
            out[f"pass@{k}"] = 100.0 * sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    return out
