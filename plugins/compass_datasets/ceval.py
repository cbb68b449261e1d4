"""C-Eval: 52 subjects of Chinese exams, evaluated on the val split, 5-shot from dev.

Layout (OpenCompass): ``<data>/ceval/formal_ceval/{dev,val}/<subject>_{split}.csv`` with
columns ``id,question,A,B,C,D,answer[,explanation]``. The official release
(``ceval-exam.zip``) unpacked as ``<data>/ceval/`` or ``<data>/ceval-exam/`` works too.

Prompt (OpenCompass ``ceval_gen``/``ceval_ppl``): every question, in-context ones
included, reads ``以下是中国关于{科目}考试的单项选择题，请选出其中的正确答案。\\n{question}\\n
A. ..\\nB. ..\\nC. ..\\nD. ..\\n答案: `` with the five dev rows (indices 0-4) as examples.
Groups: ``ceval-stem``, ``ceval-social-science``, ``ceval-humanities``, ``ceval-other``,
``ceval-hard`` and ``ceval`` (plain average of the 52 subjects).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Sequence

from compass.dataset import Benchmark, Group, Rows
from compass.errors import CompassError
from compass.prompt import FewShot

from compass_datasets.mcq import CachedLoader, mcq_subset, options_block, pick_mode
from compass_datasets.readers import check_label, find, read_csv

NAME = "ceval"
CATEGORIES = (("STEM", "stem"), ("Social Science", "social-science"),
              ("Humanities", "humanities"), ("Other", "other"))
#: the official C-Eval Hard subjects
HARD = ("advanced_mathematics", "discrete_mathematics", "probability_and_statistics",
        "college_chemistry", "college_physics", "high_school_mathematics",
        "high_school_chemistry", "high_school_physics")
ROOTS = ("ceval/formal_ceval", "ceval", "ceval/ceval-exam", "ceval-exam", "formal_ceval")
COLUMNS = ("id", "question", "A", "B", "C", "D", "answer")


@lru_cache(maxsize=1)
def subject_mapping() -> dict[str, tuple[str, str, str]]:
    """``{subject: (English name, Chinese name, category)}`` from the shipped mapping file."""
    text = resources.files("compass_datasets").joinpath("data/ceval/subject_mapping.json").read_text("utf-8")
    return {k: tuple(v) for k, v in json.loads(text).items()}


def _read_split(path: Path) -> list[dict]:
    rows = []
    for line, row in read_csv(path, columns=COLUMNS):
        row["answer"] = check_label(row["answer"], "ABCD", path, line)
        rows.append(row)
    return rows


class CevalLoader(CachedLoader):
    """The val rows of one subject and its dev rows (the in-context pool)."""

    def __init__(self, subject: str, root: Path | None = None, name: str = NAME):
        super().__init__()
        self.subject, self.root, self.name = subject, root, name

    @property
    def key(self) -> tuple:
        return ("ceval", self.subject, str(self.root))

    def locate(self, data_dir) -> Path:
        base = Path(self.root or data_dir)
        rel = [f"{r}/val/{self.subject}_val.csv" for r in ROOTS]
        return find(base, rel, name=self.name, what=f"C-Eval val split of '{self.subject}'")

    def read(self, data_dir) -> Rows:
        val = self.locate(data_dir)
        dev_dir = val.parent.parent / "dev"
        dev = find(dev_dir, [f"{self.subject}_dev.csv"], name=self.name,
                   what=f"C-Eval dev split of '{self.subject}' (the 5 in-context examples)")
        return Rows(test=_read_split(val), fewshot=_read_split(dev))


def body(subject_zh: str, header: bool = True) -> str:
    head = f"以下是中国关于{subject_zh}考试的单项选择题，请选出其中的正确答案。\n" if header else ""
    return f"{head}{{question}}\n{options_block('ABCD')}\n"


def build(mode: str, subjects: Sequence[str] | None = None, *, prefix: str = NAME,
          root: Path | None = None, name: str = NAME, description: str = "", shots: int = 5,
          header: bool = True, cue: str = "答案:") -> Benchmark:
    """The C-Eval benchmark in one mode, optionally restricted to ``subjects``.

    ``shots``: in-context dev examples (0-5, the first ones); ``header``: the per-subject
    instruction line; ``cue``: the answer cue (lm-eval's C-Eval prompt: ``header=False``,
    ``cue="答案："``).
    """
    if not 0 <= int(shots) <= 5:
        raise CompassError(f"{name}: shots must be 0 to 5 (C-Eval has 5 dev examples per subject), got {shots}")
    mapping = subject_mapping()
    if isinstance(subjects, str):  # one subject, or a comma-separated list
        subjects = [x.strip() for x in subjects.split(",") if x.strip()]
    chosen = list(mapping) if subjects is None else list(subjects)
    unknown = [s for s in chosen if s not in mapping]
    if unknown:
        raise CompassError(f"{name}: unknown subject(s) {', '.join(unknown)}; known: {', '.join(mapping)}")
    subsets = tuple(
        mcq_subset(f"{prefix}-{s}", CevalLoader(s, root), mode, body=body(mapping[s][1], header),
                   cue=cue, fewshot=FewShot(indices=tuple(range(int(shots)))))
        for s in chosen)
    groups = []
    for category, slug in CATEGORIES:
        members = tuple(f"{prefix}-{s}" for s in chosen if mapping[s][2] == category)
        if members:
            groups.append(Group(f"{prefix}-{slug}", members))
    hard = tuple(f"{prefix}-{s}" for s in HARD if s in chosen)
    if hard:
        groups.append(Group(f"{prefix}-hard", hard))
    groups.append(Group(prefix, tuple(s.name for s in subsets)))
    return Benchmark(name, subsets, tuple(groups), description)


def ceval(chat: bool = False, subjects: Sequence[str] | None = None, shots: int = 5, header: bool = True,
          cue: str = "答案:") -> Benchmark:
    """C-Eval val, 5-shot: gen for chat models, ppl for base models."""
    return build(pick_mode(None, chat), subjects, shots=shots, header=header, cue=cue)


def ceval_gen(subjects: Sequence[str] | None = None, shots: int = 5, header: bool = True,
              cue: str = "答案:") -> Benchmark:
    return build("gen", subjects, name="ceval_gen", shots=shots, header=header, cue=cue)


def ceval_ppl(subjects: Sequence[str] | None = None, shots: int = 5, header: bool = True,
              cue: str = "答案:") -> Benchmark:
    return build("ppl", subjects, name="ceval_ppl", shots=shots, header=header, cue=cue)


def ceval_clp(subjects: Sequence[str] | None = None, shots: int = 5, header: bool = True,
              cue: str = "答案:") -> Benchmark:
    return build("clp", subjects, name="ceval_clp", shots=shots, header=header, cue=cue)
