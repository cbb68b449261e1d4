"""BIG-Bench Hard (Suzgun et al. 2022): 27 tasks, 6,511 questions, exact match per task.

Layouts: OpenCompass ``<data>/BBH/data/<task>.json`` + ``BBH/lib_prompt/<task>.txt``, or the
official repository's ``<data>/bbh/bbh/<task>.json`` + ``bbh/cot-prompts/<task>.txt`` (also
``<data>/bbh/<task>.json``). A task file is ``{"examples": [{"input", "target"}, ...]}``; a
prompt file is the canary line, ``-----``, the task description and three worked examples.

* ``bbh`` / ``bbh_gen``: 3-shot chain of thought with the shipped prompts — the prompt file's
  description and examples, then ``Q: <input>\\nA: Let's think step by step.``; the answer
  is what follows the last "So the answer is" (``bbh`` postprocessor).
* ``bbh_direct``: the same three examples answered directly (``A: <answer>``, the reasoning
  removed), then ``Q: <input>\\nA:``.

Summary rows: each task, ``bbh`` (the plain average over the 27 tasks, as BBH reports it),
and the paper's two families ``bbh-nlp`` and ``bbh-algorithmic``.
"""

from __future__ import annotations

import re
from pathlib import Path

from compass.sdk import Benchmark, CompassError, DataError, Group, PromptTemplate, Rows, Subset

from compass_datasets.mcq import CachedLoader
from compass_datasets.readers import find, read_json, read_text

NLP = ("causal_judgement", "date_understanding", "disambiguation_qa", "formal_fallacies", "hyperbaton",
       "movie_recommendation", "penguins_in_a_table", "reasoning_about_colored_objects", "ruin_names",
       "salient_translation_error_detection", "snarks", "sports_understanding")
ALGORITHMIC = ("boolean_expressions", "dyck_languages", "geometric_shapes", "logical_deduction_five_objects",
               "logical_deduction_seven_objects", "logical_deduction_three_objects", "multistep_arithmetic_two",
               "navigate", "object_counting", "temporal_sequences", "tracking_shuffled_objects_five_objects",
               "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects",
               "web_of_lies", "word_sorting")
TASKS = tuple(sorted(NLP + ALGORITHMIC))
#: tasks whose answers are option letters like ``(B)``
MULTIPLE_CHOICE = ("date_understanding", "disambiguation_qa", "geometric_shapes", "hyperbaton",
                   "logical_deduction_five_objects", "logical_deduction_seven_objects",
                   "logical_deduction_three_objects", "movie_recommendation", "penguins_in_a_table",
                   "reasoning_about_colored_objects", "ruin_names", "salient_translation_error_detection",
                   "snarks", "temporal_sequences", "tracking_shuffled_objects_five_objects",
                   "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects")
LAYOUTS = (("BBH/data", "BBH/lib_prompt"), ("bbh/bbh", "bbh/cot-prompts"), ("bbh", "bbh/cot-prompts"))
COT_CUE = "A: Let's think step by step."
MAX_OUT_LEN = 512


def read_prompt(path: Path) -> str:
    """A prompt file without its canary line and ``-----`` separator."""
    lines = read_text(path).split("\n")
    if lines and "canary" in lines[0].lower():
        lines = lines[1:]
    if lines and lines[0].strip() == "-----":
        lines = lines[1:]
    text = "\n".join(lines).strip()
    if "Q:" not in text:
        raise DataError(f"{path}:1: no 'Q:' example in the prompt file")
    return text


def direct_prompt(cot: str) -> str:
    """The chain-of-thought examples answered directly: ``A: <answer>`` without the reasoning."""
    def answer(m: re.Match) -> str:
        said = re.findall(r"So the answer is (.+?)\.?\s*$", m.group(1), flags=re.S)
        if not said:
            return m.group(0)
        return "A: " + said[-1].strip()

    return re.sub(r"A: Let's think step by step\.(.*?)(?=\n\nQ:|\Z)", answer, cot, flags=re.S)


class BBHTaskLoader(CachedLoader):
    """One task's questions; the prompt file is read with them (a missing one is an error)."""

    def __init__(self, task: str):
        super().__init__()
        self.task = task

    @property
    def key(self) -> tuple:
        return ("bbh", self.task)

    def _paths(self, data_dir) -> tuple[Path, Path]:
        data = find(Path(data_dir), [f"{d}/{self.task}.json" for d, _ in LAYOUTS], name="bbh",
                    what=f"BBH task {self.task}")
        for d, p in LAYOUTS:
            if data == Path(data_dir) / d / f"{self.task}.json":
                prompt = find(Path(data_dir), [f"{p}/{self.task}.txt"] + [f"{q}/{self.task}.txt" for _, q in LAYOUTS],
                              name="bbh", what=f"BBH chain-of-thought prompt of {self.task}")
                return data, prompt
        raise AssertionError(data)  # pragma: no cover

    def locate(self, data_dir) -> Path:
        return self._paths(data_dir)[0]

    def prompt(self, data_dir) -> str:
        return read_prompt(self._paths(data_dir)[1])

    def read(self, data_dir) -> Rows:
        path, _ = self._paths(data_dir)
        doc = read_json(path)
        examples = doc.get("examples") if isinstance(doc, dict) else None
        if not isinstance(examples, list):
            raise DataError(f"{path}:1: expected an object with an 'examples' list")
        rows = []
        for i, ex in enumerate(examples):
            if not isinstance(ex, dict) or "input" not in ex or "target" not in ex:
                raise DataError(f"{path}:1: example {i} needs 'input' and 'target'")
            rows.append({"input": str(ex["input"]), "target": str(ex["target"]).strip()})
        return Rows(test=rows)


class _PromptedLoader(CachedLoader):
    """The task's rows with the task's shipped prompt attached to each (``hint``)."""

    def __init__(self, task: str, direct: bool):
        super().__init__()
        self.inner, self.direct = BBHTaskLoader(task), direct

    @property
    def key(self) -> tuple:
        return self.inner.key

    def locate(self, data_dir) -> Path:
        return self.inner.locate(data_dir)

    def read(self, data_dir) -> Rows:
        rows = self.inner(data_dir)
        hint = self.inner.prompt(data_dir)
        if self.direct:
            hint = direct_prompt(hint)
        return Rows(test=[{**r, "hint": hint} for r in rows.test])


def build(name: str, *, direct: bool = False, tasks=None, max_out_len: int | None = None) -> Benchmark:
    chosen = tuple(tasks) if tasks else TASKS
    unknown = [t for t in chosen if t not in TASKS]
    if unknown:
        raise CompassError(f"{name}: unknown BBH task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    cue = "A:" if direct else COT_CUE
    subsets = []
    for task in chosen:
        template = PromptTemplate(human="{hint}\n\nQ: {input}\n" + cue)
        subsets.append(Subset(f"bbh-{task}", _PromptedLoader(task, direct), template, mode="gen", gold="target",
                              max_out_len=max_out_len or (64 if direct else MAX_OUT_LEN), stop=("\n\nQ:",),
                              postprocessor="bbh", postprocessor_kwargs={"mcq": task in MULTIPLE_CHOICE},
                              evaluator="accuracy"))
    names = {s.name for s in subsets}
    groups = [Group(g, tuple(f"bbh-{t}" for t in members if f"bbh-{t}" in names))
              for g, members in (("bbh-nlp", NLP), ("bbh-algorithmic", ALGORITHMIC))]
    groups = [g for g in groups if g.members and len(g.members) < len(subsets)]
    groups.append(Group("bbh", tuple(s.name for s in subsets)))
    return Benchmark(name, tuple(subsets), tuple(groups))


def bbh(tasks=None, max_out_len: int | None = None) -> Benchmark:
    """BBH, 27 tasks, 3-shot chain of thought; ``tasks=[...]`` picks some."""
    return build("bbh", tasks=tasks, max_out_len=max_out_len)


def bbh_gen(tasks=None, max_out_len: int | None = None) -> Benchmark:
    return build("bbh_gen", tasks=tasks, max_out_len=max_out_len)


def bbh_direct(tasks=None, max_out_len: int | None = None) -> Benchmark:
    """BBH, 27 tasks, the three examples answered directly (no reasoning)."""
    return build("bbh_direct", direct=True, tasks=tasks, max_out_len=max_out_len)
