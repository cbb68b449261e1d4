"""The summary table: ``dataset | version | metric | mode | <model>…`` plus group rows.

Printed, and written by the reporters (``summary/summary_<ts>.{csv,txt,md}`` by default).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from compass.dataset import Benchmark, Group
from compass.evaluate import read_result
from compass.store import RunFolder


@dataclass(frozen=True)
class Summary:
    """The summary table of a run: what reporters and ``RunFinished`` observers receive."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

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

    A row describes what was run: when models ran a subset differently (a base model in
    ppl mode, a chat model in gen mode, or another prompt version), each variant gets its
    own row and each model's score sits in the row of what it ran. Group rows follow their
    benchmark's subsets; ``extra_groups`` (from the config's summarizer) come last and may
    average any rows above them, groups included.
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
            variants: dict[tuple[str, str, str], dict[str, float]] = {}
            for model in models:
                res = read_result(run, model, subset.name)
                if res is None or not res["metrics"]:
                    continue
                metric, value = next(iter(res["metrics"].items()))
                key = (res.get("version", subset.version), metric, res.get("mode", subset.mode))
                variants.setdefault(key, {})[model] = value
                scores[model][subset.name] = (value, res["num_samples"])
                if res.get("failed") or res.get("missing"):
                    notes.append(f"note: {model} / {subset.name}: {res.get('failed', 0)} failed and "
                                 f"{res.get('missing', 0)} missing of {res['num_samples']} samples "
                                 f"(counted as wrong; rerun with -r to retry them)")
                for text in res.get("notes") or ():  # what the evaluator says about its run
                    notes.append(f"note: {model} / {subset.name}: {text}")
            if not variants:
                variants[(subset.version, "-", subset.mode)] = {}
            for (version, metric, mode), values in variants.items():
                rows.append([subset.name, version, metric, mode, *(_fmt(values.get(m)) for m in models)])
        for group in bench.groups:
            if group.name not in seen:
                seen.add(group.name)
                rows.append(group_row(group))
    for group in extra_groups:
        rows.append(group_row(group))
    return Summary(tuple(header), tuple(map(tuple, rows)), tuple(notes))
