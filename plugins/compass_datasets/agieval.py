"""AGIEval v1 (Zhong et al. 2023): 21 human exams, 8,269 questions; zero-shot, as the paper.

Layouts: ``<data>/agieval/data/v1/<task>.jsonl`` (the official repository's ``data/v1``),
OpenCompass's ``<data>/AGIEval/data/v1/<task>.jsonl``, or ``<data>/agieval/<task>.jsonl``.
A line is ``{"passage", "question", "options": ["(A)…", …], "label", "answer", "other"}``:
``label`` is the gold letter, a list of letters for the multi-answer tasks (JEC-QA, some
Gaokao physics), ``null`` for the two cloze tasks, whose gold is ``answer``.

Prompts are the paper's zero-shot ones, in the task's language:

* English choice: ``{passage}Q: {question} Answer Choices: (A)… (B)…\\nA: Among A through
  E, the answer is``; Chinese: ``{passage}问题：{question} 选项：(A)… (B)…\\n答案：从A到D,
  我们应选择``;
* cloze: ``{passage}Q: {question}\\nA: The answer is`` / ``{passage}问题：{question}\\n答案：``.

Scoring as AGIEval's own evaluation: single answers by the chosen letter (``first_option``);
multi-answer questions by the *set* of letters (``agieval_multi``: all of them, nothing
more); cloze answers by math equivalence (``agieval_cloze`` then ``math_equiv``). Seven
gaokao-mathqa questions have several right letters (``"A C"``); that task is scored by one
letter, so they count as wrong, as in AGIEval's evaluation.

Variants: ``agieval_gen`` generates every answer; ``agieval`` does so for chat models and,
for base models, ranks the option letters by likelihood (ppl) for single-answer questions,
generating only where a set or a formula is the answer. Groups: ``agieval-english``,
``agieval-chinese`` (the paper's split by exam language: Gaokao English is a Chinese exam),
``agieval-gaokao`` and ``agieval`` (the plain average over the 21 tasks).
"""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, Group, PromptTemplate, Rows, Subset

from compass_datasets.mcq import GEN_MAX_OUT_LEN, CachedLoader, pick_mode
from compass_datasets.readers import find, read_jsonl

#: tasks in the order of the paper's tables, with their prompt language
ENGLISH_QA = ("lsat-ar", "lsat-lr", "lsat-rc", "logiqa-en", "sat-math", "sat-en", "sat-en-without-passage",
              "aqua-rat", "gaokao-english")
CHINESE_QA = ("gaokao-chinese", "gaokao-geography", "gaokao-history", "gaokao-biology", "gaokao-chemistry",
              "gaokao-physics", "gaokao-mathqa", "logiqa-zh", "jec-qa-kd", "jec-qa-ca")
CLOZE = {"math": "en", "gaokao-mathcloze": "zh"}
TASKS = ENGLISH_QA + CHINESE_QA + tuple(CLOZE)
#: tasks whose gold may be several letters (scored as a set)
MULTI_ANSWER = ("gaokao-physics", "jec-qa-kd", "jec-qa-ca")
GAOKAO = tuple(t for t in TASKS if t.startswith("gaokao-"))
#: the summary groups (the paper's English / Chinese exams)
ENGLISH = ("lsat-ar", "lsat-lr", "lsat-rc", "logiqa-en", "sat-math", "sat-en", "sat-en-without-passage",
           "aqua-rat", "math")
CHINESE = tuple(t for t in TASKS if t not in ENGLISH)
LAYOUTS = ("agieval/data/v1/{task}.jsonl", "AGIEval/data/v1/{task}.jsonl", "agieval/v1/{task}.jsonl",
           "agieval/{task}.jsonl")
LETTERS = "ABCDEFG"
#: tasks with five choices (A-E); the others have four
FIVE_CHOICES = ("lsat-ar", "lsat-lr", "lsat-rc", "aqua-rat")
CLOZE_MAX_OUT_LEN = 512

PROMPTS = {
    ("en", "qa"): "{passage}Q: {question} Answer Choices: {options}\nA: Among A through {last}, the answer is",
    ("zh", "qa"): "{passage}问题：{question} 选项：{options}\n答案：从A到{last}, 我们应选择",
    ("en", "cloze"): "{passage}Q: {question}\nA: The answer is",
    ("zh", "cloze"): "{passage}问题：{question}\n答案：",
}


def language(task: str) -> str:
    return CLOZE.get(task) or ("en" if task in ENGLISH_QA else "zh")


class AGIEvalLoader(CachedLoader):
    """One task's questions: ``passage`` ("" when none), ``question``, ``options`` (the
    choices joined by spaces), ``last`` (the last option letter), ``gold`` (the letter; for
    multi-answer tasks the letters sorted and joined, ``"AB"``; for cloze tasks the answer)
    and ``choices`` (``{letter: " letter"}``, the ppl candidates)."""

    def __init__(self, task: str):
        super().__init__()
        self.task = task

    @property
    def key(self) -> tuple:
        return ("agieval", self.task)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), [p.format(task=self.task) for p in LAYOUTS], name="agieval",
                    what=f"AGIEval task {self.task}")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            question = obj.get("question")
            if not isinstance(question, str):
                raise DataError(f"{path}:{line}: needs a 'question' string")
            row = {"passage": obj.get("passage") or "", "question": question}
            if self.task in CLOZE:
                if obj.get("answer") in (None, ""):
                    raise DataError(f"{path}:{line}: a cloze question needs an 'answer'")
                row.update(gold=str(obj["answer"]), options="", last="", choices={})
            else:
                row.update(self._choice_fields(obj, path, line))
            rows.append(row)
        return Rows(test=rows)

    def _choice_fields(self, obj: dict, path: Path, line: int) -> dict:
        options = obj.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= len(LETTERS):
            raise DataError(f"{path}:{line}: needs 'options', a list of 2 to {len(LETTERS)} choices")
        labels = LETTERS[:len(options)]
        label = obj.get("label")
        # a list for the multi-answer tasks; a few gaokao-mathqa labels are strings of letters ("A C")
        # (and one jec-qa-ca list ends in a stray "。", which is not an answer and is dropped)
        golds = [str(g).strip() for g in (label if isinstance(label, list) else str(label or ""))]
        golds = [g for g in golds if g and (g.isalnum() or not isinstance(label, list))]
        # one jec-qa-kd label is an empty list: kept, as AGIEval keeps it (an empty set)
        if (not golds and not isinstance(label, list)) or any(g not in labels for g in golds):
            raise DataError(f"{path}:{line}: 'label' must be one of {', '.join(labels)} (or a list of them), "
                            f"got {label!r}")
        return {"options": " ".join(str(o) for o in options), "last": labels[-1],
                "gold": "".join(sorted(set(golds))), "choices": {x: f" {x}" for x in labels}}


def subset(task: str, mode: str, max_out_len: int | None = None) -> Subset:
    """One task in ``mode``; cloze and multi-answer tasks are always generated."""
    lang, name = language(task), f"agieval-{task}"
    kind = "cloze" if task in CLOZE else "qa"
    template = PromptTemplate(human=PROMPTS[(lang, kind)])
    if kind == "cloze":
        return Subset(name, AGIEvalLoader(task), template, mode="gen", gold="gold",
                      max_out_len=max_out_len or CLOZE_MAX_OUT_LEN, postprocessor="agieval_cloze",
                      evaluator="math_equiv")
    if task in MULTI_ANSWER:
        return Subset(name, AGIEvalLoader(task), template, mode="gen", gold="gold",
                      max_out_len=max_out_len or GEN_MAX_OUT_LEN, postprocessor="agieval_multi",
                      evaluator="accuracy")
    if mode == "ppl":
        return Subset(name, AGIEvalLoader(task), template, mode="ppl", gold="gold", candidates="choices",
                      evaluator="accuracy")
    return Subset(name, AGIEvalLoader(task), template, mode="gen", gold="gold",
                  max_out_len=max_out_len or GEN_MAX_OUT_LEN, postprocessor="first_option",
                  postprocessor_kwargs={"options": LETTERS[:5 if task in FIVE_CHOICES else 4]}, evaluator="accuracy")


def build(name: str, mode: str, tasks=None, max_out_len: int | None = None) -> Benchmark:
    chosen = (tasks,) if isinstance(tasks, str) else tuple(tasks or TASKS)
    unknown = [t for t in chosen if t not in TASKS]
    if unknown:
        raise CompassError(f"{name}: unknown AGIEval task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    subsets = tuple(subset(t, mode, max_out_len) for t in chosen)
    names = [s.name for s in subsets]
    groups = []
    for group, members in (("agieval-english", ENGLISH), ("agieval-chinese", CHINESE), ("agieval-gaokao", GAOKAO)):
        inside = tuple(f"agieval-{t}" for t in members if f"agieval-{t}" in names)
        if inside and len(inside) < len(names):
            groups.append(Group(group, inside))
    groups.append(Group("agieval", tuple(names)))
    return Benchmark(name, subsets, tuple(groups))


def agieval(chat: bool = False, tasks=None, max_out_len: int | None = None) -> Benchmark:
    """AGIEval, 21 tasks, zero-shot; gen for chat models, ppl letters (where one letter is
    the answer) for base models; ``tasks=[...]`` picks some."""
    return build("agieval", pick_mode(None, chat), tasks, max_out_len)


def agieval_gen(tasks=None, max_out_len: int | None = None) -> Benchmark:
    """AGIEval, 21 tasks, zero-shot, every answer generated."""
    return build("agieval_gen", "gen", tasks, max_out_len)
