"""First-party postprocessors (answer extraction) and evaluators (scoring).

The package face — what other plugins may use (the datasets plugin parses its gold answers
with the same helpers its evaluators use, and validates IFEval's instruction ids against
the checks that exist) — is :data:`__all__`, resolved on first use; submodules are private.
"""

from __future__ import annotations

import importlib
from typing import Any

_FACE: dict[str, str] = {
    "last_boxed": "compass_metrics.postprocessors",
    "normalize_number": "compass_metrics.postprocessors",
    "IFEVAL_CHECKS": "compass_metrics.ifeval_checks",
}
_RENAMED = {"IFEVAL_CHECKS": "CHECKS"}

__all__ = sorted(_FACE)


def __getattr__(name: str) -> Any:
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'compass_metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(module), _RENAMED.get(name, name))
