"""The summary table written as csv, plain text and Markdown."""

from __future__ import annotations

from pathlib import Path

from compass.sdk import Report


def _path(report: Report, suffix: str) -> Path:
    return report.summary_dir / f"summary_{report.timestamp}.{suffix}"


class CsvReporter:
    def write(self, report: Report) -> Path:
        path = _path(report, "csv")
        path.write_text(report.summary.csv(), encoding="utf-8")
        return path


class TextReporter:
    def write(self, report: Report) -> Path:
        path = _path(report, "txt")
        path.write_text(report.summary.text("simple") + "\n", encoding="utf-8")
        return path


class MarkdownReporter:
    def write(self, report: Report) -> Path:
        path = _path(report, "md")
        path.write_text(report.summary.text("github", stderr=True, ci=True) + "\n", encoding="utf-8")
        return path
