"""Verdict extraction: the last well-formed verdict, English and Chinese forms, unparseable = None."""

from __future__ import annotations

import pytest

from compass_judge.verdicts import parse_pairwise, parse_rating, swap


@pytest.mark.parametrize("reply, value", [
    ("Good answer. Rating: [[8]]", 8.0),
    ('The format is "[[rating]]", e.g. "Rating: [[5]]". My rating: [[7]]', 7.0),
    ("Rating: 7/10", 7.0),
    ("评分：[[6]]", 6.0),
    ("综合评分：6分", 6.0),
    ("[[3]] at first, but on reflection [[9.5]]", 9.5),
    ("[[11]] is off the scale; Rating: [[4]]", 4.0),
    ("Rating: [[4]] ... [[11]]", 4.0),
    ("A fine answer, nothing more to say.", None),
    ("", None),
])
def test_rating(reply, value):
    assert parse_rating(reply) == value


@pytest.mark.parametrize("reply, verdict", [
    ("Assistant A starts well, but B is correct. [[B>A]]", "B>A"),
    ("[[A>>B]]", "A>>B"), ("[[A=B]]", "A=B"), ("[[B=A]]", "A=B"), ("[[A<<B]]", "B>>A"),
    ("Format: [[A]], [[B]] or [[C]]. Final verdict: [[B]]", "B>A"),
    ("[[C]]", "A=B"),
    ("A is better than B in every way.", None),  # a bare letter is not a verdict
    ("[[A>A]]", None),
])
def test_pairwise(reply, verdict):
    assert parse_pairwise(reply) == verdict


def test_swap():
    assert [swap(v) for v in ("A>>B", "A>B", "A=B", "B>A")] == ["B>>A", "B>A", "A=B", "A>B"]
