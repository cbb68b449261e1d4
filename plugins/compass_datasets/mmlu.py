"""MMLU (Hendrycks et al.): 57 subjects, 5-shot from dev, evaluated on the test split.

Layout (OpenCompass and the official ``data.tar``): ``<data>/mmlu/{dev,val,test}/
<subject>_<split>.csv``, no header, columns ``question,A,B,C,D,answer``.

Prompts: ``mmlu_ppl`` follows the original evaluation (``The following are multiple choice
questions (with answers) about  <subject>.`` once, then ``question / A. .. / Answer: X``
blocks separated by a blank line; the double space is the original's); ``mmlu_gen``
follows OpenCompass's chat-friendly ``There is a single choice question about <subject>.
Answer the question by replying A, B, C or D.`` per question. Groups: ``mmlu-humanities``,
``mmlu-stem``, ``mmlu-social-science``, ``mmlu-other``, ``mmlu`` (plain average) and
``mmlu-weighted`` (weighted by questions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from compass.dataset import Benchmark, Group, Rows
from compass.errors import CompassError
from compass.prompt import FewShot

from compass_datasets.mcq import CachedLoader, mcq_subset, options_block, pick_mode
from compass_datasets.readers import check_label, find, read_csv

NAME = "mmlu"
COLUMNS = ("question", "A", "B", "C", "D", "answer")
ROOTS = ("mmlu", "mmlu/data", "MMLU")
SPLITS = ("test", "val")

_GROUPS = {
    "humanities": "formal_logic high_school_european_history high_school_us_history "
                  "high_school_world_history international_law jurisprudence logical_fallacies "
                  "moral_disputes moral_scenarios philosophy prehistory professional_law world_religions",
    "stem": "abstract_algebra anatomy astronomy college_biology college_chemistry "
            "college_computer_science college_mathematics college_physics computer_security "
            "conceptual_physics electrical_engineering elementary_mathematics high_school_biology "
            "high_school_chemistry high_school_computer_science high_school_mathematics "
            "high_school_physics high_school_statistics machine_learning",
    "social-science": "econometrics high_school_geography high_school_government_and_politics "
                      "high_school_macroeconomics high_school_microeconomics high_school_psychology "
                      "human_sexuality professional_psychology public_relations security_studies "
                      "sociology us_foreign_policy",
    "other": "business_ethics clinical_knowledge college_medicine global_facts human_aging "
             "management marketing medical_genetics miscellaneous nutrition professional_accounting "
             "professional_medicine virology",
}
#: subject -> category slug (the summary group it belongs to)
CATEGORY = {s: slug for slug, names in _GROUPS.items() for s in names.split()}
SUBJECTS = tuple(sorted(CATEGORY))


def _read(path: Path) -> list[dict]:
    rows = []
    for line, row in read_csv(path, header=False, columns=COLUMNS):
        row["answer"] = check_label(row["answer"], "ABCD", path, line)
        rows.append(row)
    return rows


class MMLULoader(CachedLoader):
    """One subject's evaluated split and its dev rows."""

    def __init__(self, subject: str, split: str = "test"):
        super().__init__()
        self.subject, self.split = subject, split

    @property
    def key(self) -> tuple:
        return ("mmlu", self.subject, self.split)

    def locate(self, data_dir) -> Path:
        s, sp = self.subject, self.split
        return find(Path(data_dir), [f"{r}/{sp}/{s}_{sp}.csv" for r in ROOTS], name=NAME,
                    what=f"MMLU {sp} split of '{s}'")

    def read(self, data_dir) -> Rows:
        test = self.locate(data_dir)
        dev = find(test.parent.parent / "dev", [f"{self.subject}_dev.csv"], name=NAME,
                   what=f"MMLU dev split of '{self.subject}' (the 5 in-context examples)")
        return Rows(test=_read(test), fewshot=_read(dev))


def make_subset(subject: str, mode: str, split: str = "test"):
    spaced = subject.replace("_", " ")
    loader = MMLULoader(subject, split)
    fewshot = FewShot(indices=(0, 1, 2, 3, 4))
    if mode == "gen":
        hint = f"There is a single choice question about {spaced}. Answer the question by replying A, B, C or D."
        return mcq_subset(f"mmlu-{subject}", loader, mode, fewshot=fewshot, cue="Answer:",
                          body=f"{hint}\nQuestion: {{question}}\n{options_block('ABCD')}\n")
    return mcq_subset(f"mmlu-{subject}", loader, mode, fewshot=fewshot, cue="Answer:",
                      instruction=f"The following are multiple choice questions (with answers) about  {spaced}.\n\n",
                      body=f"{{question}}\n{options_block('ABCD')}\n", example_sep="\n\n")


def build(mode: str, subjects: Sequence[str] | None = None, split: str = "test",
          name: str = NAME) -> Benchmark:
    if isinstance(subjects, str):  # one subject, or a comma-separated list
        subjects = [x.strip() for x in subjects.split(",") if x.strip()]
    chosen = list(SUBJECTS if subjects is None else subjects)
    unknown = [s for s in chosen if s not in CATEGORY]
    if unknown:
        raise CompassError(f"{name}: unknown subject(s) {', '.join(unknown)}; known: {', '.join(SUBJECTS)}")
    if split not in SPLITS:
        raise CompassError(f"{name}: split must be one of {', '.join(SPLITS)}, got {split!r}")
    subsets = tuple(make_subset(s, mode, split) for s in chosen)
    groups = [Group(f"mmlu-{slug}", tuple(f"mmlu-{s}" for s in chosen if CATEGORY[s] == slug))
              for slug in _GROUPS]
    groups = [g for g in groups if g.members]
    every = tuple(s.name for s in subsets)
    groups += [Group("mmlu", every), Group("mmlu-weighted", every, weighted=True)]
    return Benchmark(name, subsets, tuple(groups))


def mmlu(chat: bool = False, subjects: Sequence[str] | None = None, split: str = "test") -> Benchmark:
    """MMLU, 5-shot: gen for chat models, ppl for base models."""
    return build(pick_mode(None, chat), subjects, split)


def mmlu_gen(subjects: Sequence[str] | None = None, split: str = "test") -> Benchmark:
    return build("gen", subjects, split, "mmlu_gen")


def mmlu_ppl(subjects: Sequence[str] | None = None, split: str = "test") -> Benchmark:
    return build("ppl", subjects, split, "mmlu_ppl")


def mmlu_clp(subjects: Sequence[str] | None = None, split: str = "test") -> Benchmark:
    return build("clp", subjects, split, "mmlu_clp")
