"""``gaokao``: GAOKAO-Bench's objective questions scored in exam points.

A question record has one or more sub-answers (``answer``: ``["C", "A", "D"]``) worth
``score`` points each, and a ``type`` (from the benchmark's ``Obj_Prompt.json``) that says
how the reply is read:

* ``single_choice``: the letter in ``【答案】… <eoa>``, else the last of A-D in the reply;
* ``multi_choice`` (physics, several letters may be right): the letters A-D after
  ``【答案】`` (to ``<eoa>``), else those in the reply's last ten characters;
* ``multi_question_choice``: one letter per ``【答案】``; if their number differs from the
  number of sub-questions, the first option letters of the reply;
* ``five_out_of_seven``: the first five of A-G (after ``【答案】`` when present).

Points as the benchmark counts them: each sub-answer equal to the gold earns its points; a
reply with another number of sub-answers than the question earns nothing; in physics a
choice that misses a right letter but has no wrong one earns half. A subset's ``score`` is
the points earned as a percentage of the points available; each sample's record keeps its
``points``, ``max_points`` and the ``extracted`` answers.
"""

from __future__ import annotations

import re

TYPES = ("single_choice", "multi_choice", "multi_question_choice", "five_out_of_seven")


def _answer_part(text: str) -> str | None:
    at = text.find("【答案】")
    if at < 0:
        return None
    part = text[at + len("【答案】"):]
    end = part.find("<eoa>")
    return part[:end] if end >= 0 else part


def extract(text: str, kind: str, count: int) -> list[str]:
    """The reply's answers for a question of type ``kind`` with ``count`` sub-answers."""
    text = text or ""
    if kind == "single_choice":
        part = _answer_part(text)
        found = re.findall(r"[A-D]", part) if part is not None else []
        if found:
            return [found[0]]
        last = re.findall(r"[A-D]", text)
        return [last[-1]] if last else []
    if kind == "multi_choice":
        flat = re.sub(r"\s+", "", text)
        part = _answer_part(flat)
        letters = re.findall(r"[A-D]", part if part is not None else flat[-10:])
        return ["".join(sorted(set(letters)))] if letters else []
    if kind == "multi_question_choice":
        said = re.findall(r"【答案】\s*[:：]*\s*([A-Z])", text)
        if len(said) == count:
            return said
        loose = re.findall(r"(?<![A-Za-z])([A-D])(?![A-Za-z])", text)
        return loose[:count]
    if kind == "five_out_of_seven":
        part = _answer_part(text)
        return re.findall(r"[A-G]", part if part is not None else text)[:5]
    raise ValueError(f"unknown GAOKAO question type {kind!r} (one of {', '.join(TYPES)})")


def points(got: list[str], gold: list[str], each: float, kind: str) -> float:
    """Points earned by ``got`` against ``gold`` (``each`` per sub-answer)."""
    if len(got) != len(gold):
        return 0.0
    earned = 0.0
    for g, ref in zip(got, gold):
        if g == ref:
            earned += each
        elif kind == "multi_choice" and g and all(ch in ref for ch in g):
            earned += each / 2
    return earned


class Gaokao:
    """Per sample: extract by the row's ``type``, earn points; aggregate: percent of points."""

    def score_samples(self, samples, context):
        for s in samples:
            gold = [str(a) for a in (s.gold or [])]
            each = float(s.row.get("score") or 1)
            got = [] if s.error else extract(str(s.answer or ""), str(s.row.get("type")), len(gold))
            earned = points(got, gold, each, str(s.row.get("type")))
            top = each * len(gold)
            yield s.index, {"correct": bool(gold) and earned == top, "points": earned, "max_points": top,
                            "extracted": got}

    def aggregate(self, records, context):
        earned = top = 0.0
        for s in context.samples:
            rec = records.get(s.index) or {}
            earned += float(rec.get("points", 0.0))
            top += float(rec.get("max_points", float(s.row.get("score") or 1) * len(s.gold or [])))
        return {"score": 100.0 * earned / top if top else 0.0}
