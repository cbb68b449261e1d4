"""OpenCompass's ``TheoremQADatasetV3``, ``TheoremQA_postprocess_v3``/``_v4`` and ``TheoremQAEvaluatorV3``.

* loader: the JSON list ``TheoremQA/theoremqa_test.json`` (``Question``, ``Answer``,
  ``Answer_type``, ...), ``Answer`` made a string;
* postprocess (OpenCompass's ``answer_clean``): with "The answer is" more than once, only the
  text before the first blank line; the text after the last "The answer is[:]" (else the whole
  text, read for its last number); then: "yes"/"true" anywhere -> ``True``, "no"/"false" ->
  ``False``, an option ``(a)``-``(f)`` kept; else, after "The answer is", the text after the last
  ``=``, units and ``$ % ° π`` cleaned, read as arithmetic (the number it makes), else its leading
  number when a word follows; ``_v4`` also drops ``\\(``/``\\)``;
* evaluator: an option is found in the answer, or the answer equals the reference (any case),
  or — where the reference is a number or a truth value (TheoremQA's ``float``, ``integer`` and
  ``bool`` answers) — the answer read as a number is the integer reference when rounded, or within
  4 % of a float reference. ``score`` is the percent correct.

Where OpenCompass hands text to ``latex2sympy2_extended`` and ``eval``, compass reads a safe
subset: numbers, ``+ - * / ^``, brackets, ``\\frac``, ``\\sqrt``, ``\\times``, ``\\cdot``, and (where
OpenCompass's evaluator has them) ``sqrt sin cos log exp factorial pi e``. Text outside it is
not a number, where ``latex2sympy`` may read more; like OpenCompass it leaves ``3.2e-5`` and
``(2, 3)`` as text. Exact numbers stay under 4096 bits and ``factorial`` under 1000, so a model's
answer cannot make the reader spend seconds or gigabytes (OpenCompass gives its extraction 1 s).
``tests/test_opencompass_theoremqa.py`` holds compass to what OpenCompass 0.5.4 itself makes of 29
answers and 16 comparisons (``bench/opencompass_theoremqa.py``, with ``latex2sympy2_extended`` added
to its environment).
"""

from __future__ import annotations

import ast
import csv
import json
import math
import operator
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from compass.sdk import DataError, DataMissing

LOCAL = {"data/TheoremQA/theoremqa_test.json": ("TheoremQA/theoremqa_test.json",),
         "data/TheoremQA/test.csv": ("TheoremQA/test.csv",)}
UNFETCHED = {f"data/TheoremQA/{f}": f"compass has no download for TheoremQA; put OpenCompass's TheoremQA/{f} there and "
                                    f"point --data-dir at its parent" for f in ("theoremqa_test.json", "test.csv")}


def load_v3(path: Path, **_) -> list[dict]:
    """``TheoremQADatasetV3``: the file's records, ``Answer`` as a string."""
    if not path.is_file():
        exc = DataMissing(f"{path} not found")
        exc.looked_for = path
        raise exc
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not JSON ({exc.msg})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) and "Answer" in r for r in data):
        raise DataError(f"{path}: expected a JSON list of records with Question, Answer, Answer_type")
    return [{**r, "Answer": str(r["Answer"])} for r in data]


def load_csv(path: Path, **_) -> list[dict]:
    """``TheoremQADataset`` (OpenCompass's older configs): the CSV file's rows, every field as written."""
    if not path.is_file():
        exc = DataMissing(f"{path} not found")
        exc.looked_for = path
        raise exc
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"Question", "Answer"} <= set(rows[0]):
        raise DataError(f"{path}: expected a CSV file with Question, Answer and Answer_type columns, got "
                        f"{', '.join(map(str, rows[0]))}")
    return rows


# ---- the older configs' postprocessors (TheoremQA_postprocess, _v2)
def postprocess_legacy(text: str) -> str:
    """``TheoremQA_postprocess``: the word after the first "answer is", punctuation off its ends;
    the whole (stripped) text where there is none."""
    text = str(text or "").strip()
    found = re.search(r"answer is (\S+)", text)
    return found.group(1).strip().strip(".,?!\"';:") if found else text


def postprocess_legacy_v2(text: str) -> str:
    """``TheoremQA_postprocess_v2``: the last line's words after its last "is"/"be"/"are" or word
    ending in ":", without a trailing full stop."""
    last = str(text or "").strip().strip("\n").split("\n")[-1]
    kept: list[str] = []
    for word in reversed(last.split(" ")):
        if word in ("is", "be", "are") or word.endswith(":"):
            break
        kept.insert(0, word)
    return " ".join(kept).strip().strip(".")


# ---- a safe reader for the arithmetic OpenCompass evaluates
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {"sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "log": math.log, "exp": math.exp,
          "factorial": math.factorial}
_CONSTS = {"pi": math.pi, "e": math.e, "E": 2.718}
#: the largest exact number the reader builds (bits) and factorial it takes: model text cannot make it
#: spend seconds or gigabytes (``((9^999)^999)^999``, ``factorial(10^9)``)
_MAX_BITS = 4096
_MAX_FACTORIAL = 1000


def _bounded(value: Any) -> Any:
    if isinstance(value, Fraction):
        too_big = max(value.numerator.bit_length(), value.denominator.bit_length()) > _MAX_BITS
    else:
        too_big = isinstance(value, int) and value.bit_length() > _MAX_BITS
    if too_big:
        raise ValueError
    return value


def _latex_arith(text: str) -> str:
    s = text.strip()
    for _ in range(5):
        s = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"((\1)/(\2))", s)
        s = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"sqrt(\1)", s)
    s = s.replace("\\times", "*").replace("\\cdot", "*").replace("^", "**").replace("{", "(").replace("}", ")")
    s = s.replace("\\(", "(").replace("\\)", ")")  # inline-math delimiters
    return re.sub(r"(\d|\))\s*(?=[a-z(])", r"\1*", s)  # 2sqrt(2), 3(4): products, as latex2sympy reads them


def arith(text: str, names: bool) -> Any:
    """The number ``text`` makes, or ``None``; ``names``: the math names allowed. Integers divide
    exactly, as sympy does (``6/3`` is ``2``, ``10/3`` the float nearest 10/3)."""
    if re.search(r"\d\.?[eE][-+]?\d", text):  # 3.2e-5: latex2sympy reads e as a symbol; OpenCompass keeps the text
        return None
    src = _latex_arith(text)
    if not src or len(src) > 200:
        return None
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError:
        return None

    def ev(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            exact = all(isinstance(x, (int, Fraction)) for x in (left, right))
            if isinstance(node.op, ast.Pow) and (abs(right) > 1000 or (
                    exact and isinstance(right, int) and abs(Fraction(left).numerator).bit_length() * abs(right) > _MAX_BITS)):
                raise ValueError
            if isinstance(node.op, ast.Div) and exact:
                return Fraction(left) / Fraction(right)
            if isinstance(node.op, ast.Pow) and exact and isinstance(right, int):
                return Fraction(left) ** right
            return _bounded(_OPS[type(node.op)](float(left) if isinstance(left, Fraction) else left,
                                                float(right) if isinstance(right, Fraction) else right)
                            if not exact else _OPS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        if names and isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if names and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
                and len(node.args) == 1 and not node.keywords:
            arg = ev(node.args[0])
            if node.func.id == "factorial" and not (isinstance(arg, int) and 0 <= arg <= _MAX_FACTORIAL):
                raise ValueError
            return _FUNCS[node.func.id](float(arg) if isinstance(arg, Fraction) else arg)
        if isinstance(node, ast.Tuple):
            return tuple(_plain(ev(e)) for e in node.elts)
        raise ValueError

    try:
        return _plain(ev(tree.body))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else value.numerator / value.denominator
    return value


# ---- TheoremQA_postprocess_v3 / _v4
def clean_units(text: str) -> str:
    """OpenCompass's ``clean_units``: π as 3.14, ``%`` as ``/100``, currency and degree signs dropped."""
    s = text.replace("\\pi", "π")
    s = re.sub(r"(?<![\d}])\\?π", "3.14", s)
    s = re.sub(r"(\d)(\\?π)", r"\1*3.14", s)
    s = re.sub(r"\{(\\?π)\}", "3.14", s)
    s = re.sub(r"\*(\\?π)", "*3.14", s)
    for old, new in (("%", "/100"), ("$", ""), ("¥", ""), ("°C", ""), (" C", ""), ("°", "")):
        s = s.replace(old, new)
    return s


def _extract(pred: str, after_trigger: bool) -> str:
    low = pred.lower()
    if "yes" in low or "true" in low:
        return "True"
    if "no" in low or "false" in low:
        return "False"
    if any(f"({c})" in low for c in "abcdef"):
        return pred
    if not after_trigger:
        found = re.findall(r"-?\d*\.?\d+", pred)
        return found[-1] if found else ""
    pred = clean_units(pred.split("=")[-1].strip())
    value = arith(pred, names=False)
    if value is not None and not isinstance(value, tuple):  # (2, 3): OpenCompass keeps the text
        return str(value)
    if re.match(r"-?[\d\.]+\s\D+$", pred) or re.match(r"-?[\d\.]+\s[^\s]+$", pred):
        return pred.split(" ")[0]
    return pred


_TRIGGERS = ("The answer is:", "The answer is", "the answer is")


def answer_clean(text: str) -> str:
    """``TheoremQA_postprocess_v3``: see the module docstring."""
    pred = str(text or "").strip("\n")
    if any(pred.count(t) > 1 for t in _TRIGGERS):
        pred = pred.split("\n\n")[0]
    parts = re.split("|".join(_TRIGGERS), pred)
    after = len(parts) > 1
    if after:
        pred = parts[-1]
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ")
    return _extract(pred, after).rstrip(".").rstrip("/")


def answer_clean_v4(text: str) -> str:
    """``TheoremQA_postprocess_v4``: ``v3``, then ``\\(``/``\\)`` and blanks off the ends."""
    return answer_clean(text).strip("\\(").strip("\\)").strip()


# ---- TheoremQAEvaluatorV3
def number_it(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    text = clean_units(str(value))
    num = arith(text, names=True)
    if isinstance(num, tuple):
        num = num[0] if num else None
    if isinstance(num, (int, float)):
        return round(num) if float(num).is_integer() else num
    return None


def same_number(pred: Any, gt: Any) -> bool:
    try:
        if pred is None or math.isnan(pred):
            return False
        if isinstance(gt, int):  # a bool reference too: True is 1
            return round(pred) == gt
        return gt - abs(gt) * 0.04 <= pred <= gt + abs(gt) * 0.04
    except (TypeError, ValueError, OverflowError):
        return False


def _reference_number(ref: str) -> Any:
    """A float, integer or bool reference as Python reads it (OpenCompass ``eval``s these): a literal,
    else arithmetic such as ``3/4`` (``/`` dividing as floats)."""
    try:
        value = ast.literal_eval(ref)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = arith(ref, names=False)
        if isinstance(value, int) and "/" in ref:
            value = float(value)
    return value if isinstance(value, (int, float)) else None


def correct(answer: str, ref: str) -> bool:
    if ref.lower() in tuple(f"({c})" for c in "abcdef"):
        return ref.lower() in answer.lower()
    if answer.lower() == ref.lower():
        return True
    gt = _reference_number(ref)
    return gt is not None and same_number(number_it(answer), gt)


class TheoremQAEvaluatorV3:
    """``TheoremQAEvaluatorV3``: see the module docstring; ``score`` is the percent correct."""

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        details = [correct("" if p is None else str(p), str(r)) for p, r in zip(predictions, references)]
        return {"score": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


CLASSES = {"TheoremQADatasetV3": load_v3, "TheoremQADataset": load_csv}
EVALUATORS = {"TheoremQAEvaluatorV3": "opencompass_theoremqa"}
PRED_POSTPROCESSORS = {"TheoremQA_postprocess_v3": "opencompass_theoremqa_v3",
                       "TheoremQA_postprocess_v4": "opencompass_theoremqa_v4",
                       "TheoremQA_postprocess": "opencompass_theoremqa_legacy",
                       "TheoremQA_postprocess_v2": "opencompass_theoremqa_legacy_v2"}
