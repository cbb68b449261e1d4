"""CMMLU: 67 subjects of Chinese multiple-choice questions, 5-shot from dev, on test.

Layout (OpenCompass and the official release): ``<data>/cmmlu/{dev,test}/<subject>.csv``
with the header ``,Question,A,B,C,D,Answer`` (the first, unnamed column is a row number).

Prompt (OpenCompass ``cmmlu_gen``/``cmmlu_ppl``): ``以下是关于{科目}的单项选择题，请直接给出正确
答案的选项。\\n题目：{question}\\nA. ..\\nD. ..`` followed by ``答案是: X``. Groups:
``cmmlu-humanities``, ``cmmlu-stem``, ``cmmlu-social-science``, ``cmmlu-other``,
``cmmlu-china-specific`` and ``cmmlu`` (plain average of the 67 subjects).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from compass.dataset import Benchmark, Group, Rows
from compass.errors import CompassError
from compass.prompt import FewShot

from compass_datasets.mcq import CachedLoader, mcq_subset, options_block, pick_mode
from compass_datasets.readers import check_label, find, read_csv

NAME = "cmmlu"
ROOTS = ("cmmlu", "cmmlu/data", "CMMLU")
COLUMNS = ("Question", "A", "B", "C", "D", "Answer")

# subject: (Chinese name, sub-categories); sub-categories map to the groups below.
SUBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "agronomy": ("农学", ("other",)),
    "anatomy": ("解剖学", ("biology",)),
    "ancient_chinese": ("古汉语", ("linguistics", "china specific")),
    "arts": ("艺术学", ("arts",)),
    "astronomy": ("天文学", ("physics",)),
    "business_ethics": ("商业伦理", ("business",)),
    "chinese_civil_service_exam": ("中国公务员考试", ("politics", "china specific")),
    "chinese_driving_rule": ("中国驾驶规则", ("other", "china specific")),
    "chinese_food_culture": ("中国饮食文化", ("culture", "china specific")),
    "chinese_foreign_policy": ("中国外交政策", ("politics", "china specific")),
    "chinese_history": ("中国历史", ("history", "china specific")),
    "chinese_literature": ("中国文学", ("literature", "china specific")),
    "chinese_teacher_qualification": ("中国教师资格", ("education", "china specific")),
    "clinical_knowledge": ("临床知识", ("other",)),
    "college_actuarial_science": ("大学精算学", ("math",)),
    "college_education": ("大学教育学", ("education",)),
    "college_engineering_hydrology": ("大学工程水文学", ("engineering",)),
    "college_law": ("大学法律", ("law",)),
    "college_mathematics": ("大学数学", ("math",)),
    "college_medical_statistics": ("大学医学统计", ("statistics",)),
    "college_medicine": ("大学医学", ("other",)),
    "computer_science": ("计算机科学", ("computer science",)),
    "computer_security": ("计算机安全", ("other",)),
    "conceptual_physics": ("概念物理学", ("physics",)),
    "construction_project_management": ("建设工程管理", ("other", "china specific")),
    "economics": ("经济学", ("economics",)),
    "education": ("教育学", ("education",)),
    "electrical_engineering": ("电气工程", ("engineering",)),
    "elementary_chinese": ("小学语文", ("linguistics", "china specific")),
    "elementary_commonsense": ("小学常识", ("other", "china specific")),
    "elementary_information_and_technology": ("小学信息技术", ("other",)),
    "elementary_mathematics": ("初等数学", ("math",)),
    "ethnology": ("民族学", ("culture", "china specific")),
    "food_science": ("食品科学", ("other",)),
    "genetics": ("遗传学", ("biology",)),
    "global_facts": ("全球事实", ("global",)),
    "high_school_biology": ("高中生物", ("biology",)),
    "high_school_chemistry": ("高中化学", ("chemistry",)),
    "high_school_geography": ("高中地理", ("geography",)),
    "high_school_mathematics": ("高中数学", ("math",)),
    "high_school_physics": ("高中物理学", ("physics",)),
    "high_school_politics": ("高中政治", ("politics", "china specific")),
    "human_sexuality": ("人类性行为", ("other",)),
    "international_law": ("国际法学", ("law",)),
    "journalism": ("新闻学", ("sociology",)),
    "jurisprudence": ("法理学", ("law",)),
    "legal_and_moral_basis": ("法律与道德基础", ("other",)),
    "logical": ("逻辑学", ("philosophy",)),
    "machine_learning": ("机器学习", ("computer science",)),
    "management": ("管理学", ("business",)),
    "marketing": ("市场营销", ("business",)),
    "marxist_theory": ("马克思主义理论", ("philosophy",)),
    "modern_chinese": ("现代汉语", ("linguistics", "china specific")),
    "nutrition": ("营养学", ("other",)),
    "philosophy": ("哲学", ("philosophy",)),
    "professional_accounting": ("专业会计", ("business",)),
    "professional_law": ("专业法学", ("law",)),
    "professional_medicine": ("专业医学", ("other",)),
    "professional_psychology": ("专业心理学", ("psychology",)),
    "public_relations": ("公共关系", ("politics",)),
    "security_study": ("安全研究", ("politics",)),
    "sociology": ("社会学", ("culture",)),
    "sports_science": ("体育学", ("other",)),
    "traditional_chinese_medicine": ("中医中药", ("other", "china specific")),
    "virology": ("病毒学", ("biology",)),
    "world_history": ("世界历史", ("history",)),
    "world_religions": ("世界宗教", ("global",)),
}

#: group slug -> the sub-categories it collects (CMMLU's own categorisation)
CATEGORIES = {
    "humanities": ("history", "philosophy", "law", "arts", "literature", "global"),
    "stem": ("physics", "chemistry", "biology", "computer science", "math", "engineering", "statistics"),
    "social-science": ("linguistics", "business", "politics", "culture", "economics", "geography",
                       "psychology", "education", "sociology"),
    "other": ("other",),
    "china-specific": ("china specific",),
}


def _read(path: Path) -> list[dict]:
    rows = []
    for line, raw in read_csv(path, columns=COLUMNS):
        rows.append({"question": raw["Question"], "A": raw["A"], "B": raw["B"], "C": raw["C"],
                     "D": raw["D"], "answer": check_label(raw["Answer"], "ABCD", path, line, "Answer")})
    return rows


class CMMLULoader(CachedLoader):
    """One subject's test rows and its dev rows."""

    def __init__(self, subject: str):
        super().__init__()
        self.subject = subject

    @property
    def key(self) -> tuple:
        return ("cmmlu", self.subject)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), [f"{r}/test/{self.subject}.csv" for r in ROOTS], name=NAME,
                    what=f"CMMLU test split of '{self.subject}'")

    def read(self, data_dir) -> Rows:
        test = self.locate(data_dir)
        dev = find(test.parent.parent / "dev", [f"{self.subject}.csv"], name=NAME,
                   what=f"CMMLU dev split of '{self.subject}' (the 5 in-context examples)")
        return Rows(test=_read(test), fewshot=_read(dev))


def build(mode: str, subjects: Sequence[str] | None = None, name: str = NAME) -> Benchmark:
    if isinstance(subjects, str):  # one subject, or a comma-separated list
        subjects = [x.strip() for x in subjects.split(",") if x.strip()]
    chosen = list(SUBJECTS if subjects is None else subjects)
    unknown = [s for s in chosen if s not in SUBJECTS]
    if unknown:
        raise CompassError(f"{name}: unknown subject(s) {', '.join(unknown)}; known: {', '.join(SUBJECTS)}")
    subsets = tuple(
        mcq_subset(f"cmmlu-{s}", CMMLULoader(s), mode, cue="答案是:", fewshot=FewShot(indices=(0, 1, 2, 3, 4)),
                   body=f"以下是关于{SUBJECTS[s][0]}的单项选择题，请直接给出正确答案的选项。\n"
                        f"题目：{{question}}\n{options_block('ABCD')}\n")
        for s in chosen)
    groups = []
    for slug, cats in CATEGORIES.items():
        members = tuple(f"cmmlu-{s}" for s in chosen if set(SUBJECTS[s][1]) & set(cats))
        if members:
            groups.append(Group(f"cmmlu-{slug}", members))
    groups.append(Group("cmmlu", tuple(s.name for s in subsets)))
    return Benchmark(name, subsets, tuple(groups))


def cmmlu(chat: bool = False, subjects: Sequence[str] | None = None) -> Benchmark:
    """CMMLU, 5-shot: gen for chat models, ppl for base models."""
    return build(pick_mode(None, chat), subjects)


def cmmlu_gen(subjects: Sequence[str] | None = None) -> Benchmark:
    return build("gen", subjects, "cmmlu_gen")


def cmmlu_ppl(subjects: Sequence[str] | None = None) -> Benchmark:
    return build("ppl", subjects, "cmmlu_ppl")


def cmmlu_clp(subjects: Sequence[str] | None = None) -> Benchmark:
    return build("clp", subjects, "cmmlu_clp")
