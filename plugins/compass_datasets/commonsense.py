"""Commonsense reasoning sets, zero-shot: SIQA, PIQA, Winogrande, HellaSwag.

Each has a ``gen`` variant (choices listed ``A. ..``, letter extracted with
``first_option``) and a ``ppl`` variant (each choice's text is a continuation of the
context; the most likely one wins). The bare name picks gen for chat models, ppl for base.

Layouts (OpenCompass first, then the official release names):

* SIQA: ``siqa/dev.jsonl`` + ``siqa/dev-labels.lst`` (labels 1-3) — ``socialiqa-train-dev/``.
* PIQA: ``piqa/dev.jsonl`` + ``piqa/dev-labels.lst`` (labels 0-1) — ``valid.jsonl`` /
  ``valid-labels.lst``.
* Winogrande: ``winogrande/dev.jsonl`` (``sentence`` with ``_``, ``option1``, ``option2``,
  ``answer`` 1/2) — ``winogrande_1.1/dev.jsonl``.
* HellaSwag: ``hellaswag/hellaswag.jsonl`` — ``hellaswag_val.jsonl`` (``activity_label``,
  ``ctx_a``, ``ctx_b``, ``endings``, ``label``), cleaned as lm-evaluation-harness does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from compass.sdk import Benchmark, DataError, Rows

from compass_datasets.mcq import CachedLoader, choice_subset, pick_mode
from compass_datasets.readers import check_label, find, read_jsonl, read_labels, require


def _with_labels(rows: list[tuple[int, dict]], path: Path, labels_path: Path, allowed: Sequence[str]):
    labels = read_labels(labels_path, allowed)
    if len(labels) != len(rows):
        raise DataError(f"{labels_path}:{len(labels)}: {len(labels)} labels for {len(rows)} rows of {path}")
    return zip(rows, labels)


class _Loader(CachedLoader):
    """A loader reading one file (plus a labels file) found under a few names."""

    name = ""
    what = ""
    candidates: tuple[str, ...] = ()

    @property
    def key(self) -> tuple:
        return (self.name,)

    def locate(self, data_dir) -> Path:
        return find(Path(data_dir), self.candidates, name=self.name, what=self.what)


class SIQALoader(_Loader):
    name, what = "siqa", "Social IQa dev split"
    candidates = ("siqa/dev.jsonl", "socialiqa-train-dev/dev.jsonl", "siqa/socialiqa-train-dev/dev.jsonl",
                  "socialiqa/dev.jsonl")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        labels = find(path.parent, ["dev-labels.lst"], name=self.name, what="Social IQa dev labels")
        rows = []
        for (line, obj), label in _with_labels(read_jsonl(path), path, labels, "123"):
            require(obj, ("context", "question", "answerA", "answerB", "answerC"), path, line)
            rows.append({"context": obj["context"], "question": obj["question"], "textA": obj["answerA"],
                         "textB": obj["answerB"], "textC": obj["answerC"], "answer": "ABC"[int(label) - 1]})
        return Rows(test=rows)


class PIQALoader(_Loader):
    name, what = "piqa", "PIQA validation split"
    candidates = ("piqa/dev.jsonl", "piqa/valid.jsonl", "physicaliqa-train-dev/dev.jsonl", "piqa/physicaliqa-train-dev/dev.jsonl")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        labels = find(path.parent, [f"{path.stem}-labels.lst"], name=self.name, what="PIQA labels")
        rows = []
        for (line, obj), label in _with_labels(read_jsonl(path), path, labels, "01"):
            require(obj, ("goal", "sol1", "sol2"), path, line)
            rows.append({"goal": obj["goal"], "textA": obj["sol1"], "textB": obj["sol2"],
                         "answer": "AB"[int(label)]})
        return Rows(test=rows)


class WinograndeLoader(_Loader):
    name, what = "winogrande", "Winogrande dev split"
    candidates = ("winogrande/dev.jsonl", "winogrande_1.1/dev.jsonl", "winogrande/winogrande_1.1/dev.jsonl")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            require(obj, ("sentence", "option1", "option2", "answer"), path, line)
            sentence = str(obj["sentence"])
            if "_" not in sentence:
                raise DataError(f"{path}:{line}: sentence has no '_' blank to fill")
            answer = check_label(obj["answer"], ("1", "2"), path, line)
            rows.append({"sentence": sentence, "option1": obj["option1"], "option2": obj["option2"],
                         "textA": sentence.replace("_", str(obj["option1"]), 1),
                         "textB": sentence.replace("_", str(obj["option2"]), 1),
                         "answer": "AB"[int(answer) - 1]})
        return Rows(test=rows)


def clean_hellaswag(text: str) -> str:
    """lm-evaluation-harness's clean-up of WikiHow/ActivityNet artefacts."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


class HellaSwagLoader(_Loader):
    name, what = "hellaswag", "HellaSwag validation split"
    candidates = ("hellaswag/hellaswag.jsonl", "hellaswag/hellaswag_val.jsonl", "hellaswag/val.jsonl",
                  "hellaswag_val.jsonl")

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        rows = []
        for line, obj in read_jsonl(path):
            require(obj, ("ctx_a", "ctx_b", "activity_label", "endings", "label"), path, line)
            endings = obj["endings"]
            if not isinstance(endings, list) or len(endings) != 4:
                raise DataError(f"{path}:{line}: 'endings' must be a list of 4 strings")
            label = check_label(obj["label"], ("0", "1", "2", "3"), path, line, "label")
            ctx = f"{obj['ctx_a']} {str(obj['ctx_b']).capitalize()}"
            row = {"query": clean_hellaswag(f"{obj['activity_label']}: {ctx}"), "answer": "ABCD"[int(label)]}
            row.update({f"text{'ABCD'[i]}": clean_hellaswag(str(e)) for i, e in enumerate(endings)})
            rows.append(row)
        return Rows(test=rows)


_SPECS = {
    "siqa": (SIQALoader, "ABC",
             "{context}\nQuestion: {question}\nA. {textA}\nB. {textB}\nC. {textC}\nAnswer:",
             "{context}\nQuestion: {question}\nAnswer:"),
    "piqa": (PIQALoader, "AB", "{goal}\nA. {textA}\nB. {textB}\nAnswer:", "Question: {goal}\nAnswer:"),
    "winogrande": (WinograndeLoader, "AB", "Question: {sentence}\nA. {option1}\nB. {option2}\nAnswer:",
                   "Good sentence:"),
    "hellaswag": (HellaSwagLoader, "ABCD",
                  "{query}\nQuestion: Which ending makes the most sense?\nA. {textA}\nB. {textB}\n"
                  "C. {textC}\nD. {textD}\nYou may choose from 'A', 'B', 'C', 'D'.\nAnswer:",
                  "{query}"),
}


def build(which: str, mode: str, name: str = "") -> Benchmark:
    loader_cls, labels, gen_human, ppl_human = _SPECS[which]
    subset = choice_subset(which, loader_cls(), mode, labels=labels, gen_human=gen_human, ppl_human=ppl_human)
    return Benchmark(name or which, (subset,))


def siqa(chat: bool = False) -> Benchmark:
    return build("siqa", pick_mode(None, chat))


def siqa_gen() -> Benchmark:
    return build("siqa", "gen", "siqa_gen")


def siqa_ppl() -> Benchmark:
    return build("siqa", "ppl", "siqa_ppl")


def piqa(chat: bool = False) -> Benchmark:
    return build("piqa", pick_mode(None, chat))


def piqa_gen() -> Benchmark:
    return build("piqa", "gen", "piqa_gen")


def piqa_ppl() -> Benchmark:
    return build("piqa", "ppl", "piqa_ppl")


def winogrande(chat: bool = False) -> Benchmark:
    return build("winogrande", pick_mode(None, chat))


def winogrande_gen() -> Benchmark:
    return build("winogrande", "gen", "winogrande_gen")


def winogrande_ppl() -> Benchmark:
    return build("winogrande", "ppl", "winogrande_ppl")


def hellaswag(chat: bool = False) -> Benchmark:
    return build("hellaswag", pick_mode(None, chat))


def hellaswag_gen() -> Benchmark:
    return build("hellaswag", "gen", "hellaswag_gen")


def hellaswag_ppl() -> Benchmark:
    return build("hellaswag", "ppl", "hellaswag_ppl")
