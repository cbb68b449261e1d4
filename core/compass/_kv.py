"""The one ``key=value`` grammar of compass (flags and config strings alike).

``--model-kwargs device_map='auto' trust_remote_code=True``, ``--runner-kwargs
max_retries=3`` and a config file's ``model_kwargs = "revision='main'"`` are all read
by :func:`parse_kv`:

* a value is a dict (taken as is), a string, or a list of strings (one per shell word);
* a string is either a dict literal (``{"a": 1}``, JSON or Python) or items separated by
  blanks outside quotes and brackets (``a=1 b='x y' c=[1, 2]``);
* an item is ``key=value``: the key a name (dots allowed: ``lora.r=8``), the value a
  Python literal where it is one (``True``, ``8``, ``'auto'``, ``{0: '10GB'}``) and the
  plain text otherwise (``torch.bfloat16``).

Every mistake is a one-line :class:`~compass._errors.CompassError` naming the flag.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from compass._errors import CompassError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def parse_kv(value: Any, flag: str) -> dict:
    """``"a=1 b='x'"`` (or ``["a=1", "b='x'"]``, a dict literal, a dict) → ``{"a": 1, "b": "x"}``.

    :param flag: how the user gave the value (``--model-kwargs``, ``model_kwargs=``), named
        in error messages.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise CompassError(f"{flag}: keys must be strings, got {bad[0]!r}")
        return dict(value)
    if isinstance(value, str):
        return _parse_text(value, flag)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        out: dict = {}
        for text in value:
            out.update(_parse_text(text, flag))
        return out
    raise CompassError(f"{flag}: expected key=value pairs, got {value!r}")


def parse_literal(text: str) -> Any:
    """A Python literal where ``text`` is one (``True``, ``'auto'``, ``3``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _parse_text(text: str, flag: str) -> dict:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = parse_literal(text)
        if not isinstance(value, dict):
            raise CompassError(f"{flag}: malformed value {text!r}; expected key=value pairs or a {{...}} object")
        return parse_kv(value, flag)
    items = split_items(text)
    if items is None:
        raise CompassError(f"{flag}: malformed value {text!r} (unbalanced quotes or brackets)")
    out: dict = {}
    for item in items:
        key, eq, raw = item.partition("=")
        if not eq or not _KEY.fullmatch(key):
            raise CompassError(f"{flag}: expected key=value, got malformed item {item!r} "
                               f"(e.g. {flag} trust_remote_code=True; quote values with blanks: k='a b')")
        out[key] = parse_literal(raw)
    return out


def split_items(text: str) -> list[str] | None:
    """Split at blanks outside quotes and brackets; None when they do not balance."""
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            current.append(ch)
        elif ch.isspace() and depth == 0:
            if current:
                items.append("".join(current))
                current = []
        else:
            current.append(ch)
    if quote or depth:
        return None
    if current:
        items.append("".join(current))
    return items
