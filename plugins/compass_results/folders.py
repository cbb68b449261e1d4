"""Reading a finished run folder: its results, per-sample verdicts, settings and environment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from compass.sdk import (CompassError, latest_config, latest_environment, latest_status, read_verdicts,
                        RunFolder)


def find_run(arg: str, work_dir: str) -> Path:
    """A run folder from a path, or a timestamp (``latest``) under ``work_dir``."""
    path = Path(arg)
    if path.is_dir() and ((path / "results").is_dir() or (path / "configs").is_dir()):
        return path
    work = Path(work_dir)
    runs = list_run_dirs(work)
    if arg == "latest" and runs:
        return runs[0]
    if (work / arg).is_dir():
        return work / arg
    have = f"; runs in {work}: {', '.join(p.name for p in runs[:3])}" if runs else ""
    raise CompassError(f"no run folder {arg!r} (give a run folder's path, or a timestamp under "
                       f"--work-dir {work}){have}")


def list_run_dirs(work: Path) -> list[Path]:
    """Run folders of a work dir, newest first."""
    if not work.is_dir():
        return []
    runs = [p for p in work.iterdir() if p.is_dir() and (p / "configs").is_dir()]
    return sorted(runs, key=lambda p: p.name, reverse=True)


@dataclass
class RunView:
    """What ``compare`` and ``runs`` read of one run folder."""

    root: Path
    results: dict[tuple[str, str], dict] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # dataset -> where its data came from (configs/data_<ts>.json)

    @classmethod
    def load(cls, root: Path) -> RunView:
        view = cls(Path(root), config=latest_config(root), environment=latest_environment(root),
                   status=latest_status(root))
        records = sorted((Path(root) / "configs").glob("data_*.json"))
        if records:
            try:
                data = json.loads(records[-1].read_text(encoding="utf-8"))
                view.data = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                pass
        for path in sorted((Path(root) / "results").glob("*/*.json")):
            try:
                res = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(res, dict) and res.get("model") and res.get("dataset"):
                view.results[(res["model"], res["dataset"])] = res
        return view

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(m for m, _ in self.results))

    def verdicts(self, model: str, dataset: str) -> dict[int, dict]:
        return {int(r["index"]): r for r in read_verdicts(RunFolder(self.root), model, dataset) if "index" in r}

    def settings(self, model: str, fingerprint: str | None) -> dict | None:
        """The settings behind a result's fingerprint (``predictions/<model>/fingerprints.json``)."""
        book = self.root / "predictions" / model / "fingerprints.json"
        try:
            return json.loads(book.read_text(encoding="utf-8")).get(fingerprint or "")
        except (OSError, ValueError):
            return None
