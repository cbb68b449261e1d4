"""GSM8K: grade-school math word problems, generated and scored on the final number.

Layout (OpenCompass and the official repo): ``<data>/gsm8k/{test,train}.jsonl`` (or
``grade_school_math/data/``), one ``{"question", "answer"}`` object per line; the
reference number follows the last ``#### `` of ``answer``.

Prompts: chat models get OpenCompass's zero-shot ``{question}\\nPlease reason step by
step, and put your final answer within \\boxed{}.``; base models get ``Question: ..\\n
Let's think step by step\\nAnswer:`` with the first 4 (``num_fewshot``) train problems as
examples, their worked solutions ending in ``The answer is N``, and stop at the next
``Question:``. The ``gsm8k`` postprocessor extracts the number; ``accuracy`` compares.
"""

from __future__ import annotations

import re
from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, FewShot, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_jsonl, require

NAME = "gsm8k"
ROOTS = ("gsm8k", "gsm8k/grade_school_math/data", "grade_school_math/data", "GSM8K")
CHAT_PROMPT = "{question}\nPlease reason step by step, and put your final answer within \\boxed{}."
BASE_PROMPT = "Question: {question}\nLet's think step by step\nAnswer:"
BASE_ANSWER = " {solution}\nThe answer is {answer}"
DEFAULT_SHOTS = 4


def parse_solution(text: str, path: Path, line: int) -> tuple[str, str]:
    """``(worked solution without calculator annotations, final number)``."""
    from compass_metrics import normalize_number

    if "####" not in text:
        raise DataError(f"{path}:{line}: answer has no '####' marking the final number")
    work, final = text.rsplit("####", 1)
    final = normalize_number(final.strip())
    if not final:
        raise DataError(f"{path}:{line}: nothing after '####' in the answer")
    work = re.sub(r"<<[^<>]*>>", "", work).strip()
    return work, final


def read_split(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    for line, obj in read_jsonl(path):
        require(obj, ("question", "answer"), path, line)
        solution, final = parse_solution(str(obj["answer"]), path, line)
        rows.append({"question": str(obj["question"]), "answer": final, "solution": solution})
        if limit is not None and len(rows) >= limit:
            break
    return rows


class GSM8KLoader(CachedLoader):
    """Test rows, and the train rows used as examples when there are any."""

    def __init__(self, shots: int, root: Path | None = None, name: str = NAME):
        super().__init__()
        self.shots, self.root, self.name = shots, root, name

    @property
    def key(self) -> tuple:
        return ("gsm8k", self.shots > 0, str(self.root))

    def locate(self, data_dir) -> Path:
        return find(Path(self.root or data_dir), [f"{r}/test.jsonl" for r in ROOTS], name=self.name,
                    what="GSM8K test split")

    def read(self, data_dir) -> Rows:
        test = self.locate(data_dir)
        fewshot: list[dict] = []
        if self.shots:
            train = find(test.parent, ["train.jsonl"], name=self.name,
                         what="GSM8K train split (in-context examples for base models)")
            fewshot = read_split(train, limit=max(self.shots, 8))
        return Rows(test=read_split(test), fewshot=fewshot)


def build(chat: bool, num_fewshot: int | None = None, *, subset: str = NAME, name: str = NAME,
          root: Path | None = None, prompt: str | None = None) -> Benchmark:
    shots = (0 if chat else DEFAULT_SHOTS) if num_fewshot is None else int(num_fewshot)
    if not 0 <= shots <= 8:
        raise CompassError(f"{name}: num_fewshot must be between 0 and 8, got {shots}")
    if prompt is not None and "{question}" not in str(prompt):
        raise CompassError(f"{name}: prompt must contain {{question}} (where the problem goes), got {prompt!r}")
    loader = GSM8KLoader(shots, root, name)
    common = dict(postprocessor="gsm8k", evaluator="accuracy")
    if chat and shots == 0:
        sub = Subset(subset, loader, PromptTemplate(human=prompt or CHAT_PROMPT), mode="gen", **common)
    else:
        sub = Subset(subset, loader, PromptTemplate(human=prompt or BASE_PROMPT, bot=BASE_ANSWER, example_sep="\n\n"),
                     mode="gen", fewshot=FewShot(indices=tuple(range(shots))), stop=("Question:",), **common)
    return Benchmark(name, (sub,))


def gsm8k(chat: bool = False, num_fewshot: int | None = None, prompt: str | None = None) -> Benchmark:
    """GSM8K test: zero-shot boxed prompt for chat models, 4-shot for base models.

    ``prompt`` replaces the question's template (it must contain ``{question}``), e.g.
    ``"{question}"`` for lm-eval's plain chat prompt.
    """
    return build(chat, num_fewshot, prompt=prompt)


def gsm8k_gen(chat: bool = False, num_fewshot: int | None = None, prompt: str | None = None) -> Benchmark:
    return build(chat, num_fewshot, name="gsm8k_gen", prompt=prompt)
