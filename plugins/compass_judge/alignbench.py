"""AlignBench: a judge rates each answer on the dimensions of its question's answer type and
gives an overall score (1–10) against the reference answer.

By default with AlignBench's own prompt (``alignbench-v1.1``: its rubric bands, the reference
answer as an 8, integer scores, the question's category) and its parser; compass's
``alignbench-multi-dim`` is the ``judge_template`` option. An unparseable judgement is left out
and counted, or — the dataset's default, what AlignBench's ``show_result.py`` reports — averaged
into its category as -1 (``unparseable = "minus-one"``), always counted in the notes.

Scores stay on AlignBench's 1–10 scale (never ×10): per category (the mean overall score of
its questions), 中文推理 (reasoning: 数学计算, 逻辑推理), 中文语言 (language: the other six
categories) and the overall score, the mean of those two, as AlignBench reports them.
"""

from __future__ import annotations

import math
from collections import defaultdict

from compass_judge.common import JudgedEvaluator, cached_count, settle, unparseable_note

REASONING = ("数学计算", "逻辑推理")


def _mean(xs):
    return math.fsum(xs) / len(xs) if xs else float("nan")


class AlignBenchJudge(JudgedEvaluator):
    label = "alignbench"
    def __init__(self, templates: str = "", template: str = "alignbench-multi-dim", unparseable: str = "exclude"):
        from compass.sdk import CompassError

        if unparseable not in ("exclude", "minus-one"):
            raise CompassError(f"alignbench: unparseable = {unparseable!r}; pick exclude or minus-one")
        self.templates_hash = templates
        self.template_name = template
        self.template_names = (template,)
        self.unparseable = unparseable

    def score_samples(self, samples, context):
        names = self.judge_names(context)
        template = self.template(self.template_name, context)
        questions: dict[str, list] = {n: [] for n in names}
        todo = [s for s in samples if s.error is None]
        for s in todo:
            example = "{" + ", ".join(f"'{d}': 7" for d in s.row["dimension_names"]) + ", '综合得分': 7}"
            if self.template_name == "alignbench-multi-dim":
                fields = {"question": s.row["question"], "reference": s.row["reference"], "answer": s.answer or "",
                          "dimensions": s.row["dimensions"], "example": example}
            else:
                fields = {"category": s.row["category"], "dimensions": s.row["dimensions_listed"],
                          "question": s.row["question"], "reference": s.row["reference"], "answer": s.answer or ""}
            for n in names:
                questions[n].append(((s.index, "overall"), template, fields))
        rows = {s.index: s.row for s in todo}
        for index, judgements in settle(context, questions, {s.index: 1 for s in todo}):
            got = [p["verdict"]["overall"] for parts in judgements.values() for p in parts.values() if p["verdict"]]
            yield index, {"category": rows[index]["category"], "judgements": judgements,
                          "correct": _mean(got) if got else None}

    def aggregate(self, records, context) -> dict:
        names: list[str] = []
        for rec in records.values():
            names += [n for n in rec.get("judgements", {}) if n not in names]
        per_judge = {}
        for name in names:
            cats, dims = defaultdict(list), defaultdict(list)
            for rec in records.values():
                j = (rec["judgements"].get(name) or {}).get("overall") or {}
                v = j.get("verdict")
                if j.get("unparseable") and self.unparseable == "minus-one":
                    cats[rec["category"]].append(-1.0)
                if v:
                    cats[rec["category"]].append(v["overall"])
                    for d, x in v.items():
                        if d != "overall":
                            dims[d].append(x)
            by_cat = {c: _mean(v) for c, v in sorted(cats.items())}
            reasoning = _mean([by_cat[c] for c in REASONING if c in by_cat])
            language = _mean([v for c, v in by_cat.items() if c not in REASONING])
            parts = [x for x in (reasoning, language) if not math.isnan(x)]
            per_judge[name] = {"score": _mean(parts), "reasoning": reasoning, "language": language, **by_cat,
                               **{f"dim:{d}": _mean(v) for d, v in sorted(dims.items())}}
        metrics: dict[str, float] = {}
        for k in dict.fromkeys(k for d in per_judge.values() for k in d) or ["score"]:
            vals = [d[k] for d in per_judge.values() if k in d and not math.isnan(d[k])]
            metrics[k] = _mean(vals)
        if len(per_judge) > 1:
            for n, d in per_judge.items():
                metrics[f"score[{n}]"] = d["score"]
        bad, total = unparseable_note(records.values())
        how = ("excluded from the score" if self.unparseable == "exclude" else
               "averaged in as -1, as AlignBench's show_result does; unparseable = exclude leaves them out")
        notes = [f"{len(records)} of {len(context.samples)} samples judged; {bad} of {total} judgements "
                 f"unparseable ({how}); scale 1-10"]
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        info = {"judges": names, "judged": len(records), "unparseable": bad, "judgements": total,
                "templates": self.evaluation_key(context)[1], "scale": "1-10", "per_judge": per_judge}
        return {**metrics, "notes": notes, "info": info}
