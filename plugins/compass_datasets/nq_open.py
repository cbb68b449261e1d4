"""NQ-Open (Lee et al. 2019): open-domain questions, exact match against any gold alias.

Layouts: ``<data>/nq_open/NQ-open.dev.jsonl`` (the official repo's ``nq_open/`` folder, also
``<data>/nq_open/nq_open/…``; OpenCompass ``<data>/nq_open/nq-dev.jsonl``). Each line is
``{"question", "answer": [aliases]}``. ``split``: ``dev`` (3,610, what NQ-Open results
report), ``efficientqa_dev`` (1,800) or ``efficientqa_test`` (1,769).

Prompt (0-shot): ``Answer these questions:\\n\\nQ: {question}?\\nA:``; the answer is the
first line of the reply, scored by ``exact_match`` (SQuAD normalisation: case, punctuation,
articles and spaces ignored) against every alias.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_jsonl, require

NAME = "nq_open"
SPLITS = {
    "dev": ("NQ-open.dev.jsonl", "nq-dev.jsonl"),
    "efficientqa_dev": ("NQ-open.efficientqa.dev.1.1.jsonl",),
    "efficientqa_test": ("NQ-open.efficientqa.test.1.1.jsonl",),
}
PROMPT = "Answer these questions:\n\nQ: {question}?\nA:"


class NQOpenLoader(CachedLoader):
    def __init__(self, split: str):
        super().__init__()
        self.split = split

    @property
    def key(self) -> tuple:
        return (NAME, self.split)

    def locate(self, data_dir) -> Path:
        files = SPLITS[self.split]
        return find(Path(data_dir), [f"{root}/{f}" for f in files for root in ("nq_open", "nq_open/nq_open", "nq")],
                    name=NAME, what=f"NQ-Open {self.split} split")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            require(obj, ("question", "answer"), path, line)
            answers = obj["answer"] if isinstance(obj["answer"], list) else [obj["answer"]]
            if not answers:
                raise DataError(f"{path}:{line}: 'answer' has no gold answer")
            rows.append({"question": str(obj["question"]), "answer": [str(a) for a in answers]})
        return Rows(test=rows)


def build(name: str, split: str = "dev") -> Benchmark:
    if split not in SPLITS:
        raise CompassError(f"{name}: unknown split {split!r}; choose from {', '.join(SPLITS)}")
    sub = Subset(name, NQOpenLoader(split), PromptTemplate(human=PROMPT), mode="gen", max_out_len=64,
                 stop=("\n",), postprocessor="first_line", evaluator="exact_match")
    return Benchmark(name, (sub,))


def nq_open(split: str = "dev") -> Benchmark:
    """NQ-Open dev (3610), 0-shot; exact match against any gold alias."""
    return build(NAME, split)


def nq_open_gen(split: str = "dev") -> Benchmark:
    return build("nq_open_gen", split)
