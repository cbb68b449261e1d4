"""A package face whose names are imported on first use (PEP 562), so importing it is free."""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, sources: dict[str, str],
                 renamed: dict[str, str] | None = None) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module ``package``: each public name in ``sources``
    (name -> the module that defines it, under the name ``renamed`` gives, else its own) is
    imported the first time it is asked for, then kept in the package's namespace.

    Use in a package face (``compass.sdk``, a plugin's ``__init__``)::

        __getattr__, __dir__ = lazy_exports(__name__, {"HFCausalLM": "compass_hf.backend"})
    """
    renamed = dict(renamed or {})

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"{package} has no name {name!r} (its public names: {package}.__all__)")
        value = getattr(importlib.import_module(module), renamed.get(name, name))
        setattr(importlib.import_module(package), name, value)  # resolved once
        return value

    def __dir__() -> list[str]:
        return sorted(sources)

    return __getattr__, __dir__
