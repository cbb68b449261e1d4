"""Pairwise judging against a baseline's answers: AlpacaEval's win rates, Arena-Hard's score.

``scoring`` picks what is reported (:mod:`compass_judge.leaderboard` re-derives the references):

* ``alpaca`` (AlpacaEval 2.0, the default of ``alpaca_eval``): each instruction judged once, in
  AlpacaEval's seeded order; the candidate's preference (log-prob weighted when the judge API
  returns log-probs, else 0/1); win rate, its standard error, the discrete win rate and the
  length-controlled win rate;
* ``arena-v0.1`` / ``arena-v2`` (Arena-Hard, the default of ``arena_hard`` / ``arena_hard_v2``):
  both orders, a strong verdict three battles; v0.1's Bradley–Terry score with its bootstrap
  over battles (95%), v2's per-category score with its bootstrap (90%) where a question counts
  only when both games parsed, and optionally style control; several judges: their games pooled;
* ``winrate`` / ``bt``: compass's own (both orders; the mean game score, or a Bradley–Terry fit
  with a bootstrap over questions, several judges pooled).

Position consistency: the share of pairs whose two orders gave the same verdict (an always-A
judge: 0%); unparseable judgements are counted and reported, never scored.
"""

from __future__ import annotations

import math

from compass.sdk import CompassError

from compass_judge import arena, leaderboard, stats
from compass_judge.common import JudgedEvaluator, cached_count, settle, unparseable_note
from compass_judge.verdicts import swap

SCORE = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}
CANDIDATE, BASELINE = "candidate", "baseline"
SCORINGS = ("winrate", "bt", "alpaca", "arena-v0.1", "arena-v2")
STYLES = {"": (False, False), "both": (False, False), "length": (True, False), "markdown": (False, True)}


def candidate_view(order: str, verdict):
    """The verdict with the candidate as A (in order ``ba`` the candidate was B); for a
    preference (the probability that A is better) the candidate's probability."""
    if verdict is None:
        return None
    if isinstance(verdict, (int, float)):
        return float(verdict) if order == "ab" else 1.0 - float(verdict)
    return verdict if order == "ab" else swap(verdict)


def game_score(view) -> float:
    return float(view) if isinstance(view, float) else SCORE[view]


class PairwiseJudge(JudgedEvaluator):
    label = "alpaca_eval / arena_hard"

    def __init__(self, template: str = "pair-three", question: str = "question", scoring: str = "winrate",
                 templates: str = "", baseline: str = "", strong_weight: float = 3.0,
                 bootstrap_rounds: int = 100, seed: int = 0, first_game_only: bool = False,
                 category_templates: dict | None = None, style_control: str = ""):
        if scoring not in SCORINGS:
            raise CompassError(f"pairwise judge: scoring must be one of {', '.join(SCORINGS)}, got {scoring!r}")
        if style_control not in STYLES:
            raise CompassError(f"style_control {style_control!r}: pick length, markdown or both")
        self.template_name = template
        self.category_templates = dict(category_templates or {})
        self.template_names = tuple(dict.fromkeys([template, *self.category_templates.values()]))
        self.question = question
        self.scoring = scoring
        self.baseline = baseline
        self.strong_weight = strong_weight
        self.rounds = bootstrap_rounds
        self.seed = seed
        self.first_game_only = bool(first_game_only)
        self.style_control = style_control

    def _orders(self, row) -> tuple[str, ...]:
        if self.scoring == "alpaca":  # one order, drawn from the instruction as AlpacaEval draws it
            return ("ab",) if leaderboard.alpaca_switched(row[self.question]) else ("ba",)
        if self.first_game_only:  # arena-hard's game 1: the baseline as A
            return ("ba",)
        return ("ab", "ba")

    def score_samples(self, samples, context):
        names = self.judge_names(context)
        questions: dict[str, list] = {n: [] for n in names}
        todo = [s for s in samples if s.error is None]
        orders = {}
        for s in todo:
            template = self.template(self.category_templates.get(s.row.get("category"), self.template_name), context)
            q, mine, base = s.row[self.question], s.answer or "", s.row["baseline"]
            orders[s.index] = self._orders(s.row)
            for n in names:
                for order in orders[s.index]:
                    a, b = (mine, base) if order == "ab" else (base, mine)
                    questions[n].append(((s.index, order), template, {"question": q, "answer_a": a, "answer_b": b}))
        rows = {s.index: s for s in todo}
        for index, judgements in settle(context, questions, {i: len(o) for i, o in orders.items()}):
            games = [game_score(candidate_view(o, p["verdict"])) for parts in judgements.values()
                     for o, p in parts.items() if p["verdict"] is not None]
            rec = {"judgements": judgements, "correct": math.fsum(games) / len(games) if games else None}
            s = rows[index]
            if self.scoring == "alpaca":
                rec["lengths"] = [len(s.answer or ""), len(s.row["baseline"])]
            if s.row.get("category"):
                rec["category"] = s.row["category"]
            if self.style_control:
                rec["style"] = [leaderboard.style_meta(s.answer or ""), leaderboard.style_meta(s.row["baseline"])]
            yield index, rec

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

    def _views(self, rec: dict, name: str) -> dict:
        return {o: candidate_view(o, p["verdict"]) for o, p in (rec["judgements"].get(name) or {}).items()}

    def _battles(self, rec: dict, name: str) -> list[stats.Battle]:
        out = []
        for v in self._views(rec, name).values():
            if v is not None:
                weight = self.strong_weight if isinstance(v, str) and ">>" in v and self.scoring == "bt" else 1.0
                out.append((CANDIDATE, BASELINE, game_score(v), weight))
        return out

    def _counts(self, records: dict, names: list[str]) -> dict[str, float]:
        games, consistent, both = [], 0, 0
        counts = {"wins": 0, "ties": 0, "losses": 0}
        for _, rec in sorted(records.items()):
            for name in names:
                views = self._views(rec, name)
                for v in views.values():
                    if v is not None:
                        s = game_score(v)
                        games.append(s)
                        counts["wins" if s > 0.5 else "losses" if s < 0.5 else "ties"] += 1
                if views.get("ab") is not None and views.get("ba") is not None:
                    both += 1
                    consistent += views["ab"] == views["ba"]
        return {"win_rate": stats.win_rate(games) if games else float("nan"),
                "position_consistency": 100.0 * consistent / both if both else float("nan"),
                **{k: float(v) for k, v in counts.items()}}

    def _bt(self, records: dict, names: list[str]) -> dict[str, float]:
        groups = [[b for n in names for b in self._battles(rec, n)] for _, rec in sorted(records.items())]
        groups = [g for g in groups if g]

        def score(battles):
            if not battles:
                return float("nan")
            return 100.0 * stats.win_probability(stats.bradley_terry(battles), CANDIDATE, BASELINE)

        out = {"score": score([b for g in groups for b in g])}
        out["ci_low"], out["ci_high"] = stats.bootstrap_interval(groups, score, self.rounds, self.seed)
        return out

    def _arena_rows(self, records: dict, names: list[str]) -> tuple[list[float], list[int], int]:
        """The pooled battle scores (judge by judge, question by question: game 1 — the baseline
        as A — then game 2 for v0.1; game 2 then game 1 for v2), the index of each battle's
        record, and the questions v2 drops (a game unparseable)."""
        weight = int(self.strong_weight)
        out: list[float] = []
        owner: list[int] = []
        dropped = 0
        for name in names:
            for index, rec in sorted(records.items()):
                views = self._views(rec, name)
                if self.scoring == "arena-v2":
                    wanted = ("ba",) if self.first_game_only else ("ab", "ba")
                    if any(views.get(o) is None for o in wanted):
                        dropped += 1
                        continue
                    games = [views[o] for o in wanted]
                else:
                    games = [views.get(o) for o in ("ba", "ab") if o in views]
                got = leaderboard.arena_battles(games, weight)
                out += got
                owner += [index] * len(got)
        return out, owner, dropped

    def _style(self, records: dict, owner: list[int]):
        import numpy as np

        length_only, markdown_only = STYLES[self.style_control]
        cand = [records[i]["style"][0] for i in owner]
        base = [records[i]["style"][1] for i in owner]
        return np.asarray(leaderboard.style_features(cand, base, length_only, markdown_only))

    def _arena(self, records: dict, names: list[str]) -> tuple[dict[str, float], int]:
        rows, owner, dropped = self._arena_rows(records, names)
        fn = leaderboard.arena_v01 if self.scoring == "arena-v0.1" else leaderboard.arena_v2
        if self.style_control and rows:
            out = leaderboard.style_controlled(rows, self._style(records, owner), self.rounds, self.seed)
        else:
            out = fn(rows, self.rounds, self.seed)
        return {**out, "battles": float(len(rows))}, dropped

    def _alpaca(self, records: dict, names: list[str], context) -> dict[str, float]:
        prefs, cand_len, base_len, difficulty = [], [], [], []
        rows = {s.index: s.row for s in context.samples}
        for name in names:
            for index, rec in sorted(records.items()):
                views = [v for v in self._views(rec, name).values()]
                prefs.append(views[0] if views else None)
                cand_len.append(rec["lengths"][0])
                base_len.append(rec["lengths"][1])
                difficulty.append(rows.get(index, {}).get("difficulty"))
        out = leaderboard.alpaca_metrics(prefs)
        gamed = _gamed(rows.values())
        have = gamed is not None and all(d is not None for d in difficulty)
        out.update(leaderboard.length_controlled(prefs, cand_len, base_len, difficulty if have else None,
                                                 gamed if have else None))
        out["lc_glm"] = "length_controlled_v1" if have else "length_controlled_minimal"
        return out

    def _judge_scores(self, records: dict, names: list[str], context) -> dict[str, float]:
        out = self._counts(records, names)
        if self.scoring == "bt":
            out.update(self._bt(records, names))
        elif self.scoring in ("arena-v0.1", "arena-v2"):
            cats = sorted({rec.get("category", "") for rec in records.values()})
            if self.scoring == "arena-v2" and len(cats) > 1:
                for cat in cats:
                    got, dropped = self._arena({i: r for i, r in records.items() if r.get("category", "") == cat}, names)
                    out.update({f"{k}:{cat}": v for k, v in got.items()})
                    out[f"dropped:{cat}"] = float(dropped)
                head = "hard_prompt" if "hard_prompt" in cats else cats[0]
                for k in ("score", "ci_low", "ci_high"):
                    out[k] = out[f"{k}:{head}"]
                out["dropped"] = float(sum(out[f"dropped:{c}"] for c in cats))
            else:
                got, dropped = self._arena(records, names)
                out.update(got)
                out["dropped"] = float(dropped)
        elif self.scoring == "alpaca":
            out.update(self._alpaca(records, names, context))
        return out

    def aggregate(self, records, context) -> dict:
        names: list[str] = []
        for rec in records.values():
            names += [n for n in rec.get("judgements", {}) if n not in names]
        per_judge = {n: self._judge_scores(records, [n], context) for n in names}
        first = {"winrate": "win_rate", "alpaca": "length_controlled_winrate"}.get(self.scoring, "score")
        metrics: dict[str, float] = {}
        if self.scoring in ("bt", "arena-v0.1", "arena-v2") and names:  # several judges: their games pooled
            pooled = self._judge_scores(records, names, context)
            metrics = {first: pooled.pop(first), **pooled}
        else:  # several judges: the mean of theirs
            keys = [first, *dict.fromkeys(k for d in per_judge.values() for k in d if k != first)]
            for k in keys:
                vals = [d[k] for d in per_judge.values() if isinstance(d.get(k), float) and not math.isnan(d[k])]
                if vals or k == first:
                    metrics[k] = math.fsum(vals) / len(vals) if vals else float("nan")
        glm = next((d.get("lc_glm") for d in per_judge.values() if d.get("lc_glm")), None)
        metrics.pop("lc_glm", None)
        if len(per_judge) > 1:
            for n, d in per_judge.items():
                metrics[f"{first}[{n}]"] = d.get(first, float("nan"))
        bad, total = unparseable_note(records.values())
        orders = "once, in AlpacaEval's order," if self.scoring == "alpaca" else (
            "in one order (first game only)" if self.first_game_only else "in both orders")
        notes = [f"{len(records)} of {len(context.samples)} pairs judged {orders} against "
                 f"{self.baseline or 'the baseline'}; {bad} of {total} judgements unparseable (excluded from the score)"]
        if self.scoring != "alpaca" and not self.first_game_only:
            notes.append(f"position consistency {metrics.get('position_consistency', float('nan')):.1f}% "
                         f"(pairs with the same verdict in both orders)")
        notes += self._method_notes(metrics, glm, len(names))
        cached = cached_count(records.values())
        if cached:
            notes.append(f"{cached} of {total} judgements taken from the judgement cache (COMPASS_JUDGE_CACHE=0: off)")
        info = {"judges": names, "judged": len(records), "unparseable": bad, "judgements": total,
                "templates": self.evaluation_key(context)[1], "baseline": self.baseline, "scoring": self.scoring,
                "per_judge": per_judge}
        if glm:
            info["lc_glm"] = glm
        if len(names) > 1:
            info["agreement"] = _agreement(records.values(), names)
            how = "their games pooled" if self.scoring in ("bt", "arena-v0.1", "arena-v2") else "score = their mean"
            notes.append(f"{len(names)} judges ({', '.join(names)}), {how}; they give the same "
                         f"verdict on {info['agreement']:.1f}% of the games all of them parsed")
        return {**metrics, "notes": notes, "info": info}

    def _method_notes(self, m: dict, glm: str | None, judges: int) -> list[str]:
        if self.scoring == "alpaca":
            return [f"LC win rate {m.get('length_controlled_winrate', float('nan')):.2f} "
                    f"(SE {m.get('lc_standard_error', float('nan')):.2f}, GLM {glm}), win rate "
                    f"{m.get('win_rate', float('nan')):.2f} (SE {m.get('standard_error', float('nan')):.2f}), "
                    f"discrete {m.get('discrete_win_rate', float('nan')):.2f} (AlpacaEval 2.0)"]
        if "ci_low" not in m:
            return []
        if self.scoring == "bt":
            pct, how = "95%", f"Bradley-Terry vs {self.baseline}, {self.rounds} bootstrap rounds over questions"
        elif self.scoring == "arena-v0.1":
            pct, how = "95%", f"Arena-Hard v0.1 vs {self.baseline}, {self.rounds} bootstrap rounds over battles"
        else:
            style = f", style control: {self.style_control}" if self.style_control else ""
            pct, how = "90%", (f"Arena-Hard v2, {self.rounds} bootstrap rounds, {int(m.get('dropped', 0))} "
                               f"questions dropped (a game unparseable){style}")
        return [f"score {m['score']:.1f}, {pct} interval [{m['ci_low']:.1f}, {m['ci_high']:.1f}] ({how}, "
                f"seed {self.seed})"]


def _gamed(rows) -> dict | None:
    """AlpacaEval's gamed-baseline judgements (``df_gamed.csv``), carried by the rows in file order."""
    entries = sorted((e for r in rows for e in (r.get("gamed") or [])), key=lambda e: e[0])
    if not entries:
        return None
    return {"preference": [e[1] for e in entries], "std_delta_len": [e[2] for e in entries],
            "instruction_difficulty": [e[3] for e in entries]}


def _agreement(records, names) -> float:
    same = both = 0
    for rec in records:
        for order in ("ab", "ba"):
            vals = [((rec["judgements"].get(n) or {}).get(order) or {}).get("verdict") for n in names]
            if all(v is not None for v in vals):
                both += 1
                same += len(set(vals)) == 1
    return 100.0 * same / both if both else float("nan")
