"""What plugins registered: names, descriptions and deferred factories.

A registration is data. Nothing is imported until :meth:`Registration.load` is called,
which happens only when a run actually uses the component.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from compass.errors import CompassError, PluginError, did_you_mean

KINDS: tuple[str, ...] = ("models", "datasets", "postprocessors", "evaluators", "runners", "reporters")
KIND_SINGULAR = {
    "models": "model",
    "datasets": "dataset",
    "postprocessors": "postprocessor",
    "evaluators": "evaluator",
    "runners": "runner",
    "reporters": "reporter",
}


@dataclass(frozen=True)
class Registration:
    """One named component and who registered it."""

    kind: str
    name: str
    factory: Callable[..., Any] | str
    description: str
    plugin: str
    defaults: dict = field(default_factory=dict)
    traits: Callable[..., Any] | str | None = None

    def load(self) -> Callable[..., Any]:
        """Resolve the factory (importing its module if it was given as a string)."""
        return _resolve(self.factory, self)

    def load_traits(self) -> Callable[..., Any] | None:
        return None if self.traits is None else _resolve(self.traits, self)


def _resolve(target: Callable[..., Any] | str, reg: Registration) -> Callable[..., Any]:
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except ImportError as exc:
        missing = exc.name or str(exc)
        raise CompassError(
            f"{KIND_SINGULAR[reg.kind]} '{reg.name}' (plugin {reg.plugin}) needs the package "
            f"'{missing}', which is not installed; install the extra that provides it "
            f"(e.g. pip install 'compass-eval[hf]')"
        ) from None
    except AttributeError:
        raise PluginError(
            f"plugin {reg.plugin}: {KIND_SINGULAR[reg.kind]} '{reg.name}' points at "
            f"'{target}', which does not exist"
        ) from None
    return obj


class Register:
    """The ``register`` callable handed to a ``register_<kind>`` hook for one plugin."""

    def __init__(self, registry: Registry, kind: str, plugin: str):
        self._registry = registry
        self.kind = kind
        self.plugin = plugin

    def __call__(
        self,
        name: str,
        factory: Callable[..., Any] | str,
        description: str = "",
        *,
        defaults: dict | None = None,
        traits: Callable[..., Any] | str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {self.plugin} registered a {self.kind[:-1]} without a name")
        if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
            raise PluginError(
                f"plugin {self.plugin}: {self.kind[:-1]} '{name}' needs a callable or a "
                f"'module:attr' string as its factory, got {factory!r}"
            )
        description = (description or "").strip().splitlines()[0] if description else ""
        self._registry.add(
            Registration(
                kind=self.kind,
                name=name,
                factory=factory,
                description=description,
                plugin=self.plugin,
                defaults=dict(defaults or {}),
                traits=traits,
            )
        )


class Registry:
    """All registrations of one plugin manager, by kind and name."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Registration]] = {kind: {} for kind in KINDS}

    def add(self, reg: Registration) -> None:
        table = self._items[reg.kind]
        other = table.get(reg.name)
        if other is not None:
            raise PluginError(
                f"{KIND_SINGULAR[reg.kind]} '{reg.name}' is registered by two plugins: "
                f"{other.plugin} and {reg.plugin}; uninstall one or allow-list plugins "
                f"with COMPASS_PLUGINS"
            )
        table[reg.name] = reg

    def get(self, kind: str, name: str) -> Registration:
        table = self._items[kind]
        if name not in table:
            singular = KIND_SINGULAR[kind]
            raise CompassError(
                f"unknown {singular} '{name}'{did_you_mean(name, table)}"
                f" (see: compass list {kind})"
            )
        return table[name]

    def names(self, kind: str) -> list[str]:
        return sorted(self._items[kind])

    def all(self, kind: str | None = None) -> list[Registration]:
        kinds = KINDS if kind is None else (kind,)
        return [self._items[k][n] for k in kinds for n in sorted(self._items[k])]

    def by_plugin(self, plugin: str) -> list[Registration]:
        return [r for r in self.all() if r.plugin == plugin]
