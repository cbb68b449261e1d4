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


def bradley_terry(battles: Sequence[Battle], iters: int = 500, tol: float = 1e-10) -> dict[str, float]:
    """Log-strengths (natural log, mean 0 over players) of a weighted Bradley–Terry fit.

    A player that won (or lost) every game has no finite maximum-likelihood strength; its
    rating is where the iterations stop (capped at ±20), which keeps the order right.
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


def bootstrap_interval(groups: Sequence[Sequence[Battle]], statistic: Callable[[list[Battle]], float],
                       rounds: int = 100, seed: int = 0) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of ``statistic`` over ``rounds`` resamples of ``groups``
    (a group: one question's battles), drawn with numpy's seeded generator."""
    if not groups:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(groups), len(groups))
        values.append(statistic([b for k in pick for b in groups[k]]))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
