"""Evaluation of one model × subset: postprocess, score, write ``results/<model>/<dataset>.json``."""

from __future__ import annotations

import time
from pathlib import Path

from compass.dataset import Subset
from compass.errors import CompassError
from compass.plugins import PluginHost
from compass.store import RunFolder, read_predictions, write_json


def gather_predictions(run: RunFolder, model: str, subset: Subset, shards: list[int | None]) -> dict[int, dict]:
    preds: dict[int, dict] = {}
    for shard in shards:
        preds.update(read_predictions(run.predictions(model, subset.name, shard)))
    return preds


def run_eval(host: PluginHost, run: RunFolder, model: str, subset: Subset, num_samples: int,
             shards: list[int | None], *, benchmark: str = "", dump_details: bool = False) -> dict:
    """Score what was inferred; a missing or failed sample counts as wrong and is reported."""
    t0 = time.perf_counter()
    preds = gather_predictions(run, model, subset, shards)
    indices = range(num_samples)
    missing = [i for i in indices if i not in preds]
    failed = [i for i in indices if i in preds and preds[i].get("error")]
    post_fn = None
    if subset.mode == "gen" and subset.postprocessor:
        post_fn = host.registry.get("postprocessors", subset.postprocessor).load()
    answers, golds = [], []
    for i in indices:
        rec = preds.get(i)
        if rec is None or rec.get("error"):
            answers.append(None)
            golds.append(rec.get("gold") if rec else None)
            continue
        pred = rec["prediction"]
        if post_fn is not None:
            pred = post_fn(pred or "", **dict(subset.postprocessor_kwargs))
        answers.append(pred)
        golds.append(rec.get("gold"))
    ev_reg = host.registry.get("evaluators", subset.evaluator)
    evaluator = ev_reg.load()(**dict(subset.evaluator_kwargs))
    scored = evaluator.score(answers, golds)
    if not isinstance(scored, dict):
        raise CompassError(f"evaluator '{subset.evaluator}' (plugin {ev_reg.plugin}) must return a dict")
    details = scored.pop("details", None)
    result = {
        "dataset": subset.name,
        "benchmark": benchmark,
        "version": subset.version,
        "mode": subset.mode,
        "metrics": {k: float(v) for k, v in scored.items()},
        "num_samples": num_samples,
        "failed": len(failed),
        "missing": len(missing),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if dump_details:
        result["details"] = [
            {"index": i, "prediction": (preds.get(i) or {}).get("prediction"), "answer": answers[i],
             "gold": golds[i], "correct": (details[i] if details else None),
             "error": (preds.get(i) or {}).get("error")}
            for i in indices
        ]
    write_json(run.result(model, subset.name), result)
    return result


def read_result(run: RunFolder, model: str, subset: str) -> dict | None:
    import json

    path = run.result(model, subset)
    if not path.exists():
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))
