"""What a judge's reply says: the one place that decides a verdict.

Extraction is anchored: of every well-formed verdict in the reply, the *last* one counts (a
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
