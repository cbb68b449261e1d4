"""Scores from pairwise outcomes: win rate, Bradley–Terry ratings, a seeded bootstrap.

A *battle* is ``(a, b, score_a, weight)``: ``score_a`` is 1 (a won), 0.5 (tie) or 0 (b won);
``weight`` counts it as that many games (Arena-Hard counts a strong verdict ``A>>B`` as three
wins). The Bradley–Terry fit is the maximum-likelihood one by Hunter's MM iterations, ties
counted as half a win for each side.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

Battle = tuple[str, str, float, float]


def win_rate(scores: Sequence[float]) -> float | None:
    """100 × the mean of per-game scores (1 win, 0.5 tie, 0 loss); ``None`` for no games."""
    return 100.0 * math.fsum(scores) / len(scores) if scores else None


def bradley_terry(battles: Sequence[Battle], iters: int = 500, tol: float = 1e-10,
                  prior: float = 1e-6) -> dict[str, float]:
    """Log-strengths (natural log, mean 0 over players) of a weighted Bradley–Terry fit.

    A player that won (or lost) every game has no finite maximum-likelihood strength, so
    every pair of players also plays ``prior`` of a tied game (a vanishing prior: it moves a
    fit with finite strengths by about ``prior`` relative, and keeps an all-wins player
    finite and in order — above one that lost a single game). Ratings are capped at ±20.
    """
    players = sorted({p for a, b, _, _ in battles for p in (a, b)})
    if not players:
        return {}
    idx = {p: i for i, p in enumerate(players)}
    n = len(players)
    wins = np.zeros(n)
    games = np.zeros((n, n))
    for a, b, s, w in battles:
        i, j = idx[a], idx[b]
        wins[i] += w * s
        wins[j] += w * (1.0 - s)
        games[i, j] += w
        games[j, i] += w
    if n > 1 and prior > 0:
        wins += prior * (n - 1) / 2.0
        games += prior * (1.0 - np.eye(n))
    strength = np.ones(n)
    for _ in range(iters):
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        new = np.where(denom > 0, np.maximum(wins, 1e-300) / np.where(denom > 0, denom, 1.0), strength)
        new = new / math.exp(np.mean(np.log(new)))
        done = np.max(np.abs(np.log(new) - np.log(strength))) < tol
        strength = new
        if done:
            break
    logs = np.clip(np.log(strength), -20.0, 20.0)
    return {p: float(logs[idx[p]]) for p in players}


def win_probability(ratings: dict[str, float], a: str, b: str) -> float:
    """P(a beats b) under the fitted ratings."""
    return 1.0 / (1.0 + math.exp(ratings[b] - ratings[a]))


def bootstrap_intervals(groups: Sequence[Sequence[Battle]], statistic: Callable[[list[Battle]], dict[str, float]],
                        rounds: int = 100, seed: int = 0) -> dict[str, tuple[float, float]]:
    """For each key of ``statistic``'s dict, the 2.5th and 97.5th percentiles of its value over
    ``rounds`` resamples of ``groups`` (a group: one question's battles, kept together),
    drawn with numpy's seeded generator; resamples where a value is NaN are left out of it."""
    if not groups:
        return {}
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {}
    for _ in range(rounds):
        pick = rng.integers(0, len(groups), len(groups))
        for key, value in statistic([b for k in pick for b in groups[k]]).items():
            values.setdefault(key, []).append(value)
    out = {}
    for key, vals in values.items():
        finite = [v for v in vals if not math.isnan(v)]
        out[key] = tuple(float(x) for x in np.percentile(finite, [2.5, 97.5])) if finite else (float("nan"),) * 2
    return out


def bootstrap_interval(groups: Sequence[Sequence[Battle]], statistic: Callable[[list[Battle]], float],
                       rounds: int = 100, seed: int = 0) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of ``statistic`` over ``rounds`` resamples of ``groups``
    (a group: one question's battles), drawn with numpy's seeded generator."""
    if not groups:
        return (float("nan"), float("nan"))
    return bootstrap_intervals(groups, lambda sample: {"x": statistic(sample)}, rounds, seed)["x"]
