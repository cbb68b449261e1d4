"""What a judge's reply says: the one place that decides a verdict.

Two ways to read a reply. By default (``judge_parser = "reference"``) an official template's
reply is read exactly as its reference implementation reads it (:func:`parse_reference`):

* ``fastchat`` (MT-Bench, ``fastchat/llm_judge/common.py``): a rating is the *first*
  ``[[n]]``, else the first ``[n]`` (any number, no scale check); a pairwise verdict is
  ``[[A]]`` if the reply contains it anywhere, else ``[[B]]``, else ``[[C]]`` (a tie);
* ``arena-v0.1`` (``gen_judgment.py`` of arena-hard-auto v0.1): every ``[[…]]`` of the letters
  ``AB<>=``; one distinct label is the verdict (only the five official labels count, any other
  drops the game), several distinct labels drop the game, none is re-asked once with the
  reference's follow-up;
* ``arena-v2`` (arena-hard-auto v2): the reply upper-cased, the *last* ``[[…]]`` label (else the
  last ``[…]``); ``A<B``-style spellings are the same verdict, anything else drops the question;
* ``alignbench`` (THUDM/AlignBench ``judge.py``): the dictionary in the last braces on one line,
  ``'维度': 整数`` pairs, its ``综合得分``, else the first ``'综合得分': x`` anywhere;
* ``alpaca-clf`` (AlpacaEval 2.0's classifier): the probability that ``m`` (output 1) is
  preferred, from the first token's top log-probabilities when the API returns them (``m`` vs
  ``M``), else 1 / 0 for a reply that is exactly ``m`` / ``M``.

``judge_parser = "forgiving"`` reads every reply with compass's own parser (below), as compass's
own templates always are. Either way a reply without a verdict is unparseable (``None``),
counted and reported, never a zero or a loss.

The forgiving parser is anchored: of every well-formed verdict in the reply, the *last* one counts (a
judge that quotes the format, "e.g. Rating: [[5]]", or reasons about "A" before concluding
is read by its conclusion). A reply with no well-formed verdict is unparseable (``None``),
never a zero or a loss.

* ratings (1–10): ``[[8]]``, ``[[7.5]]``, ``Rating: 7/10``, ``Rating: [[6]]``, ``评分：[[6]]``,
  ``评分：6分``, ``Score: 9``; a number outside the scale is not well-formed;
* several dimensions (AlignBench): the last ``{'维度': 分数, …, '综合得分': 分数}`` dict-like block
  whose overall score (``综合得分``, or ``overall``) is on the scale, else a labelled
  ``综合得分：7``; the verdict is ``{"overall": 7.0, "维度": 分数, …}``;
* correct or not (an objective answer checked by a judge): ``[[CORRECT]]`` / ``[[INCORRECT]]``
  (``[[正确]]`` / ``[[错误]]``), as ``True`` / ``False``;
* pairwise: ``[[A>>B]]``, ``[[A>B]]``, ``[[A=B]]``, ``[[B>A]]``, ``[[B>>A]]`` (also ``<``
  spellings and ``[[B=A]]``), and ``[[A]]`` / ``[[B]]`` / ``[[C]]`` (C: a tie).
"""

from __future__ import annotations

import math
import re

PAIR_VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")

_BRACKET_NUMBER = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*(?:/\s*10\s*)?\]\]")
_LABELLED_NUMBER = re.compile(
    r"(?:rating|score|评分|得分|打分|分数)\s*(?:is|为|是)?\s*[:：]?\s*\[?\[?\s*(\d+(?:\.\d+)?)\s*\]?\]?"
    r"\s*(?:/\s*10|分)?", re.IGNORECASE)
_PAIR = re.compile(r"\[\[\s*([AB])\s*(>>|>|=|<<|<)\s*([AB])\s*\]\]")
_LETTER = re.compile(r"\[\[\s*([ABC])\s*\]\]")


def parse_rating(text: str | None, low: float = 1.0, high: float = 10.0) -> float | None:
    """The last well-formed rating on the ``low``–``high`` scale in ``text``, or ``None``."""
    if not text:
        return None
    found: list[tuple[int, float]] = []
    for pattern in (_BRACKET_NUMBER, _LABELLED_NUMBER):
        for m in pattern.finditer(text):
            value = float(m.group(1))
            if low <= value <= high:
                found.append((m.start(), value))
    return max(found)[1] if found else None


_BLOCK = re.compile(r"\{[^{}]*\}")
_PAIR_ENTRY = re.compile(r"[\"'“”‘’]?([^\"'“”‘’:：,，{}]+?)[\"'“”‘’]?\s*[:：]\s*(\d+(?:\.\d+)?)")
_OVERALL_KEYS = ("综合得分", "overall")
_OVERALL = re.compile(r"(?:综合得分|overall(?: score)?)\s*[\"'”’]?\s*[:：]\s*\[?\[?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_dimensions(text: str | None, low: float = 1.0, high: float = 10.0) -> dict | None:
    """The last well-formed multi-dimensional verdict: ``{"overall": x, dimension: score, …}``."""
    if not text:
        return None
    for block in reversed(_BLOCK.findall(text)):
        scores = {k.strip(): float(v) for k, v in _PAIR_ENTRY.findall(block)}
        overall = next((scores.pop(k) for k in list(scores) if k.lower() in _OVERALL_KEYS), None)
        if overall is not None and low <= overall <= high and all(low <= v <= high for v in scores.values()):
            return {"overall": overall, **scores}
    found = [float(m.group(1)) for m in _OVERALL.finditer(text) if low <= float(m.group(1)) <= high]
    return {"overall": found[-1]} if found else None


_BINARY = re.compile(r"\[\[\s*(CORRECT|INCORRECT|正确|错误)\s*\]\]", re.IGNORECASE)


def parse_binary(text: str | None) -> bool | None:
    """The last ``[[CORRECT]]`` / ``[[INCORRECT]]`` label in ``text`` as a bool, or ``None``."""
    found = _BINARY.findall(text or "")
    return found[-1].upper() in ("CORRECT", "正确") if found else None


def _normalise(left: str, op: str, right: str) -> str | None:
    if left == right:
        return None
    if op in ("<", "<<"):  # A<B is B>A
        left, right, op = right, left, op.replace("<", ">")
    if op == "=":
        return "A=B"
    return f"{left}{op}{right}"


def parse_pairwise(text: str | None) -> str | None:
    """The last well-formed pairwise verdict in ``text`` as one of :data:`PAIR_VERDICTS`."""
    if not text:
        return None
    found: list[tuple[int, str]] = []
    for m in _PAIR.finditer(text):
        v = _normalise(*m.groups())
        if v is not None:
            found.append((m.start(), v))
    for m in _LETTER.finditer(text):
        found.append((m.start(), {"A": "A>B", "B": "B>A", "C": "A=B"}[m.group(1)]))
    return max(found)[1] if found else None


def parse(kind: str, text: str | None):
    """The verdict of a reply to a template of ``kind`` (``rating``, ``dimensions`` or ``pairwise``)."""
    if kind == "dimensions":
        return parse_dimensions(text)
    if kind == "binary":
        return parse_binary(text)
    return parse_rating(text) if kind == "rating" else parse_pairwise(text)


def swap(verdict: str) -> str:
    """The same verdict with the positions exchanged (``A>>B`` → ``B>>A``; a tie stays ``A=B``)."""
    return verdict if verdict == "A=B" else verdict.translate(str.maketrans("AB", "BA"))


# -- the reference implementations' parsers ------------------------------------------------

PARSERS = ("fastchat", "arena-v0.1", "arena-v2", "alignbench", "alpaca-clf", "compass")

_FC_ONE = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_FC_ONE_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")
_ARENA_V01 = re.compile(r"\[\[([AB<>=]+)\]\]")
_ARENA_V2 = (re.compile(r"\[\[([AB<>=]+)\]\]"), re.compile(r"\[([AB<>=]+)\]"))
# arena-hard v2's label table (show_result.py): the ``<`` spellings are the same verdicts
_ARENA_LABELS = {"A>B": "A>B", "A>>B": "A>>B", "A=B": "A=B", "A<<B": "B>>A", "A<B": "B>A", "B>A": "B>A",
                 "B>>A": "B>>A", "B=A": "A=B", "B<<A": "A>>B", "B<A": "A>B"}
_AB_LAST_BRACES = re.compile(r"{(.*?)}(?![^{]*{)")
_AB_PAIR = re.compile(r"'(.*?)': (\d+)")
_AB_OVERALL = re.compile(r"'综合得分': (\d+(\.\d{1,2})?)")


def fastchat_rating(text: str | None) -> float | None:
    """FastChat's single-answer rating: the first ``[[n]]``, else the first ``[n]``."""
    match = _FC_ONE.search(text or "") or _FC_ONE_BACKUP.search(text or "")
    return float(match.group(1)) if match else None


def fastchat_pair(text: str | None) -> str | None:
    """FastChat's ``[[A]]``/``[[B]]``/``[[C]]`` verdict: whichever label appears, in that precedence."""
    text = text or ""
    for label, verdict in (("[[A]]", "A>B"), ("[[B]]", "B>A"), ("[[C]]", "A=B")):
        if label in text:
            return verdict
    return None


def arena_v01(text: str | None) -> tuple[str | None, bool]:
    """(verdict, whether any label was found) as arena-hard v0.1 reads a reply."""
    labels = {m.strip("\n") for m in _ARENA_V01.findall(text or "") if m}
    if not labels:
        return None, False
    if len(labels) > 1:
        return None, True
    (label,) = labels
    return (label if label in PAIR_VERDICTS else None), True


def arena_v2(text: str | None) -> str | None:
    """arena-hard v2's verdict: the last label of the first pattern that matches the upper-cased reply."""
    upper = (text or "").upper()
    for pattern in _ARENA_V2:
        found = [m for m in pattern.findall(upper) if m]
        if found:
            return _ARENA_LABELS.get(found[-1].strip("\n"))
    return None


def alignbench(text: str | None) -> dict | None:
    """AlignBench's reading: ``{"overall": 综合得分, 维度: 分数, …}`` or ``None``."""
    text = text or ""
    scores: dict = {}
    block = _AB_LAST_BRACES.search(text)
    if block:
        scores = {k: int(v) for k, v in _AB_PAIR.findall(block.group(1))}
    overall = scores.pop("综合得分", None)
    if overall is None:
        match = _AB_OVERALL.search(text)
        if not match:
            return None
        overall = float(match.group(1))
    return {"overall": float(overall), **{k: float(v) for k, v in scores.items()}}


def alpaca_clf(text: str | None, top_logprobs=None) -> float | None:
    """AlpacaEval 2.0's preference for output 1 (``m``): P(m) / (P(m) + P(M)) from the first
    token's top log-probabilities when given, else 1.0 / 0.0 for a reply of exactly ``m`` / ``M``."""
    if top_logprobs:
        seen = {t: lp for t, lp in top_logprobs if t in ("m", "M")}
        if not seen:
            return None
        lm, lM = seen.get("m", -math.inf), seen.get("M", -math.inf)
        top = max(lm, lM)
        pm, pM = math.exp(lm - top), math.exp(lM - top)
        return pm / (pm + pM)
    reply = (text or "").strip()
    return 1.0 if reply == "m" else 0.0 if reply == "M" else None


def parse_reference(parser: str, kind: str, text: str | None, top_logprobs=None):
    """The verdict of a reply read by the reference implementation's parser ``parser``."""
    if parser == "fastchat":
        return fastchat_rating(text) if kind == "rating" else fastchat_pair(text)
    if parser == "arena-v0.1":
        return arena_v01(text)[0]
    if parser == "arena-v2":
        return arena_v2(text)
    if parser == "alignbench":
        return alignbench(text)
    if parser == "alpaca-clf":
        return alpaca_clf(text, top_logprobs)
    return parse(kind, text)


def read(template, text: str | None, mode: str = "reference", top_logprobs=None):
    """The verdict of a reply to ``template``: its reference parser, or the forgiving one."""
    if mode == "forgiving" and template.kind != "preference":
        return parse(template.kind, text)
    return parse_reference(template.parser, template.kind, text, top_logprobs)


def reask(template, text: str | None, mode: str = "reference") -> str:
    """What an unparseable reply is followed up with ('' = not re-asked): the reference's own
    follow-up (arena-hard v0.1 only, and only when the reply has no label at all), or the
    forgiving parser's reminder."""
    if mode == "forgiving":
        return template.reminder if template.kind != "preference" else ""
    if template.parser == "compass":
        return template.reminder
    if template.parser == "arena-v0.1" and template.reask and not arena_v01(text)[1]:
        return template.reask
    return ""
