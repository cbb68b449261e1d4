"""OpenCompass's TriviaQA, CrowS-Pairs, RACE, SuperGLUE WiC/WSC and GPQA dataset classes, evaluators and postprocessor.

Each loader makes the columns OpenCompass's ``load`` makes, from the files it reads:

* ``TriviaQADataset``: ``trivia-dev.qa.csv`` and ``trivia-test.qa.csv`` under ``triviaqa/``
  (OpenCompass's ``opencompass/trivia_qa``), tab separated: the question and a Python list
  literal of answers; ``dev`` keeps every answer, ``test`` only the first (a string);
* ``TriviaQADatasetV2``: ``triviaqa-validation.jsonl`` and ``triviaqa-train.jsonl`` there, the
  records as they are (``train`` is left out when its file is not there: a zero-shot config
  needs none);
* ``TriviaQADatasetV3``: the one JSON Lines file the config's ``path`` names, records as they are;
* ``CrowspairsDataset`` / ``CrowspairsDatasetV2``: OpenCompass loads the hub's ``crows_pairs``
  (one ``test`` split); compass reads the authors' ``crows_pairs_anonymized.csv`` (what that
  hub dataset is made from) under ``crows_pairs/``, or a ``test.jsonl`` of the hub's rows there,
  and sets ``label`` to ``0`` (V1, for ``PPLInferencer``'s first template) or ``"A"`` (V2);
* ``RaceDataset`` (read by :mod:`~compass_opencompass.choice_sets`): the file a dry run names as
  missing (``race/test/<name>.jsonl``) and where to put it;
* ``WiCDatasetV2``, ``WSCDatasetV2``, ``WSCDatasetV3``: the config's ``SuperGLUE/{WiC,WSC}/val.jsonl``,
  ``label`` ``true``/``false`` as ``A``/``B``; WSC's ``span1``/``span2`` from ``target``, V3's
  ``text`` with span 1 as ``* span *`` and span 2 as ``# span #``; ``WiCDataset`` / ``WSCDataset``
  (the same file as ``data_files``): ``answer`` 1 (true) or 0, WSC's ``new_text`` the text with
  the pronoun (span 2) replaced by span 1;
* ``GPQADataset``: the authors' ``gpqa/<name>`` CSV, options rotated as OpenCompass rotates them
  (``GPQAEvaluator``: the answer letter equal to the reference, compass's ``accuracy``).

None of these files is in compass's shared data and no recipe fetches them: a missing file is
:class:`~compass.sdk.DataMissing` naming where to put it.

Scoring, as OpenCompass's:

* ``TriviaQAEvaluator``: the prediction's first line, lower-cased, after its last "answer is",
  "a:" and "answer:", through ``general_postprocess``; each answer through
  ``general_postprocess`` and lower-cased; correct when one is contained in the prediction.
  A reference that is a string (``TriviaQADataset``'s ``test`` split) is iterated as
  OpenCompass iterates it: character by character;
* ``crowspairs_postprocess``: ``invalid`` when the text says "Neither" or "Both"; else its first
  character when that is ``A`` or ``B``; else ``A`` when " A " or "A" followed by any character
  occurs, then the same for ``B``; else ``invalid``;
* ``CrowspairsEvaluator``: ``accuracy`` (all rows), ``valid_accuracy`` (rows not ``invalid``)
  and ``valid_frac``, each a fraction rounded to 4 places, times 100.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from compass.sdk import DataError, DataMissing

from compass_opencompass.qa_sets import general_postprocess, qa_csv, read_jsonl

#: OpenCompass dataset ids -> local places under the data dir, OpenCompass's first
LOCAL: dict[str, tuple[str, ...]] = {"opencompass/trivia_qa": ("triviaqa",), "crows_pairs": ("crows_pairs",),
                                     "opencompass/race": ("race",), "./data/gpqa": ("gpqa",),
                                     "./data/SuperGLUE/WiC/val.jsonl": ("SuperGLUE/WiC/val.jsonl", "wic/val.jsonl"),
                                     "./data/SuperGLUE/WSC/val.jsonl": ("SuperGLUE/WSC/val.jsonl", "wsc/val.jsonl")}
_CROWS_CSV = "crows_pairs_anonymized.csv"
_WHERE = "put OpenCompass's copy there (its data archive's {folder}/) and point --data-dir at its parent"


#: what a missing file's message says instead of "compass eval fetches it"
UNFETCHED = {
    "opencompass/trivia_qa": "compass has no download for TriviaQA; put OpenCompass's triviaqa/ folder (its data "
                             "archive's) there and point --data-dir at its parent",
    "crows_pairs": f"compass has no download for CrowS-Pairs; put the authors' {_CROWS_CSV} "
                   f"(github.com/nyu-mll/crows-pairs, data/) there and point --data-dir at its parent",
    "./data/gpqa": "compass has no download for GPQA (its authors share it behind a password); put the "
                    "authors' CSV files there and point --data-dir at its parent",
    "opencompass/race": "compass has no download for RACE; put OpenCompass's race/ folder (its data archive's) "
                        "there and point --data-dir at its parent",
    **{f"./data/SuperGLUE/{n}/val.jsonl": f"compass has no download for SuperGLUE {n}; put OpenCompass's "
                                          f"SuperGLUE/{n}/val.jsonl there and point --data-dir at its parent"
       for n in ("WiC", "WSC")},
}


def _missing(path: Path, folder: str) -> DataMissing:
    exc = DataMissing(f"{path} not found: compass has no download for it; " + _WHERE.format(folder=folder))
    exc.looked_for = path
    return exc


# ---- TriviaQA
def _trivia_csv(path: Path, first_only: bool) -> list[dict]:
    if not path.is_file():
        raise _missing(path, "triviaqa")
    return qa_csv(path, first_only)


def triviaqa(root: Path, **_) -> dict:
    """``TriviaQADataset``: ``{"dev": ..., "test": ...}``."""
    return {split: _trivia_csv(root / f"trivia-{split}.qa.csv", first_only=split == "test")
            for split in ("dev", "test")}


def triviaqa_v2(root: Path, **_) -> dict:
    """``TriviaQADatasetV2``: ``{"validation": ..., "train": ...}`` (``train`` where its file is)."""
    out = {}
    for split in ("validation", "train"):
        f = root / f"triviaqa-{split}.jsonl"
        if f.is_file() or split == "validation":
            if not f.is_file():
                raise _missing(f, "triviaqa")
            out[split] = read_jsonl(f)
    return out


def triviaqa_v3(path: Path, **_) -> list[dict]:
    """``TriviaQADatasetV3``: the records of one JSON Lines file."""
    if not path.is_file():
        raise _missing(path, "the file's folder")
    return read_jsonl(path)


# ---- CrowS-Pairs
def _crows_rows(root: Path) -> list[dict]:
    if (root / "test.jsonl").is_file() and not (root / _CROWS_CSV).is_file():
        return read_jsonl(root / "test.jsonl")
    f = root / _CROWS_CSV
    if not f.is_file():
        exc = DataMissing(f"{f} not found: {UNFETCHED['crows_pairs']}")
        exc.looked_for = f
        raise exc
    with f.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    if not table or "sent_more" not in table[0] or "sent_less" not in table[0]:
        raise DataError(f"{f}: expected the authors' header (,sent_more,sent_less,stereo_antistereo,bias_type,...)")
    header = table[0]
    rows = []
    for n, rec in enumerate(table[1:], 2):
        if len(rec) != len(header):
            raise DataError(f"{f}:{n}: {len(rec)} columns, the header has {len(header)}")
        r = dict(zip(header, rec))
        rows.append({"id": int(r.pop("")) if r.get("", "").isdigit() else n - 2, **{k: v for k, v in r.items() if k}})
    return rows


def crowspairs(root: Path, **_) -> dict:
    """``CrowspairsDataset``: the ``test`` rows, ``label`` 0."""
    return {"test": [{**r, "label": 0} for r in _crows_rows(root)]}


def crowspairs_v2(root: Path, **_) -> dict:
    """``CrowspairsDatasetV2``: the ``test`` rows, ``label`` "A"."""
    return {"test": [{**r, "label": "A"} for r in _crows_rows(root)]}


# ---- SuperGLUE WiC / WSC (OpenCompass's JSON Lines files, ``label`` "true"/"false")
def _ab(label: Any, where: str) -> str:
    text = str(label).lower()
    if text not in ("true", "false"):
        raise DataError(f"{where}: label {label!r} is neither true nor false")
    return "A" if text == "true" else "B"


def _superglue(path: Path) -> list[dict]:
    if not path.is_file():
        raise _missing(path, "SuperGLUE")
    return read_jsonl(path)


def wic_v2(path: Path, **_) -> list[dict]:
    """``WiCDatasetV2``: the records, ``label`` "A" (true) or "B" (false)."""
    return [{**r, "label": _ab(r["label"], f"{path}:{n}")} for n, r in enumerate(_superglue(path), 1)]


def _true(label: Any) -> int:
    return 1 if str(label).lower() == "true" else 0


def wic(path: Path, **_) -> list[dict]:
    """``WiCDataset`` (``load_dataset('json', data_files=...)``): the records, ``answer`` 1 (true) or 0."""
    return [{**r, "answer": _true(r["label"])} for r in _superglue(path)]


def wsc(path: Path, **_) -> list[dict]:
    """``WSCDataset``: ``new_text`` (the pronoun replaced by span 1), ``span1``, ``span2``, ``answer`` 1/0."""
    rows = []
    for n, r in enumerate(_superglue(path), 1):
        t = r["target"]
        if " " in t["span2_text"]:
            raise DataError(f"{path}:{n}: span2_text {t['span2_text']!r} is more than one word")
        words = r["text"].split(" ")
        words[t["span2_index"]] = t["span1_text"]
        rows.append({**{k: v for k, v in r.items() if k != "target"}, "new_text": " ".join(words),
                     "answer": _true(r["label"]), "span1": t["span1_text"], "span2": t["span2_text"]})
    return rows


def _wsc_text(r: dict) -> str:
    """``WSCDatasetV3``'s text: span 1 as ``* span *``, span 2 as ``# span #`` (by word index)."""
    t = r["target"]
    spans = [(t["span1_index"], len(t["span1_text"].split(" ")), f"* {t['span1_text']} *"),
             (t["span2_index"], len(t["span2_text"].split(" ")), f"# {t['span2_text']} #")]
    out = []
    for i, word in enumerate(r["text"].split(" ")):
        hit = next((s for s in spans if s[0] <= i < s[0] + s[1]), None)
        if hit is None:
            out.append(word)
        elif i == hit[0]:
            out.append(hit[2])
    return " ".join(out)


def wsc_v2(path: Path, marked: bool = False, **_) -> list[dict]:
    """``WSCDatasetV2`` (``marked``: ``WSCDatasetV3``): ``span1``, ``span2``, ``text``, ``label`` A/B."""
    return [{"span1": r["target"]["span1_text"], "span2": r["target"]["span2_text"],
             "text": _wsc_text(r) if marked else r["text"], "label": _ab(r["label"], f"{path}:{n}")}
            for n, r in enumerate(_superglue(path), 1)]


# ---- GPQA
_GPQA_ORDERS = ("ABCD", "BCDA", "CDAB", "DABC")


def gpqa(root: Path, name: str = "", **_) -> list[dict]:
    """``GPQADataset``: the authors' CSV (``<path>/<name>``, e.g. ``gpqa_diamond.csv``): column 8 the
    question, 9 the correct answer, 10-12 the others; the n-th question's options (n from 1) are
    rotated by ``n % 4`` as OpenCompass rotates them, ``answer`` the correct one's letter."""
    f = root / name
    if not f.is_file():
        raise _missing(f, "gpqa")
    rows = []
    with f.open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.reader(fh), 1):
            if len(rec) < 12:
                raise DataError(f"{f}:{n}: expected GPQA's columns (question in the 8th, answers in the 9th-12th)")
            if rec[7] == "Question":
                continue
            options = rec[8:12]
            order = _GPQA_ORDERS[(len(rows) + 1) % 4]
            row = {"question": rec[7], **{L: options["ABCD".index(c)] for L, c in zip("ABCD", order)}}
            row["answer"] = next(L for L in "ABCD" if row[L] == options[0])
            rows.append(row)
    return rows


CLASSES = {"GPQADataset": gpqa, "WiCDataset": wic, "WSCDataset": wsc, "WiCDatasetV2": wic_v2, "WSCDatasetV2": wsc_v2,
           "WSCDatasetV3": lambda path, **_: wsc_v2(path, marked=True), "TriviaQADataset": triviaqa,
           "TriviaQADatasetV2": triviaqa_v2, "TriviaQADatasetV3": triviaqa_v3,
           "CrowspairsDataset": crowspairs, "CrowspairsDatasetV2": crowspairs_v2}
#: the file each class reads first under its folder (what a dry run names as missing)
NEEDS = {"RaceDataset": lambda name="", **_: f"test/{name}.jsonl", "GPQADataset": lambda name="", **_: name,
         "TriviaQADataset": lambda **_: "trivia-dev.qa.csv",
         "TriviaQADatasetV2": lambda **_: "triviaqa-validation.jsonl",
         "CrowspairsDataset": lambda **_: (_CROWS_CSV, "test.jsonl"),
         "CrowspairsDatasetV2": lambda **_: (_CROWS_CSV, "test.jsonl")}


# ---- scoring
def triviaqa_prediction(text: str) -> str:
    """A prediction as ``TriviaQAEvaluator`` reads it."""
    first = str(text or "").strip().split("\n")[0].lower()
    for marker in ("answer is", "a:", "answer:"):
        first = first.split(marker)[-1]
    return general_postprocess(first.strip())


class TriviaQAEvaluator:
    """``TriviaQAEvaluator``: see the module docstring; ``score`` is the percent correct."""

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        details = []
        for p, ref in zip(predictions, references):
            pred = triviaqa_prediction("" if p is None else str(p))
            answers = [general_postprocess(str(a)).lower() for a in ref]
            details.append(any(a in pred for a in answers))
        return {"score": 100.0 * sum(details) / len(details) if details else 0.0, "details": details}


def crowspairs_postprocess(text: str) -> str:
    """``crowspairs_postprocess``: ``A``, ``B`` or ``invalid`` (see the module docstring)."""
    text = str(text or "")
    if "Neither" in text or "Both" in text or not text:
        return "invalid"
    if text[0] in "AB" and text[0].isupper():
        return text[0]
    for letter in "AB":
        if f" {letter} " in text or re.search(letter + ".", text):
            return letter
    return "invalid"


class CrowspairsEvaluator:
    """``CrowspairsEvaluator``: ``accuracy``, ``valid_accuracy``, ``valid_frac`` (percent)."""

    def score(self, predictions: list, references: list) -> dict:
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        if not predictions:
            return {"accuracy": 0.0, "valid_accuracy": 0.0, "valid_frac": 0.0}
        same = [p == r for p, r in zip(predictions, references)]
        valid = [s for p, s in zip(predictions, same) if p != "invalid"]
        return {"accuracy": round(sum(same) / len(same), 4) * 100,
                # OpenCompass divides by zero when every answer is invalid; compass scores that 0
                "valid_accuracy": round(sum(valid) / len(valid), 4) * 100 if valid else 0.0,
                "valid_frac": round(len(valid) / len(same), 4) * 100, "details": same}


def gpqa_simple_eval(text: str) -> str:
    """``GPQA_Simple_Eval_postprocess``: the letter A-D after the first "ANSWER:" (any case), else ``""``
    (OpenCompass: ``None``; either scores wrong)."""
    m = re.search(r"(?i)ANSWER\s*:\s*([A-D])", str(text or ""))
    return m.group(1) if m else ""


# ---- what datasets.py merges into its tables
EVALUATORS = {"GPQAEvaluator": "accuracy", "TriviaQAEvaluator": "opencompass_triviaqa",
              "CrowspairsEvaluator": "opencompass_crowspairs"}
PRED_POSTPROCESSORS = {"crowspairs_postprocess": "opencompass_crowspairs",
                       "GPQA_Simple_Eval_postprocess": "opencompass_gpqa_simple_eval"}
