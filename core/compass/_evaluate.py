"""Evaluation of one model × subset: an evaluation context, the evaluator, ``results/…json``.

An evaluator receives an :class:`EvalContext`: every sample with its prompt, raw
prediction, extracted answer, gold (read from the data as it is now, never from old
predictions) and row fields, and a way to build a registered model. Two shapes of evaluator
(see ``register_evaluators`` in :mod:`compass.hookspecs`):

* ``score(answers, golds) -> dict`` (+ ``details(answers, golds) -> list[bool]``): rule
  based, computed in one call;
* ``score_samples(samples, context)`` yielding ``(index, record)`` and
  ``aggregate(records, context) -> dict``: per sample, e.g. a judge model or a code runner.
  Records are appended to ``evaluations/<model>/<subset>.jsonl`` as they come, so a killed
  evaluation resumes without redoing finished samples.

An evaluator whose class sets ``run_as_task = True`` is run by the runner as a task of its
own (``python -m compass._task``: a judge loads in a worker or a Slurm job, not in the
launcher); others run in a thread of the launcher as soon as a subset's predictions are in.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from compass._dataset import Subset, data_version
from compass._errors import CompassError
from compass._fingerprint import digest, request_key
from compass._plugins import PluginHost
from compass._store import PredictionWriter, RunFolder, read_predictions, write_json

CHUNK = 16  # per-sample records are written at least every CHUNK records or FLUSH_SECONDS
FLUSH_SECONDS = 1.0


@dataclass(frozen=True)
class EvalSample:
    """One sample as an evaluator sees it.

    ``prediction`` is the model's raw output (gen) or chosen label (ppl/clp); ``answer`` is
    what the postprocessor extracted from it; ``error`` is set (and both are ``None``) when
    the sample failed or is missing — evaluators count it as wrong.
    """

    index: int
    prompt: Any
    prediction: Any
    answer: Any
    gold: Any
    row: Mapping[str, Any]
    error: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)


class EvalContext:
    """Everything an evaluator may use for one model × subset."""

    def __init__(self, host: PluginHost, subset: Subset, model_abbr: str, samples: list[EvalSample],
                 models: Any = None, settings: Mapping[str, Any] | None = None):
        self.host = host
        #: the run's evaluation settings (``eval_settings`` in a config, flags with ``eval_setting=``)
        self.settings: dict[str, Any] = dict(settings or {})
        self.subset = subset
        self.model_abbr = model_abbr
        self.samples = samples
        self._models = models
        self._own_models = None

    @property
    def dataset(self) -> str:
        return self.subset.name

    def model(self, name: str, **kwargs: Any) -> Any:
        """The registered model ``name`` with ``kwargs`` over its defaults, built once per process.

        Unknown names and options are refused like ``-m`` would refuse them.
        """
        from compass._config import Component
        from compass._plan import resolve_model
        from compass._infer import ModelCache

        resolved = resolve_model(self.host, Component(name, dict(kwargs)))
        if self._models is None:
            self._models = self._own_models = ModelCache(self.host)
        model, _ = self._models.get(resolved.task_spec())
        return model

    def close(self) -> None:
        if self._own_models is not None:
            self._own_models.close()



def _prompt_json(prompt: Any) -> Any:
    """A sample's prompt for the details: as recorded, or (a sample never answered) its messages."""
    if isinstance(prompt, tuple):
        return [{"role": getattr(m, "role", "?"), "content": getattr(m, "content", str(m))} for m in prompt]
    return prompt

def gather_predictions(run: RunFolder, model: str, subset: Subset, shards: list[int | None]) -> dict[int, dict]:
    preds: dict[int, dict] = {}
    for shard in shards:
        preds.update(read_predictions(run.predictions(model, subset.name, shard)))
    return preds


def _samples(host: PluginHost, spec: dict, subset: Subset, preds: dict[int, dict]) -> tuple[list[EvalSample], dict]:
    """Every sample of the unit, matched against the predictions made with its settings."""
    from compass._infer import build_requests
    from compass._plan import load_rows

    rows = load_rows(subset, Path(spec["data_dir"]), spec.get("limit"))
    n = spec["num_samples"]
    requests = build_requests(subset, rows, range(n), spec["dataset"]["chat"], spec.get("generation") or {})
    post_fn = None
    if subset.mode == "gen" and subset.postprocessor:
        post_fn = host.registry.get("postprocessors", subset.postprocessor).load()
    fp = spec.get("fingerprint", "")
    counts = {"missing": 0, "failed": 0}
    samples = []
    for i in range(n):
        row = rows.test[i]
        rec = preds.get(i)
        usable = rec is not None and rec.get("fp") == fp and rec.get("req") == request_key(requests[i])
        gold = row.get(subset.gold)
        if not usable or rec.get("error"):
            kind = "failed" if usable else "missing"
            counts[kind] += 1
            error = rec.get("error") if usable else "no prediction made with these settings"
            samples.append(EvalSample(i, requests[i].prompt, None, None, gold, row, error, rec or {}))
            continue
        answer = rec["prediction"]
        if subset.mode == "gen" and isinstance(answer, str):
            answer = strip_reasoning(answer)
        if post_fn is not None:
            answer = post_fn(answer or "", **dict(subset.postprocessor_kwargs))
        samples.append(EvalSample(i, rec.get("origin_prompt"), rec["prediction"], answer, gold, row, None, rec))
    return samples, counts


def strip_reasoning(text: str) -> str:
    """A reasoning model's answer without its ``<think>…</think>`` part (kept in predictions).

    The answer is what follows the last ``</think>``; a response that opens ``<think>`` and
    never closes it (cut off while reasoning) has no answer (``""``).
    """
    end = text.rfind("</think>")
    if end >= 0:
        return text[end + len("</think>"):].lstrip()
    return "" if text.lstrip().startswith("<think>") else text


def load_evaluator(host: PluginHost, subset: Subset) -> tuple[Any, Any]:
    """(registration, evaluator instance) of a subset."""
    reg = host.registry.get("evaluators", subset.evaluator)
    return reg, reg.load()(**dict(subset.evaluator_kwargs))


def runs_as_task(host: PluginHost, subset: Subset) -> bool:
    """Whether this subset's evaluator asks to run as a runner task (it calls models)."""
    return bool(getattr(host.registry.get("evaluators", subset.evaluator).load(), "run_as_task", False))


def _per_sample(run: RunFolder, spec: dict, evaluator: Any, context: EvalContext) -> tuple[dict[int, dict], dict]:
    """Run a per-sample evaluator over what is not evaluated yet; appends as it goes."""
    path = run.evaluations(spec["model"]["abbr"], spec["subset"])
    setting = [context.subset.evaluator, dict(context.subset.evaluator_kwargs), spec.get("fingerprint", "")]
    own_key = getattr(evaluator, "evaluation_key", None)  # settings from outside the dataset (a judge)
    if callable(own_key):
        setting.append(own_key(context))
    keys = {s.index: digest([setting, s.prediction, s.answer, s.gold, s.error]) for s in context.samples}
    done = {i: r for i, r in read_predictions(path).items() if r.get("key") == keys.get(i)}
    todo = [s for s in context.samples if s.index not in done]
    with PredictionWriter(path) as writer:
        batch: list[dict] = []
        last = time.monotonic()
        for index, record in evaluator.score_samples(todo, context):
            if index not in keys or index in done:
                raise CompassError(f"evaluator '{context.subset.evaluator}' returned a verdict for sample "
                                   f"{index}, which it was not asked about")
            rec = {**record, "index": index, "key": keys[index]}
            done[index] = rec
            batch.append(rec)
            if len(batch) >= CHUNK or time.monotonic() - last >= FLUSH_SECONDS:
                writer.write_batch(batch)
                batch, last = [], time.monotonic()
        if batch:
            writer.write_batch(batch)
    return done, {"evaluated": len(todo), "reused": len(context.samples) - len(todo)}


def run_eval(host: PluginHost, spec: dict, models: Any = None) -> dict:
    """Score one model × subset as ``spec`` (:meth:`compass._plan.EvalUnit.spec`) describes it.

    A missing or failed sample (or one made with other settings) counts as wrong and is
    reported. Writes ``results/<model>/<subset>.json`` and returns its content.
    """
    from compass._plan import build_benchmark

    t0 = time.perf_counter()
    run = RunFolder(Path(spec["run_dir"]))
    abbr = spec["model"]["abbr"]
    ds = spec["dataset"]
    subset = build_benchmark(host, ds["type"], ds["kwargs"], ds["chat"]).subset(spec["subset"])
    preds = gather_predictions(run, abbr, subset, spec["shards"])
    samples, counts = _samples(host, spec, subset, preds)
    ev_reg, evaluator = load_evaluator(host, subset)
    context = EvalContext(host, subset, abbr, samples, models, spec.get("eval_settings"))
    context.candidate = dict(spec["model"])  # the evaluated model (type, kwargs), e.g. to continue a conversation
    context.generation = dict(spec.get("generation") or {})
    verdicts: list[Any] = [None] * len(samples)
    extra: dict = {}
    unevaluated = 0
    try:
        if hasattr(evaluator, "score_samples"):
            records, extra = _per_sample(run, spec, evaluator, context)
            scored = evaluator.aggregate(records, context)
            verdicts = [records.get(s.index, {}).get("correct") for s in samples]
            # a sample with a prediction but no record: the evaluator could not settle it (a
            # judge's request failed after its retries); -r asks again
            unevaluated = sum(1 for s in samples if s.error is None and s.index not in records)
        else:
            answers = [s.answer for s in samples]
            golds = [s.gold for s in samples]
            scored = evaluator.score(answers, golds)
            if hasattr(evaluator, "details"):
                verdicts = list(evaluator.details(answers, golds))
    finally:
        context.close()
    if not isinstance(scored, dict):
        raise CompassError(f"evaluator '{subset.evaluator}' (plugin {ev_reg.plugin}) must return a dict")
    listed = scored.pop("details", None)
    notes = [str(n) for n in scored.pop("notes", None) or ()]
    if unevaluated:
        notes.append(f"{unevaluated} sample(s) could not be evaluated (a request of the evaluator failed; "
                     f"log: {run.eval_log(abbr, subset.name)}) — not scored; rerun with -r to retry them")
    info = scored.pop("info", None)
    if listed is not None and verdicts == [None] * len(samples):
        verdicts = list(listed)
    if len(verdicts) != len(samples):
        raise CompassError(f"evaluator '{subset.evaluator}' (plugin {ev_reg.plugin}) gave {len(verdicts)} "
                           f"verdicts for {len(samples)} samples")
    result = {
        "dataset": subset.name,
        "benchmark": ds["type"],
        "model": abbr,
        "version": data_version(subset.version, spec.get("data_id")),
        "mode": subset.mode,
        "metrics": {k: float(v) for k, v in scored.items()},
        "num_samples": len(samples),
        "failed": counts["failed"],
        "missing": counts["missing"],
        **({"unevaluated": unevaluated} if unevaluated else {}),
        "fingerprint": spec.get("fingerprint", ""),
        "evaluator": subset.evaluator,
        **({"evaluation": extra} if extra else {}),
        **({"info": info} if info else {}),
        **({"notes": notes} if notes else {}),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if spec.get("dump_details"):
        result["details"] = [
            {"index": s.index, "prompt": _prompt_json(s.prompt), "prediction": s.prediction, "answer": s.answer,
             "gold": s.gold, "correct": verdicts[k], "error": s.error}
            for k, s in enumerate(samples)
        ]
    _write_verdicts(run.sample_verdicts(abbr, subset.name), samples, verdicts)
    write_json(run.result(abbr, subset.name), result)
    return result


def _write_verdicts(path: Path, samples: list[EvalSample], verdicts: list[Any]) -> None:
    """``results/<model>/<dataset>.samples.jsonl``: per sample, the extracted answer, the gold
    and the verdict — what reports and run comparisons read (prompts and raw predictions
    stay in ``predictions/``). Rewritten whole at each evaluation (it is derived data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for s, v in zip(samples, verdicts):
            fh.write(json.dumps({"index": s.index, "correct": v, "answer": s.answer, "gold": s.gold,
                                 "error": s.error}, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, path)


def read_verdicts(run: RunFolder, model: str, subset: str) -> list[dict]:
    """The per-sample verdicts of an evaluated subset (empty when it was never evaluated)."""
    path = run.sample_verdicts(model, subset)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def iter_results(run: RunFolder) -> Iterator[dict]:
    """Every result file of a run."""
    for path in sorted((run.root / "results").glob("*/*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def read_result(run: RunFolder, model: str, subset: str) -> dict | None:
    path = run.result(model, subset)
    if not path.exists():
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))
