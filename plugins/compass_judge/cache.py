"""The judgement cache: a judgement already made is not asked again, across runs.

``<cache>/judgements/<judge>.jsonl`` (``<cache>`` is :func:`compass._cache.cache_root`; one
file per judge's settings) holds one line per settled judgement, keyed by a hash of (the
judge's settings, the template's hash, every field the template was filled with — question,
answer(s), reference). A later run that adds a candidate against the same baseline asks the
judge only about the new pairs. Failed requests are never cached. ``COMPASS_JUDGE_CACHE=0``
turns it off. It assumes a judge answers the same question the same way (temperature 0); a
judge with other settings has its own file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from compass.sdk import cache_root, digest


def enabled() -> bool:
    return os.environ.get("COMPASS_JUDGE_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


class JudgementCache:
    def __init__(self, judge_key: Any, root: Path | None = None):
        self.path = (root or cache_root() / "judgements") / f"{digest(judge_key)[:24]}.jsonl"
        self._known: dict[str, dict] | None = None

    @staticmethod
    def key(template_hash: str, fields: dict) -> str:
        return digest([template_hash, sorted(fields.items())])

    def _load(self) -> dict[str, dict]:
        if self._known is None:
            self._known = {}
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by a kill
                        continue
                    self._known[rec["k"]] = rec
        return self._known

    def get(self, key: str) -> dict | None:
        return self._load().get(key)

    def put(self, key: str, verdict: Any, replies: list[str]) -> None:
        rec = {"k": key, "verdict": verdict, "replies": replies}
        self._load()[key] = rec
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:  # one line per write: appends do not interleave
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
