"""Test plugin for the evaluation stage, reporters and backend contracts.

Loaded with ``COMPASS_EXTRA_PLUGINS=toy.toy_plugin,toy.trust_plugin``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from compass._dataset import Benchmark, Subset
from compass.hookspecs import hookimpl
from compass._prompt import PromptTemplate
from compass._types import Completion, GenerateRequest, Message

from toy.toy_plugin import QUESTIONS, ArithmeticModel, _load_toy, arithmetic_traits


class ShortArithmeticModel(ArithmeticModel):
    """``arith`` with a bug: a batch of several requests gets one answer too few."""

    def generate(self, requests):
        out = super().generate(requests)
        return out[:-1] if len(out) > 1 else out


class DetailsOnly:
    """A rule-based evaluator that documents its verdicts only through ``details()``."""

    def score(self, predictions, references):
        right = sum(p is not None and str(p).strip() == str(r) for p, r in zip(predictions, references))
        return {"accuracy": 100.0 * right / max(len(references), 1)}

    def details(self, predictions, references):
        return [p is not None and str(p).strip() == str(r) for p, r in zip(predictions, references)]


class ModelJudge:
    """A per-sample evaluator that asks a registered model (``mock``) about every sample.

    The judge "model" answers ``yes`` when the prediction equals the gold it is shown (mock's
    answer table is built from the samples), so the verdicts are exact. Each question put to
    the judge appends a line to ``calls_file``; ``delay`` seconds pass per sample.
    """

    run_as_task = True

    def __init__(self, calls_file: str, delay: float = 0.0):
        self.calls_file = calls_file
        self.delay = delay

    def score_samples(self, samples, context):
        for s in samples:
            question = f"prediction={s.prediction!r} gold={s.gold!r} row_question={s.row['question']!r}"
            same = s.answer is not None and str(s.answer).strip() == str(s.gold)
            judge = context.model("mock", answers={question: "yes" if same else "no"}, default="?")
            reply = judge.generate([GenerateRequest((Message("HUMAN", question),), max_out_len=8)])[0].text
            with open(self.calls_file, "a") as fh:
                fh.write(json.dumps({"index": s.index, "pid": os.getpid()}) + "\n")
            if self.delay:
                time.sleep(self.delay)
            yield s.index, {"correct": reply == "yes", "judge_reply": reply,
                            "prompt_seen": s.prompt is not None, "pid": os.getpid()}

    def aggregate(self, records, context):
        verdicts = [r["correct"] for r in records.values()]
        return {"judged_accuracy": 100.0 * sum(verdicts) / max(len(context.samples), 1)}


def toy_judged(calls_file: str, delay: float = 0.0, n: int = 6) -> Benchmark:
    sub = Subset("toy-judged", _load_toy(n), PromptTemplate(human="Q: {question}\nA:"), mode="gen",
                 gold="answer", evaluator="model_judge",
                 evaluator_kwargs={"calls_file": calls_file, "delay": delay})
    return Benchmark("toy_judged", (sub,))


def toy_details() -> Benchmark:
    sub = Subset("toy-details", _load_toy(len(QUESTIONS)), PromptTemplate(human="Q: {question}\nA:"),
                 mode="gen", gold="answer", evaluator="details_only")
    return Benchmark("toy_details", (sub,))


class JsonLinesReporter:
    """A third-party format: one JSON object per summary row."""

    def write(self, report):
        path = report.summary_dir / f"summary_{report.timestamp}.jsonl"
        with path.open("w") as fh:
            for row in report.summary.rows:
                fh.write(json.dumps(dict(zip(report.summary.header, row))) + "\n")
        return path


class BrokenReporter:
    def write(self, report):
        raise RuntimeError("this format is broken")


@hookimpl
def register_models(register):
    register("arith-short", ShortArithmeticModel, "arith that drops an answer per batch (tests).",
             traits=arithmetic_traits)


@hookimpl
def register_datasets(register):
    register("toy_judged", toy_judged, "Toy questions scored by a model judge (tests).")
    register("toy_details", toy_details, "Toy questions scored by a details()-only evaluator (tests).")


@hookimpl
def register_evaluators(register):
    register("details_only", DetailsOnly, "Accuracy with verdicts from details() (tests).")
    register("model_judge", ModelJudge, "Asks the mock model about each sample (tests).")


@hookimpl
def register_reporters(register):
    register("jsonl", JsonLinesReporter, "summary_<ts>.jsonl (tests).")
    if os.environ.get("TOY_BROKEN_REPORTER"):
        register("broken", BrokenReporter, "Always raises (tests).")


@hookimpl
def on_run_finished(event):
    target = os.environ.get("TOY_RUN_FINISHED_FILE")
    if target:
        Path(target).write_text(json.dumps({"ok": event.ok, "header": list(event.summary.header),
                                            "rows": [list(r) for r in event.summary.rows],
                                            "report_files": list(event.report_files)}))
