"""OpenCompass answer extraction and scoring that compass's own differ from, by OpenCompass's rules.

Registered under ``opencompass_*`` names so an OpenCompass config scores as it does there:

* ``opencompass_bbh_mcq`` (``bbh_mcq_postprocess``): the text after "answer is ", then the
  first ``(X)`` letter, else the first capital letter, else the text itself;
* ``opencompass_bbh_freeform`` (``bbh_freeform_postprocess``): the text after the last
  "answer is", its first line without a final period and ``**`` emphasis, yes/no and
  true/false capitalised, commas between words as spaces, blanks collapsed;
* ``opencompass_match_answer_pattern`` (``match_answer_pattern``): group 1 of the config's
  ``answer_pattern``, or nothing;
* ``opencompass_humaneval_v2`` / ``_v3`` (``humaneval_postprocess_v2`` / ``_v3``): the first /
  last fenced code block, else the text, without leading blanks;
* the ``opencompass_bbh`` evaluator (``BBHEvaluator``): both sides through the free-form
  rule, compared case-insensitively;
* ``opencompass_gsm8k`` (``gsm8k_postprocess``): the last number (``-12``, ``3.5``; no commas, so
  ``1,000`` gives ``000``) before any "Question:", or ``NULL``; the ``opencompass_gsm8k``
  evaluator (``Gsm8kEvaluator``): equal as text, or the answer as a float within 1e-6 of the
  reference read as an integer.
"""

from __future__ import annotations

import re


def bbh_mcq(text: str) -> str:
    said = text.split("answer is ")
    tail = said[1].strip() if len(said) != 1 else text
    for pattern in (r"\(([A-Z])\)*", r"([A-Z])"):
        m = re.search(pattern, tail)
        if m:
            return m.group(1)
    return tail


def bbh_freeform(text: str) -> str:
    parts = re.split(r"answer is\s*:?\s*", text, flags=re.IGNORECASE)
    ans = parts[-1].strip() if len(parts) != 1 else text
    ans = ans.split("\n")[0].strip()
    if ans.endswith("."):
        ans = ans[:-1].strip()
    bold = re.search(r"\*\*(.*?)\*\*", ans)
    if bold:
        ans = bold.group(1).strip()
    for words in (r"^(yes|no)\b", r"^(true|false)\b"):
        m = re.match(words, ans, flags=re.IGNORECASE)
        if m:
            return m.group(1).capitalize()
    if not re.search(r"\d\s*,\s*\d", ans):
        ans = re.sub(r"\s*,\s*", " ", ans)
    return re.sub(r"\s+", " ", ans).strip()


def match_answer_pattern(text: str, answer_pattern: str) -> str:
    """``match_answer_pattern``: the first group of the pattern's first match, or ``""``."""
    m = re.search(answer_pattern, text)
    return m.group(1) if m else ""


_FENCED = re.compile(r"```\w*\n(.*?)```", re.DOTALL)


def humaneval_v2(text: str) -> str:
    """``humaneval_postprocess_v2``: the first fenced block (else the text), leading blanks off."""
    blocks = _FENCED.findall(text)
    return (blocks[0] if blocks else text).lstrip()


def humaneval_v3(text: str) -> str:
    """``humaneval_postprocess_v3``: the last fenced block (else the text), leading blanks off."""
    blocks = _FENCED.findall(text)
    return (blocks[-1] if blocks else text).lstrip()


class BBHEvaluator:
    """``BBHEvaluator``: free-form answers on both sides, compared case-insensitively."""

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        details = [bbh_freeform(str(p or "")).casefold() == bbh_freeform(str(r)).casefold()
                   for p, r in zip(predictions, references)]
        return {"accuracy": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


_GSM8K_NUMBER = re.compile(r"-?\d+\.\d+|-?\d+")


def gsm8k(text: str) -> str:
    """``gsm8k_postprocess``: the last number before any "Question:", else ``NULL``."""
    numbers = _GSM8K_NUMBER.findall(text.split("Question:")[0])
    return numbers[-1] if numbers else "NULL"


class Gsm8kEvaluator:
    """``Gsm8kEvaluator``: the same text, or numerically equal to the integer reference."""

    @staticmethod
    def same(pred: object, ref: object) -> bool:
        if pred is None:
            return False
        try:
            return pred == ref or abs(float(pred) - int(ref)) < 1e-6
        except (TypeError, ValueError):
            return False

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        details = [self.same(p, r) for p, r in zip(predictions, references)]
        return {"accuracy": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}
