"""Subject exams (C-Eval, MMLU, CMMLU, ...): one description, every mode.

A family of multiple-choice exams split by subject is described once, as data:

* its **subjects**, each with the name its prompts use and the summary groups it belongs to;
* its **layout**: the folders tried under the data dir, where a subject's evaluated split and
  its dev split (the in-context pool) are, and how a file reads (:class:`CsvReader`);
* its **wording** per language (and, where they differ, per mode): the line before each
  question, how the question is introduced, an instruction once before the first turn, and
  the answer cue;
* its **gold** field, answer **labels** and number of **shots**;
* which **options** its factories take besides ``subjects`` (``shots``, ``header``, ``cue``,
  ``split``).

:meth:`Exam.build` returns the :class:`~compass._dataset.Benchmark` in one mode, and
:meth:`Exam.factory` the registered factory of a variant: ``factory(None)`` is the bare name
(``chat`` picks gen for chat models, ppl for base models), ``factory("gen")`` and so on the
named modes. A family module is the description plus one line per variant::

    ceval = CEVAL.factory(None)
    ceval_gen = CEVAL.factory("gen")

Subsets are named ``<prefix>-<subject>``; groups ``<prefix>-<slug>`` (subjects tagged with the
slug, in the order chosen), then the fixed lists (C-Eval hard, in their own order), then
``<prefix>`` (the plain average) and, if asked, ``<prefix>-weighted``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from compass.sdk import Benchmark, CompassError, FewShot, Group, Rows

from compass_datasets.mcq import CachedLoader, mcq_subset, options_block, pick_mode
from compass_datasets.readers import check_label, find, read_csv

#: the options a family may expose in its factories' signatures, in this order
OPTIONS = ("shots", "header", "cue", "split")


@dataclass(frozen=True)
class Subject:
    """One subject: the name its prompts use (``{subject}``) and the group slugs it is in."""

    display: str
    groups: tuple[str, ...] = ()
    lang: str | None = None  # None: the exam's language


@dataclass(frozen=True)
class Wording:
    """How a question reads. ``{subject}`` is the subject's display name.

    A question is ``head + question + "\\n" + "A. {A}\\n..." + "\\n" + cue``; ``instruction``
    comes once before the first turn and ``example_sep`` after each in-context example.
    """

    cue: str
    head: str = ""
    question: str = "{question}"
    instruction: str = ""
    example_sep: str = "\n"


@dataclass(frozen=True)
class CsvReader:
    """A CSV file of questions; the answer letter is checked against the exam's labels.

    ``header=False``: ``columns`` names the columns in order (MMLU); otherwise they must be
    in the header. ``answer`` is the column holding the letter; ``keep`` (old: new) keeps only
    those columns, renamed (CMMLU), instead of the whole row.
    """

    columns: tuple[str, ...]
    header: bool = True
    answer: str = "answer"
    keep: Mapping[str, str] | None = None

    def __call__(self, path: Path, labels: Sequence[str], gold: str) -> list[dict]:
        rows = []
        for line, raw in read_csv(path, header=self.header, columns=self.columns):
            letter = check_label(raw[self.answer], labels, path, line, self.answer)
            row = {new: raw[old] for old, new in self.keep.items()} if self.keep else raw
            row[gold] = letter
            rows.append(row)
        return rows


@dataclass(frozen=True)
class Layout:
    """Where a subject's files are: ``<data>/<root>/<test>``, its dev file ``<dev>`` in the
    ``dev`` folder next to the test split's folder. ``{split}`` and ``{subject}`` are filled in."""

    roots: tuple[str, ...]
    test: str
    dev: str
    read: CsvReader
    split: str
    splits: tuple[str, ...] = ()  # the splits a user may choose (``split=``); empty: only ``split``


@dataclass(frozen=True)
class Exam:
    """A family of subject exams; see the module docstring."""

    name: str            # registry name, subset prefix, and the name in data messages
    title: str           # how messages call it ("C-Eval")
    subjects: Mapping[str, Subject] | Callable[[], Mapping[str, Subject]]
    layout: Layout
    wording: Mapping[str, Wording]  # by language ("zh"), or "<lang>/<mode>" for one mode
    lang: str
    groups: tuple[str, ...] = ()                                      # tag groups, in order
    fixed_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # slug: subjects
    weighted_total: bool = False
    options: tuple[str, ...] = ()  # of OPTIONS, exposed by the factories
    shots: int = 5
    labels: str = "ABCD"
    gold: str = "answer"

    def subject_table(self) -> Mapping[str, Subject]:
        return self.subjects() if callable(self.subjects) else self.subjects

    def wording_for(self, subject: Subject, mode: str) -> Wording:
        lang = subject.lang or self.lang
        return self.wording.get(f"{lang}/{mode}") or self.wording[lang]

    def default(self, option: str) -> object:
        return {"shots": self.shots, "header": True, "cue": self.wording[self.lang].cue,
                "split": self.layout.split}[option]

    def build(self, mode: str, subjects: Sequence[str] | str | None = None, *, prefix: str | None = None,
              root: Path | None = None, name: str | None = None, description: str = "",
              shots: int | None = None, header: bool = True, cue: str | None = None,
              split: str | None = None) -> Benchmark:
        """The benchmark in ``mode`` (gen, ppl or clp), optionally restricted to ``subjects``.

        ``prefix``: of subset and group names (default the exam's name); ``root``: a data
        folder used instead of the data dir (shipped demo data); ``name``: the benchmark's;
        ``shots``: in-context dev examples, the first ones; ``header``: the line before each
        question; ``cue``: the answer cue; ``split``: the evaluated split.
        """
        name, prefix = name or self.name, prefix or self.name
        shots = self.shots if shots is None else shots
        if not 0 <= int(shots) <= self.shots:
            raise CompassError(f"{name}: shots must be 0 to {self.shots} ({self.title} has {self.shots} dev "
                               f"examples per subject), got {shots}")
        table = self.subject_table()
        if isinstance(subjects, str):  # one subject, or a comma-separated list
            subjects = [x.strip() for x in subjects.split(",") if x.strip()]
        chosen = list(table if subjects is None else subjects)
        unknown = [s for s in chosen if s not in table]
        if unknown:
            raise CompassError(f"{name}: unknown subject(s) {', '.join(unknown)}; known: {', '.join(table)}")
        split = split or self.layout.split
        if split not in (self.layout.splits or (self.layout.split,)):
            raise CompassError(f"{name}: split must be one of {', '.join(self.layout.splits)}, got {split!r}")
        fewshot = FewShot(indices=tuple(range(int(shots))))
        subsets = tuple(self._subset(f"{prefix}-{s}", s, table[s], mode, fewshot, split, root, header, cue)
                        for s in chosen)
        groups = [Group(f"{prefix}-{slug}", tuple(f"{prefix}-{s}" for s in chosen if slug in table[s].groups))
                  for slug in self.groups]
        groups += [Group(f"{prefix}-{slug}", tuple(f"{prefix}-{s}" for s in members if s in chosen))
                   for slug, members in self.fixed_groups.items()]
        groups = [g for g in groups if g.members]
        every = tuple(s.name for s in subsets)
        groups.append(Group(prefix, every))
        if self.weighted_total:
            groups.append(Group(f"{prefix}-weighted", every, weighted=True))
        return Benchmark(name, subsets, tuple(groups), description)

    def _subset(self, name, key, subject, mode, fewshot, split, root, header, cue):
        words = self.wording_for(subject, mode)
        head = words.head.replace("{subject}", subject.display) if header else ""
        body = f"{head}{words.question}\n{options_block(self.labels)}\n"
        return mcq_subset(name, ExamLoader(self, key, split, root), mode, body=body,
                          cue=words.cue if cue is None else cue, labels=self.labels, gold=self.gold,
                          instruction=words.instruction.replace("{subject}", subject.display),
                          example_sep=words.example_sep, fewshot=fewshot)

    def factory(self, mode: str | None) -> Callable[..., Benchmark]:
        """The registered factory of one variant: ``mode`` None is the bare name (``chat``
        picks the mode); its signature is ``[chat,] subjects, <the exam's options>``."""
        P = inspect.Parameter
        params = [P("chat", P.POSITIONAL_OR_KEYWORD, default=False)] if mode is None else []
        params.append(P("subjects", P.POSITIONAL_OR_KEYWORD, default=None))
        params += [P(o, P.POSITIONAL_OR_KEYWORD, default=self.default(o)) for o in OPTIONS if o in self.options]
        signature = inspect.Signature(params)
        variant = self.name if mode is None else f"{self.name}_{mode}"

        def make(*args, **kwargs) -> Benchmark:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            chat = values.pop("chat", False)
            return self.build(pick_mode(mode, chat), values.pop("subjects"), name=variant, **values)

        make.__signature__ = signature
        make.__name__ = make.__qualname__ = variant
        make.__doc__ = (f"{self.title}, {self.shots}-shot: gen for chat models, ppl for base models." if mode is None
                        else f"{self.title}, {self.shots}-shot, {mode} mode.")
        return make


class ExamLoader(CachedLoader):
    """One subject's evaluated split and its dev rows (the in-context pool)."""

    def __init__(self, exam: Exam, subject: str, split: str, root: Path | None = None):
        super().__init__()
        self.exam, self.subject, self.split, self.root = exam, subject, split, root

    @property
    def key(self) -> tuple:
        return (self.exam.name, self.subject, self.split, str(self.root))

    def locate(self, data_dir) -> Path:
        layout, s = self.exam.layout, self.subject
        rel = layout.test.format(split=self.split, subject=s)
        return find(Path(self.root or data_dir), [f"{r}/{rel}" for r in layout.roots], name=self.exam.name,
                    what=f"{self.exam.title} {self.split} split of '{s}'")

    def read(self, data_dir) -> Rows:
        exam = self.exam
        test = self.locate(data_dir)
        dev = find(test.parent.parent / "dev", [exam.layout.dev.format(subject=self.subject)], name=exam.name,
                   what=f"{exam.title} dev split of '{self.subject}' (the {exam.shots} in-context examples)")
        read = exam.layout.read
        return Rows(test=read(test, exam.labels, exam.gold), fewshot=read(dev, exam.labels, exam.gold))
