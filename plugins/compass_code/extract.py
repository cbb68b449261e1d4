"""Getting the code out of a model's reply (registered as postprocessors).

* ``code_block`` (chat models): the first fenced block (```python, ```py or bare ```);
  without one, the whole reply — minus MBPP's ``[BEGIN]``/``[DONE]`` marks and the quotes
  some models put around the code;
* ``code_completion`` (base models): the completion up to the first stop word, for
  backends that do not stop by themselves.
"""

from __future__ import annotations

import re

#: where a base model's function body ends: a new top-level statement
TOP_LEVEL_STOPS = ("\ndef ", "\nclass ", "\nif ", "\nprint", "\n#")

_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[ \t]*\n(.*?)(?:```|$)", re.DOTALL)


def code_block(text: str) -> str:
    """The code of a chat reply (see the module docstring)."""
    text = text or ""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    for lang, body in blocks:
        if lang in ("python", "py", "python3"):
            return body.rstrip() + "\n"
    for lang, body in blocks:
        if not lang:
            return body.rstrip() + "\n"
    if "[BEGIN]" in text:
        text = text.split("[BEGIN]", 1)[1]
    text = text.split("[DONE]", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text + "\n" if text else ""


def code_completion(text: str, stop: list | tuple = TOP_LEVEL_STOPS) -> str:
    """A base model's completion up to the first of ``stop``."""
    text = text or ""
    cut = min((text.find(s) for s in stop if s and s in text), default=len(text))
    return text[:cut]
