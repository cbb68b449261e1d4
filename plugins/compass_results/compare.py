"""``compass compare RUN_A RUN_B``: are two runs' scores really different, and why may they be?

Per model × dataset both runs evaluated: the two scores, the delta and McNemar's test on the
per-sample verdicts (:mod:`compass_results.stats`); then what differs between the runs that
can change outputs — the settings behind each result's fingerprint (template, few-shot set-up,
generation, model settings), the run settings (backend, batch size, runner, limit), package
versions, failed samples — and the samples whose verdict flipped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compass.sdk import CompassError, differences

from compass_results.folders import RunView
from compass_results.stats import ALPHA, mcnemar

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
    p: float | None = None
    test: str | None = None
    significant: bool | None = None
    settings: list[Change] = field(default_factory=list)
    failed: tuple[int, int] = (0, 0)
    samples: tuple[int, int] = (0, 0)

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


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

    def to_dict(self) -> dict:
        out = asdict(self)
        for pair, data in zip(self.pairs, out["pairs"]):
            data["delta"] = pair.delta
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
    if shared:
        test = mcnemar(len(pair.right_a_only), len(pair.right_b_only))
        pair.p, pair.test, pair.significant = test.p, test.test, test.significant
    return pair


def _data_label(record: dict) -> str:
    """``hf:openai/gsm8k@1a2b3c4d, files 0f1e2d…`` (a run's record of where a dataset's data came from)."""
    where = record.get("source") or "local"
    if record.get("repo"):
        where += f":{record['repo']}@{str(record.get('sha') or record.get('revision') or '')[:8]}"
    if record.get("modified"):
        where += " (changed since fetched)"
    return f"{where}, files {record.get('identity', '?')}"


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
    cmp.pairs = [_pair(va, vb, ka, kb) for ka, kb in pairs]
    cmp.only_a = [f"{m} / {d}" for m, d in keys_a if (m, d) not in used_a]
    cmp.only_b = [f"{m} / {d}" for m, d in keys_b if (m, d) not in used_b]
    cmp.run_settings = run_setting_changes(va.config, vb.config)
    cmp.packages = package_changes(va.environment, vb.environment)
    return cmp


# -- text ---------------------------------------------------------------------------------


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def _indices(items: list[int], limit: int = 30) -> str:
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


def _fmt(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def format_comparison(cmp: Comparison, max_flips: int = 30) -> str:
    from tabulate import tabulate

    lines = [f"A: {cmp.a}", f"B: {cmp.b}", ""]
    if cmp.paired_by_dataset:
        lines += ["(each run has one model, and they differ: paired dataset by dataset)", ""]
    rows = []
    for p in cmp.pairs:
        model = p.model if p.model_b is None else f"{p.model} vs {p.model_b}"
        if p.p is None:
            verdict = "no per-sample verdicts"
        elif p.significant:
            verdict = f"significant (p < {ALPHA})"
        else:
            verdict = "within noise"
        rows.append([model, p.dataset, p.metric, _fmt(p.a), _fmt(p.b), _fmt(p.delta, sign=True),
                     f"{len(p.right_a_only)}/{len(p.right_b_only)}" if p.p is not None else "-",
                     "-" if p.p is None else f"{p.p:.4g} ({p.test})", verdict])
    if rows:
        lines.append(tabulate(rows, headers=["model", "dataset", "metric", "A", "B", "delta",
                                             "flips A/B", "p (McNemar)", "verdict"], tablefmt="simple",
                              disable_numparse=True))
        lines.append("flips A/B: samples right only in A / right only in B.")
    else:
        lines.append("the two runs share no model × dataset.")
    for label, only in (("only in A", cmp.only_a), ("only in B", cmp.only_b)):
        if only:
            lines.append(f"{label} (not compared): {', '.join(only)}")

    lines += ["", "Why they may differ:"]
    why = []
    for p in cmp.pairs:
        name = f"{p.model} / {p.dataset}"
        for c in p.settings:
            why.append(f"  {name}: {c.name}: {_short(c.a)} -> {_short(c.b)}")
        if p.failed != (0, 0):
            why.append(f"  {name}: failed or missing samples: A {p.failed[0]}, B {p.failed[1]} (counted as wrong)")
        if p.samples[0] != p.samples[1]:
            why.append(f"  {name}: samples: A {p.samples[0]}, B {p.samples[1]} (compared on the {p.shared} both have)")
    for c in cmp.run_settings:
        why.append(f"  run setting {c.name}: {_short(c.a)} -> {_short(c.b)}")
    for c in cmp.packages:
        why.append(f"  package {c.name}: {c.a or 'absent'} -> {c.b or 'absent'}")
    lines += why or ["  nothing recorded differs (same settings, packages and run options)"]

    flips = [p for p in cmp.pairs if p.right_a_only or p.right_b_only]
    lines += ["", "Flipped samples (by index):" if flips else "Flipped samples: none"]
    for p in flips:
        name = f"{p.model} / {p.dataset}"
        if p.right_a_only:
            lines.append(f"  {name}: right in A, wrong in B ({len(p.right_a_only)}): {_indices(p.right_a_only, max_flips)}")
        if p.right_b_only:
            lines.append(f"  {name}: wrong in A, right in B ({len(p.right_b_only)}): {_indices(p.right_b_only, max_flips)}")
    return "\n".join(lines)
