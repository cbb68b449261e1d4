"""BoolQ: yes/no questions about a Wikipedia passage, zero-shot.

Layout: SuperGLUE's ``<data>/SuperGLUE/BoolQ/val.jsonl`` (``question``, ``passage``,
``idx``, ``label``) as OpenCompass uses it, or the official ``<data>/boolq/dev.jsonl``
(``answer`` instead of ``label``). The label may be a JSON boolean or the string
``"true"``/``"false"``. Gold is ``A`` (yes) or ``B`` (no).

* ``ppl`` (lm-evaluation-harness's prompt): ``{passage}\\nQuestion: {question}?\\nAnswer:``
  continued by `` yes`` / `` no``;
* ``gen``: the same with ``A. Yes\\nB. No`` listed, ``first_option``.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, DataError, PromptTemplate, Rows, Subset

from compass_datasets.mcq import GEN_MAX_OUT_LEN, CachedLoader, pick_mode
from compass_datasets.readers import find, read_jsonl, require

CANDIDATES = ("SuperGLUE/BoolQ/val.jsonl", "BoolQ/val.jsonl", "boolq/val.jsonl", "boolq/dev.jsonl",
              "SuperGLUE/BoolQ/dev.jsonl")


def _truth(value: object, path: Path, line: int) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise DataError(f"{path}:{line}: label {value!r} is not true/false")


class BoolQLoader(CachedLoader):
    @property
    def key(self) -> tuple:
        return ("boolq",)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), CANDIDATES, name="boolq", what="BoolQ validation split")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            require(obj, ("question", "passage"), path, line)
            field = "label" if "label" in obj else "answer"
            require(obj, (field,), path, line)
            question = str(obj["question"]).strip().rstrip("?")
            rows.append({"question": question, "passage": str(obj["passage"]),
                         "answer": "A" if _truth(obj[field], path, line) else "B"})
        return Rows(test=rows)


def build(mode: str, name: str = "boolq") -> Benchmark:
    loader = BoolQLoader()
    if mode == "gen":
        template = PromptTemplate(human="{passage}\nQuestion: {question}?\nA. Yes\nB. No\nAnswer:")
        sub = Subset("boolq", loader, template, mode="gen", max_out_len=GEN_MAX_OUT_LEN, postprocessor="first_option",
                     postprocessor_kwargs={"options": "AB"}, evaluator="accuracy")
    else:
        template = PromptTemplate(human="{passage}\nQuestion: {question}?\nAnswer:")
        sub = Subset("boolq", loader, template, mode="ppl", candidates={"A": " yes", "B": " no"},
                     evaluator="accuracy")
    return Benchmark(name, (sub,))


def boolq(chat: bool = False) -> Benchmark:
    """BoolQ: gen for chat models, ppl for base models."""
    return build(pick_mode(None, chat))


def boolq_gen() -> Benchmark:
    return build("gen", "boolq_gen")


def boolq_ppl() -> Benchmark:
    return build("ppl", "boolq_ppl")
