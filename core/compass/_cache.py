"""Where compass keeps what it can rebuild: ``$COMPASS_CACHE_DIR``, else
``$XDG_CACHE_HOME/compass``, else ``~/.cache/compass``.

Users of it: converted GGUF checkpoints (``compass_hf.gguf_cache``) and remembered sample
counts (:mod:`compass._sizes`). Deleting the folder only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    if os.environ.get("COMPASS_CACHE_DIR"):
        return Path(os.environ["COMPASS_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "compass"
