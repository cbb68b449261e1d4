"""Model-vs-model evaluation: one subset, every model of the run at once.

Most evaluators score one model's answers (``score`` / ``score_samples``). An evaluator that
also defines ``compare_models(samples: dict[str, list[EvalSample]], context) -> dict | None``
is given, once every model's own evaluation of a subset is done, the samples of *all* the
run's models for that subset (by model abbr, each list as :func:`compass._evaluate.run_eval`
builds it) — e.g. a judge comparing the models' answers pairwise. It returns ``None`` when
the run did not ask for a comparison, else a dict:

* ``"ratings"``: ``{model: {metric: value}}`` — one row per model in the printed table;
* ``"method"``: one line saying what the figures are (printed above the table);
* ``"notes"`` (lines printed under it) and ``"info"`` (JSON-able, kept in the file);
* ``"incomplete"``: how many comparisons could not be made (a judge request failed): the
  run then ends with exit code 1 and says to rerun with ``-r``.

The core writes it to ``comparisons/<subset>.json`` in the run folder and prints it after the
summary table. The evaluator may also define ``preflight_models(settings, models)`` (a static
or class method), called while the run is planned with the run's ``eval_settings`` and its
model abbrs, to refuse a comparison that cannot be made (raise ``CompassError``).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from compass._errors import CompassError
from compass._evaluate import EvalContext, _samples, gather_predictions, load_evaluator
from compass._store import RunFolder, write_json


def compares_models(evaluator: Any) -> bool:
    return callable(getattr(evaluator, "compare_models", None))


def run_comparisons(host, run: RunFolder, units: list, cfg) -> tuple[list[dict], list[str]]:
    """Compare the models on every subset whose evaluator can; returns (results, errors)."""
    by_subset: dict[str, list] = {}
    for unit in units:
        by_subset.setdefault(unit.subset.name, []).append(unit)
    results, errors = [], []
    for name, group in by_subset.items():
        subset = group[0].subset
        _, evaluator = load_evaluator(host, subset)
        if not compares_models(evaluator):
            continue
        t0 = time.perf_counter()
        samples = {}
        for unit in group:
            spec = unit.spec(run.root, cfg)
            preds = gather_predictions(run, unit.model.abbr, unit.subset, spec["shards"])
            samples[unit.model.abbr], _ = _samples(host, spec, unit.subset, preds)
        context = EvalContext(host, subset, "", [], settings=cfg.eval_settings)
        try:
            result = evaluator.compare_models(samples, context)
        except CompassError as exc:
            errors.append(f"model comparison on {name} failed: {exc}")
            continue
        except Exception as exc:
            errors.append(f"model comparison on {name} failed: {type(exc).__name__}: {exc}")
            continue
        finally:
            context.close()
        if result is None:
            continue
        out = {"dataset": name, "models": list(samples), "evaluator": subset.evaluator,
               "method": str(result.get("method", "")),
               "ratings": {m: {k: float(v) for k, v in r.items()} for m, r in result.get("ratings", {}).items()},
               "notes": [str(n) for n in result.get("notes") or ()],
               "incomplete": int(result.get("incomplete") or 0),
               **({"info": result["info"]} if result.get("info") else {}),
               "seconds": round(time.perf_counter() - t0, 3)}
        write_json(run.comparison(name), out)
        results.append(out)
    return results, errors


def comparison_table(result: dict) -> tuple[list[str], list[list[str]]]:
    """A comparison's metrics and its rows (model, then each metric formatted), best first by
    the first metric: the printed table and the HTML report show the same."""
    ratings = result["ratings"]
    metrics = list(dict.fromkeys(k for r in ratings.values() for k in r))
    first = metrics[0] if metrics else None

    def key(item):
        value = item[1].get(first, float("nan")) if first else float("nan")
        return (math.isnan(value), -value if not math.isnan(value) else 0.0)

    return metrics, [[model, *(_fmt(r.get(m)) for m in metrics)] for model, r in sorted(ratings.items(), key=key)]


def read_comparisons(run: RunFolder) -> list[dict]:
    """The model-vs-model results a run folder holds (``comparisons/*.json``), by dataset name."""
    if not run.comparisons_dir.is_dir():
        return []
    out = []
    for path in sorted(run.comparisons_dir.glob("*.json")):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return [c for c in out if isinstance(c, dict) and isinstance(c.get("ratings"), dict)]


def format_comparison(result: dict) -> str:
    """The printed block of one comparison: a header line, a table (one row per model, best
    first by the first metric), the notes."""
    from tabulate import tabulate

    metrics, rows = comparison_table(result)
    lines = [f"{result['dataset']}: model vs model — {result.get('method', '')}".rstrip(" —"),
             tabulate(rows, headers=["model", *metrics], tablefmt="simple", disable_numparse=True)]
    lines += [f"note: {result['dataset']} (model vs model): {n}" for n in result.get("notes", [])]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2f}"

