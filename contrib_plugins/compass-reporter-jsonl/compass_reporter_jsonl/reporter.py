"""A :class:`compass.sdk.Reporter`: the printed table, one JSON object per row and model."""

from __future__ import annotations

import json
from pathlib import Path

from compass.sdk import Report


class JsonlReporter:
    def write(self, report: Report) -> Path:
        table = report.summary
        header = list(table.header)
        models = header[4:]  # dataset | version | metric | mode | <model>…
        path = report.summary_dir / f"summary_{report.timestamp}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for row in table.rows:
                cells = dict(zip(header, row))
                for model in models:
                    value = cells.get(model)
                    try:
                        score = float(value)
                    except (TypeError, ValueError):
                        score = None  # "-": not evaluated
                    out.write(json.dumps({"dataset": cells["dataset"], "version": cells["version"],
                                          "metric": cells["metric"], "mode": cells["mode"], "model": model,
                                          "score": score}, ensure_ascii=False) + "\n")
        return path
