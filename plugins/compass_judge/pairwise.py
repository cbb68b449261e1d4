"""Pairwise judging against a baseline's answers: AlpacaEval's win rate, Arena-Hard's score.

Every pair is judged in both orders (the candidate as A, then as B) to cancel position bias;
each order is one game. From the candidate's side a game is a win (``A>>B``/``A>B`` with the
candidate as A), a tie or a loss. ``scoring = "winrate"``: 100 × the mean game score (ties
half). ``scoring = "bt"``: Arena-Hard's — a strong verdict counts as three games, a
Bradley–Terry fit gives the candidate's probability of beating the baseline, and a seeded
bootstrap over questions its 95% interval. Position consistency: the share of pairs whose two
orders gave the same verdict (an always-A judge: 0%).
"""

from __future__ import annotations

import math

from compass_judge import arena, stats
from compass_judge.common import JudgedEvaluator, cached_count, settle, unparseable_note
from compass_judge.verdicts import swap

SCORE = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}
CANDIDATE, BASELINE = "candidate", "baseline"


def candidate_view(order: str, verdict: str | None) -> str | None:
    """The verdict with the candidate as A (in order ``ba`` the candidate was B)."""
    if verdict is None:
        return None
    return verdict if order == "ab" else swap(verdict)


class PairwiseJudge(JudgedEvaluator):
    label = "alpaca_eval / arena_hard"

    def __init__(self, template: str = "pair-three", question: str = "question", scoring: str = "winrate",
                 templates: str = "", baseline: str = "", strong_weight: float = 3.0,
                 bootstrap_rounds: int = 100, seed: int = 0):
        self.template_name = template
        self.template_names = (template,)
        self.question = question
        self.scoring = scoring
        self.baseline = baseline
        self.strong_weight = strong_weight
        self.rounds = bootstrap_rounds
        self.seed = seed

    def score_samples(self, samples, context):
        names = self.judge_names(context)
        template = self.template(self.template_name, context)
        questions: dict[str, list] = {n: [] for n in names}
        todo = [s for s in samples if s.error is None]
        for s in todo:
            q, mine, base = s.row[self.question], s.answer or "", s.row["baseline"]
            for n in names:
                questions[n] += [((s.index, "ab"), template, {"question": q, "answer_a": mine, "answer_b": base}),
                                           ((s.index, "ba"), template, {"question": q, "answer_a": base, "answer_b": mine})]
        for index, judgements in settle(context, questions, {s.index: 2 for s in todo}):
            games = [SCORE[candidate_view(o, p["verdict"])] for parts in judgements.values()
                     for o, p in parts.items() if p["verdict"] is not None]
            yield index, {"judgements": judgements, "correct": math.fsum(games) / len(games) if games else None}

    # -- model vs model (compass._comparisons) ---------------------------------------------

    @staticmethod
    def preflight_models(settings, models) -> None:
        """``--pairwise all`` / ``--baseline MODEL`` that cannot be served: one line, before any model loads."""
        arena.plan_pairs(settings, list(models))

    def compare_models(self, samples_by_model, context):
        """The run's models judged against each other (:mod:`compass_judge.arena`); None unless
        the run asked for it with ``--pairwise all`` or ``--baseline MODEL``."""
        return arena.compare(self, samples_by_model, context)

    # -- scores ----------------------------------------------------------------------------

    def _battles(self, rec: dict, name: str) -> list[stats.Battle]:
        out = []
        for order, p in (rec["judgements"].get(name) or {}).items():
            v = candidate_view(order, p["verdict"])
            if v is not None:
                weight = self.strong_weight if ">>" in v and self.scoring == "bt" else 1.0
                out.append((CANDIDATE, BASELINE, SCORE[v], weight))
        return out

    def _judge_scores(self, records: dict, name: str) -> dict[str, float]:
        games, consistent, both = [], 0, 0
        counts = {"wins": 0, "ties": 0, "losses": 0}
        groups = []
        for _, rec in sorted(records.items()):  # by sample: the bootstrap's draws must not depend on timing
            parts = rec["judgements"].get(name) or {}
            views = {o: candidate_view(o, p["verdict"]) for o, p in parts.items()}
            for v in views.values():
                if v is not None:
                    games.append(SCORE[v])
                    counts[{1.0: "wins", 0.5: "ties", 0.0: "losses"}[SCORE[v]]] += 1
            if views.get("ab") is not None and views.get("ba") is not None:
                both += 1
                consistent += views["ab"] == views["ba"]
            groups.append(self._battles(rec, name))
        out = {"win_rate": stats.win_rate(games) if games else float("nan"),
               "position_consistency": 100.0 * consistent / both if both else float("nan"),
               **{k: float(v) for k, v in counts.items()}}
        if self.scoring == "bt":
            def score(battles):
                if not battles:
                    return float("nan")
                return 100.0 * stats.win_probability(stats.bradley_terry(battles), CANDIDATE, BASELINE)

            out["score"] = score([b for g in groups for b in g])
            out["ci_low"], out["ci_high"] = stats.bootstrap_interval([g for g in groups if g], score,
                                                                     self.rounds, self.seed)
        return out

    def aggregate(self, records, context) -> dict:
        names: list[str] = []
        for rec in records.values():
            names += [n for n in rec.get("judgements", {}) if n not in names]
        per_judge = {n: self._judge_scores(records, n) for n in names}
        first = "score" if self.scoring == "bt" else "win_rate"
        order = [first, *(k for k in ("win_rate", "ci_low", "ci_high", "position_consistency",
                                      "wins", "ties", "losses") if k != first)]
        metrics: dict[str, float] = {}
        for k in order:
            vals = [d[k] for d in per_judge.values() if k in d and not math.isnan(d[k])]
            if vals or k == first:
                metrics[k] = math.fsum(vals) / len(vals) if vals else float("nan")
        if len(per_judge) > 1:
            for n, d in per_judge.items():
                metrics[f"{first}[{n}]"] = d[first]
        bad, total = unparseable_note(records.values())
        notes = [f"{len(records)} of {len(context.samples)} pairs judged in both orders against "
                 f"{self.baseline or 'the baseline'}; {bad} of {total} judgements unparseable (excluded from the score)",
                 f"position consistency {metrics.get('position_consistency', float('nan')):.1f}% "
                 f"(pairs with the same verdict in both orders)"]
        if self.scoring == "bt" and "ci_low" in metrics:
            notes.append(f"score {metrics['score']:.1f}, 95% interval [{metrics['ci_low']:.1f}, "
                         f"{metrics['ci_high']:.1f}] (Bradley-Terry vs {self.baseline}, "
                         f"{self.rounds} bootstrap rounds, seed {self.seed})")
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        info = {"judges": names, "judged": len(records), "unparseable": bad, "judgements": total,
                "templates": self.evaluation_key(context)[1], "baseline": self.baseline, "per_judge": per_judge}
        if len(names) > 1:
            info["agreement"] = _agreement(records.values(), names)
            notes.append(f"{len(names)} judges ({', '.join(names)}), score = their mean; they give the same "
                         f"verdict on {info['agreement']:.1f}% of the games all of them parsed")
        return {**metrics, "notes": notes, "info": info}


def _agreement(records, names) -> float:
    same = both = 0
    for rec in records:
        for order in ("ab", "ba"):
            vals = [((rec["judgements"].get(n) or {}).get(order) or {}).get("verdict") for n in names]
            if all(v is not None for v in vals):
                both += 1
                same += len(set(vals)) == 1
    return 100.0 * same / both if both else float("nan")
