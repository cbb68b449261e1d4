"""``math_samples``: math equivalence per sample, averaged, with pass@k over repeated samples.

Rows of one problem share ``problem_field``; with ``n`` samples each, ``accuracy`` is the
mean over all samples (avg@n) and ``pass@k`` (k = 1, 2, 4, … up to the smallest ``n``) the
unbiased estimate of solving a problem with k tries (Chen et al. 2021).
"""

from __future__ import annotations

from compass.sdk import pass_at_k


class MathSamples:
    def __init__(self, problem_field: str = "id", use_math_verify: bool = True):
        self.problem_field = problem_field
        self.use_math_verify = use_math_verify

    def score_samples(self, samples, context):
        from compass_metrics.math_equiv import is_equiv

        for s in samples:
            ok = s.error is None and is_equiv(s.answer, s.gold, use_math_verify=self.use_math_verify)
            yield s.index, {"correct": bool(ok)}

    def aggregate(self, records, context):
        per: dict = {}
        for s in context.samples:
            n_c = per.setdefault(s.row.get(self.problem_field, s.index), [0, 0])
            n_c[0] += 1
            n_c[1] += bool(records.get(s.index, {}).get("correct"))
        total = sum(n for n, _ in per.values())
        out = {"accuracy": 100.0 * sum(c for _, c in per.values()) / total if total else 0.0}
        least = min((n for n, _ in per.values()), default=1)
        k = 1
        while least > 1 and k <= least:
            out[f"pass@{k}"] = 100.0 * sum(pass_at_k(n, c, k) for n, c in per.values()) / len(per)
            k *= 2
        return out
