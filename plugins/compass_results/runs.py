"""``compass runs [WORK_DIR]``: the runs of a work dir, newest first.

Per run: when it started and how long it ran, its samples (inferred of planned, read from
the tasks' progress files), its status — ``finished``, ``failed`` (with the failed tasks and
samples), ``interrupted`` (stopped by Ctrl-C, or killed: a ``running`` status whose process
is gone), ``running``, or ``unknown`` for folders of an older compass —, its models and
datasets, and its headline scores (each benchmark's overall row). The table fits the
terminal (``COLUMNS``): the last columns are cut, never the status.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from compass_results.folders import RunView, list_run_dirs

#: the narrowest a cut column gets
MIN_COLUMN = 8


def _progress(root: Path) -> tuple[int, int, float | None]:
    """(samples done, samples planned, newest progress time) over the tasks' progress files."""
    done = total = 0
    newest = None
    for path in (root / "tasks").glob("*.progress") if (root / "tasks").is_dir() else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            done += int(data["done"])
            total += int(data["total"])
            mtime = path.stat().st_mtime
        except (OSError, ValueError, KeyError, TypeError):
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return done, total, newest


def _predicted(root: Path) -> tuple[int, float | None]:
    """(samples with a prediction, newest prediction time): what an in-process run that left
    no progress files got done."""
    count, newest = 0, None
    for path in (root / "predictions").glob("*/*.jsonl") if (root / "predictions").is_dir() else ():
        if "@" in path.name:  # predictions of other settings, set aside
            continue
        try:
            with path.open(encoding="utf-8") as fh:
                count += sum(1 for line in fh if line.endswith("\n"))
            mtime = path.stat().st_mtime
        except OSError:
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return count, newest


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
    state = status.get("state", "unknown")
    headline = status.get("headline")
    if not headline:  # an older or killed run: the first metric of every result
        headline = {}
        for (model, dataset), res in view.results.items():
            metrics = res.get("metrics") or {}
            if metrics:
                headline.setdefault(model, {})[dataset] = f"{next(iter(metrics.values())):.2f}"
    done, planned, last_progress = _progress(root)
    evaluated = sum(int(r.get("num_samples", 0) or 0) for r in view.results.values())
    failed_samples = sum(int(r.get("failed", 0) or 0) + int(r.get("missing", 0) or 0) for r in view.results.values())
    if not planned:  # no progress files (an in-process --debug run): its predictions
        done, last_progress = _predicted(root)
        planned = int(status.get("samples") or 0) or evaluated
        done = min(done, planned) if state != "finished" else planned
    elif status.get("samples"):
        planned = max(planned, int(status["samples"]))
    incomplete = max(int(status.get("incomplete_samples") or 0), planned - done + failed_samples)
    if status.get("seconds") is not None:
        seconds = float(status["seconds"])
    elif state == "running":
        seconds = time.time() - started
    else:  # killed: until the last sign of life
        ends = [t for t in (last_progress, status.get("time")) if t]
        seconds = max(ends) - started if ends else None
    return {"run": root.name, "path": str(root), "started": started, "seconds": seconds, "models": models,
            "datasets": datasets, "state": state, "failed_tasks": status.get("failed_tasks") or {},
            "samples_done": done, "samples_planned": planned, "failed_samples": failed_samples,
            "incomplete_samples": incomplete, "headline": headline}


def status_text(run: dict) -> str:
    state = run["state"]
    parts = []
    if run["failed_tasks"]:
        parts.append(f"{len(run['failed_tasks'])} task(s) failed")
    if run.get("failed_samples"):
        parts.append(f"{run['failed_samples']} sample(s) failed")
    elif run["incomplete_samples"] and state in ("failed", "finished"):
        parts.append(f"{run['incomplete_samples']} sample(s) incomplete")
    if state in ("interrupted", "running") and run.get("samples_planned"):
        parts.insert(0, f"at {run['samples_done']}/{run['samples_planned']}")
    word = "failed" if state == "failed" else state
    return word + (f" ({', '.join(parts)})" if parts else "")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def samples_text(run: dict) -> str:
    if not run.get("samples_planned"):
        return "-"
    if run["samples_done"] == run["samples_planned"]:
        return str(run["samples_planned"])
    return f"{run['samples_done']}/{run['samples_planned']}"


def scores_text(headline: dict) -> str:
    many = len(headline) > 1
    parts = [f"{(m + ' ') if many else ''}{row} {score}" for m, rows in headline.items() for row, score in rows.items()]
    return ", ".join(parts) or "-"


def list_runs(work_dir: Path) -> list[dict]:
    return [describe_run(p) for p in list_run_dirs(Path(work_dir))]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


HEADERS = ["run", "started", "took", "samples", "status", "models", "datasets", "scores"]
FLEX = (5, 6, 7)  # the columns that give way, last first


def format_runs(runs: list[dict], width: int | None = None) -> str:
    """The runs as a table at most ``width`` characters wide (default: the terminal's)."""
    import os
    import shutil
    import sys

    if width is None and os.environ.get("COLUMNS", "").isdigit():
        width = int(os.environ["COLUMNS"])
    elif width is None:
        width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 10_000
    rows = [[r["run"], time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started"])), duration_text(r.get("seconds")),
             samples_text(r), status_text(r), ", ".join(map(str, r["models"])), ", ".join(map(str, r["datasets"])),
             scores_text(r["headline"])] for r in runs]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADERS)]
    gap = 2 * (len(HEADERS) - 1)
    over = sum(widths) + gap - width
    for i in reversed(FLEX):  # the scores give way first, then datasets, then models
        if over <= 0:
            break
        cut = min(over, widths[i] - max(MIN_COLUMN, len(HEADERS[i])))
        if cut > 0:
            widths[i] -= cut
            over -= cut
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_cut(c, w).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(line[:width] for line in lines)
