"""The summary table: ``dataset | version | metric | mode | <model>…`` plus group rows.

Printed, and written by the reporters (``summary/summary_<ts>.{csv,txt,md}`` by default).

Every score read from per-sample verdicts (``results/<model>/<dataset>.samples.jsonl``) gets
an :class:`Interval`: for a proportion (the metric is 100 × the share of correct samples,
failed and missing samples counted as wrong) the standard error is ``sqrt(p(1-p)/n)`` and the
95% interval is Wilson's score interval; for a mean of per-sample numbers that is not a
proportion, both come from a seeded percentile bootstrap (1,000 resamples). A group row's
standard error combines its members' as independent (``sqrt(sum(w_i² se_i²))``); its interval
is built from the members' own intervals (MOVER, Zou & Donner 2008: ``low = score -
sqrt(sum(w_i² (s_i - low_i)²))``, ``high = score + sqrt(sum(w_i² (high_i - s_i)²))``), so a
one-member group has its member's interval and a group at 0% keeps its members' width above.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass, replace

from compass._dataset import Benchmark, Group
from compass._evaluate import read_result, read_verdicts
from compass._store import RunFolder


Z95 = 1.959964  # the standard normal's 97.5% quantile
BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class Interval:
    """A score's standard error and 95% interval, on the score's scale (0–100).

    ``method``: ``wilson`` (a proportion), ``bootstrap`` (a mean of per-sample numbers) or
    ``mover`` (a group row: its members' intervals combined).
    """

    stderr: float
    low: float
    high: float
    method: str
    n: int = 0

    def cell(self, value: str, ci: bool = False) -> str:
        text = f"{value} ± {self.stderr:.2f}"
        return f"{text} [{self.low:.2f}, {self.high:.2f}]" if ci else text


def wilson(correct: int, n: int) -> Interval:
    """Standard error ``sqrt(p(1-p)/n)`` and Wilson's 95% score interval of ``correct``/``n``, in %."""
    p = correct / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return Interval(100 * math.sqrt(p * (1 - p) / n), 100 * max(0.0, centre - half),
                    100 * min(1.0, centre + half), "wilson", n)


def bootstrap(values: list[float], scale: float = 1.0, seed: int = 0) -> Interval:
    """The mean's standard error and 95% percentile interval from a seeded bootstrap."""
    n = len(values)
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(values, k=n)) / n for _ in range(BOOTSTRAP_RESAMPLES))
    mu = math.fsum(means) / len(means)
    se = math.sqrt(math.fsum((m - mu) ** 2 for m in means) / (len(means) - 1))
    lo = means[int(0.025 * (len(means) - 1))]
    hi = means[int(math.ceil(0.975 * (len(means) - 1)))]
    return Interval(scale * se, scale * lo, scale * hi, "bootstrap", n)


def interval_from_verdicts(value: float, verdicts: list[dict]) -> Interval | None:
    """The interval of ``value`` from its per-sample verdicts, or ``None`` when they do not
    explain it (no verdicts, or a metric that is not their proportion or mean)."""
    marks = [v.get("correct") for v in verdicts]
    n = len(marks)
    if not n or all(m is None for m in marks):
        return None
    if all(m is None or isinstance(m, bool) for m in marks):  # unscored = failed: wrong
        right = sum(m is True for m in marks)
        return wilson(right, n) if abs(100.0 * right / n - value) < 1e-6 else None
    if all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in marks):
        mean = math.fsum(marks) / n
        for scale in (1.0, 100.0):  # per-sample scores on the metric's scale or as fractions
            if abs(scale * mean - value) < 1e-6 * max(1.0, abs(value)):
                return bootstrap([float(m) for m in marks], scale)
    return None


@dataclass(frozen=True)
class Summary:
    """The summary table of a run: what reporters and ``RunFinished`` observers receive.

    ``errors`` follows ``rows``: per row, one :class:`Interval` (or ``None``) per model column.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    errors: tuple[tuple[Interval | None, ...], ...] = ()

    @property
    def models(self) -> tuple[str, ...]:
        return self.header[4:]

    def interval(self, row: int, col: int) -> Interval | None:
        """The interval of ``rows[row][4 + col]`` (``None`` when it has none)."""
        return self.errors[row][col] if row < len(self.errors) else None

    def ordered(self, order) -> Summary:
        """The rows named in ``order`` (a row name, or ``[name, metric]``) first, in that order (a
        name no row has: a row of ``-``), then the others as they were (the summarizer's ``order``)."""
        if not order:
            return self
        none = tuple(None for _ in self.models)
        errors = list(self.errors) + [none] * (len(self.rows) - len(self.errors))
        left = list(range(len(self.rows)))
        rows, errs = [], []
        for item in order:
            name, metric = (item[0], item[1]) if isinstance(item, (list, tuple)) and len(item) > 1 else (
                item[0] if isinstance(item, (list, tuple)) else item, None)
            hits = [i for i in left if self.rows[i][0] == str(name) and metric in (None, self.rows[i][2])]
            hits = hits or [i for i in left if self.rows[i][0] == str(name)]
            if not hits:
                rows.append((str(name), "-", str(metric or "-"), "-", *("-" for _ in self.models)))
                errs.append(none)
            for i in hits[:1]:
                left.remove(i)
                rows.append(self.rows[i])
                errs.append(errors[i])
        return replace(self, rows=tuple(rows) + tuple(self.rows[i] for i in left),
                       errors=tuple(errs) + tuple(errors[i] for i in left))

    def cells(self, stderr: bool = False, ci: bool = False) -> list[list[str]]:
        """The rows, with model cells as ``score ± se`` (and ``[low, high]``) when asked."""
        if not stderr:
            return [list(r) for r in self.rows]
        out = []
        for i, row in enumerate(self.rows):
            cells = list(row[:4])
            for j, value in enumerate(row[4:]):
                err = self.interval(i, j)
                cells.append(err.cell(value, ci) if err is not None and value != "-" else value)
            out.append(cells)
        return out

    def text(self, fmt: str = "simple", stderr: bool = False, ci: bool = False) -> str:
        """The table as text; ``stderr`` shows ``score ± standard error`` (``ci``: and the 95% interval)."""
        from tabulate import tabulate

        table = tabulate(self.cells(stderr, ci), headers=self.header, tablefmt=fmt, disable_numparse=True)
        notes = list(self.notes)
        if stderr and any(e is not None for r in self.errors for e in r):
            notes.append(INTERVAL_NOTE if ci else STDERR_NOTE)
        return table + ("\n\n" + "\n".join(notes) if notes else "")

    def csv(self) -> str:
        """The table, then per model ``<model>_stderr``, ``<model>_ci95_low``, ``<model>_ci95_high``."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([*self.header, *(f"{m}_{k}" for m in self.models for k in ERROR_COLUMNS)])
        for i, row in enumerate(self.rows):
            extra = []
            for j in range(len(self.models)):
                err = self.interval(i, j)
                extra += [_fmt(None)] * 3 if err is None else [_fmt(err.stderr), _fmt(err.low), _fmt(err.high)]
            writer.writerow([*row, *extra])
        return buf.getvalue()


ERROR_COLUMNS = ("stderr", "ci95_low", "ci95_high")
STDERR_NOTE = "± is the standard error; the 95% intervals are in the summary's csv and md files"
INTERVAL_NOTE = ("± is the standard error; [low, high] the 95% interval (Wilson for proportions, "
                 "bootstrap for other means, the members' intervals combined (MOVER) for group rows)")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _group_interval(group: Group, value: float, scores: dict[str, tuple[float, int]],
                    errors: dict[str, Interval]) -> Interval | None:
    """se = sqrt(sum(w_i² se_i²)) over independent members; the interval combines the
    members' intervals by MOVER (each side from the members' distances to that side)."""
    if any(m not in errors for m in group.members):
        return None
    sizes = [scores[m][1] for m in group.members]
    total = sum(sizes)
    weights = [n / total for n in sizes] if group.weighted else [1 / len(sizes)] * len(sizes)
    if group.weights:
        fixed = [_fixed_weight(group, m) for m in group.members]
        weights = [w / sum(fixed) for w in fixed]
    pairs = list(zip(weights, group.members))
    se = math.sqrt(math.fsum((w * errors[m].stderr) ** 2 for w, m in pairs))
    below = math.sqrt(math.fsum((w * (scores[m][0] - errors[m].low)) ** 2 for w, m in pairs))
    above = math.sqrt(math.fsum((w * (errors[m].high - scores[m][0])) ** 2 for w, m in pairs))
    return Interval(se, max(0.0, value - below), min(100.0, value + above), "mover", total)


def _fixed_weight(group: Group, member: str) -> float:
    """A member's weight in a group with fixed ``weights`` (a member not listed weighs 0)."""
    return float(dict(group.weights).get(member, 0.0))


def _group_value(group: Group, scores: dict[str, tuple[float, int]]) -> tuple[float, int] | None:
    """The group's score and sample count; ``None`` unless every member has a score."""
    members = [scores.get(m) for m in group.members]
    if not members or any(m is None for m in members):
        return None
    total = sum(n for _, n in members)
    if group.weights:
        fixed = [_fixed_weight(group, m) for m in group.members]
        return sum(v * w for (v, _), w in zip(members, fixed)) / sum(fixed), total
    if group.weighted:
        return (sum(v * n for v, n in members) / total, total) if total else None
    return sum(v for v, _ in members) / len(members), total


def user_groups(summarizer: dict) -> list[Group]:
    """Extra group rows from the config's ``summarizer.groups`` (members: any row name)."""
    from compass._errors import CompassError

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
    errors: dict[str, dict[str, Interval]] = {m: {} for m in models}
    row_errors: list[list[Interval | None]] = []

    def group_row(group: Group) -> list[str]:
        values = []
        errs: list[Interval | None] = []
        for m in models:
            got = _group_value(group, scores[m])
            err = None
            if got is not None:
                scores[m][group.name] = got
                err = _group_interval(group, got[0], scores[m], errors[m])
                if err is not None:
                    errors[m][group.name] = err
            values.append(_fmt(got[0] if got else None))
            errs.append(err)
        row_errors.append(errs)
        kind = "weighted_average" if group.weighted or group.weights else "naive_average"
        return [group.name, "-", kind, "-", *values]

    for bench in benchmarks:
        for subset in bench.subsets:
            if subset.name in seen:
                continue
            seen.add(subset.name)
            variants: dict[tuple[str, str, str], dict[str, float]] = {}
            variant_errors: dict[tuple[str, str, str], dict[str, Interval]] = {}
            for model in models:
                res = read_result(run, model, subset.name)
                if res is None or not res["metrics"]:
                    continue
                metric, value = next(iter(res["metrics"].items()))
                key = (res.get("version", subset.version), metric, res.get("mode", subset.mode))
                variants.setdefault(key, {})[model] = value
                scores[model][subset.name] = (value, res["num_samples"])
                err = interval_from_verdicts(value, read_verdicts(run, model, subset.name))
                if err is not None:
                    errors[model][subset.name] = err
                    variant_errors.setdefault(key, {})[model] = err
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
                errs = variant_errors.get((version, metric, mode), {})
                row_errors.append([errs.get(m) for m in models])
        for group in bench.groups:
            if group.name not in seen:
                seen.add(group.name)
                rows.append(group_row(group))
    for group in extra_groups:
        rows.append(group_row(group))
    return Summary(tuple(header), tuple(map(tuple, rows)), tuple(notes), tuple(map(tuple, row_errors)))
