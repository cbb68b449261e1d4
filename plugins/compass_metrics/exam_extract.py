"""Answers of exam benchmarks that are not one letter: AGIEval's sets and formulas.

* ``agieval_multi``: the letters a multi-answer question picks, sorted and joined (``"AC"``),
  compared with the gold set as AGIEval does (all of them and nothing more);
* ``agieval_cloze``: a fill-in answer (``\\boxed{}`` if any, else what follows the last
  "the answer is" / "答案是", else the first line), for ``math_equiv``.
"""

from __future__ import annotations

import re

from compass_metrics.postprocessors import last_boxed

# a statement of the answer; what follows the last one is the answer
_SAID = re.compile(r"(?i:(?:final\s+|correct\s+)?answers?\s*(?:is|are|:)|(?:among\s+a\s+through\s+[a-g],?\s*)"
                   r"the\s+answer\s+is)|答案(?:应该|应)?(?:是|为|选|：|:)|(?:应|我们应|故|所以)选(?:择)?")


def _after_statement(text: str) -> str:
    found = list(_SAID.finditer(text))
    return text[found[-1].end():] if found else text


def agieval_multi(text: str, options: str = "ABCDEFG") -> str:
    """The set of option letters chosen, sorted and joined, or ``""``.

    Read after the last statement of the answer when there is one, up to the end of that
    line or sentence; letters count alone or run together (``A、C``, ``(A)(C)``, ``AC``),
    never inside a word, and a sentence-initial article "A" is not an option.
    """
    if not text:
        return ""
    part = _after_statement(text).strip()
    part = re.split(r"\n|。|\.(?:\s|$)", part, maxsplit=1)[0]
    picked: set[str] = set()
    for m in re.finditer(rf"(?<![A-Za-z])([{re.escape(options)}]+)(?![A-Za-z])", part):
        run = m.group(1)
        if run == "A" and re.match(r" [a-z]", part[m.end():m.end() + 2]):
            continue  # the article
        picked.update(run)
    return "".join(sorted(picked))


def agieval_cloze(text: str) -> str:
    """A cloze answer: the last ``\\boxed{}``, else the rest of the line after the last
    statement of the answer, else the first non-blank line; without a final period."""
    if not text:
        return ""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed.strip()
    found = list(_SAID.finditer(text))
    rest = text[found[-1].end():] if found else text
    line = next((ln for ln in rest.strip().split("\n") if ln.strip()), "")
    line = line.strip().lstrip(":：").strip()
    return re.sub(r"[.。]\s*$", "", line).strip()
