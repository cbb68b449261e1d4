"""The summary table: ``dataset | version | metric | mode | <model>…`` plus group rows.

Written as ``summary/summary_<ts>.{csv,txt,md}`` and printed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from compass.dataset import Benchmark, Group
from compass.evaluate import read_result
from compass.store import RunFolder


@dataclass
class Summary:
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def text(self, fmt: str = "simple") -> str:
        from tabulate import tabulate

        table = tabulate(self.rows, headers=self.header, tablefmt=fmt, disable_numparse=True)
        return table + ("\n\n" + "\n".join(self.notes) if self.notes else "")

    def csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buf.getvalue()


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _group_value(group: Group, scores: dict[str, tuple[float, int]]) -> float | None:
    members = [scores.get(m) for m in group.members]
    if not members or any(m is None for m in members):
        return None
    if group.weighted:
        total = sum(n for _, n in members)
        return sum(v * n for v, n in members) / total if total else None
    return sum(v for v, _ in members) / len(members)


def build_summary(run: RunFolder, models: list[str], benchmarks: list[Benchmark]) -> Summary:
    """Read every result file of ``run`` and lay them out, one column per model."""
    header = ["dataset", "version", "metric", "mode", *models]
    rows: list[list[str]] = []
    notes: list[str] = []
    seen: set[str] = set()
    for bench in benchmarks:
        scores: dict[str, dict[str, tuple[float, int]]] = {m: {} for m in models}
        for subset in bench.subsets:
            if subset.name in seen:
                continue
            seen.add(subset.name)
            metric, values = "-", []
            for model in models:
                res = read_result(run, model, subset.name)
                if res is None or not res["metrics"]:
                    values.append(None)
                    continue
                metric, value = next(iter(res["metrics"].items()))
                values.append(value)
                scores[model][subset.name] = (value, res["num_samples"])
                if res.get("failed") or res.get("missing"):
                    notes.append(f"note: {model} / {subset.name}: {res.get('failed', 0)} failed and "
                                 f"{res.get('missing', 0)} missing of {res['num_samples']} samples "
                                 f"(counted as wrong; rerun with -r to retry them)")
            rows.append([subset.name, subset.version, metric, subset.mode, *map(_fmt, values)])
        for group in bench.groups:
            kind = "weighted_average" if group.weighted else "naive_average"
            rows.append([group.name, "-", kind, "-",
                         *(_fmt(_group_value(group, scores[m])) for m in models)])
    return Summary(header, rows, notes)


def write_summary(summary: Summary, run: RunFolder) -> Path:
    out = run.summary_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"summary_{run.timestamp}"
    stem.with_suffix(".csv").write_text(summary.csv(), encoding="utf-8")
    stem.with_suffix(".txt").write_text(summary.text("simple") + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(summary.text("github") + "\n", encoding="utf-8")
    return stem.with_suffix(".txt")
