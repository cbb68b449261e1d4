"""Model conversion: a run's models handed to an equivalent backend (``-a/--accelerator``).

A backend that can run another backend's models with the same keyword arguments says so
when it registers: ``register("fast", ..., converts_from=("hf",))``. A model whose settings
hold ``accelerator="fast"`` (a plugin's ``-a/--accelerator`` flag puts it into every model
of the run; a config file may set it on one model) is then planned as a ``fast`` model if
it is an ``hf`` model — the ``hf`` backend itself, or any preset or alias built on it —
and left as it is otherwise (API models, a model already on ``fast``).

The converted model keeps every setting and gets its own name in files and tables:
``<abbr>-fast`` (an abbr ending in ``-hf`` has that suffix replaced), unless the user
named it. Nothing here knows a backend by name.
"""

from __future__ import annotations

from typing import Any

from compass._errors import CompassError
from compass._registry import Registration, Registry

#: the model setting naming the backend to convert to
KEY = "accelerator"


def targets(registry: Registry) -> list[str]:
    """Names of the backends that convert other models."""
    return [r.name for r in registry.all("models") if r.converts_from]


def convert(registry: Registry, reg: Registration, kwargs: dict) -> tuple[Registration, dict, str]:
    """``(registration, kwargs, suffix)`` of the model after conversion.

    ``kwargs`` lose the ``accelerator`` setting; ``suffix`` (``-fast``, or ``""`` when the
    model was not converted) is what its default abbr gets.
    """
    kwargs = dict(kwargs)
    name = kwargs.pop(KEY, None)
    if name in (None, "", "none"):
        return reg, kwargs, ""
    known = targets(registry)
    if not isinstance(name, str):
        raise CompassError(f"{KEY}={name!r} must name a backend that converts models "
                           f"({', '.join(known) or 'none is installed'})")
    try:
        target = registry.get("models", name)
    except CompassError:
        target = None
    if target is None or not target.converts_from:
        listed = ", ".join(known) or "none is installed"
        raise CompassError(f"{KEY} {name!r} is not a backend that converts models (choices: {listed})")
    if reg.factory == target.factory:
        return reg, kwargs, ""  # already on that backend
    sources = {_factory(registry, s) for s in target.converts_from}
    if reg.factory not in sources:
        return reg, kwargs, ""  # e.g. an API model: it runs as it is
    return target, kwargs, f"-{target.name}"


def _factory(registry: Registry, name: str) -> Any:
    try:
        return registry.get("models", name).factory
    except CompassError:
        return None


def renamed(abbr: str, suffix: str) -> str:
    """The converted model's default abbr: ``x-hf`` → ``x-fast``, ``x`` → ``x-fast``."""
    if not suffix:
        return abbr
    return (abbr[:-3] if abbr.endswith("-hf") else abbr) + suffix
