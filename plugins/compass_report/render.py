"""The report as one self-contained HTML file (Jinja2 template, plotly charts, script inlined).

Nothing is fetched when the file is opened: plotly's script, the styles and every sample are
in the file. Samples are stored per model × dataset as gzip-compressed JSON and inflated by
the page only when that dataset's browser is opened; the browser shows one page of samples
at a time, so a 14k-sample run costs no more DOM than a 10-sample one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from compass.sdk import comparison_table, Interval, read_comparisons, Report, RunFolder, Summary

from compass_report.collect import (SAMPLE_FIELDS, Column, RunData, columns_of, merge_summaries, pack,
                                    safe_config, samples)

NEEDS = "the html report needs jinja2 and plotly: pip install jinja2 plotly"
RADAR_MIN_GROUPS = 3  # a radar over fewer axes says nothing a bar does not


def _libraries():
    try:
        import jinja2
        import plotly.graph_objects as go
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise RuntimeError(f"{NEEDS} ({exc})") from None
    return jinja2, go, get_plotlyjs


def _num(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _table(summary: Summary) -> list[dict]:
    """The summary rows for the template: cells with score, stderr and interval."""
    out = []
    for i, row in enumerate(summary.rows):
        cells = []
        for j, value in enumerate(row[4:]):
            err: Interval | None = summary.interval(i, j) if value != "-" else None
            cells.append({"value": value, "err": err})
        out.append({"dataset": row[0], "version": row[1], "metric": row[2], "mode": row[3],
                    "group": row[1] == "-" and row[3] == "-", "cells": cells})
    return out


def _bar_figure(go, title: str, rows: list[int], summary: Summary, labels: list[str]):
    """One benchmark: its subsets on the y axis, one bar per model with its 95% interval."""
    fig = go.Figure()
    names = [summary.rows[i][0] for i in rows]
    for j, label in enumerate(labels):
        xs, plus, minus = [], [], []
        for i in rows:
            v = _num(summary.rows[i][4 + j])
            err = summary.interval(i, j)
            xs.append(v)
            plus.append(None if v is None or err is None else err.high - v)
            minus.append(None if v is None or err is None else v - err.low)
        fig.add_trace(go.Bar(name=label, y=names, x=xs, orientation="h",
                             error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
                             hovertemplate="%{y}: %{x:.2f}<extra>" + label + "</extra>"))
    height = 140 + 26 * len(rows) * max(1, len(labels)) ** 0.7
    fig.update_layout(title=title, barmode="group", height=int(height), xaxis={"range": [0, 105], "title": "score"},
                      yaxis={"autorange": "reversed", "automargin": True}, margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h"}, template="plotly_white")
    return fig


def _radar_figure(go, rows: list[int], summary: Summary, labels: list[str]):
    fig = go.Figure()
    names = [summary.rows[i][0] for i in rows]
    for j, label in enumerate(labels):
        r = [_num(summary.rows[i][4 + j]) or 0.0 for i in rows]
        fig.add_trace(go.Scatterpolar(r=[*r, r[0]], theta=[*names, names[0]], name=label, fill="toself"))
    fig.update_layout(title="capability groups", polar={"radialaxis": {"range": [0, 100]}}, height=520,
                      template="plotly_white", margin={"l": 60, "r": 60, "t": 60, "b": 40})
    return fig


def _charts(go, summary: Summary, results: list[tuple[str, dict]], labels: list[str]) -> list[dict]:
    """A bar chart per benchmark (its subsets across models), then a radar over the group rows."""
    bench_of = {r["dataset"]: r.get("benchmark") or r["dataset"] for _, r in results}
    by_bench: dict[str, list[int]] = {}
    groups: list[int] = []
    for i, row in enumerate(summary.rows):
        if row[0] in bench_of:
            by_bench.setdefault(bench_of[row[0]], []).append(i)
        elif row[1] == "-" and row[3] == "-" and any(_num(c) is not None for c in row[4:]):
            groups.append(i)
    charts = [{"id": f"chart-{k}", "title": bench, "figure": _bar_figure(go, bench, rows, summary, labels).to_json()}
              for k, (bench, rows) in enumerate(by_bench.items())]
    if len(groups) >= RADAR_MIN_GROUPS:
        charts.append({"id": "chart-radar", "title": "capability groups",
                       "figure": _radar_figure(go, groups, summary, labels).to_json()})
    return charts


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


def render(runs: list[RunData], title: str) -> str:
    """The whole page for ``runs`` (one run: its models; several: every model of every run)."""
    jinja2, go, get_plotlyjs = _libraries()
    import markupsafe  # jinja2's own dependency
    cols = columns_of(runs)
    summary = merge_summaries(runs, cols)
    labels = [c.label for c in cols]
    results = [(c.label, r) for run in runs for c in cols if c.run == run.run
               for r in run.results if r.get("model") == c.model]
    datasets = list(dict.fromkeys(r["dataset"] for _, r in results))
    browsers = []
    for k, ds in enumerate(datasets):
        parts = []
        for c in cols:
            res = next((r for lbl, r in results if lbl == c.label and r["dataset"] == ds), None)
            if res is None:
                continue
            rows = samples(c, ds)
            parts.append({"label": c.label, "count": len(rows), "payload": pack(rows),
                          "wrong": sum(r[1] is not True for r in rows), "failed": sum(bool(r[4]) for r in rows),
                          "metrics": res.get("metrics", {})})
        if parts:
            browsers.append({"id": f"ds-{k}", "dataset": ds, "parts": parts})
    keys, tele_rows = _telemetry(runs)
    configs = [{"run": r.run.root.name, "json": json.dumps(safe_config(r.config), indent=2, ensure_ascii=False)}
               for r in runs if r.config is not None]
    env = jinja2.Environment(loader=jinja2.PackageLoader("compass_report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.filters["tojson_script_str"] = lambda text: markupsafe.Markup(text.replace("</", "<\\/"))
    return env.get_template("report.html.j2").render(
        title=title, runs=[str(r.run.root) for r in runs], generated=time.strftime("%Y-%m-%d %H:%M:%S"),
        header=summary.header, labels=labels, table=_table(summary), notes=summary.notes,
        comparisons=_comparisons(runs),
        has_errors=any(e is not None for row in summary.errors for e in row),
        charts=charts_or_empty(go, summary, results, labels), browsers=browsers, fields=list(SAMPLE_FIELDS),
        tele_keys=keys, tele_rows=tele_rows, configs=configs, plotly_js=get_plotlyjs())


def charts_or_empty(go, summary: Summary, results: list[tuple[str, dict]], labels: list[str]) -> list[dict]:
    return _charts(go, summary, results, labels) if results else []


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
                      report.config)
        return write_report([run], report.summary_dir / f"report_{report.timestamp}.html",
                            f"compass report — {report.timestamp}")


__all__ = ["Column", "HtmlReporter", "render", "write_report"]
