"""One program per sample: the model's code between the row's setup and its tests.

A code row has ``prompt`` (what the model was shown; for base models the start of the
program), ``tests``, and optionally ``setup`` (code run first: imports, MBPP's setup
code) and ``entry_point`` (the function the tests check). The program is::

    setup + (prompt, when the model completes it) + answer + tests + check(entry_point)

``check(entry_point)`` is appended when the tests define ``check`` (HumanEval style). A
chat model's answer that does not define the entry point is taken as the function's body
and put after the prompt.
"""

from __future__ import annotations

import re
from typing import Mapping


def build_program(answer: str, row: Mapping, completion: bool) -> str:
    entry = str(row.get("entry_point") or "")
    tests = str(row.get("tests") or "")
    answer = answer or ""
    if not completion and entry and not re.search(rf"\bdef\s+{re.escape(entry)}\s*\(", answer):
        completion = True  # a body without its signature
    parts = [str(row.get("setup") or "")]
    parts.append(str(row.get("prompt") or "") + answer if completion else answer)
    parts.append(tests)
    if entry and re.search(r"^def\s+check\s*\(", tests, re.MULTILINE):
        parts.append(f"check({entry})")
    return "\n".join(p.rstrip("\n") for p in parts if p) + "\n"
