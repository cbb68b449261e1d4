"""Model vs model: the run's candidates judged against each other on a pairwise dataset.

``--pairwise all`` judges every pair of the run's models; ``--baseline MODEL`` each model
against that one of them. As with the shipped baseline, every pair of answers is judged in
both orders (each order one game, a strong verdict three games when ``scoring = "bt"``).
One Bradley–Terry fit over all the games gives every model a rating (Elo scale, +400 is
ten-to-one odds; with ``--pairwise all`` 1000 is the mean model, with ``--baseline MODEL`` the
baseline is 1000, as arena-hard-auto anchors its baseline), and a seeded bootstrap over questions (all the
games of a resampled question move together) gives each rating its 95% interval. With a
baseline, each model's score is its fitted probability of beating the baseline, in %.
Judgements go through :func:`compass_judge.common.settle`: the judgement cache means a rerun
or a run that adds one model judges only the pairs it has not seen.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Mapping

from compass.sdk import CompassError

from compass_judge import stats
from compass_judge.common import settle, unparseable_note
from compass_judge.verdicts import swap

SCORE = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}
ELO = 400.0 / math.log(10.0)  # natural-log strength -> Elo points


def plan_pairs(settings: Mapping[str, Any], models: list[str]) -> list[tuple[str, str]] | None:
    """The model pairs the run asks for (None: no model-vs-model comparison); refuses what
    cannot be compared, in one line."""
    mode, baseline = settings.get("pairwise"), settings.get("baseline")
    if not mode and not baseline:
        return None
    if mode and str(mode) != "all":
        raise CompassError(f"--pairwise {mode}: the only value is 'all' (every pair of the run's models); "
                           f"to compare each model with one of them use --baseline MODEL")
    if mode and baseline:
        raise CompassError("--pairwise all and --baseline both given: pick one (all pairs, or each model "
                           "against the baseline)")
    if baseline:
        if baseline not in models:
            raise CompassError(f"--baseline {baseline}: not one of the run's models ({', '.join(models)}); "
                               f"add it with -m, or name one of them")
        if len(models) < 2:
            raise CompassError(f"--baseline {baseline}: there is no other model to compare with it; "
                               f"add the candidates with -m")
        return [(m, baseline) for m in models if m != baseline]
    if len(models) < 2:
        raise CompassError(f"--pairwise all needs two or more models, the run has one ({models[0]}): add models "
                           f"with -m, or drop --pairwise to judge against the dataset's shipped baseline")
    return list(itertools.combinations(models, 2))


def questions_for(pairs, samples_by_model, question_field: str, template, judge_names):
    """Each judge's questions — key ``(a, b, index, order)`` — and each key's number of parts."""
    questions: dict[str, list] = {n: [] for n in judge_names}
    parts: dict[tuple, int] = {}
    for a, b in pairs:
        left = {s.index: s for s in samples_by_model[a] if s.error is None}
        right = {s.index: s for s in samples_by_model[b] if s.error is None}
        for index in sorted(left.keys() & right.keys()):
            q = left[index].row[question_field]
            ans_a, ans_b = left[index].answer or "", right[index].answer or ""
            for n in judge_names:
                questions[n] += [
                    (((a, b, index), "ab"), template, {"question": q, "answer_a": ans_a, "answer_b": ans_b}),
                    (((a, b, index), "ba"), template, {"question": q, "answer_a": ans_b, "answer_b": ans_a})]
            parts[(a, b, index)] = 2
    return questions, parts


def battles_of(key: tuple, judgements: dict, strong_weight: float) -> list[stats.Battle]:
    """The games of one judged pair: with ``a`` as A in order ``ab``, as B in ``ba``."""
    a, b, _ = key
    out = []
    for parts in judgements.values():
        for order, p in parts.items():
            verdict = p.get("verdict")
            if verdict is None:
                continue
            if isinstance(verdict, (int, float)):  # a preference: the probability that A is better
                out.append((a, b, float(verdict) if order == "ab" else 1.0 - float(verdict), 1.0))
                continue
            view = verdict if order == "ab" else swap(verdict)
            out.append((a, b, SCORE[view], strong_weight if ">>" in view else 1.0))
    return out


def compare(pairwise, samples_by_model: dict[str, list], context) -> dict | None:
    """What :class:`compass_judge.pairwise.PairwiseJudge.compare_models` returns."""
    models = list(samples_by_model)
    pairs = plan_pairs(context.settings, models)
    if pairs is None:
        return None
    template = pairwise.template(pairwise.template_name, context)
    names = pairwise.judge_names(context)
    questions, parts = questions_for(pairs, samples_by_model, pairwise.question, template, names)
    weight = pairwise.strong_weight if pairwise.scoring in ("bt", "arena-v0.1", "arena-v2") else 1.0
    records: dict[tuple, dict] = {}
    for key, judgements in settle(context, questions, parts):
        records[key] = {"judgements": judgements}
    by_question: dict[int, list[stats.Battle]] = {}
    consistent = both = 0
    for key, rec in sorted(records.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        by_question.setdefault(key[2], []).extend(battles_of(key, rec["judgements"], weight))
        for parts_ in rec["judgements"].values():
            ab, ba = (parts_.get(o, {}).get("verdict") for o in ("ab", "ba"))
            if ab is not None and ba is not None:
                both += 1
                if isinstance(ab, (int, float)):  # preferences: the same side preferred in both orders
                    consistent += (ab > 0.5, ab < 0.5) == (ba < 0.5, ba > 0.5)
                else:
                    consistent += ab == swap(ba)
    groups = [g for _, g in sorted(by_question.items()) if g]
    battles = [b for g in groups for b in g]
    baseline = context.settings.get("baseline")

    def ratings(sample: list[stats.Battle]) -> dict[str, float]:
        fitted = stats.bradley_terry(sample)
        anchor = fitted.get(baseline, 0.0) if baseline else 0.0  # the baseline at 1000, as upstream
        out = {f"rating:{m}": 1000.0 + ELO * (fitted[m] - anchor) if m in fitted else float("nan") for m in models}
        if baseline:
            for m in models:
                ok = m in fitted and baseline in fitted
                out[f"vs:{m}"] = 100.0 * stats.win_probability(fitted, m, baseline) if ok else float("nan")
        return out

    point = ratings(battles) if battles else {}
    intervals = stats.bootstrap_intervals(groups, ratings, pairwise.rounds, pairwise.seed) if groups else {}
    games = {m: 0.0 for m in models}
    won = {m: 0.0 for m in models}
    for a, b, s, w in battles:
        games[a] += w
        games[b] += w
        won[a] += w * s
        won[b] += w * (1.0 - s)
    table: dict[str, dict[str, float]] = {}
    for m in models:
        row = {"rating": point.get(f"rating:{m}", float("nan"))}
        row["ci_low"], row["ci_high"] = intervals.get(f"rating:{m}", (float("nan"), float("nan")))
        if baseline:
            row[f"vs_{baseline}"] = point.get(f"vs:{m}", float("nan")) if m != baseline else 50.0
        row["win_rate"] = 100.0 * won[m] / games[m] if games[m] else float("nan")
        row["games"] = games[m]
        table[m] = row
    bad, total = unparseable_note(records.values())
    pairs_text = "every pair of models" if not baseline else f"each model against {baseline}"
    notes = [f"{len(records)} of {len(parts)} answer pairs judged in both orders ({pairs_text}); "
             f"{bad} of {total} judgements unparseable (excluded from the ratings)",
             f"position consistency {100.0 * consistent / both if both else float('nan'):.1f}% "
             f"(pairs with the same verdict in both orders)"]
    scale = f"{baseline} = 1000" if baseline else "mean 1000"
    method = (f"Bradley-Terry ratings (Elo scale, {scale}) with 95% bootstrap intervals "
              f"({pairwise.rounds} rounds over questions, seed {pairwise.seed}); judge(s): {', '.join(names)}")
    info = {"pairs": [list(p) for p in pairs], "judges": names, "judged": len(records), "unparseable": bad,
            "judgements": total, "position_consistency": 100.0 * consistent / both if both else None,
            "strong_weight": weight}
    return {"ratings": table, "method": method, "notes": notes, "info": info,
            "incomplete": len(parts) - len(records)}
