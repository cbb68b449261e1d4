"""GAOKAO-Bench and AGIEval as OpenCompass's configs define them: rows, answer extraction, scores.

* ``GaokaoBenchDataset``: ``path + filename`` is one GAOKAO-Bench question file; its
  ``example`` records are the rows (``question``, ``answer`` — a list, one letter per
  sub-question — ``analysis``, ...). OpenCompass's copy keeps the objective files under
  ``Multiple-choice_Questions/``; the GAOKAO-Bench repository under ``Data/Objective_Questions/``
  (same file names): either is read;
* ``GaokaoBenchEvaluator_<type>`` (:class:`GaokaoEvaluator`): the letters are read from the
  response by the question type's rule (``single_choice``: the last A-D; ``multi_choice``:
  every A-D after 【答案】, else in the last 10 characters, 2 points per question, 1 for a
  correct subset; ``multi_question_choice``: one letter per 【答案】, else the first letters;
  ``five_out_of_seven``: the first five A-G); an answer of the wrong length scores nothing;
  the score is points over all sub-questions. The subjective types score 0, as there;
* ``AGIEvalDataset_v2``: ``<name>.jsonl`` of AGIEval's v1 data; ``question`` is the passage
  followed by the question, ``options`` the options one a line, ``label`` the label (letters
  of a list joined) or, where there is none, the answer;
* ``AGIEvalEvaluator``: the answer is read as AGIEval reads a cloze answer (the last
  ``\\boxed{}``, else the last ``$…$``, else what follows the last ``=`` or the last number),
  compared after the MATH normalisation of Hendrycks et al.; ``AGIEvalEvaluator_mcq``: the
  same string; ``first_capital_postprocess_multi``: the first run of A-D letters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from compass.sdk import DataError, DataMissing, read_jsonl

#: OpenCompass dataset ids and local paths -> where compass keeps the files under the data dir
LOCAL: dict[str, tuple[str, ...]] = {
    "opencompass/GAOKAO-BENCH": ("GAOKAO-BENCH/data", "gaokao/Data", "gaokao"),
    "./data/GAOKAO-BENCH/data": ("GAOKAO-BENCH/data", "gaokao/Data", "gaokao"),
    "opencompass/agieval": ("AGIEval/data/v1", "agieval/data/v1"),
    "./data/AGIEval/data/v1": ("AGIEval/data/v1", "agieval/data/v1"),
}

#: OpenCompass's GAOKAO-BENCH folder -> the GAOKAO-Bench repository's folder of the same files
_GAOKAO_FOLDERS = {"Multiple-choice_Questions": "Objective_Questions"}


def gaokao(root: Path, filename: str = "", name: str = "", **_) -> list[dict]:
    rel = str(filename).lstrip("/")
    f = Path(str(root) + "/" + rel)
    if not f.is_file():
        folder, _, rest = rel.partition("/")
        other = root / _GAOKAO_FOLDERS.get(folder, folder) / rest
        if other.is_file():
            f = other
    if not f.is_file():
        raise DataMissing(f"{f} not found (GaokaoBenchDataset {name or rel}); OpenCompass's GAOKAO-BENCH copy or "
                          f"the GAOKAO-Bench repository's Data/ folder goes under the data dir")
    data = json.loads(f.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("example"), list):
        raise DataError(f"{f}: expected {{\"example\": [...]}} (a GAOKAO-Bench question file)")
    return [dict(r) for r in data["example"]]


def _label(value):
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return None if value is None else str(value)


def agieval_v2(root: Path, name: str = "", setting_name: str = "zero-shot", **_) -> list[dict]:
    if setting_name not in "zero-shot":
        raise DataError(f"AGIEvalDataset_v2 {name}: setting_name {setting_name!r}; OpenCompass runs only zero-shot")
    f = root / f"{name}.jsonl"
    if not f.is_file():
        raise DataMissing(f"{f} not found (AGIEval v1's {name}.jsonl)")
    rows = []
    for _, item in read_jsonl(f):
        options = item.get("options")
        rows.append({"question": (item.get("passage") or "") + item["question"],
                     "options": "\n".join(options) if options else "",
                     "label": _label(item.get("label") if item.get("label") else item.get("answer"))})
    return rows


# ------------------------------------------------------------------ GAOKAO-Bench scoring
QUESTION_TYPES = ("single_choice", "multi_choice", "multi_question_choice", "five_out_of_seven", "cloze",
                  "subjective", "correction")
_SCORED = ("single_choice", "multi_choice", "multi_question_choice", "five_out_of_seven")


def gaokao_letters(text: str, question_type: str, n_answers: int = 1) -> list[str]:
    """The answer letters GAOKAO-Bench reads from a response, by question type."""
    text = text or ""
    if question_type == "single_choice":
        found = re.findall(r"[A-D]", text)
        return found[-1:]
    if question_type == "multi_question_choice":
        marked = re.findall(r"【答案】\s*[:：]*\s*[A-Z]", text)
        if len(marked) == n_answers:
            return [re.findall(r"[A-Z]", m)[0] for m in marked]
        return re.findall(r"[A-Z]", text)[:n_answers]
    if question_type == "multi_choice":
        flat = re.sub(r"\s+", "", text)
        at = flat.find("【答案】")
        letters = "".join(re.findall(r"[A-D]", flat[at:] if at > 0 else flat[-10:]))
        return [letters] if letters else []
    if question_type == "five_out_of_seven":
        return re.findall(r"[A-G]", text)[:5]
    return []


def _as_list(gold) -> list[str]:
    if isinstance(gold, (list, tuple)):
        return [str(g) for g in gold]
    text = str(gold)
    if text.startswith("["):  # a list written out as text
        try:
            value = json.loads(text.replace("'", '"'))
            if isinstance(value, list):
                return [str(g) for g in value]
        except json.JSONDecodeError:
            pass
    return [text]


class GaokaoEvaluator:
    """``GaokaoBenchEvaluator_<question_type>``: points over sub-questions, in percent (``score``)."""

    def __init__(self, question_type: str = "single_choice"):
        if question_type not in QUESTION_TYPES:
            raise DataError(f"GaokaoBenchEvaluator: question type {question_type!r}; GAOKAO-Bench has "
                            f"{', '.join(QUESTION_TYPES)}")
        self.question_type = question_type

    def score(self, predictions: list, references: list) -> dict:
        if self.question_type not in _SCORED:
            return {"score": 0.0}
        got = total = 0
        details = []
        for pred, gold in zip(predictions, references):
            refs = _as_list(gold)
            letters = gaokao_letters(str(pred or ""), self.question_type, len(refs))
            if len(letters) != len(refs):
                letters = ["Z"] * len(refs)
            right = []
            for p, r in zip(letters, refs):
                if self.question_type == "multi_choice":
                    got += 2 if p == r else (1 if all(c in r for c in p) else 0)
                    total += 2
                else:
                    got += p == r
                    total += 1
                right.append(p == r)
            details.append(all(right))
        return {"score": 100.0 * got / total if total else 0.0, "details": details}


# ------------------------------------------------------------------ AGIEval scoring
def _few_shot_prefix_off(text: str) -> str:
    for prefix in ("The answer is therefore", "答案是"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
        elif prefix in text:
            text = text[text.rfind(prefix) + len(prefix):].strip()
    return text


def last_boxed(text: str) -> str | None:
    """The last ``\\boxed{...}`` (or ``\\fbox{...}``) of ``text``, braces matched, whole; ``None`` if none."""
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return None


def _unbox(s: str | None) -> str | None:
    if not s or not s.startswith("\\boxed{") or not s.endswith("}"):
        return None
    inner = s[len("\\boxed{"):-1]
    return inner.split("=")[-1].lstrip(" ") if "=" in inner else inner


def agieval_math_answer(text: str) -> str | None:
    """The answer AGIEval reads from a zero-shot cloze response (``None``: none found)."""
    text = _few_shot_prefix_off(text or "")
    if "\\boxed" in text:
        return _unbox(last_boxed(text))
    dollars = re.findall(r"\$(.*)\$", text)
    if dollars:
        last = dollars[-1]
        found = last.split("=")[-1].lstrip(" ") if "=" in last else last
        if found:
            return found
    if "=" in text:
        found = text.split("=")[-1].lstrip(" ").rstrip(".")
        return found.split("\\n")[0] if "\\n" in found else found
    numbers = re.findall(r"(?:\$)?\d+(?:\.\d+)?(?![\w\d])", text)
    return numbers[-1] if numbers else None


def _fracs(s: str) -> str:
    head, *parts = s.split("\\frac")
    out = head
    for part in parts:
        out += "\\frac"
        if not part:
            raise IndexError("\\frac at the end")
        if part.startswith("{"):
            out += part
            continue
        if len(part) < 2:
            return s
        a, b, rest = part[0], part[1], part[2:]
        out += "{" + a + "}" + ("{" + b + "}" if b != "{" else b) + rest
    return out


def _slash(s: str) -> str:
    parts = s.split("/")
    if len(parts) != 2 or not all(re.fullmatch(r"-?\d+", p) for p in parts):
        return s
    a, b = int(parts[0]), int(parts[1])
    return "\\frac{" + str(a) + "}{" + str(b) + "}" if s == f"{a}/{b}" else s


def _sqrt(s: str) -> str:
    if "\\sqrt" not in s:
        return s
    head, *parts = s.split("\\sqrt")
    return head + "".join("\\sqrt" + (p if p.startswith("{") else "{" + p[0] + "}" + p[1:]) for p in parts)


def hendrycks_normal(s: str) -> str:
    """MATH's answer normalisation (Hendrycks et al., 2021), as AGIEval uses it."""
    s = s.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac").replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "").replace("\\$", "")
    if "\\text{ " in s:
        parts = s.split("\\text{ ")
        if len(parts) != 2:
            raise ValueError("units twice")
        s = parts[0]
    s = s.replace("\\%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    sides = s.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:
        s = sides[1]
    s = _fracs(_sqrt(s).replace(" ", ""))
    if s == "0.5":
        s = "\\frac{1}{2}"
    return _slash(s)


def hendrycks_equiv(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return hendrycks_normal(a) == hendrycks_normal(b)
    except (ValueError, IndexError):
        return a == b


class AGIEvalEvaluator:
    """``AGIEvalEvaluator``: cloze answers read AGIEval's way, MATH-equivalent to the label (``score``)."""

    def score(self, predictions: list, references: list) -> dict:
        details = [hendrycks_equiv(agieval_math_answer(str(p or "")), None if r is None else str(r))
                   for p, r in zip(predictions, references)]
        return {"score": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


class AGIEvalMCQEvaluator:
    """``AGIEvalEvaluator_mcq``: the extracted letters equal the label (``score``)."""

    def score(self, predictions: list, references: list) -> dict:
        details = [str(p if p is not None else "") == str(r) for p, r in zip(predictions, references)]
        return {"score": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


def first_capital_multi(text: str) -> str:
    """``first_capital_postprocess_multi``: the first run of the letters A-D."""
    m = re.search(r"([A-D]+)", text or "")
    return m.group(1) if m else ""


CLASSES = {"GaokaoBenchDataset": gaokao, "AGIEvalDataset_v2": agieval_v2}
EVALUATORS = {**{f"GaokaoBenchEvaluator_{t}": "opencompass_gaokao" for t in QUESTION_TYPES},
              "AGIEvalEvaluator": "opencompass_agieval", "AGIEvalEvaluator_mcq": "opencompass_agieval_mcq"}
EVALUATOR_KWARGS = {f"GaokaoBenchEvaluator_{t}": {"question_type": t} for t in QUESTION_TYPES}
PRED_POSTPROCESSORS = {"first_capital_postprocess_multi": "opencompass_first_capital_multi"}
