"""Short-answer extraction for open questions (NQ-Open, TriviaQA-style)."""

from __future__ import annotations


def first_line(text: str) -> str:
    """The first non-blank line of the reply, without a leading ``A:``/``Answer:``."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            for cue in ("Answer:", "A:"):
                if line.startswith(cue):
                    line = line[len(cue):].strip()
            return line
    return ""
