"""What a run folder says about the run itself: its environment and its status.

* ``summary/environment_<ts>.json``: the versions of compass, Python and the libraries that
  change outputs, written when a run starts (read without importing those libraries);
* ``summary/status_<ts>.json``: ``state`` is ``running`` (with the launcher's pid and the
  ``samples`` the run plans to infer) from the start, then ``finished``, ``failed`` or ``interrupted`` when the run ends. A ``running``
  status whose process is gone is a run that was killed.

``compass runs`` and ``compass compare`` read them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

from compass._store import write_json

#: distributions whose version can change what a model answers or how it is scored, whatever
#: the plugins (each plugin adds its own through ``provenance_packages``)
PACKAGES = ("compass-eval", "numpy")


def environment(packages: tuple[str, ...] | list[str] = ()) -> dict:
    """Versions of Python, of :data:`PACKAGES` and of ``packages`` (the plugins'), absent ones
    left out."""
    from importlib import metadata

    versions = {}
    for name in dict.fromkeys((*PACKAGES, *packages)):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "platform": sys.platform, "packages": versions}


def write_environment(run_dir: Path, timestamp: str, packages: tuple[str, ...] | list[str] = ()) -> Path:
    path = Path(run_dir) / "summary" / f"environment_{timestamp}.json"
    write_json(path, environment(packages))
    return path


def write_status(run_dir: Path, timestamp: str, state: str, **fields) -> Path:
    """``summary/status_<timestamp>.json`` (one per invocation of the run folder)."""
    path = Path(run_dir) / "summary" / f"status_{timestamp}.json"
    record = {"state": state, "pid": os.getpid(), "host": platform.node(), "time": time.time(), **fields}
    write_json(path, record)
    return path


def _latest(folder: Path, prefix: str) -> Path | None:
    files = sorted(folder.glob(f"{prefix}_*.json")) if folder.is_dir() else []
    return files[-1] if files else None


def _read(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def latest_environment(run_dir: Path) -> dict:
    return _read(_latest(Path(run_dir) / "summary", "environment"))


def latest_config(run_dir: Path) -> dict:
    return _read(_latest(Path(run_dir) / "configs", "config"))


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def latest_status(run_dir: Path) -> dict:
    """The newest status record; ``running`` becomes ``interrupted`` when its process (on this
    host) is gone,
    and a run folder without any status (an older compass) is ``unknown``."""
    status = _read(_latest(Path(run_dir) / "summary", "status"))
    if not status:
        return {"state": "unknown"}
    here = status.get("host") in (None, platform.node())
    if status.get("state") == "running" and here and not _alive(int(status.get("pid") or 0)):
        status = {**status, "state": "interrupted", "killed": True}
    return status


def headline_rows(benchmarks) -> list[str]:
    """The summary rows that stand for each benchmark as a whole: the group of all its
    subsets when it has one (``ceval``), else each of its subsets."""
    names: list[str] = []
    for bench in benchmarks:
        every = {s.name for s in bench.subsets}
        whole = [g.name for g in bench.groups if set(g.members) == every and not g.weighted]
        picked = whole[-1:] if whole and len(every) > 1 else [s.name for s in bench.subsets]
        names += [n for n in picked if n not in names]
    return names


def headline_scores(summary, rows: list[str]) -> dict[str, dict[str, str]]:
    """``{model: {row: score}}`` read from a summary table (``-`` scores left out)."""
    header = list(summary.header)
    models = header[4:]
    out: dict[str, dict[str, str]] = {m: {} for m in models}
    for row in summary.rows:
        if row[0] in rows:
            for m, value in zip(models, row[4:]):
                if value != "-":
                    out[m].setdefault(row[0], value)
    return out
