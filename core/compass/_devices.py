"""Which kind of accelerator a task runs on, and how many: decided once, at plan time.

Device kinds are registered by plugins (``register_devices``: ``cuda``, ``cpu`` and ``mps``
by the runners plugin, ``npu`` with ``ASCEND_RT_VISIBLE_DEVICES`` by the npu plugin); the
core knows none by name. :class:`Devices` is the table a plugin host collected.

:func:`task_resources` is the one place that turns a model's settings into a
:class:`Resources` value. The planner writes it into every task file
(``"resources": {"device": …, "num_gpus": …, "visible_devices_var": …}``); runners read it
back from :class:`compass._runners.TaskFile` and act on it — the local runner restricts each
worker to its share of the parent's visible devices (:func:`share_out`), Slurm asks for the
matching GRES. Nothing here imports torch: it is pure data, testable on any machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from compass._errors import CompassError, PluginError


@dataclass(frozen=True)
class DeviceKind:
    """One kind of device tasks can be scheduled on.

    :param name: what ``device=`` names (``cuda``, ``npu``; ``npu:1`` picks one).
    :param visible_devices_var: for numbered accelerators a runner shares out between
        workers, the variable that restricts a process to some of them
        (``CUDA_VISIBLE_DEVICES``); ``None`` for a kind with nothing to share out (``cpu``).
    :param default_accelerator: this is the kind of a model that asks for accelerators
        (``num_gpus``) without naming one; at most one kind says so.
    """

    name: str
    visible_devices_var: str | None = None
    default_accelerator: bool = False
    description: str = ""
    plugin: str = ""


class Devices:
    """The device kinds the plugins of one host registered."""

    def __init__(self, kinds: Iterable[DeviceKind] = ()):
        self._kinds: dict[str, DeviceKind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: DeviceKind) -> None:
        other = self._kinds.get(kind.name)
        if other is not None:
            raise PluginError(f"device kind '{kind.name}' is registered by two plugins: {other.plugin} and "
                              f"{kind.plugin}; uninstall one")
        if kind.default_accelerator and (prev := self.default_accelerator):
            raise PluginError(f"plugins {prev.plugin} and {kind.plugin} both register the default accelerator "
                              f"('{prev.name}', '{kind.name}'); only one may")
        self._kinds[kind.name] = kind

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    @property
    def default_accelerator(self) -> DeviceKind | None:
        return next((k for k in self._kinds.values() if k.default_accelerator), None)

    def get(self, name: str) -> DeviceKind | None:
        return self._kinds.get(name)

    def visible_devices_var(self, name: str) -> str | None:
        kind = self._kinds.get(name)
        return kind.visible_devices_var if kind else None

    def check(self, value: Any) -> str:
        """:func:`device_kind` of ``value``, refused in one line unless a plugin registered it."""
        kind = device_kind(value)
        if kind and kind not in self._kinds:
            raise CompassError(f"device={value!r} is not a device kind compass can schedule; use one of "
                               f"auto, {', '.join(self._kinds) or '(none registered)'} (an accelerator may "
                               f"take an index, e.g. {self._example()}:1)")
        return kind

    def _example(self) -> str:
        numbered = [k.name for k in self._kinds.values() if k.visible_devices_var]
        return numbered[0] if numbered else "device"


class DeviceRegister:
    """The ``register`` callable handed to ``register_devices`` for one plugin."""

    def __init__(self, devices: Devices, plugin: str):
        self._devices = devices
        self.plugin = plugin

    def __call__(self, name: str, description: str = "", *, visible_devices_var: str | None = None,
                 default_accelerator: bool = False) -> None:
        if not isinstance(name, str) or not name or name != name.lower() or ":" in name or name == "auto":
            raise PluginError(f"plugin {self.plugin} registered a device kind with a bad name {name!r} "
                              f"(lower case, no ':', not 'auto')")
        self._devices.add(DeviceKind(name, visible_devices_var, bool(default_accelerator),
                                     (description or "").strip(), self.plugin))


@dataclass(frozen=True)
class Resources:
    """What one task of a model needs.

    :param device: a registered device kind (``cuda``, ``npu``, ``cpu`` …), or ``""`` when the
        model decides by itself where it runs (``device='auto'`` without accelerators asked
        for; API models).
    :param num_gpus: accelerators of that kind the task needs (always 0 for a kind with no
        ``visible_devices_var``, such as ``cpu``, and for ``""``: nothing to share out).
    :param visible_devices_var: the variable a runner restricts a worker's devices with.
    """

    device: str = ""
    num_gpus: int = 0
    visible_devices_var: str | None = None

    def as_json(self) -> dict:
        return {"device": self.device, "num_gpus": self.num_gpus, "visible_devices_var": self.visible_devices_var}


def device_kind(value: Any) -> str:
    """``"npu:1"`` → ``npu``; ``"auto"``, ``None`` and ``""`` → ``""`` (not decided).

    Only parses: whether a plugin registered the kind is checked at plan time
    (:meth:`Devices.check`)."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    kind = text.partition(":")[0]
    return "" if kind in ("", "auto") else kind


def _device_map_count(device_map: Any, devices: Devices) -> int:
    """Accelerators an explicit ``device_map`` dict spreads over (highest index + 1)."""
    if not isinstance(device_map, Mapping):
        return 0
    indices = []
    for target in device_map.values():
        if isinstance(target, bool):
            continue
        if isinstance(target, int):
            indices.append(target)
        elif isinstance(target, str):
            kind, _, index = target.partition(":")
            if devices.visible_devices_var(kind) and index.isdigit():
                indices.append(int(index))
    return max(indices) + 1 if indices else 0


def _count(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise CompassError(f"{what}={value!r} is not a whole number of devices") from None
    if n < 0 or isinstance(value, bool) or (isinstance(value, float) and value != n):
        raise CompassError(f"{what}={value!r} is not a whole number of devices")
    return n


def task_resources(kwargs: Mapping[str, Any], default_device: str, devices: Devices) -> Resources:
    """The device kind and accelerator count of a model's tasks.

    :param kwargs: the model's resolved keyword arguments (registration defaults + the
        user's settings). Read: ``device`` (also inside ``model_kwargs``), ``num_gpus``
        and ``model_kwargs.device_map``.
    :param default_device: the kind the model runs on when the user names none — what the
        model registration's traits say (:attr:`compass._types.ModelTraits.device`, e.g.
        ``npu`` for the ``npu`` backend).
    :param devices: the registered device kinds (:attr:`compass._plugins.PluginHost.devices`).

    Rules, in order: an explicit ``device`` wins, then ``default_device``; a model that asks
    for accelerators (``num_gpus``, or a ``device_map`` naming device indices) without a
    kind runs on the default accelerator (``cuda``). A kind with no visible-devices variable
    (``cpu``, ``mps``) has no accelerators to share out.
    """
    model_kwargs = kwargs.get("model_kwargs")
    model_kwargs = model_kwargs if isinstance(model_kwargs, Mapping) else {}
    kind = devices.check(kwargs.get("device")) or devices.check(model_kwargs.get("device"))
    kind = kind or devices.check(default_device)
    count = _count(kwargs.get("num_gpus"), "num_gpus") or _device_map_count(model_kwargs.get("device_map"), devices)
    if not kind and count:
        default = devices.default_accelerator
        if default is None:
            raise CompassError(f"num_gpus={count} asks for accelerators but no plugin registered a default "
                               f"accelerator; name one with device=… ({', '.join(devices.names) or 'none registered'})")
        kind = default.name
    var = devices.visible_devices_var(kind)
    return Resources(kind, count if var else 0, var)


def visible_devices(var: str | None, env: Mapping[str, str] | None = None) -> list[str] | None:
    """The devices this process may use, as the variable ``var`` lists them.

    ``None`` when the variable is not set (then every device is visible, numbered from 0).
    The entries are kept as written: indices, or GPU UUIDs.
    """
    env = os.environ if env is None else env
    if var is None or var not in env:
        return None
    return [v.strip() for v in env[var].split(",") if v.strip()]


def share_out(kind: str, per_worker: int, worker: int, workers: int, *, var: str | None,
              env: Mapping[str, str] | None = None, total: int | None = None) -> dict[str, str]:
    """The environment that gives worker ``worker`` (of ``workers``) its ``per_worker`` devices.

    Devices are taken from those the parent may use: with ``CUDA_VISIBLE_DEVICES=4,5,6,7``
    and two devices each, worker 0 gets ``4,5`` and worker 1 ``6,7`` (never ``0,1``).
    Without the variable, devices ``0 … total-1`` are shared out (``total`` defaults to
    all, unchecked). A one-line error when there are not enough.

    :param var: the kind's visible-devices variable (:attr:`TaskFile.visible_devices_var`).
    """
    if var is None or per_worker <= 0:
        return {}
    parent = visible_devices(var, env)
    if parent is not None and total is not None:
        parent = parent[:total]
    pool = parent if parent is not None else [str(i) for i in range(total if total is not None else
                                                                     (worker + 1) * per_worker)]
    if (worker + 1) * per_worker > len(pool):
        seen = f" ({var}={','.join(parent)})" if parent is not None else ""
        raise CompassError(f"{workers} workers × {per_worker} {kind} devices need "
                           f"{workers * per_worker} devices but {len(pool)} are visible{seen}; "
                           f"lower --max-num-workers")
    return {var: ",".join(pool[worker * per_worker:(worker + 1) * per_worker])}
