"""C-Eval: 52 subjects of Chinese exams, evaluated on the val split, 5-shot from dev.

Layout (OpenCompass): ``<data>/ceval/formal_ceval/{dev,val}/<subject>_{split}.csv`` with
columns ``id,question,A,B,C,D,answer[,explanation]``. The official release
(``ceval-exam.zip``) unpacked as ``<data>/ceval/`` or ``<data>/ceval-exam/`` works too.

Prompt (OpenCompass ``ceval_gen``/``ceval_ppl``): every question, in-context ones
included, reads ``以下是中国关于{科目}考试的单项选择题，请选出其中的正确答案。\\n{question}\\n
A. ..\\nB. ..\\nC. ..\\nD. ..\\n答案: `` with the five dev rows (indices 0-4) as examples.
Options: ``shots`` (0-5), ``header`` (the per-subject line), ``cue`` (lm-eval's C-Eval
prompt: ``header=False, cue="答案："``). Groups: ``ceval-stem``, ``ceval-social-science``,
``ceval-humanities``, ``ceval-other``, ``ceval-hard`` and ``ceval`` (plain average of the 52
subjects).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from compass_datasets.exam import CsvReader, Exam, Layout, Subject, Wording

#: category in the mapping file -> group slug
CATEGORIES = {"STEM": "stem", "Social Science": "social-science", "Humanities": "humanities", "Other": "other"}
#: the official C-Eval Hard subjects
HARD = ("advanced_mathematics", "discrete_mathematics", "probability_and_statistics",
        "college_chemistry", "college_physics", "high_school_mathematics",
        "high_school_chemistry", "high_school_physics")


@lru_cache(maxsize=1)
def subject_mapping() -> dict[str, tuple[str, str, str]]:
    """``{subject: (English name, Chinese name, category)}`` from the shipped mapping file."""
    text = resources.files("compass_datasets").joinpath("data/ceval/subject_mapping.json").read_text("utf-8")
    return {k: tuple(v) for k, v in json.loads(text).items()}


@lru_cache(maxsize=1)
def subjects() -> dict[str, Subject]:
    return {s: Subject(zh, (CATEGORIES[category],)) for s, (_, zh, category) in subject_mapping().items()}


CEVAL = Exam(
    name="ceval", title="C-Eval", subjects=subjects, lang="zh",
    layout=Layout(roots=("ceval/formal_ceval", "ceval", "ceval/ceval-exam", "ceval-exam", "formal_ceval"),
                  test="{split}/{subject}_{split}.csv", dev="{subject}_dev.csv", split="val",
                  read=CsvReader(columns=("id", "question", "A", "B", "C", "D", "answer"))),
    wording={"zh": Wording(head="以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案。\n", cue="答案:")},
    groups=tuple(CATEGORIES.values()), fixed_groups={"hard": HARD}, options=("shots", "header", "cue"),
)

build = CEVAL.build  # also serves demo_ceval (prefix=, root=)
ceval = CEVAL.factory(None)
ceval_gen = CEVAL.factory("gen")
ceval_ppl = CEVAL.factory("ppl")
ceval_clp = CEVAL.factory("clp")
