"""MT-Bench: single-answer grading 1–10 of both turns of a two-turn conversation.

Inference answers turn 1 (one prompt per sample, as for every dataset). This evaluator, run
as a task after inference, plays turn 2 as a real conversation — the candidate model (built
from the same settings, so the same model) is asked ``turn 1, its own turn-1 answer, turn 2``
— and keeps that answer in the evaluation record, so ``-r`` does not ask it again. Then each
judge rates turn 1 (``single-v1``, or ``single-math-v1`` against the reference answer for
math, reasoning and coding) and turn 2 (the ``-multi-turn`` templates, which show the whole
conversation). Scores: per turn, per category and overall (mean of all ratings), on 1–10.

``mode = "pairwise-baseline"`` (the dataset's ``judge_mode``) is FastChat's other protocol: each
turn judged against a baseline's answers with ``pair-v2`` (``pair-math-v1`` against the reference
for math, reasoning and coding; the ``-multi-turn`` ones for turn 2), in both orders; a turn whose
two verdicts disagree is a tie, one with an unparseable verdict is left out (FastChat's ``error``);
``win_rate``, ``loss_rate`` and ``win_rate_adjusted`` (ties half) as fractions, as FastChat prints them.
"""

from __future__ import annotations

import math
from collections import defaultdict

from compass.sdk import GenerateRequest, Message, strip_reasoning

from compass_judge.common import JudgedEvaluator, cached_count, chunks, settle, unparseable_note
from compass_judge.datasets import MTBENCH_REF_CATEGORIES
from compass_judge.judge import stream_answers

CHUNK = 256  # samples whose turn 2 is played and judged together (a kill loses at most one chunk)


def _mean(xs):
    return math.fsum(xs) / len(xs) if xs else float("nan")


class MTBenchJudge(JudgedEvaluator):
    label = "mtbench"
    template_names = ("single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn")

    def __init__(self, templates: str = "", chunk: int = CHUNK, mode: str = "single", baseline: str = ""):
        self.templates_hash = templates
        self.chunk = chunk
        self.mode = mode
        self.baseline = baseline
        if mode == "pairwise-baseline":
            self.template_names = ("pair-v2", "pair-math-v1", "pair-v2-multi-turn", "pair-math-v1-multi-turn")

    def _pair_questions(self, s, turn2: str, ref, context) -> list[tuple]:
        """The four questions of one sample: each turn, the candidate as A (g1) then the baseline (g2)."""
        row, mine, base = s.row, [s.answer or "", turn2], row_baseline(s.row)
        t1 = self.template("pair-math-v1" if ref else "pair-v2", context)
        t2 = self.template("pair-math-v1-multi-turn" if ref else "pair-v2-multi-turn", context)
        out = []
        for game, (a, b) in (("g1", (mine, base)), ("g2", (base, mine))):
            f1 = {"question": row["turn_1"], "answer_a": a[0], "answer_b": b[0]}
            f2 = {"question_1": row["turn_1"], "question_2": row["turn_2"], "answer_a_1": a[0], "answer_b_1": b[0],
                  "answer_a_2": a[1], "answer_b_2": b[1]}
            if ref:
                f1["ref_answer_1"] = f2["ref_answer_1"] = ref[0]
                f2["ref_answer_2"] = ref[1]
            out += [((s.index, f"turn_1:{game}"), t1, f1), ((s.index, f"turn_2:{game}"), t2, f2)]
        return out

    def _turn2(self, samples, context) -> dict[int, str]:
        cand = context.candidate
        model = context.model(cand["type"], **dict(cand["kwargs"]))
        gen = getattr(context, "generation", None) or {}
        reqs = [GenerateRequest((Message("HUMAN", s.row["turn_1"]), Message("BOT", s.answer or ""),
                                 Message("HUMAN", s.row["turn_2"])),
                                max_out_len=int(gen.get("max_out_len") or 1024), stop=tuple(gen.get("stop") or ()))
                for s in samples]
        out = {}
        for pos, c in stream_answers(model, reqs):
            if not c.error:
                out[samples[pos].index] = strip_reasoning(c.text or "")
        return out

    def score_samples(self, samples, context):
        names = self.judge_names(context)
        todo = [s for s in samples if s.error is None]
        for part in chunks(todo, max(1, int(self.chunk))):
            turn2 = self._turn2(part, context)
            questions: dict[str, list] = {n: [] for n in names}
            byindex = {}
            for s in part:
                if s.index not in turn2:
                    continue
                byindex[s.index] = s
                row = s.row
                ref = row.get("reference") if row["category"] in MTBENCH_REF_CATEGORIES else None
                fields1 = {"question": row["turn_1"], "answer": s.answer or ""}
                fields2 = {"question_1": row["turn_1"], "answer_1": s.answer or "",
                           "question_2": row["turn_2"], "answer_2": turn2[s.index]}
                if ref:
                    fields1["ref_answer_1"] = fields2["ref_answer_1"] = ref[0]
                    fields2["ref_answer_2"] = ref[1]
                if self.mode == "pairwise-baseline":
                    for n in names:
                        questions[n] += self._pair_questions(s, turn2[s.index], ref, context)
                    continue
                t1 = self.template("single-math-v1" if ref else "single-v1", context)
                t2 = self.template("single-math-v1-multi-turn" if ref else "single-v1-multi-turn", context)
                for n in names:
                    questions[n] += [((s.index, "turn_1"), t1, fields1), ((s.index, "turn_2"), t2, fields2)]
            parts = 4 if self.mode == "pairwise-baseline" else 2
            for index, judgements in settle(context, questions, {i: parts for i in byindex}):
                if self.mode == "pairwise-baseline":
                    outcomes = [o for parts_ in judgements.values() for o in pair_outcomes(parts_).values()
                                if o is not None]
                    correct = _mean(outcomes) if outcomes else None
                else:
                    ratings = [p["verdict"] for parts_ in judgements.values() for p in parts_.values()
                               if p["verdict"] is not None]
                    correct = _mean(ratings) if ratings else None
                yield index, {"category": byindex[index].row["category"], "turn_2_prediction": turn2[index],
                              "judgements": judgements, "correct": correct}

    def _aggregate_pairs(self, records, context) -> dict:
        names: list[str] = []
        for rec in records.values():
            names += [n for n in rec.get("judgements", {}) if n not in names]
        outcomes = [o for rec in records.values() for n in names
                    for o in pair_outcomes(rec["judgements"].get(n) or {}).values()]
        metrics = _pair_metrics([o for o in outcomes if o is not None])
        for turn in ("turn_1", "turn_2"):
            got = [pair_outcomes(rec["judgements"].get(n) or {})[turn] for rec in records.values() for n in names]
            metrics[f"{turn}_win_rate_adjusted"] = _pair_metrics([o for o in got if o is not None])["win_rate_adjusted"]
        bad, total = unparseable_note(records.values())
        dropped = sum(o is None for o in outcomes)
        notes = [f"{len(records)} of {len(context.samples)} samples judged against {self.baseline}, each turn in both "
                 f"orders (FastChat's pairwise-baseline); {bad} of {total} judgements unparseable: {dropped} turn "
                 f"comparisons left out; disagreeing orders count as a tie; win rates are fractions (0-1)"]
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        info = {"judges": names, "judged": len(records), "unparseable": bad, "judgements": total,
                "left_out": dropped, "baseline": self.baseline, "templates": self.evaluation_key(context)[1]}
        return {**metrics, "notes": notes, "info": info}

    def aggregate(self, records, context) -> dict:
        if self.mode == "pairwise-baseline":
            return self._aggregate_pairs(records, context)
        names: list[str] = []
        for rec in records.values():
            names += [n for n in rec.get("judgements", {}) if n not in names]
        per_judge = {}
        for name in names:
            turns, cats, everything = defaultdict(list), defaultdict(list), []
            for rec in records.values():
                for turn, j in (rec["judgements"].get(name) or {}).items():
                    if j["verdict"] is not None:
                        turns[turn].append(j["verdict"])
                        cats[rec["category"]].append(j["verdict"])
                        everything.append(j["verdict"])
            per_judge[name] = {"score": _mean(everything), "turn_1": _mean(turns["turn_1"]),
                               "turn_2": _mean(turns["turn_2"]), **{c: _mean(v) for c, v in sorted(cats.items())}}
        metrics: dict[str, float] = {}
        if per_judge:  # several judges: the mean of theirs
            for k in dict.fromkeys(k for d in per_judge.values() for k in d):
                metrics[k] = _mean([d[k] for d in per_judge.values() if k in d and not math.isnan(d[k])])
        else:
            metrics["score"] = float("nan")
        if len(per_judge) > 1:
            for name, d in per_judge.items():
                metrics[f"score[{name}]"] = d["score"]
        bad, total = unparseable_note(records.values())
        judged = len(records)
        notes = [f"{judged} of {len(context.samples)} samples judged; {bad} of {total} judgements "
                 f"unparseable (excluded from the score)"]
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        if per_judge:
            shown = [f"{k.replace('_', ' ')} {v:.2f}" for k, v in metrics.items()
                     if k != "score" and not k.startswith("score[") and not math.isnan(v)]
            if shown:
                notes.append("scores (1-10): " + ", ".join(shown))
        info = {"judges": names, "judged": judged, "unparseable": bad, "judgements": total,
                "templates": self.evaluation_key(context)[1], "scale": "1-10", "per_judge": per_judge}
        if len(per_judge) > 1:
            agree = _agreement(records.values(), names)
            info["agreement_within_1"] = agree
            notes.append(f"judges agree within 1 point on {agree:.1f}% of the judgements both parsed")
        return {**metrics, "notes": notes, "info": info}


def row_baseline(row) -> list[str]:
    base = row.get("baseline") or []
    return [base[0] if base else "", base[1] if len(base) > 1 else ""]


def pair_outcomes(parts: dict) -> dict[str, float | None]:
    """Each turn's outcome for the candidate as FastChat's show_result counts it: 1 win, 0 loss,
    0.5 tie (a tie verdict, or the two orders disagreeing), None when a verdict is unparseable."""
    out: dict[str, float | None] = {}
    for turn in ("turn_1", "turn_2"):
        g1 = (parts.get(f"{turn}:g1") or {}).get("verdict")
        g2 = (parts.get(f"{turn}:g2") or {}).get("verdict")
        if g1 is None or g2 is None:
            out[turn] = None
            continue
        w1 = {"A>B": "cand", "B>A": "base"}.get(g1, "tie")  # g1: the candidate is A
        w2 = {"A>B": "base", "B>A": "cand"}.get(g2, "tie")  # g2: the baseline is A
        out[turn] = 0.5 if w1 == "tie" or w1 != w2 else (1.0 if w1 == "cand" else 0.0)
    return out


def _pair_metrics(outcomes: list[float]) -> dict[str, float]:
    n = len(outcomes)
    win, loss = float(sum(o == 1.0 for o in outcomes)), float(sum(o == 0.0 for o in outcomes))
    tie = n - win - loss
    if not n:
        return {"win_rate_adjusted": float("nan"), "win_rate": float("nan"), "loss_rate": float("nan"),
                "win": 0.0, "loss": 0.0, "tie": 0.0}
    return {"win_rate_adjusted": (win + 0.5 * tie) / n, "win_rate": win / n, "loss_rate": loss / n,
            "win": win, "loss": loss, "tie": float(tie)}


def _agreement(records, names: list[str]) -> float:
    same = both = 0
    for rec in records:
        for turn in ("turn_1", "turn_2"):
            vals = [(rec["judgements"].get(n) or {}).get(turn, {}).get("verdict") for n in names]
            if all(v is not None for v in vals):
                both += 1
                same += max(vals) - min(vals) <= 1
    return 100.0 * same / both if both else float("nan")
