"""The SDK's readers, with this package's own hint for a missing file.

Every loader in this package goes through these helpers, so a missing file is one
:class:`~compass.sdk.DataMissing` line naming the exact path looked for and how to get it —
``compass data fetch NAME`` where this package has a recipe for it — and a malformed row is
one :class:`~compass.sdk.DataError` line ``<file>:<line>: <what is wrong>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from compass.sdk import (check_label, find_data as _find_data, read_csv, read_json, read_jsonl, read_labels,
                        read_text, require)

__all__ = ["HOW_TO_GET", "check_label", "find", "read_csv", "read_json", "read_jsonl", "read_labels",
           "read_text", "require"]

#: how to obtain data in the OpenCompass layout, appended to every "not found" message
HOW_TO_GET = "get it by unzipping OpenCompassData-core into the data dir{fetch}, or point --data-dir / " \
             "COMPASS_DATA_DIR at a folder that has it"


def find(data_dir: Path, candidates: Sequence[str], *, name: str, what: str = "",
         how: str | None = None) -> Path:
    """:func:`compass.sdk.find_data`, whose message names ``compass data fetch NAME`` when
    this package can fetch ``name``."""
    hint = how if how is not None else HOW_TO_GET.format(fetch=_fetch_hint(name))
    return _find_data(data_dir, candidates, name=name, what=what, how=hint)


def _fetch_hint(name: str) -> str:
    from compass_datasets.recipes import recipe_named

    return f", with `compass data fetch {name}` (or run without --offline)" if recipe_named(name) else ""
