"""The ``ceval-xyj`` benchmark: 20 multiple-choice questions about 《西游记》, C-Eval style.

Only compass's public API is used: :class:`compass._dataset.Benchmark` / ``Subset`` /
``Rows`` / ``Group``, :class:`compass._prompt.PromptTemplate` and ``FewShot``. The data
ships inside this package (``data/dev.csv``, ``data/val.csv``), so no data dir is needed.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from compass.sdk import Benchmark, DataError, DataMissing, FewShot, PromptTemplate, Rows, Subset

LABELS = ("A", "B", "C", "D")
HEADER = "以下是中国关于《西游记》考试的单项选择题，请选出其中的正确答案。\n"
QUESTION = "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案:"


def _data_file(name: str) -> Path:
    return Path(str(resources.files("compass_dataset_ceval_xyj").joinpath("data", name)))


def read_rows(path: Path) -> list[dict]:
    """Rows of a C-Eval-format CSV; a bad row is a DataError naming file and line."""
    if not path.exists():
        raise DataMissing(f"ceval-xyj: {path} not found; reinstall compass-dataset-ceval-xyj")
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            line = reader.line_num
            missing = [k for k in ("question", *LABELS, "answer") if not (row.get(k) or "").strip()]
            if missing:
                raise DataError(f"{path}:{line}: empty or missing column(s) {', '.join(missing)}")
            if row["answer"].strip() not in LABELS:
                raise DataError(f"{path}:{line}: answer {row['answer']!r} is not one of A, B, C, D")
            row["answer"] = row["answer"].strip()
            rows.append(row)
    return rows


def load(data_dir: Path) -> Rows:
    """The 20 val questions and the 5 dev examples (``data_dir`` is not needed)."""
    return Rows(test=read_rows(_data_file("val.csv")), fewshot=read_rows(_data_file("dev.csv")))


def ceval_xyj(chat: bool = False, mode: str | None = None) -> Benchmark:
    """5-shot; ``mode`` gen (generate the letter) or ppl (most likely letter).

    Without ``mode``, chat models generate and base models compare likelihoods, like
    compass's built-in ``ceval``.
    """
    mode = mode or ("gen" if chat else "ppl")
    fewshot = FewShot(indices=(0, 1, 2, 3, 4))
    if mode == "gen":
        template = PromptTemplate(human=HEADER + QUESTION + " ", bot="{answer}")
        subset = Subset("ceval-xyj", load, template, mode="gen", fewshot=fewshot,
                        postprocessor="first_option", postprocessor_kwargs={"options": "ABCD"},
                        evaluator="accuracy")
    elif mode == "ppl":
        template = PromptTemplate(human=HEADER + QUESTION, bot=" {answer}")
        subset = Subset("ceval-xyj", load, template, mode="ppl", fewshot=fewshot,
                        candidates={label: f" {label}" for label in LABELS}, evaluator="accuracy")
    else:
        raise ValueError(f"ceval-xyj: mode must be gen or ppl, got {mode!r}")
    return Benchmark("ceval-xyj", (subset,), description="《西游记》 quiz")
