"""Answer extraction: raw model output -> the answer an evaluator compares."""

from __future__ import annotations

import re


def first_capital(text: str, options: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
    """The first capital letter of ``options`` found in ``text``, or ``""``."""
    for ch in text:
        if ch in options:
            return ch
    return ""
