"""What plugins registered: names, descriptions and deferred factories.

A registration is data. Nothing is imported until :meth:`Registration.load` is called,
which happens only when a run actually uses the component.

An *alias* is another name for a registration (OpenCompass's config names, older
spellings): ``register("siqa_ppl", ..., aliases=("siqa_ppl_ced5f6",))`` or
``register.alias("hf_qwen2_1_5b", "qwen2-1.5b", note=..., abbr=..., defaults=...)``. Looking
an alias up gives the target's registration under the alias's name, with the alias's
defaults merged over the target's, its ``note`` (one line printed when a run uses it) and
its ``abbr`` (the name the component gets in files and tables unless the user gives one).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from compass._errors import CompassError, PluginError, did_you_mean

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
    #: set when this registration was looked up by an alias: the target's name
    alias_of: str | None = None
    #: an alias's one-line note (how compass's component differs from what the name meant)
    note: str = ""
    #: an alias's default abbr (what the component is called in files and tables)
    abbr: str | None = None
    #: models of these backends this one can run with the same settings (``-a``; see compass._convert)
    converts_from: tuple[str, ...] = ()
    #: a model's default name from its settings: ``display_name(kwargs) -> str | None``
    display_name: Callable[..., Any] | str | None = None
    #: a dataset declared as data: config tables with no ``type`` and one of these keys are this one
    claims: tuple[str, ...] = ()
    #: a model defined elsewhere (e.g. an OpenCompass model config file): ``expand(**kwargs) ->
    #: (type, kwargs, abbr)`` names the registered model it is, planned as that one
    expand: Callable[..., Any] | str | None = None

    def load(self) -> Callable[..., Any]:
        """Resolve the factory (importing its module if it was given as a string), checked
        against its kind's contract (:mod:`compass._protocols`)."""
        from compass._protocols import checked_factory

        return checked_factory(self.kind, self.name, self.plugin, _resolve(self.factory, self))

    def load_traits(self) -> Callable[..., Any] | None:
        return None if self.traits is None else _resolve(self.traits, self)

    def load_display_name(self) -> Callable[..., Any] | None:
        return None if self.display_name is None else _resolve(self.display_name, self)

    def load_expand(self) -> Callable[..., Any] | None:
        return None if self.expand is None else _resolve(self.expand, self)


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
        aliases: tuple[str, ...] | list[str] = (),
        converts_from: tuple[str, ...] | list[str] = (),
        display_name: Callable[..., Any] | str | None = None,
        claims: tuple[str, ...] | list[str] = (),
        expand: Callable[..., Any] | str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {self.plugin} registered a {self.kind[:-1]} without a name")
        if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
            raise PluginError(
                f"plugin {self.plugin}: {self.kind[:-1]} '{name}' needs a callable or a "
                f"'module:attr' string as its factory, got {factory!r}"
            )
        description = (description or "").strip().splitlines()[0] if description else ""
        if isinstance(factory, type):  # a class given directly is checked now, at registration
            from compass._protocols import check_component

            check_component(self.kind, name, self.plugin, factory)
        self._registry.add(
            Registration(
                kind=self.kind,
                name=name,
                factory=factory,
                description=description,
                plugin=self.plugin,
                defaults=dict(defaults or {}),
                traits=traits,
                converts_from=(converts_from,) if isinstance(converts_from, str) else tuple(converts_from),
                display_name=display_name,
                claims=(claims,) if isinstance(claims, str) else tuple(claims),
                expand=expand,
            )
        )
        for alias in aliases:
            self.alias(alias, name)

    def alias(self, alias: str, target: str, *, note: str = "", abbr: str | None = None,
              defaults: dict | None = None) -> None:
        """Make ``alias`` another name of ``target`` (a name of this kind, from any plugin).

        :param note: one line shown by ``compass list`` and printed when a run uses the alias,
            e.g. how compass's prompt differs from the one the alias's origin used.
        :param abbr: the component's default name in files and tables.
        :param defaults: keyword arguments merged over the target's defaults.
        """
        if not isinstance(alias, str) or not alias or not isinstance(target, str) or not target:
            raise PluginError(f"plugin {self.plugin}: a {self.kind[:-1]} alias needs a name and a target")
        self._registry.add_alias(self.kind, Alias(alias, target, self.plugin, " ".join((note or "").split()),
                                                  abbr, dict(defaults or {})))


@dataclass(frozen=True)
class Alias:
    """Another name of a registration (see the module docstring)."""

    name: str
    target: str
    plugin: str
    note: str = ""
    abbr: str | None = None
    defaults: dict = field(default_factory=dict)


_SEPARATORS = re.compile(r"[-_.]")


def loose(name: str) -> str:
    """``name`` lower-cased with ``-``, ``_`` and ``.`` made equal (``1_8b`` ~ ``1.8b``)."""
    return _SEPARATORS.sub("-", name.lower())


class Registry:
    """All registrations of one plugin manager, by kind and name."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Registration]] = {kind: {} for kind in KINDS}
        self._aliases: dict[str, dict[str, Alias]] = {kind: {} for kind in KINDS}

    def _claimed(self, kind: str, name: str) -> str | None:
        if name in self._items[kind]:
            return self._items[kind][name].plugin
        alias = self._aliases[kind].get(name)
        return f"{alias.plugin} (an alias of '{alias.target}')" if alias else None

    def _clash(self, kind: str, name: str, plugin: str) -> None:
        other = self._claimed(kind, name)
        if other is not None:
            raise PluginError(
                f"{KIND_SINGULAR[kind]} '{name}' is registered by two plugins: "
                f"{other} and {plugin}; uninstall one or allow-list plugins "
                f"with COMPASS_PLUGINS"
            )

    def add(self, reg: Registration) -> None:
        self._clash(reg.kind, reg.name, reg.plugin)
        self._items[reg.kind][reg.name] = reg

    def add_alias(self, kind: str, alias: Alias) -> None:
        self._clash(kind, alias.name, alias.plugin)
        self._aliases[kind][alias.name] = alias

    def _resolve_alias(self, kind: str, alias: Alias) -> Registration:
        target = self._items[kind].get(alias.target)
        if target is None:
            raise PluginError(f"plugin {alias.plugin}: {KIND_SINGULAR[kind]} alias '{alias.name}' points at "
                              f"'{alias.target}', which no plugin registered")
        return replace(target, name=alias.name, alias_of=target.name, note=alias.note,
                       abbr=alias.abbr, defaults={**target.defaults, **alias.defaults})

    def get(self, kind: str, name: str) -> Registration:
        table = self._items[kind]
        if name in table:
            return table[name]
        if name in self._aliases[kind]:
            return self._resolve_alias(kind, self._aliases[kind][name])
        singular = KIND_SINGULAR[kind]
        choices = [*table, *self._aliases[kind]]
        folded = [n for n in choices if n.lower() == name.lower()]
        if len(folded) == 1:  # names are case-insensitive where that is unambiguous (GSM8K_gen ~ gsm8k_gen)
            return self.get(kind, folded[0])
        close = [n for n in choices if loose(n) == loose(name)]
        hint = f"; did you mean '{close[0]}'?" if close else did_you_mean(name, choices)
        raise CompassError(f"unknown {singular} '{name}'{hint} (see: compass list {kind})")

    def aliases(self, kind: str | None = None) -> list[Registration]:
        """Every alias of ``kind`` (or all kinds) resolved to its target, by name; dangling ones skipped."""
        kinds = KINDS if kind is None else (kind,)
        out = []
        for k in kinds:
            for name in sorted(self._aliases[k]):
                alias = self._aliases[k][name]
                if alias.target in self._items[k]:
                    out.append(self._resolve_alias(k, alias))
        return out

    def names(self, kind: str) -> list[str]:
        return sorted(self._items[kind])

    def all(self, kind: str | None = None) -> list[Registration]:
        kinds = KINDS if kind is None else (kind,)
        return [self._items[k][n] for k in kinds for n in sorted(self._items[k])]

    def by_plugin(self, plugin: str) -> list[Registration]:
        return [r for r in self.all() if r.plugin == plugin]
