"""Sample counts remembered between runs, keyed by the content of the counted file.

Planning needs every subset's number of samples (to shard it, to show ``--dry-run``, to
size progress bars). Counting means parsing the subset's file. :func:`sample_count`
remembers each count in ``<cache>/sizes.json`` under the subset, its loader and the
file its loader names (``subset.load.locate(data_dir)``), together with a BLAKE2b hash
of that file's bytes: planning the same benchmark again hashes the file (much cheaper
than parsing it) and reuses the count while the content is unchanged. Loaders without
``locate``, or whose ``locate`` names a folder, are counted every time. On a hit the
main file's presence is still checked (``locate`` raises the usual one-line error), a
missing few-shot file only when the task reads it.

``<cache>`` is :func:`compass._cache.cache_root`; ``COMPASS_SIZE_CACHE=0`` turns this
cache off. A cache that cannot
be read or written is ignored (counting still works); counts of files that no longer
exist are dropped whenever the file is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from compass import __version__
from compass._cache import cache_root

FILE = "sizes.json"


def enabled() -> bool:
    return os.environ.get("COMPASS_SIZE_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def content_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class SizeCache:
    """The counts file, read once per plan and written back if anything was added."""

    def __init__(self, root: Path | None = None):
        self.path = (root or cache_root()) / FILE
        self.entries: dict[str, dict[str, Any]] | None = None
        self.dirty = False

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self.entries = {}
        return self.entries

    def count(self, subset: Any, data_dir: Path, counter: Callable[[], int]) -> int:
        """The subset's full sample count: remembered, or ``counter()`` (then remembered)."""
        locate = getattr(subset.load, "locate", None)
        if not enabled() or locate is None:
            return counter()
        path = Path(locate(data_dir))  # also checks that the data is there
        if not path.is_file():
            return counter()
        loader = subset.load
        key = json.dumps([__version__, subset.name, type(loader).__qualname__,
                          repr(getattr(loader, "key", None)), str(path.resolve())], ensure_ascii=False)
        digest = content_hash(path)
        entry = self._load().get(key)
        if entry and entry.get("hash") == digest and isinstance(entry.get("n"), int):
            return entry["n"]
        n = counter()
        self._load()[key] = {"hash": digest, "n": n}
        self.dirty = True
        return n

    def save(self) -> None:
        """Write the counts back (atomically), dropping those of files that are gone."""
        if not self.dirty or self.entries is None:
            return
        for key in list(self.entries):
            try:
                gone = not Path(json.loads(key)[-1]).exists()
            except (ValueError, IndexError, TypeError):
                gone = True
            if gone:
                del self.entries[key]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sizes-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.entries, fh, ensure_ascii=False)
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass
