"""IFEval: 541 prompts with verifiable instructions (Zhou et al. 2023).

Layout: ``<data>/IFEval/input_data.jsonl`` (OpenCompass) or ``<data>/ifeval/input_data.jsonl``
(the google-research file): ``key``, ``prompt``, ``instruction_id_list``, ``kwargs``.

The prompt is sent as it is (zero-shot, one user turn); the ``ifeval`` evaluator checks the
response against each instruction and reports prompt-level and instruction-level accuracy,
strict and loose. Responses may be long: ``max_out_len`` defaults to 1280 new tokens
(lm-eval's setting) and a run's ``--max-out-len`` overrides it.
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, DataError, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_jsonl, require

NAME = "ifeval"
MAX_OUT_LEN = 1280
CANDIDATES = ("IFEval/input_data.jsonl", "ifeval/input_data.jsonl", "IFEval/data/input_data.jsonl")


class IFEvalLoader(CachedLoader):
    def __init__(self, root: Path | None = None):
        super().__init__()
        self.root = root

    @property
    def key(self) -> tuple:
        return ("ifeval", str(self.root))

    def locate(self, data_dir) -> Path:
        return find(Path(self.root or data_dir), CANDIDATES, name=NAME, what="IFEval input_data.jsonl")

    def read(self, data_dir) -> Rows:
        from compass_metrics import IFEVAL_CHECKS as CHECKS

        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            require(obj, ("key", "prompt", "instruction_id_list", "kwargs"), path, line)
            ids, kwargs = obj["instruction_id_list"], obj["kwargs"]
            if not isinstance(ids, list) or not isinstance(kwargs, list) or len(ids) != len(kwargs):
                raise DataError(f"{path}:{line}: instruction_id_list and kwargs must be lists of equal length")
            unknown = [i for i in ids if i not in CHECKS]
            if unknown:
                raise DataError(f"{path}:{line}: unknown instruction id(s) {', '.join(map(str, unknown))}")
            rows.append({"key": obj["key"], "prompt": str(obj["prompt"]), "instruction_id_list": list(ids),
                         "kwargs": [dict(k or {}) for k in kwargs]})
        return Rows(test=rows)


def build(name: str = NAME, root: Path | None = None) -> Benchmark:
    sub = Subset(name, IFEvalLoader(root), PromptTemplate(human="{prompt}"), mode="gen", gold="key",
                 max_out_len=MAX_OUT_LEN, evaluator="ifeval")
    return Benchmark(name, (sub,))


def ifeval() -> Benchmark:
    """IFEval, 541 prompts, 0-shot generation; four accuracies."""
    return build()


def ifeval_gen() -> Benchmark:
    return build("ifeval_gen")
