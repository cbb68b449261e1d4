"""Finding and loading plugins; building the registry from their hooks.

A fresh :class:`PluginHost` is built per command (no module-global manager). Plugins come
from three places, in order:

1. the ``compass`` entry-point group (first-party plugins are declared there too);
2. ``COMPASS_EXTRA_PLUGINS``: comma-separated module names to load as plugins as well
   (handy in tests and for a plugin that is not installed as a distribution);
3. objects passed to :func:`make_plugin_host` by Python callers.

Environment variables:

* ``COMPASS_PLUGINS``: comma-separated allow-list of plugin names; any other entry-point
  plugin is not even imported (reproducible runs, isolating a bad plugin).
* ``COMPASS_EXTRA_PLUGINS``: see above.
* ``COMPASS_TRACE_HOOKS=1``: print every hook call and its result to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from compass import hookspecs
from compass._devices import DeviceRegister, Devices
from compass._protocols import check_hook_names
from compass._registry import KINDS, Register, Registry

ENTRY_POINT_GROUP = "compass"


@dataclass
class PluginInfo:
    """One plugin as ``compass plugins`` shows it."""

    name: str
    module: str
    distribution: str = ""
    version: str = ""
    error: str | None = None


@dataclass
class PluginHost:
    """A plugin manager, the plugins it loaded, and the registry they filled."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    _registry: Registry | None = None
    _devices: Devices | None = None

    @property
    def registry(self) -> Registry:
        """All registrations; collected on first use (one hook call per plugin)."""
        if self._registry is None:
            self._registry = collect_registrations(self.pm)
        return self._registry

    @property
    def devices(self) -> Devices:
        """The device kinds plugins registered (``register_devices``); collected on first use."""
        if self._devices is None:
            devices = Devices()
            for impl in self.pm.hook.register_devices.get_hookimpls():
                register = DeviceRegister(devices, impl.plugin_name)
                impl.function(**({"register": register} if "register" in impl.argnames else {}))
            self._devices = devices
        return self._devices

    def default_runner(self, debug: bool = False) -> str:
        """The runner of a run that names none (``default_runner``: the runners plugin's ``local``)."""
        name = self.pm.hook.default_runner(debug=debug)
        if not name:
            from compass._errors import CompassError

            raise CompassError("no plugin offers a default runner; name one with --runner "
                               "(see: compass list runners)")
        return name

    def provenance_packages(self) -> list[str]:
        """Distributions whose versions a run records (``provenance_packages``), each once."""
        names: list[str] = []
        for listed in self.pm.hook.provenance_packages():
            names += [n for n in listed or () if n not in names]
        return names

    @property
    def failures(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error]


def _entry_points():
    if sys.version_info >= (3, 12):
        from importlib.metadata import entry_points
    else:
        from importlib_metadata import entry_points  # type: ignore[no-redef]
    return entry_points(group=ENTRY_POINT_GROUP)


def _split_env(var: str) -> list[str]:
    return [s.strip() for s in os.environ.get(var, "").split(",") if s.strip()]


def make_plugin_host(plugins: Iterable[Any] = (), *, autoload: bool = True) -> PluginHost:
    """Build a plugin manager with every plugin loaded and the hook specs attached."""
    pm = pluggy.PluginManager("compass")
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    allow = set(_split_env("COMPASS_PLUGINS"))
    hook_names = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "compass_spec")]
    if autoload:
        seen: set[str] = set()
        for ep in sorted(_entry_points(), key=lambda e: e.name):
            if ep.name in seen or (allow and ep.name not in allow):
                continue
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                distribution=dist.name if dist else "",
                version=dist.version if dist else "",
            )
            try:
                module = ep.load()
                check_hook_names(ep.name, module, hook_names)
                pm.register(module, name=ep.name)
            except Exception as exc:  # a broken plugin must not take the others down
                info.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            host.plugins.append(info)
        for modname in _split_env("COMPASS_EXTRA_PLUGINS"):
            info = PluginInfo(name=modname, module=modname, distribution="(COMPASS_EXTRA_PLUGINS)")
            try:
                module = importlib.import_module(modname)
                check_hook_names(modname, module, hook_names)
                pm.register(module, name=modname)
            except Exception as exc:
                info.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            host.plugins.append(info)
    for obj in plugins:
        name = getattr(obj, "__name__", None) or type(obj).__name__
        check_hook_names(name, obj, hook_names)
        pm.register(obj, name=name)
        host.plugins.append(PluginInfo(name=name, module=name, distribution="(in process)"))
    if os.environ.get("COMPASS_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return host


def collect_registrations(pm: pluggy.PluginManager) -> Registry:
    """Call every ``register_<kind>`` implementation with a ``register`` bound to its plugin.

    Each implementation is called on its own so the registry knows which plugin registered
    each name, and a duplicate name can be reported with both plugins.
    """
    registry = Registry()
    trace = bool(os.environ.get("COMPASS_TRACE_HOOKS"))
    for kind in KINDS:
        caller = getattr(pm.hook, f"register_{kind}")
        for impl in caller.get_hookimpls():
            register = Register(registry, kind, impl.plugin_name)
            kwargs = {"register": register} if "register" in impl.argnames else {}
            impl.function(**kwargs)
            if trace:
                names = [r.name for r in registry.by_plugin(impl.plugin_name) if r.kind == kind]
                print(f"hook register_{kind} [{impl.plugin_name}] -> {', '.join(names) or '(nothing)'}",
                      file=sys.stderr)
    return registry
