"""What a dataset plugin returns: a benchmark made of subsets, and how to build requests.

A :class:`Benchmark` is what a registered dataset factory returns. Each :class:`Subset`
becomes its own task (per model), its own predictions file and its own summary row;
:class:`Group` rows average subsets (C-Eval's STEM, hard, average, ...).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from compass._errors import CompassError
from compass._prompt import FewShot, PromptTemplate
from compass._types import GenerateRequest, LoglikelihoodRequest, OptionsRequest, Prompt

Row = Mapping[str, object]


class DataMissing(CompassError):
    """A dataset's files are not where they were looked for.

    The message names the exact path looked for and how to obtain the data.
    """


class DataError(CompassError):
    """A data file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Rows:
    """A subset's loaded rows: the evaluated split and the pool of in-context examples."""

    test: Sequence[Row]
    fewshot: Sequence[Row] = ()


#: how a ppl subset compares its candidates (see ``LoglikelihoodRequest.score``)
PPL_SCORES = ("sum", "mean_all")


@dataclass(frozen=True)
class Subset:
    """One evaluated unit: its rows, its prompt, how it is answered and scored.

    :param name: unique name, used for files and summary rows (``ceval-accountant``).
    :param load: ``load(data_dir: Path) -> Rows``; raises :class:`DataMissing` or
        :class:`DataError` with a one-line message.
    :param mode: ``gen`` (generate, postprocess, compare), ``ppl`` (pick the candidate
        continuation with the highest log-likelihood) or ``clp`` (pick the option whose
        first token is most likely next).
    :param gold: the row field holding the reference answer.
    :param candidates: ppl mode: label -> continuation template (``{"A": " A"}``, or the
        full answer text ``{"A": " {textA}"}``); or the name of a row field holding each
        row's own ``{label: continuation}`` (questions with different numbers of choices).
    :param options: clp mode: the option strings (``("A", "B", "C", "D")``).
    :param max_out_len: gen mode: the most tokens to generate (the model's own setting applies
        where this is ``None``).
    :param stop: gen mode: stop strings (the model's own apply where this is empty).
    :param postprocessor: gen mode: a registered postprocessor's name (its keyword arguments in
        ``postprocessor_kwargs``).
    :param evaluator: a registered evaluator's name (its keyword arguments in ``evaluator_kwargs``).
    :param ppl_score: ppl mode: how candidates are compared, a ``LoglikelihoodRequest.score``
        rule (``sum``: the continuation's summed log-probability; ``mean_all``: OpenCompass's
        PPLInferencer rule, the mean over the whole text's tokens).
    """

    name: str
    load: Callable[[Path], Rows]
    template: PromptTemplate
    mode: str = "gen"
    gold: str = "answer"
    candidates: Mapping[str, str] | str | None = None
    options: tuple[str, ...] | None = None
    fewshot: FewShot = field(default_factory=FewShot)
    max_out_len: int | None = None
    stop: tuple[str, ...] = ()
    postprocessor: str | None = None
    postprocessor_kwargs: Mapping[str, object] = field(default_factory=dict)
    evaluator: str = "accuracy"
    evaluator_kwargs: Mapping[str, object] = field(default_factory=dict)
    ppl_score: str = "sum"

    def __post_init__(self) -> None:
        if self.ppl_score not in PPL_SCORES:
            raise CompassError(f"dataset subset '{self.name}': unknown ppl_score '{self.ppl_score}' "
                               f"({' or '.join(PPL_SCORES)})")
        if self.mode not in ("gen", "ppl", "clp"):
            raise CompassError(f"dataset subset '{self.name}': unknown mode '{self.mode}' (gen, ppl or clp)")
        if self.mode == "ppl" and not self.candidates:
            raise CompassError(f"dataset subset '{self.name}': ppl mode needs candidates")
        if self.mode == "clp" and not self.options:
            raise CompassError(f"dataset subset '{self.name}': clp mode needs options")

    @property
    def version(self) -> str:
        """A short hash of everything that changes a score."""
        spec = {
            "template": self.template.describe(),
            "mode": self.mode,
            "gold": self.gold,
            "candidates": self.candidates if isinstance(self.candidates, str) else dict(self.candidates or {}),
            "options": list(self.options or ()),
            "fewshot": self.fewshot.describe(),
            "max_out_len": self.max_out_len,
            "stop": list(self.stop),
            "postprocessor": [self.postprocessor, dict(self.postprocessor_kwargs)],
            "evaluator": [self.evaluator, dict(self.evaluator_kwargs)],
        }
        if self.ppl_score != "sum":  # (absent for the default, so existing versions stay as they were)
            spec["ppl_score"] = self.ppl_score
        blob = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:6]

    def prompt(self, rows: Rows, index: int, *, chat: bool) -> Prompt:
        examples = self.fewshot.select(rows.fewshot, index)
        return self.template.render(rows.test[index], examples, chat=chat)

    def request(self, rows: Rows, index: int, *, chat: bool, max_out_len: int | None = None,
                stop: Sequence[str] = ()):
        """The model request for the question at ``index``.

        ``max_out_len`` is the length in force (the planner decides it: an explicit user
        setting wins over this subset's default); ``None`` means this subset's default, or 512.
        ``stop`` words are added to the subset's own.
        """
        from compass._prompt import fill

        prompt = self.prompt(rows, index, chat=chat)
        if self.mode == "gen":
            return GenerateRequest(
                prompt=prompt,
                max_out_len=max_out_len or self.max_out_len or 512,
                stop=tuple(dict.fromkeys((*self.stop, *stop))),
            )
        if self.mode == "ppl":
            row = rows.test[index]
            return LoglikelihoodRequest(prompt, tuple(fill(c, row) for c in self._candidates(row).values()),
                                        self.ppl_score)
        return OptionsRequest(prompt, tuple(self.options))

    def _candidates(self, row: Row) -> Mapping[str, str]:
        if isinstance(self.candidates, str):
            cands = row.get(self.candidates)
            if not isinstance(cands, Mapping) or not cands:
                raise DataError(f"dataset subset '{self.name}': row field '{self.candidates}' must hold "
                                f"a non-empty {{label: continuation}} table, got {cands!r}")
            return cands
        return self.candidates

    def labels(self, row: Row | None = None) -> list[str]:
        """The answer labels in ppl/clp mode, in the order scores come back.

        clp labels are the options without surrounding blanks (``" A"`` -> ``"A"``).
        """
        if self.mode == "ppl":
            return list(self._candidates(row or {}))
        return [o.strip() or o for o in self.options or ()]


def data_version(version: str, data_id: str | None) -> str:
    """A subset's ``version`` with the identity of the data it read mixed in (when known)."""
    if not data_id:
        return version
    return hashlib.sha256(f"{version}:{data_id}".encode()).hexdigest()[:6]


@dataclass(frozen=True)
class Group:
    """A summary row that averages member subsets (by their first metric).

    ``weighted=True`` weights each member by its number of samples; ``weights`` gives fixed
    ``(member, weight)`` pairs instead (a benchmark's own, e.g. GAOKAO's points per paper);
    otherwise the plain mean of the members' scores (OpenCompass's "naive average").
    """

    name: str
    members: tuple[str, ...]
    weighted: bool = False
    weights: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Benchmark:
    """What a dataset factory returns."""

    name: str
    subsets: tuple[Subset, ...]
    groups: tuple[Group, ...] = ()
    description: str = ""

    def subset(self, name: str) -> Subset:
        for s in self.subsets:
            if s.name == name:
                return s
        raise CompassError(f"dataset '{self.name}' has no subset '{name}'")


class CachedLoader:
    """Base for loaders: ``loader(data_dir) -> Rows``, remembering the last result.

    Plan and inference both load a subset; with every variant of a benchmark sharing one
    loader class, ``compass data`` can also tell which variants read the same files
    (``key``). Subclasses implement :meth:`read` and :meth:`locate`.
    """

    def __init__(self) -> None:
        self._cache: tuple[str, Rows] | None = None

    @property
    def key(self) -> tuple:
        """Two loaders with equal keys read the same rows."""
        return (type(self).__name__,)

    def locate(self, data_dir) -> object:
        """The main file or folder the rows come from (raises DataMissing)."""
        raise NotImplementedError

    def read(self, data_dir) -> Rows:
        raise NotImplementedError

    def __call__(self, data_dir) -> Rows:
        tag = str(data_dir)
        if self._cache is None or self._cache[0] != tag:
            self._cache = (tag, self.read(data_dir))
        return self._cache[1]
