"""AIME 2024 and AIME 2025: 30 problems each, integer answers 0-999, math equivalence.

Layouts: ``<data>/aime/aime24/test.jsonl`` (Qwen2.5-Math's copy; ``answer`` zero-padded,
``"025"``) or ``<data>/aime2024/aime2024.jsonl``; ``<data>/aime/aime25/test.jsonl`` or
``<data>/aime2025/aime2025.jsonl`` (``answer`` an integer). The problem is in ``problem`` or
``question``; golds are read as integers written without padding.

Prompt: ``{problem}\\nPlease reason step by step, and put your final answer within
\\boxed{}.`` (0-shot); the last ``\\boxed{}`` is compared with ``math_equiv``.

``n`` samples per problem (``n=8``, with sampling switched on in the model's generation
kwargs) lists each problem ``n`` times; the ``math_samples`` evaluator reports the average
accuracy over all samples and pass@k for k = 1, 2, 4, … up to ``n``. Reasoning models need
long answers: ``max_out_len`` (default 8192) is a dataset option, and a run's
``--max-out-len`` overrides it.
"""

from __future__ import annotations

import re
from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_jsonl

PROMPT = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}."
MAX_OUT_LEN = 8192
YEARS = {
    "aime2024": ("aime/aime24/test.jsonl", "aime2024/aime2024.jsonl", "aime2024/test.jsonl", "aime24/test.jsonl"),
    "aime2025": ("aime/aime25/test.jsonl", "aime2025/aime2025.jsonl", "aime2025/test.jsonl", "aime25/test.jsonl"),
}


class AIMELoader(CachedLoader):
    def __init__(self, name: str, n: int):
        super().__init__()
        self.name, self.n = name, n

    @property
    def key(self) -> tuple:
        return (self.name, self.n)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), YEARS[self.name], name=self.name, what=f"{self.name} problems")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            problem = obj.get("problem") or obj.get("question")
            answer = str(obj.get("answer", "")).strip()
            if not problem or not re.fullmatch(r"\d{1,3}", answer):
                raise DataError(f"{path}:{line}: needs 'problem' (or 'question') and an integer 'answer' "
                                f"0-999, got {obj.get('answer')!r}")
            pid = str(obj.get("id", len(rows) // self.n))
            for k in range(self.n):
                rows.append({"problem": str(problem), "answer": str(int(answer)), "id": pid, "sample": k})
        return Rows(test=rows)


def build(name: str, n: int = 1, max_out_len: int | None = None, subset_name: str | None = None) -> Benchmark:
    if int(n) < 1:
        raise CompassError(f"{name}: n (samples per problem) must be at least 1, got {n}")
    sub = Subset(subset_name or name, AIMELoader(name, int(n)), PromptTemplate(human=PROMPT), mode="gen",
                 max_out_len=int(max_out_len or MAX_OUT_LEN), postprocessor="math_boxed",
                 evaluator="math_samples", evaluator_kwargs={"problem_field": "id"})
    return Benchmark(subset_name or name, (sub,))


def aime2024(n: int = 1, max_out_len: int | None = None) -> Benchmark:
    """AIME 2024 I+II (30); ``n`` samples per problem for average accuracy and pass@k."""
    return build("aime2024", n, max_out_len)


def aime2024_gen(n: int = 1, max_out_len: int | None = None) -> Benchmark:
    return build("aime2024", n, max_out_len, "aime2024_gen")


def aime2025(n: int = 1, max_out_len: int | None = None) -> Benchmark:
    """AIME 2025 I+II (30); ``n`` samples per problem for average accuracy and pass@k."""
    return build("aime2025", n, max_out_len)


def aime2025_gen(n: int = 1, max_out_len: int | None = None) -> Benchmark:
    return build("aime2025", n, max_out_len, "aime2025_gen")
