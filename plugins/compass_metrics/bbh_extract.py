"""BBH answer extraction: what follows the last "So the answer is"."""

from __future__ import annotations

import re

_SAID = re.compile(r"(?i)answer is\s*:?\s*")
_LETTER = re.compile(r"\(([A-R])\)")


def bbh(text: str, mcq: bool = False) -> str:
    """The final answer of a BBH response, or ``""``.

    The text after the last "the answer is" (a direct answer: the whole text), up to the end
    of its line, without surrounding blanks, ``**`` emphasis or a final period; spaces are
    collapsed (Dyck and word-sorting answers compare token by token). For multiple-choice
    tasks (``mcq=True``) the option is given as ``(X)``: ``(B)``, ``B``, ``B)`` or
    ``(B) blue`` all give ``(B)``.
    """
    if not text:
        return ""
    cut = text.find("\n\nQ:")
    if cut >= 0:
        text = text[:cut]
    said = list(_SAID.finditer(text))
    tail = text[said[-1].end():] if said else text.strip()
    tail = tail.strip().split("\n")[0]
    tail = tail.replace("**", "").strip()
    if mcq:
        m = _LETTER.search(tail)
        if m:
            return f"({m.group(1)})"
        m = re.match(r"([A-R])(?:[).:,]|$)", tail)
        return f"({m.group(1)})" if m else ""
    tail = re.sub(r"\.$", "", tail.strip()).strip()
    return " ".join(tail.split())
