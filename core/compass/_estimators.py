"""Estimators that more than one evaluator uses (plain functions, no dependencies)."""

from __future__ import annotations


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k of one problem with ``c`` of ``n`` samples right (Chen et al., 2021):
    1 - C(n-c, k) / C(n, k), as a product so it stays exact for large n; needs k <= n."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail
