"""MMLU (Hendrycks et al.): 57 subjects, 5-shot from dev, evaluated on the test split.

Layout (OpenCompass and the official ``data.tar``): ``<data>/mmlu/{dev,val,test}/
<subject>_<split>.csv``, no header, columns ``question,A,B,C,D,answer``.

Prompts: ``mmlu_ppl`` follows the original evaluation (``The following are multiple choice
questions (with answers) about  <subject>.`` once, then ``question / A. .. / Answer: X``
blocks separated by a blank line; the double space is the original's); ``mmlu_gen``
follows OpenCompass's chat-friendly ``There is a single choice question about <subject>.
Answer the question by replying A, B, C or D.`` per question. Option: ``split`` (test or
val). Groups: ``mmlu-humanities``, ``mmlu-stem``, ``mmlu-social-science``, ``mmlu-other``,
``mmlu`` (plain average) and ``mmlu-weighted`` (weighted by questions).
"""

from __future__ import annotations

from compass_datasets.exam import CsvReader, Exam, Layout, Subject, Wording

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

MMLU = Exam(
    name="mmlu", title="MMLU", lang="en",
    subjects={s: Subject(s.replace("_", " "), (CATEGORY[s],)) for s in SUBJECTS},
    layout=Layout(roots=("mmlu", "mmlu/data", "MMLU"), test="{split}/{subject}_{split}.csv",
                  dev="{subject}_dev.csv", split="test", splits=("test", "val"),
                  read=CsvReader(columns=("question", "A", "B", "C", "D", "answer"), header=False)),
    wording={"en": Wording(cue="Answer:", example_sep="\n\n", instruction="The following are multiple choice "
                           "questions (with answers) about  {subject}.\n\n"),
             "en/gen": Wording(cue="Answer:", question="Question: {question}",
                               head="There is a single choice question about {subject}. Answer the question "
                                    "by replying A, B, C or D.\n")},
    groups=tuple(_GROUPS), weighted_total=True, options=("split",),
)

build = MMLU.build
mmlu = MMLU.factory(None)
mmlu_gen = MMLU.factory("gen")
mmlu_ppl = MMLU.factory("ppl")
mmlu_clp = MMLU.factory("clp")
