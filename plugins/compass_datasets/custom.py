"""Your own data without code: a ``.jsonl`` or ``.csv`` file of questions.

* multiple choice (``mcq``): columns ``question``, ``A``, ``B`` (``C``, ``D``, ... as many
  as needed) and ``answer`` (a letter);
* question answering (``qa``): columns ``question`` and ``answer``;
* code (``code``, ``.jsonl`` only): ``prompt``, ``tests`` and optionally ``entry_point``,
  run in a sandbox (see :mod:`compass_code.custom`).

The type is detected from the columns (``A`` and ``B`` mean mcq, ``tests`` code) unless
``data_type`` says it. ``infer_method`` ``gen`` or ``ppl`` (mcq only); unset, chat models
generate and base models compare likelihoods. These are OpenCompass's
``--custom-dataset-path/-data-type/-infer-method``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, DataMissing, PromptTemplate, Rows, Subset

from compass_datasets.mcq import LETTERS, CachedLoader, mcq_subset, options_block
from compass_datasets.readers import check_label, read_csv, read_jsonl, require

DATA_TYPES = ("mcq", "qa", "code")
METHODS = ("gen", "ppl")


def _path(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataMissing(f"custom dataset: {p.resolve()} not found (pass an existing .jsonl or .csv file)")
    if p.suffix.lower() not in (".jsonl", ".csv"):
        raise CompassError(f"custom dataset: {p} must be a .jsonl or .csv file")
    return p


def columns_of(path: Path) -> list[str]:
    """The column names: the CSV header, or the keys of the first JSON object (first line only)."""
    import csv

    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        number, first = next(((n, ln) for n, ln in enumerate(fh, start=1) if ln.strip()), (1, ""))
    if not first:
        raise DataError(f"{path}:1: the file is empty")
    if path.suffix.lower() == ".csv":
        return [c.strip() for c in next(csv.reader([first]), [])]
    try:
        obj = json.loads(first)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
    return list(obj) if isinstance(obj, dict) else []


def option_labels(columns: list[str]) -> str:
    """``"ABCD"`` for columns A, B, C, D: consecutive letters from A."""
    labels = ""
    for letter in LETTERS:
        if letter not in columns:
            break
        labels += letter
    return labels


class CustomLoader(CachedLoader):
    def __init__(self, path: Path, labels: str):
        super().__init__()
        self.path, self.labels = path, labels

    @property
    def key(self) -> tuple:
        return ("custom", str(self.path))

    def locate(self, data_dir) -> Path:
        return _path(self.path)

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        records = read_csv(path) if path.suffix.lower() == ".csv" else read_jsonl(path)
        if not records:
            raise DataError(f"{path}:1: no rows")
        need = ("question", *self.labels, "answer")
        rows = []
        for line, row in records:
            require(row, need, path, line)
            row = {k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                   for k, v in row.items()}
            if self.labels:
                row["answer"] = check_label(row["answer"], tuple(self.labels), path, line)
            rows.append(row)
        return Rows(test=rows)


def custom(path: str | None = None, data_type: str | None = None, infer_method: str | None = None, chat: bool = False,
           name: str | None = None, postprocessor: str | None = None, evaluator: str | None = None) -> Benchmark:
    """A benchmark from one ``.jsonl``/``.csv`` file (see the module docstring)."""
    if not path:
        raise CompassError("custom dataset: needs path=FILE (.jsonl or .csv); on the command line: "
                           "--custom-dataset-path FILE")
    if data_type not in (None, *DATA_TYPES):
        raise CompassError(f"custom dataset: data_type must be mcq, qa or code, got {data_type!r}")
    if infer_method not in (None, *METHODS):
        raise CompassError(f"custom dataset: infer_method must be gen or ppl, got {infer_method!r}")
    file = _path(path)
    columns = columns_of(file)
    labels = option_labels(columns)
    kind = data_type or ("mcq" if len(labels) >= 2 else "code" if "tests" in columns else "qa")
    if kind == "code":
        if file.suffix.lower() != ".jsonl" or infer_method == "ppl":
            raise CompassError(f"custom dataset {file}: code tasks are a .jsonl file answered by generation (gen)")
        from compass import api  # the code plugin's dataset, by its registered name

        return api.dataset("custom_code", {"path": str(file.resolve()), "chat": chat,
                                           "name": name or re.sub(r"[^\w.-]+", "_", file.stem)})
    if kind == "mcq" and len(labels) < 2:
        raise CompassError(f"custom dataset {file}: mcq needs columns A and B (found: {', '.join(columns)})")
    method = infer_method or ("gen" if chat else "ppl")
    if kind == "qa" and method == "ppl":
        if infer_method == "ppl":
            raise CompassError(f"custom dataset {file}: ppl needs multiple-choice rows (columns A, B, ...); "
                               f"use infer_method gen for question answering")
        method = "gen"
    subset_name = name or re.sub(r"[^\w.-]+", "_", file.stem)
    loader = CustomLoader(file.resolve(), labels if kind == "mcq" else "")
    if kind == "mcq":
        sub = mcq_subset(subset_name, loader, method, labels=labels, cue="Answer:",
                         body=f"{{question}}\n{options_block(labels)}\n")
        if postprocessor or evaluator:
            from dataclasses import replace

            sub = replace(sub, postprocessor=postprocessor or sub.postprocessor,
                          evaluator=evaluator or sub.evaluator)
    else:
        sub = Subset(subset_name, loader, PromptTemplate(human="{question}"), mode="gen",
                     postprocessor=postprocessor, evaluator=evaluator or "exact_match")
    return Benchmark(name or "custom", (sub,), description=f"{kind}/{method} from {file}")
