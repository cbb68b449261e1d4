"""Objective datasets with a judge, for answers rules cannot parse: ``judge_strategy``.

``-d``-able as the ``judged`` dataset: ``[[datasets]] type = "judged"``, ``base = "gsm8k"`` (any
registered dataset; its other options pass through) and ``judge_strategy``:

* ``rule``: the dataset's own postprocessor and evaluator, nothing asked;
* ``llm``: the judge checks every response against the reference (``[[CORRECT]]``/``[[INCORRECT]]``);
* ``cascade``: the rule first, the judge only on what the rule calls wrong.

The result counts each path (``rule_correct``, ``judge_correct``, ``judge_incorrect``,
``unparseable``); an unparseable check is left out of the accuracy, never counted wrong.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from compass.sdk import Benchmark, CompassError, prompt_to_text

from compass_judge.common import JudgedEvaluator, cached_count, settle, unparseable_note

STRATEGIES = ("rule", "llm", "cascade")


def judged(base: str, judge_strategy: str = "cascade", chat: bool = False, **kwargs: Any) -> Benchmark:
    if judge_strategy not in STRATEGIES:
        raise CompassError(f"dataset 'judged': judge_strategy must be one of {', '.join(STRATEGIES)}, "
                           f"got {judge_strategy!r}")
    from compass.sdk import build_benchmark, make_plugin_host

    bench = build_benchmark(make_plugin_host(), base, dict(kwargs), chat)
    if judge_strategy == "rule":
        return bench
    subsets = []
    for sub in bench.subsets:
        if sub.mode != "gen":
            raise CompassError(f"dataset 'judged': {base}'s subset '{sub.name}' is {sub.mode} mode; a judge "
                               f"checks generated answers (pick a gen variant)")
        subsets.append(dataclasses.replace(
            sub, evaluator="judge_check",
            evaluator_kwargs={"strategy": judge_strategy, "rule": sub.evaluator,
                              "rule_kwargs": dict(sub.evaluator_kwargs)}))
    return dataclasses.replace(bench, subsets=tuple(subsets))


def _question(s) -> str:
    p = s.prompt
    if isinstance(p, list):
        return "\n".join(str(m.get("content", "")) for m in p if isinstance(m, dict))
    return p if isinstance(p, str) else prompt_to_text(p) if p else ""


class JudgeCheck(JudgedEvaluator):
    label = "judged"
    template_names = ("objective-check",)

    def __init__(self, strategy: str = "cascade", rule: str = "accuracy", rule_kwargs: dict | None = None):
        self.strategy = strategy
        self.rule = rule
        self.rule_kwargs = dict(rule_kwargs or {})

    def _rule_verdicts(self, samples, context) -> list[bool]:
        ev = context.host.registry.get("evaluators", self.rule).load()(**self.rule_kwargs)
        answers, golds = [s.answer for s in samples], [s.gold for s in samples]
        if hasattr(ev, "details"):
            return [bool(v) for v in ev.details(answers, golds)]
        listed = ev.score(answers, golds).get("details")
        if listed is None:
            raise CompassError(f"judge_strategy cascade: evaluator '{self.rule}' gives no per-sample verdicts")
        return [bool(v) for v in listed]

    def score_samples(self, samples, context):
        todo = [s for s in samples if s.error is None]
        rule = dict(zip((s.index for s in todo), self._rule_verdicts(todo, context))) if self.strategy == "cascade" else {}
        ask = []
        for s in todo:
            if rule.get(s.index):
                yield s.index, {"correct": True, "path": "rule"}
            else:
                ask.append(s)
        names = self.judge_names(context)
        template = self.template("objective-check", context)
        questions = {n: [((s.index, "check"), template, {"question": _question(s), "reference": str(s.gold),
                                                         "response": s.prediction or ""}) for s in ask] for n in names}
        for index, judgements in settle(context, questions, {s.index: 1 for s in ask}):
            votes = [p["verdict"] for parts in judgements.values() for p in parts.values() if p["verdict"] is not None]
            # several judges: the majority; a tie or no parseable vote is unscored
            verdict = None if not votes or votes.count(True) * 2 == len(votes) else votes.count(True) * 2 > len(votes)
            yield index, {"correct": verdict, "path": "judge", "rule_correct": rule.get(index),
                          "judgements": judgements}

    def aggregate(self, records, context) -> dict:
        counts = {"rule_correct": 0, "judge_correct": 0, "judge_incorrect": 0, "unscored": 0}
        for rec in records.values():
            if rec.get("path") == "rule":
                counts["rule_correct"] += 1
            elif rec.get("correct") is None:
                counts["unscored"] += 1
            else:
                counts["judge_correct" if rec["correct"] else "judge_incorrect"] += 1
        scored = len(context.samples) - counts["unscored"]
        right = counts["rule_correct"] + counts["judge_correct"]
        bad, total = unparseable_note(records.values())
        notes = [f"judge_strategy {self.strategy}: {counts['rule_correct']} correct by the rule, "
                 f"{counts['judge_correct']} + {counts['judge_incorrect']} correct + incorrect by the judge; "
                 f"{bad} of {total} judgements unparseable (excluded from the score)"]
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        return {"accuracy": 100.0 * right / scored if scored else float("nan"),
                **{k: float(v) for k, v in counts.items()}, "notes": notes,
                "info": {"strategy": self.strategy, "rule": self.rule, "unparseable": bad, "judgements": total,
                         "templates": self.evaluation_key(context)[1]}}
