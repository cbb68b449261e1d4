"""The IFEval evaluator: prompt- and instruction-level accuracy, strict and loose.

Each sample's row holds ``instruction_id_list`` and ``kwargs`` (one dict per instruction).
Strict: the response as written must follow an instruction; loose: any of
:func:`compass_metrics.ifeval_checks.loose_variants` may (first/last line dropped, ``*``
removed). A prompt counts when all its instructions are followed; an instruction counts on
its own. A failed or missing sample follows nothing.
"""

from __future__ import annotations

from compass_metrics.ifeval_checks import follows, follows_loose

METRICS = ("prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc")


def judge(response: str | None, instruction_ids: list, kwargs: list) -> dict:
    """``{"strict": [bool per instruction], "loose": [...]}`` for one response."""
    args = list(kwargs or [{}] * len(instruction_ids))
    if len(args) != len(instruction_ids):
        raise ValueError(f"{len(instruction_ids)} instructions but {len(args)} kwargs")
    if response is None:
        return {"strict": [False] * len(instruction_ids), "loose": [False] * len(instruction_ids)}
    text = str(response)
    return {"strict": [follows(i, text, a) for i, a in zip(instruction_ids, args)],
            "loose": [follows_loose(i, text, a) for i, a in zip(instruction_ids, args)]}


def accuracies(verdicts: list[dict]) -> dict[str, float]:
    """The four IFEval accuracies (percent) over per-response verdicts from :func:`judge`."""
    out = {}
    for kind in ("strict", "loose"):
        prompts = [all(v[kind]) for v in verdicts]
        insts = [x for v in verdicts for x in v[kind]]
        out[f"prompt_level_{kind}_acc"] = 100.0 * sum(prompts) / len(prompts) if prompts else 0.0
        out[f"inst_level_{kind}_acc"] = 100.0 * sum(insts) / len(insts) if insts else 0.0
    return {m: out[m] for m in METRICS}


class IFEval:
    """Per-sample IFEval verdicts (rule based: no model, runs in the launcher)."""

    def score_samples(self, samples, context):
        for s in samples:
            row = s.row
            v = judge(None if s.error else s.answer, list(row["instruction_id_list"]), list(row["kwargs"]))
            yield s.index, {"correct": all(v["strict"]), "loose_correct": all(v["loose"]),
                            "instructions": list(row["instruction_id_list"]), **v}

    def aggregate(self, records, context):
        verdicts = []
        for s in context.samples:
            rec = records.get(s.index)
            n = len(s.row["instruction_id_list"])
            verdicts.append(rec if rec else {"strict": [False] * n, "loose": [False] * n})
        return accuracies(verdicts)
