"""``compass compare RUN_A RUN_B``: are two runs' scores really different, and why may they be?

Per model × dataset both runs evaluated: the two scores, the delta and McNemar's test on the
per-sample verdicts (:mod:`compass_results.stats`); then what differs between the runs that
can change outputs — the settings behind each result's fingerprint (template, few-shot set-up,
generation, model settings), the run settings (backend, batch size, runner, limit), package
versions, failed samples — and the samples whose verdict flipped.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compass.sdk import CompassError, differences

from compass_results.folders import RunView
from compass_results.samples import KINDS, Sample, predictions, samples
from compass_results.stats import ALPHA, CORRECTION, adjust, mcnemar

#: run settings that say where or how a run was made, not what it computes
_NOT_OUTPUTS = {"work_dir", "reuse", "dry_run", "mode", "dump_eval_details"}


@dataclass
class Change:
    name: str
    a: Any
    b: Any


@dataclass
class Pair:
    """One model × dataset of both runs."""

    model: str
    dataset: str
    metric: str
    a: float | None
    b: float | None
    model_b: str | None = None  # when the runs' single models differ and are paired by dataset
    shared: int = 0             # samples with a verdict in both runs
    right_a_only: list[int] = field(default_factory=list)
    right_b_only: list[int] = field(default_factory=list)
    both_wrong_differ: list[int] = field(default_factory=list)  # wrong in both, different answers
    p: float | None = None
    p_adjusted: float | None = None  # over every test of the comparison (:data:`CORRECTION`)
    test: str | None = None
    significant: bool | None = None  # by the adjusted p
    settings: list[Change] = field(default_factory=list)
    failed: tuple[int, int] = (0, 0)
    samples: tuple[int, int] = (0, 0)
    flipped: list[Sample] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.model} / {self.dataset}"

    @property
    def anchor(self) -> str:
        return "s-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{self.model}--{self.dataset}")

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass
class GroupDelta:
    """A group row (an average over datasets) of both runs' summary tables."""

    model: str
    group: str
    metric: str
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.b - self.a


@dataclass
class Comparison:
    a: str
    b: str
    pairs: list[Pair] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    run_settings: list[Change] = field(default_factory=list)
    packages: list[Change] = field(default_factory=list)
    paired_by_dataset: bool = False
    groups: list[GroupDelta] = field(default_factory=list)
    correction: str = CORRECTION
    tests: int = 0

    def to_dict(self) -> dict:
        out = asdict(self)
        for pair, data in zip(self.pairs, out["pairs"]):
            data["delta"] = pair.delta
        for group, data in zip(self.groups, out["groups"]):
            data["delta"] = group.delta
        return out


def _first_metric(res: dict) -> tuple[str, float | None]:
    metrics = res.get("metrics") or {}
    if not metrics:
        return "-", None
    name, value = next(iter(metrics.items()))
    return name, float(value)


def _value_at(settings: dict | None, dotted: str) -> Any:
    cur: Any = settings or {}
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        out = {}
        for i, v in enumerate(data):
            label = v.get("abbr") or v.get("type") or str(i)
            if "type" in v and "abbr" not in v:  # the effective name: an unnamed component is named by its type
                v = {**v, "abbr": label}
            out.update(_flatten(v, f"{prefix}{label}."))
        return out
    return {prefix.rstrip("."): data}


def run_setting_changes(a: dict, b: dict) -> list[Change]:
    """Differences between two runs' config dumps: backend, model and runner kwargs (batch
    size, workers), limit, data dir, ..."""
    fa = {k: v for k, v in _flatten(a).items() if k.split(".")[0] not in _NOT_OUTPUTS}
    fb = {k: v for k, v in _flatten(b).items() if k.split(".")[0] not in _NOT_OUTPUTS}
    return [Change(k, fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def package_changes(a: dict, b: dict) -> list[Change]:
    pa = {"python": a.get("python"), **(a.get("packages") or {})} if a else {}
    pb = {"python": b.get("python"), **(b.get("packages") or {})} if b else {}
    if not pa or not pb:
        return []
    return [Change(k, pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)]


def _pair(va: RunView, vb: RunView, key_a: tuple[str, str], key_b: tuple[str, str]) -> Pair:
    ra, rb = va.results[key_a], vb.results[key_b]
    metric, sa = _first_metric(ra)
    metric_b, sb = _first_metric(rb)
    pair = Pair(key_a[0], key_a[1], metric if metric == metric_b else f"{metric} / {metric_b}", sa, sb,
                model_b=key_b[0] if key_b[0] != key_a[0] else None,
                failed=(int(ra.get("failed", 0)) + int(ra.get("missing", 0)),
                        int(rb.get("failed", 0)) + int(rb.get("missing", 0))),
                samples=(int(ra.get("num_samples", 0)), int(rb.get("num_samples", 0))))
    # why: the settings behind each result's fingerprint, and what the result itself records
    set_a, set_b = va.settings(key_a[0], ra.get("fingerprint")), vb.settings(key_b[0], rb.get("fingerprint"))
    if set_a is not None and set_b is not None:
        pair.settings = [Change(n, _value_at(set_a, n), _value_at(set_b, n)) for n in differences(set_a, set_b)]
    elif ra.get("fingerprint") != rb.get("fingerprint"):
        pair.settings = [Change("fingerprint", ra.get("fingerprint"), rb.get("fingerprint"))]
    for key in ("version", "mode", "evaluator"):
        if ra.get(key) != rb.get(key):
            pair.settings.append(Change(f"result.{key}", ra.get(key), rb.get(key)))
    data_a, data_b = va.data.get(ra.get("benchmark", "")), vb.data.get(rb.get("benchmark", ""))
    if data_a and data_b and data_a.get("identity") != data_b.get("identity"):  # the files read differ
        pair.settings.append(Change("data", _data_label(data_a), _data_label(data_b)))
    # is the delta more than noise: McNemar on the samples both runs have a verdict for
    da, db = va.verdicts(*key_a), vb.verdicts(*key_b)
    shared = sorted(i for i in set(da) & set(db)
                    if da[i].get("correct") is not None and db[i].get("correct") is not None)
    pair.shared = len(shared)
    pair.right_a_only = [i for i in shared if da[i]["correct"] and not db[i]["correct"]]
    pair.right_b_only = [i for i in shared if db[i]["correct"] and not da[i]["correct"]]
    pair.both_wrong_differ = [i for i in shared if not da[i]["correct"] and not db[i]["correct"]
                              and _key(da[i].get("answer")) != _key(db[i].get("answer"))]
    if shared:
        test = mcnemar(len(pair.right_a_only), len(pair.right_b_only))
        pair.p, pair.test = test.p, test.test
    if pair.right_a_only or pair.right_b_only or pair.both_wrong_differ:
        pair.flipped = samples({"a_right": pair.right_a_only, "b_right": pair.right_b_only,
                                "both_wrong": pair.both_wrong_differ}, da, db,
                               predictions(va.root, key_a[0], key_a[1]), predictions(vb.root, key_b[0], key_b[1]))
    return pair


def _data_label(record: dict) -> str:
    """``hf:openai/gsm8k@1a2b3c4d, files 0f1e2d…`` (a run's record of where a dataset's data came from)."""
    where = record.get("source") or "local"
    if record.get("repo"):
        where += f":{record['repo']}@{str(record.get('sha') or record.get('revision') or '')[:8]}"
    if record.get("modified"):
        where += " (changed since fetched)"
    return f"{where}, files {record.get('identity', '?')}"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _summary_rows(root: Path) -> dict[str, dict[str, str]]:
    """``{row name: {model: score}}`` of a run's newest ``summary/summary_<ts>.csv``, group rows only."""
    files = sorted((Path(root) / "summary").glob("summary_*.csv"))
    if not files:
        return {}
    with files[-1].open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        models = [h for h in header[4:] if not any(h.endswith(f"_{k}") for k in ("stderr", "ci95_low", "ci95_high"))]
        out: dict[str, dict[str, str]] = {}
        for row in reader:
            if len(row) >= 4 + len(models) and row[1] == "-" and row[3] == "-":
                out[row[0]] = {"metric": row[2], **dict(zip(models, row[4:4 + len(models)]))}
        return out


def _row_order(root: Path) -> dict[str, int]:
    """Each row name's place in a run's newest summary table."""
    files = sorted((Path(root) / "summary").glob("summary_*.csv"))
    if not files:
        return {}
    with files[-1].open(newline="", encoding="utf-8") as fh:
        names = [row[0] for row in list(csv.reader(fh))[1:] if row]
    return {name: i for i, name in reversed(list(enumerate(names)))}


def group_deltas(root_a: Path, root_b: Path, models: list[tuple[str, str]]) -> list[GroupDelta]:
    """The group rows both runs' summaries have, per compared model pair ``(model A, model B)``."""
    ga, gb = _summary_rows(root_a), _summary_rows(root_b)
    out = []
    for model_a, model_b in models:
        for name, row in ga.items():
            other = gb.get(name)
            if other is None:
                continue
            try:
                a, b = float(row.get(model_a, "-")), float(other.get(model_b, "-"))
            except ValueError:
                continue
            out.append(GroupDelta(model_a if model_a == model_b else f"{model_a} vs {model_b}", name,
                                  row["metric"], a, b))
    return out


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    va, vb = RunView.load(run_a), RunView.load(run_b)
    for view in (va, vb):
        if not view.results:
            raise CompassError(f"{view.root} has no results (results/<model>/<dataset>.json); "
                               f"evaluate it first (compass eval … -r {view.root.name})")
    cmp = Comparison(str(run_a), str(run_b))
    keys_a, keys_b = list(va.results), list(vb.results)
    shared = [k for k in keys_a if k in vb.results]
    pairs = [(k, k) for k in shared]
    if not shared and len(va.models) == 1 and len(vb.models) == 1:
        # one model in each run (A vs B of a model change): pair them dataset by dataset
        by_dataset = {d: (m, d) for m, d in keys_b}
        pairs = [(k, by_dataset[k[1]]) for k in keys_a if k[1] in by_dataset]
        cmp.paired_by_dataset = bool(pairs)
    used_a = {ka for ka, _ in pairs}
    used_b = {kb for _, kb in pairs}
    order = _row_order(va.root)  # the summary table's order (C-Eval's subjects as its table lists them)
    pairs.sort(key=lambda kk: order.get(kk[0][1], len(order)))
    cmp.pairs = [_pair(va, vb, ka, kb) for ka, kb in pairs]
    tested = [p for p in cmp.pairs if p.p is not None]
    cmp.tests = len(tested)
    for pair, q in zip(tested, adjust([p.p for p in tested])):
        pair.p_adjusted, pair.significant = q, q < ALPHA
    model_pairs = list(dict.fromkeys((ka[0], kb[0]) for ka, kb in pairs))
    cmp.groups = group_deltas(va.root, vb.root, model_pairs)
    cmp.only_a = [f"{m} / {d}" for m, d in keys_a if (m, d) not in used_a]
    cmp.only_b = [f"{m} / {d}" for m, d in keys_b if (m, d) not in used_b]
    cmp.run_settings = run_setting_changes(va.config, vb.config)
    cmp.packages = package_changes(va.environment, vb.environment)
    return cmp


# -- why they may differ ---------------------------------------------------------------------

#: what an unset setting means, said instead of null (the run took the effective default)
UNSET = {"limit": "unset (every sample)"}


def show(value: Any, name: str = "", width: int = 60) -> str:
    """A setting's value as one short line; an unset value says so (never null/None)."""
    if value is None:
        last = name.rsplit(".", 1)[-1]
        return UNSET.get(last, "unset (default)")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class Why:
    """One reason two runs may differ; ``scope`` is the pair it is about, or ``every dataset (N)``."""

    scope: str
    text: str
    name: str = ""

    @property
    def line(self) -> str:
        return f"{self.scope} {self.text}" if self.scope in ("run setting", "package") else f"{self.scope}: {self.text}"


def why(cmp: Comparison) -> list[Why]:
    """Why the runs may differ, each reason said once: a setting change shared by every
    compared dataset is one line, not one per dataset."""
    out: list[Why] = []
    n = len(cmp.pairs)
    every = f"every dataset ({n})"
    exact: dict[tuple[str, str, str], int] = {}
    names: dict[str, int] = {}
    for p in cmp.pairs:
        for c in p.settings:
            exact[(c.name, _key(c.a), _key(c.b))] = exact.get((c.name, _key(c.a), _key(c.b)), 0) + 1
        for name in {c.name for c in p.settings}:
            names[name] = names.get(name, 0) + 1
    shared_exact = {k for k, count in exact.items() if n > 1 and count == n}
    shared_name = {name for name, count in names.items() if n > 1 and count == n}
    said: set[str] = set()
    for p in cmp.pairs:
        for c in p.settings:
            key = (c.name, _key(c.a), _key(c.b))
            if key in shared_exact:
                if c.name not in said:
                    said.add(c.name)
                    out.append(Why(every, f"{c.name}: {show(c.a, c.name)} -> {show(c.b, c.name)}", c.name))
            elif c.name in shared_name:
                if c.name not in said:
                    said.add(c.name)
                    out.append(Why(every, f"{c.name} differs (e.g. {p.name}: {show(c.a, c.name)} -> "
                                          f"{show(c.b, c.name)})", c.name))
            else:
                out.append(Why(p.name, f"{c.name}: {show(c.a, c.name)} -> {show(c.b, c.name)}", c.name))
    for p in cmp.pairs:
        if p.failed != (0, 0):
            out.append(Why(p.name, f"failed or missing samples: A {p.failed[0]}, B {p.failed[1]} (counted as wrong)"))
        if p.samples[0] != p.samples[1]:
            out.append(Why(p.name, f"samples: A {p.samples[0]}, B {p.samples[1]} (compared on the {p.shared} both have)"))
    model_kwargs = {(c.name.removeprefix("model.kwargs."), _key(c.a), _key(c.b))
                    for p in cmp.pairs for c in p.settings if c.name.startswith("model.kwargs.")}
    for c in cmp.run_settings:
        parts = c.name.split(".")
        if parts[0] == "models" and len(parts) >= 3 and (".".join(parts[2:]), _key(c.a), _key(c.b)) in model_kwargs:
            continue  # the model setting behind the results' fingerprints, said above
        out.append(Why("run setting", f"{c.name}: {show(c.a, c.name)} -> {show(c.b, c.name)}", c.name))
    for c in cmp.packages:
        out.append(Why("package", f"{c.name}: {c.a or 'absent'} -> {c.b or 'absent'}", c.name))
    return out


# -- text ---------------------------------------------------------------------------------


def _one_line(value: Any, width: int) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def verdict(p: Pair) -> str:
    if p.p is None:
        return "no per-sample verdicts"
    return f"significant (q < {ALPHA})" if p.significant else "within noise"


def _mark(correct) -> str:
    return "✓" if correct is True else "✗" if correct is False else "–"


def sample_line(s: Sample, width: int = 100) -> list[str]:
    """Two lines: the question, then gold and each run's extracted (raw) answer with its verdict."""
    raw_a, raw_b = _one_line(s.a.raw, 40), _one_line(s.b.raw, 40)
    return [f"    #{s.index} {_one_line(s.question, width)}",
            f"      gold {_one_line(s.gold, 20)} | A {_mark(s.a.correct)} {_one_line(s.a.answer, 20)} ({raw_a})"
            f" | B {_mark(s.b.correct)} {_one_line(s.b.answer, 20)} ({raw_b})"]


def format_comparison(cmp: Comparison, max_flips: int = 30, kinds: tuple[str, ...] = tuple(KINDS),
                      width: int = 100) -> str:
    from tabulate import tabulate

    lines = [f"A: {cmp.a}", f"B: {cmp.b}", ""]
    if cmp.paired_by_dataset:
        lines += ["(each run has one model, and they differ: paired dataset by dataset)", ""]
    rows = [[g.model, g.group, g.metric, _fmt(g.a), _fmt(g.b), _fmt(g.delta, sign=True), "-", "-", "-",
             "group average"] for g in cmp.groups]  # the averages first: the headline
    for p in cmp.pairs:
        model = p.model if p.model_b is None else f"{p.model} vs {p.model_b}"
        rows.append([model, p.dataset, p.metric, _fmt(p.a), _fmt(p.b), _fmt(p.delta, sign=True),
                     f"{len(p.right_a_only)}/{len(p.right_b_only)}" if p.p is not None else "-",
                     "-" if p.p is None else f"{p.p:.4g} ({p.test})",
                     "-" if p.p_adjusted is None else f"{p.p_adjusted:.4g}", verdict(p)])
    if rows:
        lines.append(tabulate(rows, headers=["model", "dataset", "metric", "A", "B", "delta",
                                             "flips A/B", "p (McNemar)", "q", "verdict"], tablefmt="simple",
                              disable_numparse=True))
        lines.append("flips A/B: samples right only in A / right only in B.")
        if cmp.tests:
            lines.append(f"q: the p-value adjusted for the {cmp.tests} McNemar test(s) of this comparison "
                         f"({cmp.correction}); significant means q < {ALPHA}.")
    else:
        lines.append("the two runs share no model × dataset.")
    for label, only in (("only in A", cmp.only_a), ("only in B", cmp.only_b)):
        if only:
            lines.append(f"{label} (not compared): {', '.join(only)}")

    lines += ["", "Why they may differ:"]
    reasons = why(cmp)
    lines += [f"  {w.line}" for w in reasons] or \
        ["  nothing recorded differs (same settings, packages and run options)"]

    flips = [p for p in cmp.pairs if any(s.kind in kinds for s in p.flipped)]
    shown = "; ".join(KINDS[k] for k in kinds)
    lines += ["", f"Changed samples ({shown}):" if flips else "Flipped samples: none"]
    for p in flips:
        for kind in kinds:
            these = [s for s in p.flipped if s.kind == kind]
            if not these:
                continue
            lines.append(f"  {p.name}: {KINDS[kind]} ({len(these)}):")
            for s in these[:max_flips]:
                lines += sample_line(s, width)
            if len(these) > max_flips:
                lines.append(f"    … {len(these) - max_flips} more (--max-flips, or --html for all)")
    return "\n".join(lines)
