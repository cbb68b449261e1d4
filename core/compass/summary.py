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


def _group_value(group: Group, scores: dict[str, tuple[float, int]]) -> tuple[float, int] | None:
    """The group's score and sample count; ``None`` unless every member has a score."""
    members = [scores.get(m) for m in group.members]
    if not members or any(m is None for m in members):
        return None
    total = sum(n for _, n in members)
    if group.weighted:
        return (sum(v * n for v, n in members) / total, total) if total else None
    return sum(v for v, _ in members) / len(members), total


def user_groups(summarizer: dict) -> list[Group]:
    """Extra group rows from the config's ``summarizer.groups`` (members: any row name)."""
    from compass.errors import CompassError

    groups = []
    for i, g in enumerate(summarizer.get("groups", []) or []):
        if not isinstance(g, dict) or not g.get("name") or not isinstance(g.get("members"), list):
            raise CompassError(f"summarizer.groups[{i}] needs a name and a list of members, got {g!r}")
        groups.append(Group(str(g["name"]), tuple(map(str, g["members"])), bool(g.get("weighted", False))))
    return groups


def build_summary(run: RunFolder, models: list[str], benchmarks: list[Benchmark],
                  extra_groups: list[Group] = ()) -> Summary:
    """Read every result file of ``run`` and lay them out, one column per model.

    Group rows follow their benchmark's subsets; ``extra_groups`` (from the config's
    summarizer) come last and may average any rows above them, groups included.
    """
    header = ["dataset", "version", "metric", "mode", *models]
    rows: list[list[str]] = []
    notes: list[str] = []
    seen: set[str] = set()
    scores: dict[str, dict[str, tuple[float, int]]] = {m: {} for m in models}

    def group_row(group: Group) -> list[str]:
        values = []
        for m in models:
            got = _group_value(group, scores[m])
            if got is not None:
                scores[m][group.name] = got
            values.append(_fmt(got[0] if got else None))
        kind = "weighted_average" if group.weighted else "naive_average"
        return [group.name, "-", kind, "-", *values]

    for bench in benchmarks:
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
            if group.name not in seen:
                seen.add(group.name)
                rows.append(group_row(group))
    for group in extra_groups:
        rows.append(group_row(group))
    return Summary(header, rows, notes)


def write_summary(summary: Summary, run: RunFolder) -> Path:
    out = run.summary_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"summary_{run.timestamp}"
    stem.with_suffix(".csv").write_text(summary.csv(), encoding="utf-8")
    stem.with_suffix(".txt").write_text(summary.text("simple") + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(summary.text("github") + "\n", encoding="utf-8")
    return stem.with_suffix(".txt")
