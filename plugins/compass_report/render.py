"""The report as one self-contained HTML file (Jinja2 template, inline SVG charts, script inlined).

It reads top-down: each run's status (finished, interrupted, failed tasks, failed samples),
the headline (each benchmark's average per model, with its 95% interval), the full table,
charts, then one sample browser for the whole report. Nothing is fetched when the file is
opened. Samples are stored per model as gzip-compressed JSON, inflated by the page; the
browser joins the models side by side by (dataset, index), in the table's order, and draws
only the rows in view, so 20k samples cost no more DOM than 20.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from compass.sdk import comparison_table, Interval, read_comparisons, Report, RunFolder, Summary

from compass_report.collect import (SAMPLE_FIELDS, Column, RunData, columns_of, merge_summaries, pack,
                                    safe_config, samples)

NEEDS = "the html report needs jinja2 and matplotlib: pip install jinja2 matplotlib"
RADAR_MIN_GROUPS = 3  # a radar over fewer axes says nothing a bar does not


def _libraries():
    try:
        import jinja2
        import matplotlib  # noqa: F401  (the charts)
    except ImportError as exc:
        raise RuntimeError(f"{NEEDS} ({exc})") from None
    return jinja2


def _num(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _is_group(row) -> bool:
    return row[1] == "-" and row[3] == "-"


def _problems(runs: list[RunData], cols: list[Column]) -> dict[tuple[str, str], str]:
    """``{(column label, dataset): why its cell needs a second look}``: failed or missing
    samples, or no result at all (and why: a failed task, an interrupted run)."""
    out: dict[tuple[str, str], str] = {}
    for run in runs:
        for c in (c for c in cols if c.run == run.run):
            for r in run.results:
                if r.get("model") != c.model:
                    continue
                bad = int(r.get("failed", 0) or 0) + int(r.get("missing", 0) or 0)
                if bad:
                    out[(c.label, r["dataset"])] = (f"{bad} of {r.get('num_samples', '?')} samples failed or "
                                                    "missing (counted as wrong)")
            failed = run.status.get("failed_tasks") or {}
            for task in failed:
                model, _, dataset = task.partition("/")
                if model == c.model:
                    out.setdefault((c.label, dataset), f"task {task} failed (log: {failed[task]})")
    return out


def _table(summary: Summary, labels: list[str], problems: dict, states: list[str]) -> list[dict]:
    """The summary rows for the template: cells with score, interval and what is wrong with it."""
    out = []
    for i, row in enumerate(summary.rows):
        cells = []
        for j, value in enumerate(row[4:]):
            err: Interval | None = summary.interval(i, j) if value != "-" else None
            why = problems.get((labels[j], row[0]))
            if value == "-" and why is None and not _is_group(row):
                state = states[j]
                why = ("no result: the run was interrupted" if state == "interrupted"
                       else "no result: the run is still running" if state == "running"
                       else "no result for this model")
            cells.append({"value": value, "err": err, "why": why})
        out.append({"dataset": row[0], "version": row[1], "metric": row[2], "mode": row[3],
                    "group": _is_group(row), "cells": cells})
    return out


def _headline_rows(runs: list[RunData], summary: Summary, bench_of: dict[str, str]) -> list[int]:
    """Rows that stand for each benchmark as a whole: what each run's status names as its
    headline, else every group row and each benchmark's only subset."""
    named = {row for r in runs for rows in (r.status.get("headline") or {}).values() for row in rows}
    if named:
        return [i for i, row in enumerate(summary.rows) if row[0] in named]
    per_bench: dict[str, list[int]] = {}
    for i, row in enumerate(summary.rows):
        if row[0] in bench_of:
            per_bench.setdefault(bench_of[row[0]], []).append(i)
    single = {rows[0] for rows in per_bench.values() if len(rows) == 1}
    return [i for i, row in enumerate(summary.rows) if i in single or (_is_group(row) and any(
        _num(c) is not None for c in row[4:]))]


def _series(summary: Summary, rows: list[int], labels: list[str]) -> list[tuple[str, list, list, list]]:
    out = []
    for j, label in enumerate(labels):
        values, lows, highs = [], [], []
        for i in rows:
            v = _num(summary.rows[i][4 + j])
            err = summary.interval(i, j)
            values.append(v)
            lows.append(None if v is None or err is None else err.low)
            highs.append(None if v is None or err is None else err.high)
        out.append((label, values, lows, highs))
    return out


def _charts(summary: Summary, bench_of: dict[str, str], labels: list[str]) -> list[dict]:
    """A bar chart per benchmark (its subsets across models), then a radar over the group rows."""
    from compass_report.charts import bar_chart, radar_chart

    by_bench: dict[str, list[int]] = {}
    groups: list[int] = []
    for i, row in enumerate(summary.rows):
        if row[0] in bench_of:
            by_bench.setdefault(bench_of[row[0]], []).append(i)
        elif _is_group(row) and any(_num(c) is not None for c in row[4:]):
            groups.append(i)
    charts = [{"id": f"chart-{k}", "title": bench,
               "svg": bar_chart(bench, [summary.rows[i][0] for i in rows], _series(summary, rows, labels))}
              for k, (bench, rows) in enumerate(by_bench.items())]
    if len(groups) >= RADAR_MIN_GROUPS:
        series = [(label, [_num(summary.rows[i][4 + j]) for i in groups]) for j, label in enumerate(labels)]
        charts.append({"id": "chart-radar", "title": "capability groups",
                       "svg": radar_chart([summary.rows[i][0] for i in groups], series)})
    return charts


def _banner(run: RunData, many: bool) -> dict:
    """What a run's status says, for the banner at the top."""
    status = run.status or {}
    state = status.get("state", "unknown")
    lines = []
    failed_tasks = status.get("failed_tasks") or {}
    if failed_tasks:
        lines.append(f"{len(failed_tasks)} task(s) failed: " + ", ".join(failed_tasks))
    bad = [(r["model"], r["dataset"], int(r.get("failed", 0) or 0) + int(r.get("missing", 0) or 0),
            r.get("num_samples", "?")) for r in run.results]
    bad = [b for b in bad if b[2]]
    if bad:
        total = sum(b[2] for b in bad)
        lines.append(f"{total} failed or missing sample(s), counted as wrong: "
                     + ", ".join(f"{m} / {d} {n} of {of}" for m, d, n, of in bad))
    incomplete = int(status.get("incomplete_samples") or 0)
    if incomplete and not bad:
        lines.append(f"{incomplete} sample(s) not inferred or not scored")
    if state == "interrupted":
        lines.insert(0, "the run was interrupted" + (" (its process is gone)" if status.get("killed") else "")
                     + f": finished work is kept; resume with compass eval … -r {run.run.root.name}")
    level = "ok" if state == "finished" and not lines else ("bad" if state in ("failed", "interrupted") or failed_tasks
                                                             else "warn")
    word = {"finished": "finished", "failed": "finished with failures", "interrupted": "interrupted",
            "running": "still running", "unknown": "status unknown (an older compass)"}.get(state, state)
    return {"run": run.run.root.name if many else "", "state": state, "word": word, "level": level, "lines": lines,
            "seconds": status.get("seconds")}


def _telemetry(runs: list[RunData]) -> tuple[list[str], list[list]]:
    rows = [({"run": r.run.root.name} if len(runs) > 1 else {}) | t for r in runs for t in r.telemetry]
    keys = list(dict.fromkeys(k for t in rows for k in t))
    return keys, [[t.get(k, "") for k in keys] for t in rows]


def _comparisons(runs: list[RunData]) -> list[dict]:
    """Each run's model-vs-model tables (``comparisons/<dataset>.json``), as the run printed them."""
    out = []
    for r in runs:
        for c in read_comparisons(r.run):
            metrics, rows = comparison_table(c)
            out.append({"run": r.run.root.name if len(runs) > 1 else "", "dataset": c.get("dataset", "?"),
                        "method": c.get("method", ""), "metrics": metrics, "rows": rows,
                        "notes": c.get("notes") or [], "incomplete": int(c.get("incomplete") or 0)})
    return out


def _payloads(runs: list[RunData], cols: list[Column], summary: Summary,
              results: list[tuple[str, dict]]) -> tuple[list[str], list[dict]]:
    """The datasets in table order, and per column its samples packed (rows and prefixes)."""
    have = {(lbl, r["dataset"]) for lbl, r in results}
    listed = [row[0] for row in summary.rows if not _is_group(row)]
    datasets = list(dict.fromkeys([d for d in listed if any((c.label, d) in have for c in cols)]
                                  + [r["dataset"] for _, r in results]))
    out = []
    for c in cols:
        rows: list[list] = []
        prefixes: dict[int, str] = {}
        for slot, ds in enumerate(datasets):
            if (c.label, ds) not in have:
                continue
            prefix, these = samples(c, ds, slot)
            rows += these
            if prefix:
                prefixes[slot] = prefix
        out.append({"label": c.label, "count": len(rows), "payload": pack({"rows": rows, "prefix": prefixes})})
    return datasets, out


def render(runs: list[RunData], title: str) -> str:
    """The whole page for ``runs`` (one run: its models; several: every model of every run)."""
    jinja2 = _libraries()
    import markupsafe  # jinja2's own dependency
    cols = columns_of(runs)
    summary = merge_summaries(runs, cols)
    labels = [c.label for c in cols]
    results = [(c.label, r) for run in runs for c in cols if c.run == run.run
               for r in run.results if r.get("model") == c.model]
    bench_of = {r["dataset"]: r.get("benchmark") or r["dataset"] for _, r in results}
    states = [next(r.status.get("state", "unknown") for r in runs if r.run == c.run) for c in cols]
    table = _table(summary, labels, _problems(runs, cols), states)
    headline = [table[i] for i in _headline_rows(runs, summary, bench_of)]
    datasets, payloads = _payloads(runs, cols, summary, results)
    keys, tele_rows = _telemetry(runs)
    configs = [{"run": r.run.root.name, "json": json.dumps(safe_config(r.config), indent=2, ensure_ascii=False)}
               for r in runs if r.config is not None]
    env = jinja2.Environment(loader=jinja2.PackageLoader("compass_report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.filters["svg"] = lambda text: markupsafe.Markup(text)  # drawn by matplotlib from escaped labels
    return env.get_template("report.html.j2").render(
        title=title, runs=[str(r.run.root) for r in runs], generated=time.strftime("%Y-%m-%d %H:%M:%S"),
        header=summary.header, labels=labels, table=table, headline=headline, notes=summary.notes,
        banners=[_banner(r, len(runs) > 1) for r in runs], comparisons=_comparisons(runs),
        has_errors=any(e is not None for row in summary.errors for e in row),
        charts=_charts(summary, bench_of, labels) if results else [], datasets=datasets, payloads=payloads,
        fields=list(SAMPLE_FIELDS), tele_keys=keys, tele_rows=tele_rows, configs=configs)


def write_report(runs: list[RunData], path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(runs, title), encoding="utf-8")
    tmp.replace(path)
    return path


class HtmlReporter:
    """``summary/report_<ts>.html`` for the run that just finished."""

    def write(self, report: Report) -> Path:
        run = RunData(RunFolder(report.run_dir), report.summary, list(report.results), list(report.telemetry),
                      report.config, dict(getattr(report, "status", None) or {}))
        return write_report([run], report.summary_dir / f"report_{report.timestamp}.html",
                            f"compass report — {report.timestamp}")


__all__ = ["Column", "HtmlReporter", "render", "write_report"]
