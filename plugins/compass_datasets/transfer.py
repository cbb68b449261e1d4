"""What every data source's download shares: its result, its two failures, a file's sha256.

Kept apart from the sources themselves so each source module (``sources``: the Hugging Face
hub and ModelScope, ``github``) imports it without importing the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from compass.sdk import CompassError


@dataclass
class Download:
    source: str
    endpoint: str
    repo: str
    revision: str  # what was asked (a branch, tag or commit)
    sha: str  # the commit it resolved to ("" where the source does not say)
    root: Path  # the files at their repository paths
    files: dict[str, str] = field(default_factory=dict)  # repository path -> sha256


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Unreachable(CompassError):
    """The source did not answer (no network, a wrong endpoint, a timeout)."""


class NotFound(CompassError):
    """The repository, revision or file is not there (HTTP 404)."""
