"""What a report shows, read from one or more run folders.

A *column* is one model of one run: the report of a single run has one column per model;
a report over several runs labels a model that appears in more than one of them with its
run's name. Samples join three files per column × dataset: the verdicts
(``results/<model>/<dataset>.samples.jsonl``), the prompts and raw predictions
(``predictions/<model>/<dataset>[_<shard>].jsonl``) and, for evaluators that call models,
the judge's or the sandbox's record (``evaluations/<model>/<dataset>.jsonl``).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from compass.sdk import (all_predictions, Interval, iter_results, json_safe, latest_status, prompt_record_text,
                         read_predictions, read_verdicts, redact, RunFolder, Summary)

# fields of a sample row, in the order the page's script reads them; ``prompt`` is the prompt
# without the part every prompt of its dataset shares (instructions, few-shot examples), which
# is stored once per dataset
SAMPLE_FIELDS = ("dataset", "index", "correct", "answer", "gold", "error", "prompt", "prediction", "evaluation")
_BOOKKEEPING = {"index", "key", "correct"}  # evaluation-record fields that are not the evaluator's


@dataclass(frozen=True)
class Column:
    """One model of one run."""

    label: str
    run: RunFolder
    model: str


@dataclass
class RunData:
    """One run folder, as the report needs it."""

    run: RunFolder
    summary: Summary
    results: list[dict]
    telemetry: list[dict] = field(default_factory=list)
    config: dict | None = None
    status: dict = field(default_factory=dict)


def shared_prefix(texts: list[str]) -> int:
    """How many leading characters every prompt of a dataset shares (instructions, fixed
    few-shot examples), cut back to the start of a line; 0 when that would leave a prompt
    with nothing, or when there is a single prompt."""
    if len(texts) < 2:
        return 0
    cut = len(os.path.commonprefix(texts))
    cut = texts[0].rfind("\n", 0, cut) + 1 if cut else 0
    return cut if all(t[cut:].strip() for t in texts) else 0


def samples(col: Column, dataset: str, slot: int = 0) -> tuple[str, list[list]]:
    """Every sample of ``dataset`` for ``col``: the prompts' shared beginning, and one row
    of :data:`SAMPLE_FIELDS` per sample (``dataset`` is ``slot``, the dataset's place in the page)."""
    verdicts = read_verdicts(col.run, col.model, dataset)
    preds: dict[int, dict] = {}
    preds.update(all_predictions(col.run, col.model, dataset))
    evals = read_predictions(col.run.evaluations(col.model, dataset))
    prompts = {int(v["index"]): prompt_record_text(preds.get(int(v["index"]), {}).get("origin_prompt")) for v in verdicts}
    cut = shared_prefix(list(prompts.values()))
    rows = []
    for v in verdicts:
        i = int(v["index"])
        pred = preds.get(i, {})
        ev = evals.get(i)
        extra = {k: json_safe(x) for k, x in ev.items() if k not in _BOOKKEEPING} if ev else None
        rows.append([slot, i, v.get("correct"), json_safe(v.get("answer")), json_safe(v.get("gold")),
                     v.get("error") or pred.get("error"), prompts[i][cut:], json_safe(pred.get("prediction")),
                     extra or None])
    prefix = next(iter(prompts.values()), "")[:cut]
    return prefix, rows


def pack(rows: list[list]) -> str:
    """Rows as gzip-compressed JSON in base64 (the page inflates it when a browser opens)."""
    raw = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def columns_of(runs: list[RunData]) -> list[Column]:
    """One column per model per run; a model in several runs is labelled ``model (run)``."""
    seen: dict[str, int] = {}
    for r in runs:
        for m in r.summary.models:
            seen[m] = seen.get(m, 0) + 1
    return [Column(m if seen[m] == 1 else f"{m} ({r.run.root.name})", r.run, m)
            for r in runs for m in r.summary.models]


def merge_summaries(runs: list[RunData], cols: list[Column]) -> Summary:
    """One table over every run: rows by (dataset, version, metric, mode), one column per model."""
    if len(runs) == 1:
        return runs[0].summary
    order: list[tuple] = []
    cells: dict[tuple, dict[str, tuple[str, Interval | None]]] = {}
    notes: list[str] = []
    labels = iter(cols)
    for r in runs:
        s = r.summary
        run_cols = [next(labels) for _ in s.models]
        notes += [f"{r.run.root.name}: {n}" for n in s.notes]
        for i, row in enumerate(s.rows):
            key = tuple(row[:4])
            if key not in cells:
                order.append(key)
                cells[key] = {}
            for j, col in enumerate(run_cols):
                if row[4 + j] != "-":
                    cells[key][col.label] = (row[4 + j], s.interval(i, j))
    header = ("dataset", "version", "metric", "mode", *(c.label for c in cols))
    rows = tuple((*k, *(cells[k].get(c.label, ("-", None))[0] for c in cols)) for k in order)
    errors = tuple(tuple(cells[k].get(c.label, ("-", None))[1] for c in cols) for k in order)
    return Summary(header, rows, tuple(notes), errors)


def safe_config(config: dict | None) -> dict | None:
    """The config as shown: redacted again (a reporter must never be the one that leaks)."""
    return None if config is None else redact(config)


def load_run(run_dir: Path, host) -> RunData:
    """A finished run folder read back: its table rebuilt from its results and config."""
    from compass import api
    from compass.sdk import build_summary, CompassError, user_groups

    run = RunFolder(run_dir)
    if not (run.root / "results").is_dir():
        raise CompassError(f"{run_dir} is not a run folder (no results/ in it); give a folder such as "
                           "outputs/default/20250101_120000")
    results = list(iter_results(run))
    configs = sorted((run.root / "configs").glob("config_*.json"))
    config = json.loads(configs[-1].read_text(encoding="utf-8")) if configs else None
    tele = sorted(run.summary_dir.glob("telemetry_*.json"))
    telemetry = json.loads(tele[-1].read_text(encoding="utf-8")) if tele else []
    summary = None
    status = latest_status(run.root)
    if config is not None:
        try:
            settings = {k: config[k] for k in ("limit",) if config.get(k) is not None}
            plan = api.plan({k: config[k] for k in ("models", "datasets", "runner", "summarizer", "data_dir")
                             if config.get(k) is not None} | settings, host)
            benchmarks = list({id(b): b for b in plan.benchmarks.values()}.values())
            summary = build_summary(run, [m.abbr for m in plan.models], benchmarks,
                                    user_groups(config.get("summarizer") or {}))
        except CompassError:
            summary = None
    if summary is None:  # the data or a plugin is gone: a row per result, no group rows
        summary = summary_from_results(run, results)
    return RunData(run, summary, results, telemetry, config, status)


def summary_from_results(run: RunFolder, results: list[dict]) -> Summary:
    """A table with one row per evaluated dataset, read from the result files alone."""
    from compass.sdk import interval_from_verdicts

    models = list(dict.fromkeys(r["model"] for r in results))
    order: list[tuple] = []
    cells: dict[tuple, dict[str, tuple[str, Interval | None]]] = {}
    for r in results:
        if not r.get("metrics"):
            continue
        metric, value = next(iter(r["metrics"].items()))
        key = (r["dataset"], r.get("version", "-"), metric, r.get("mode", "-"))
        if key not in cells:
            order.append(key)
            cells[key] = {}
        err = interval_from_verdicts(value, read_verdicts(run, r["model"], r["dataset"]))
        cells[key][r["model"]] = (f"{value:.2f}", err)
    header = ("dataset", "version", "metric", "mode", *models)
    rows = tuple((*k, *(cells[k].get(m, ("-", None))[0] for m in models)) for k in order)
    errors = tuple(tuple(cells[k].get(m, ("-", None))[1] for m in models) for k in order)
    return Summary(header, rows, ("note: group rows are left out (the run's datasets could not be planned again)",),
                   errors)
