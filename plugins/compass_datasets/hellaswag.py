"""HellaSwag validation (10,042 items): ppl with ``acc`` and ``acc_norm``, and a gen variant.

Layouts, in order: the official ``hellaswag_val.jsonl`` (OpenCompass ``hellaswag/hellaswag.jsonl``;
``activity_label``, ``ctx_a``, ``ctx_b``, ``endings``, ``label``, cleaned as lm-evaluation-harness
cleans it), or llama.cpp's text form ``hellaswag_val_full.txt`` (``.bz2`` accepted): six lines
per item — ``<activity_label>: <ctx>``, the gold index 0-3, the four endings — already cleaned
by its author (its ``ctx_b`` is not capitalised, unlike lm-eval's).

``ppl``: the context is ``{query}`` and each ending, after a space, is a continuation; the
``choice_acc_norm`` evaluator reports ``acc_norm`` (log-likelihood divided by the ending's
length in characters, as lm-eval does; the figure model cards quote) and ``acc`` (raw
log-likelihood). ``gen``: the endings are listed ``A.``-``D.`` and the letter is extracted.
"""

from __future__ import annotations

import bz2
from pathlib import Path

from compass.sdk import Benchmark, DataError, DataMissing, Rows

from compass_datasets.commonsense import HellaSwagLoader as JsonlLoader, _SPECS
from compass_datasets.mcq import choice_subset, pick_mode

LABELS = "ABCD"
TEXT_FORMS = ("hellaswag/hellaswag_val_full.txt", "hellaswag/hellaswag_val_full.txt.bz2",
              "hellaswag_val_full.txt", "hellaswag_val_full.txt.bz2")


class HellaSwagLoader(JsonlLoader):
    """The official jsonl, or else llama.cpp's six-lines-per-item text form."""

    candidates = JsonlLoader.candidates + TEXT_FORMS

    def read(self, data_dir) -> Rows:
        path = self.locate(data_dir)
        if path.name.endswith((".txt", ".txt.bz2")):
            return Rows(test=read_text_form(path))
        return super().read(data_dir)


def read_text_form(path: Path) -> list[dict]:
    try:
        raw = bz2.decompress(path.read_bytes()) if path.suffix == ".bz2" else path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DataMissing(f"{path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) % 6:
        raise DataError(f"{path}:{len(lines)}: {len(lines)} lines is not 6 per item "
                        "(context, gold index, four endings)")
    rows = []
    for start in range(0, len(lines), 6):
        query, label, *endings = lines[start:start + 6]
        if label.strip() not in ("0", "1", "2", "3"):
            raise DataError(f"{path}:{start + 2}: gold index {label!r} is not one of 0, 1, 2, 3")
        row = {"query": query.strip(), "answer": LABELS[int(label)]}
        row.update({f"text{LABELS[i]}": e.strip() for i, e in enumerate(endings)})
        rows.append(row)
    return rows


def build(mode: str, name: str = "hellaswag") -> Benchmark:
    _, labels, gen_human, ppl_human = _SPECS["hellaswag"]
    sub = choice_subset("hellaswag", HellaSwagLoader(), mode, labels=labels, gen_human=gen_human,
                        ppl_human=ppl_human)
    if mode == "ppl":
        from dataclasses import replace

        sub = replace(sub, evaluator="choice_acc_norm", evaluator_kwargs={"text_field": "text{label}"})
    return Benchmark(name, (sub,))


def hellaswag(chat: bool = False) -> Benchmark:
    return build(pick_mode(None, chat))


def hellaswag_gen() -> Benchmark:
    return build("gen", "hellaswag_gen")


def hellaswag_ppl() -> Benchmark:
    return build("ppl", "hellaswag_ppl")

