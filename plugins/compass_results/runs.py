"""``compass runs [WORK_DIR]``: the runs of a work dir, newest first.

Per run: when it started, its models and datasets, its status — ``finished``, ``failed``
(with the failed tasks), ``interrupted`` (stopped by Ctrl-C, or killed: a ``running``
status whose process is gone), ``running``, or ``unknown`` for folders of an older compass —
and its headline scores (each benchmark's overall row).
"""

from __future__ import annotations

import time
from pathlib import Path

from compass_results.folders import RunView, list_run_dirs


def describe_run(root: Path) -> dict:
    view = RunView.load(root)
    status = view.status
    cfg = view.config
    models = status.get("models") or [m.get("abbr") or m.get("type") for m in cfg.get("models", [])]
    datasets = status.get("datasets") or [d.get("type") for d in cfg.get("datasets", [])]
    started = status.get("started")
    if started is None:
        try:
            started = time.mktime(time.strptime(root.name[:15], "%Y%m%d_%H%M%S"))
        except ValueError:
            started = root.stat().st_mtime
    headline = status.get("headline")
    if not headline:  # an older or killed run: the first metric of every result
        headline = {}
        for (model, dataset), res in view.results.items():
            metrics = res.get("metrics") or {}
            if metrics:
                headline.setdefault(model, {})[dataset] = f"{next(iter(metrics.values())):.2f}"
    return {"run": root.name, "path": str(root), "started": started, "models": models, "datasets": datasets,
            "state": status.get("state", "unknown"), "failed_tasks": status.get("failed_tasks") or {},
            "incomplete_samples": status.get("incomplete_samples", 0), "headline": headline}


def status_text(run: dict) -> str:
    state = run["state"]
    if state == "failed":
        parts = []
        if run["failed_tasks"]:
            parts.append(f"{len(run['failed_tasks'])} task(s) failed")
        if run["incomplete_samples"]:
            parts.append(f"{run['incomplete_samples']} sample(s) failed")
        return "failed" + (f" ({', '.join(parts)})" if parts else "")
    return state


def scores_text(headline: dict, width: int = 70) -> str:
    many = len(headline) > 1
    parts = [f"{(m + ' ') if many else ''}{row} {score}" for m, rows in headline.items() for row, score in rows.items()]
    text = ", ".join(parts) or "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def list_runs(work_dir: Path) -> list[dict]:
    return [describe_run(p) for p in list_run_dirs(Path(work_dir))]


def format_runs(runs: list[dict]) -> str:
    from tabulate import tabulate

    rows = [[r["run"], time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["started"])),
             ", ".join(map(str, r["models"])), ", ".join(map(str, r["datasets"])), status_text(r),
             scores_text(r["headline"])] for r in runs]
    return tabulate(rows, headers=["run", "started", "models", "datasets", "status", "scores"],
                    tablefmt="simple", disable_numparse=True)
