"""First-party postprocessors (answer extraction) and evaluators (scoring).

The package face — what other plugins may use (the datasets plugin parses its gold answers
with the same helpers its evaluators use, and validates IFEval's instruction ids against
the checks that exist) — is :data:`__all__`, resolved on first use; submodules are private.
"""

from __future__ import annotations

from compass.sdk import lazy_exports

_FACE: dict[str, str] = {
    "last_boxed": "compass_metrics.postprocessors",
    "normalize_number": "compass_metrics.postprocessors",
    "IFEVAL_CHECKS": "compass_metrics.ifeval_checks",
}
_RENAMED = {"IFEVAL_CHECKS": "CHECKS"}

__all__ = sorted(_FACE)

__getattr__, __dir__ = lazy_exports(__name__, _FACE, _RENAMED)
