"""``code_exec``: run each sample's program with its tests in a sandbox; pass@1 and pass@k.

Runs as a task of its own after inference (``run_as_task``: a local worker or a Slurm
job), its programs in parallel across that machine's cores, each record written as its
program ends (a killed evaluation resumes with what is left). Per sample: ``correct``,
``reason`` (``passed``, ``assertion``, ``exception`` with its type, ``syntax error``,
``timeout``, ``memory``, ``killed``, ``output limit``, ``incomplete``, ``no prediction``,
``suspect``: it passed, but its source could fake a pass — an object equal to anything, a
rebound builtin or patched module the tests use, see :mod:`compass_code.suspect`; the names
are in ``suspect``) and the tail of its stderr. Samples of one problem (``n`` per problem) share the row field
``problem``; pass@k is reported for each k in ``ks`` up to the smallest n.

The sandbox is bubblewrap, started once at plan time to prove it works (see
:meth:`CodeExec.preflight`); without it, the evaluator refuses to run unless the run's settings
allow unsafe code (``--allow-unsafe-code``). The isolation in force is written into the result (``info``)
and stated under the summary table.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from compass_code.passk import DEFAULT_KS, pass_at_ks

SETTING = "allow_unsafe_code"


def _allowed(settings: Mapping | None) -> bool:
    return bool((settings or {}).get(SETTING))


class CodeExec:
    """See the module docstring.

    :param completion: the answer continues the row's ``prompt`` (base models).
    :param timeout: wall-clock seconds per program (CPU seconds: one more).
    :param memory_mb: address-space limit per program.
    :param ks: the k of pass@k (each reported only when every problem has k samples).
    """

    run_as_task = True

    def __init__(self, completion: bool = False, timeout: float = 10.0, memory_mb: int = 1024,
                 ks: Iterable[int] = DEFAULT_KS):
        from compass_code.sandbox import Limits

        self.completion = bool(completion)
        self.limits = Limits(timeout=float(timeout), memory_mb=int(memory_mb))
        self.ks = tuple(int(k) for k in ks)
        self.isolation = ""

    @staticmethod
    def preflight(settings: Mapping) -> None:
        """Refuse the run before any model loads when there is no sandbox and no permission, or
        when the sandbox does not start: one tiny program runs through the real path."""
        from compass_code.sandbox import check_starts, choose

        check_starts(choose(_allowed(settings)))

    def score_samples(self, samples, context):
        from compass_code.programs import build_program
        from compass_code.sandbox import choose
        from compass_code.sandbox.pool import run_programs
        from compass_code.suspect import suspicions

        sandbox = choose(_allowed(getattr(context, "settings", None)))
        self.isolation = sandbox.describe(self.limits)
        programs = []
        for s in samples:
            if s.error is not None or s.answer is None:
                yield s.index, {"correct": False, "reason": "no prediction", "error": s.error}
                continue
            programs.append((s.index, build_program(str(s.answer), s.row, self.completion)))
        flags = {s.index: suspicions(str(s.answer), str(s.row.get("tests") or ""), str(s.row.get("entry_point") or ""))
                 for s in samples if s.error is None and s.answer is not None}
        for index, outcome in run_programs(sandbox, programs, self.limits):
            record = outcome.record()
            if flags.get(index):
                record["suspect"] = flags[index]
                if record["correct"]:
                    record.update(correct=False, reason="suspect")
            yield index, record

    def aggregate(self, records: dict[int, dict], context) -> dict[str, Any]:
        per_problem: dict[Any, list[int]] = {}
        for s in context.samples:
            passed = bool(records.get(s.index, {}).get("correct"))
            n_c = per_problem.setdefault(s.row.get("problem", s.index), [0, 0])
            n_c[0] += 1
            n_c[1] += passed
        scores: dict[str, Any] = pass_at_ks([tuple(v) for v in per_problem.values()], self.ks)
        reasons = Counter(r.get("reason", "?") for r in records.values())
        if not self.isolation:  # every record was reused from an earlier attempt
            from compass_code.sandbox import choose

            self.isolation = choose(_allowed(getattr(context, "settings", None))).describe(self.limits)
        scores["info"] = {"isolation": self.isolation, "reasons": dict(sorted(reasons.items())),
                          "problems": len(per_problem), "samples_per_problem": sorted({v[0] for v in per_problem.values()})}
        extra = ", ".join(f"{k} {v:.2f}" for k, v in scores.items() if k.startswith("pass@") and k != "pass@1")
        scores["notes"] = [f"isolation: {self.isolation}"] + ([f"also {extra}"] if extra else [])
        return scores
