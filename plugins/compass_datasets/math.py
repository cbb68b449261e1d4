"""MATH (Hendrycks et al.) and its 500-problem subset MATH-500, scored by equivalence.

Layouts, tried in order:

* ``math`` (full test, 5000 problems): OpenCompass's ``<data>/math/math.json`` (an object
  of ``{problem, level, type, solution}``), a JSON Lines ``<data>/math/test.jsonl``, or the
  official release ``<data>/MATH/test/<subject>/<n>.json``;
* ``math500``: ``<data>/math/math500/test.jsonl`` (``problem, solution, answer, ...``).

Where a row has no ``answer``, it is the last ``\\boxed{}`` of its solution. Chat models
get ``{problem}\\nPlease reason step by step, and put your final answer within
\\boxed{}.``; base models a 4-shot ``Problem:/Solution:`` prompt with examples written
for compass. The ``math_boxed`` postprocessor extracts, ``math_equiv`` compares.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, DataError, DataMissing, FewShot, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_json, read_jsonl, require

CHAT_PROMPT = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}."
BASE_PROMPT = "Problem:\n{problem}\n\nSolution:"
MATH500 = ("math/math500/test.jsonl", "math500/test.jsonl", "math/MATH-500/test.jsonl", "MATH-500/test.jsonl")
FULL = ("math/math.json", "math/test.jsonl", "MATH/test", "math/MATH/test", "math/test")

#: in-context examples for base models (written for compass)
EXAMPLES = (
    {"problem": "What is the value of $3^4 - 2 \\cdot 5$?",
     "solution": "We have $3^4 = 81$ and $2 \\cdot 5 = 10$, so the value is $81 - 10 = \\boxed{71}$.",
     "answer": "71"},
    {"problem": "Solve for $x$: $2x + 7 = 19$.",
     "solution": "Subtracting 7 from both sides gives $2x = 12$, and dividing by 2 gives $x = \\boxed{6}$.",
     "answer": "6"},
    {"problem": "A fair six-sided die is rolled once. What is the probability that the number rolled is a "
                "multiple of 3? Express your answer as a common fraction.",
     "solution": "Of the six equally likely outcomes, exactly two (3 and 6) are multiples of 3, so the "
                 "probability is $\\frac{2}{6} = \\boxed{\\frac{1}{3}}$.",
     "answer": "\\frac{1}{3}"},
    {"problem": "Find the distance between the points $(1, 2)$ and $(4, 6)$.",
     "solution": "By the distance formula, the distance is $\\sqrt{(4-1)^2 + (6-2)^2} = \\sqrt{9 + 16} = "
                 "\\sqrt{25} = \\boxed{5}$.",
     "answer": "5"},
)


def _row(obj: dict, path: Path, line: int) -> dict:
    from compass_metrics import last_boxed

    require(obj, ("problem",), path, line)
    answer = obj.get("answer")
    if answer is None:
        require(obj, ("solution",), path, line)
        answer = last_boxed(str(obj["solution"]))
        if answer is None:
            raise DataError(f"{path}:{line}: no 'answer' field and no \\boxed{{}} answer in 'solution'")
    return {"problem": str(obj["problem"]), "solution": str(obj.get("solution", "")), "answer": str(answer),
            "subject": str(obj.get("subject") or obj.get("type") or ""), "level": obj.get("level", "")}


def _read_any(path: Path, limit: int | None = None) -> list[dict]:
    if path.is_dir():  # official release: MATH/test/<subject>/<n>.json
        files = sorted(path.glob("*/*.json"), key=lambda p: (p.parent.name, int(p.stem) if p.stem.isdigit() else 0))
        if not files:
            raise DataMissing(f"math: no <subject>/<n>.json files under {path}")
        rows = []
        for f in files[:limit]:
            obj = read_json(f)
            if not isinstance(obj, dict):
                raise DataError(f"{f}:1: expected a JSON object")
            rows.append(_row(obj, f, 1))
        return rows
    if path.suffix == ".json":  # OpenCompass: {"0": {...}, "1": {...}}
        data = read_json(path)
        items = list(data.values()) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise DataError(f"{path}:1: expected an object or a list of problems")
        rows = []
        for i, obj in enumerate(items[:limit]):
            if not isinstance(obj, dict):
                raise DataError(f"{path}: item {i}: expected an object")
            rows.append(_row(obj, path, i + 1))
        return rows
    return [_row(obj, path, line) for line, obj in read_jsonl(path)[:limit]]


class MathLoader(CachedLoader):
    """MATH test (``full=True``) or MATH-500 rows; the shipped examples are the few-shot pool."""

    def __init__(self, full: bool, root: Path | None = None, name: str = "math", limit: int | None = None):
        super().__init__()
        self.full, self.root, self.name, self.limit = full, root, name, limit

    @property
    def key(self) -> tuple:
        return ("math", self.full, str(self.root), self.limit)

    def locate(self, data_dir) -> Path:
        base = Path(self.root or data_dir)
        if not self.full:
            return find(base, MATH500, name=self.name, what="MATH-500 test split")
        try:
            return find(base, FULL, name=self.name, what="MATH test split (5000 problems)")
        except DataMissing as exc:
            sub = [base / c for c in MATH500 if (base / c).exists()]
            if sub:
                better = DataMissing(f"{exc}; only MATH-500 is there ({sub[0]}): use -d math500")
                better.looked_for = getattr(exc, "looked_for", None)
                raise better from None
            raise

    def read(self, data_dir) -> Rows:
        return Rows(test=_read_any(self.locate(data_dir), self.limit), fewshot=EXAMPLES)


def build(chat: bool, full: bool, *, subset: str, name: str, root: Path | None = None,
          limit: int | None = None) -> Benchmark:
    loader = MathLoader(full, root, name, limit)
    common = dict(mode="gen", postprocessor="math_boxed", evaluator="math_equiv")
    if chat:
        sub = Subset(subset, loader, PromptTemplate(human=CHAT_PROMPT), **common)
    else:
        sub = Subset(subset, loader, PromptTemplate(human=BASE_PROMPT, bot=" {solution}", example_sep="\n\n"),
                     fewshot=FewShot(indices=(0, 1, 2, 3)), stop=("Problem:",), **common)
    return Benchmark(name, (sub,))


def math(chat: bool = False) -> Benchmark:
    """MATH test (5000): zero-shot boxed prompt for chat models, 4-shot for base models."""
    return build(chat, True, subset="math", name="math")


def math_gen(chat: bool = False) -> Benchmark:
    return build(chat, True, subset="math", name="math_gen")


def math500(chat: bool = False) -> Benchmark:
    """MATH-500: zero-shot boxed prompt for chat models, 4-shot for base models."""
    return build(chat, False, subset="math500", name="math500")


def math500_gen(chat: bool = False) -> Benchmark:
    return build(chat, False, subset="math500", name="math500_gen")

