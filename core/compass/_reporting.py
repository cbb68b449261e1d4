"""What reporters receive, and running them.

Reporters are plugins (``register_reporters``): each writes the finished run in one format
into its ``summary/`` folder. The csv, txt and md tables are first-party reporters
(``compass_reporters``); a third-party package adds a format the same way. A reporter that
fails is one warning: it never fails the run or loses the others' files.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from compass._summary import Summary


@dataclass(frozen=True)
class Report:
    """A finished run, as reporters see it.

    :param run_dir: the run folder; write into ``run_dir / "summary"``.
    :param timestamp: the run's name (``20260101_120000``), for file names.
    :param summary: the table (header, rows, notes) that was printed.
    :param results: every ``results/<model>/<dataset>.json``, as dicts.
    :param telemetry: per inference task: samples, seconds, tokens, model load.
    :param config: the run's configuration, secrets redacted.
    :param status: how the run ended, as ``summary/status_<ts>.json`` will say: ``state``
        (``finished``, ``failed``, ``interrupted``), ``failed_tasks`` (name -> log),
        ``incomplete_samples``, ``headline`` (``{model: {row: score}}``), ``seconds``.
    """

    run_dir: Path
    timestamp: str
    summary: Summary
    results: tuple[dict, ...] = ()
    telemetry: tuple[dict, ...] = ()
    config: dict | None = None
    status: dict | None = None

    @property
    def summary_dir(self) -> Path:
        return self.run_dir / "summary"


def run_reporters(host, report: Report) -> tuple[list[Path], list[str]]:
    """Call every registered reporter; returns (files written, one-line warnings)."""
    written: list[Path] = []
    warnings: list[str] = []
    report.summary_dir.mkdir(parents=True, exist_ok=True)
    for reg in host.registry.all("reporters"):
        try:
            out = reg.load()().write(report)
        except Exception as exc:  # a broken format must not cost the run its other files
            log = report.run_dir / "logs" / f"reporter-{reg.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
            warnings.append(f"warning: reporter '{reg.name}' (plugin {reg.plugin}) failed: "
                            f"{type(exc).__name__}: {exc} (traceback: {log})")
            continue
        if out is None:
            continue
        written += [Path(p) for p in (out if isinstance(out, (list, tuple)) else [out])]
    return written, warnings
