"""Which kind of accelerator a task runs on, and how many: decided once, at plan time.

:func:`task_resources` is the one place that turns a model's settings into a
:class:`Resources` value. The planner writes it into every task file
(``"resources": {"device": …, "num_gpus": …}``); runners read it back from
:class:`compass._runners.TaskFile` and act on it — the local runner restricts each worker to
its share of the parent's visible devices (:func:`visible_devices_env`), Slurm asks for the
matching GRES. Nothing here imports torch: it is pure data, testable on any machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from compass._errors import CompassError

KINDS = ("cuda", "npu", "mps", "cpu")
# Device kinds that come as several numbered devices a runner can share out between workers.
VISIBLE_DEVICES_VAR = {"cuda": "CUDA_VISIBLE_DEVICES", "npu": "ASCEND_RT_VISIBLE_DEVICES"}


@dataclass(frozen=True)
class Resources:
    """What one task of a model needs.

    :param device: ``cuda``, ``npu``, ``mps``, ``cpu``, or ``""`` when the model decides by
        itself where it runs (``device='auto'`` without accelerators asked for; API models).
    :param num_gpus: accelerators of that kind the task needs (always 0 for ``cpu``/``mps``
        and for ``""``: nothing to share out).
    """

    device: str = ""
    num_gpus: int = 0

    def as_json(self) -> dict:
        return {"device": self.device, "num_gpus": self.num_gpus}


def device_kind(value: Any) -> str:
    """``"npu:1"`` → ``npu``; ``"auto"``, ``None`` and ``""`` → ``""`` (not decided)."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    kind = text.partition(":")[0]
    if kind in ("", "auto"):
        return ""
    if kind not in KINDS:
        raise CompassError(f"device={value!r} is not a device kind compass can schedule; use one of "
                           f"auto, {', '.join(KINDS)} (cuda/npu may take an index, e.g. cuda:1)")
    return kind


def _device_map_count(device_map: Any) -> int:
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
            if kind in VISIBLE_DEVICES_VAR and index.isdigit():
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


def task_resources(kwargs: Mapping[str, Any], default_device: str = "") -> Resources:
    """The device kind and accelerator count of a model's tasks.

    :param kwargs: the model's resolved keyword arguments (registration defaults + the
        user's settings). Read: ``device`` (also inside ``model_kwargs``), ``num_gpus``
        and ``model_kwargs.device_map``.
    :param default_device: the kind the model runs on when the user names none — what the
        model registration's traits say (:attr:`compass._types.ModelTraits.device`, e.g.
        ``npu`` for the ``npu`` backend).

    Rules, in order: an explicit ``device`` wins, then ``default_device``; a model that asks
    for accelerators (``num_gpus``, or a ``device_map`` naming device indices) without a
    kind runs on ``cuda``. ``cpu`` and ``mps`` need no accelerators to be shared out.
    """
    model_kwargs = kwargs.get("model_kwargs")
    model_kwargs = model_kwargs if isinstance(model_kwargs, Mapping) else {}
    kind = device_kind(kwargs.get("device")) or device_kind(model_kwargs.get("device"))
    kind = kind or device_kind(default_device)
    count = _count(kwargs.get("num_gpus"), "num_gpus") or _device_map_count(model_kwargs.get("device_map"))
    if not kind and count:
        kind = "cuda"
    if kind not in VISIBLE_DEVICES_VAR:
        count = 0
    return Resources(kind, count)


def visible_devices(kind: str, env: Mapping[str, str] | None = None) -> list[str] | None:
    """The devices of ``kind`` this process may use, as the environment lists them.

    ``None`` when the variable is not set (then every device is visible, numbered from 0).
    The entries are kept as written: indices, or GPU UUIDs.
    """
    env = os.environ if env is None else env
    var = VISIBLE_DEVICES_VAR.get(kind or "cuda")
    if var is None or var not in env:
        return None
    return [v.strip() for v in env[var].split(",") if v.strip()]


def share_out(kind: str, per_worker: int, worker: int, workers: int, *,
              env: Mapping[str, str] | None = None, total: int | None = None) -> dict[str, str]:
    """The environment that gives worker ``worker`` (of ``workers``) its ``per_worker`` devices.

    Devices are taken from those the parent may use: with ``CUDA_VISIBLE_DEVICES=4,5,6,7``
    and two devices each, worker 0 gets ``4,5`` and worker 1 ``6,7`` (never ``0,1``).
    Without the variable, devices ``0 … total-1`` are shared out (``total`` defaults to
    all, unchecked). A one-line error when there are not enough.
    """
    var = VISIBLE_DEVICES_VAR.get(kind or "cuda")
    if var is None or per_worker <= 0:
        return {}
    parent = visible_devices(kind, env)
    if parent is not None and total is not None:
        parent = parent[:total]
    pool = parent if parent is not None else [str(i) for i in range(total if total is not None else
                                                                     (worker + 1) * per_worker)]
    if (worker + 1) * per_worker > len(pool):
        seen = f" ({var}={','.join(parent)})" if parent is not None else ""
        raise CompassError(f"{workers} workers × {per_worker} {kind or 'cuda'} devices need "
                           f"{workers * per_worker} devices but {len(pool)} are visible{seen}; "
                           f"lower --max-num-workers")
    return {var: ",".join(pool[worker * per_worker:(worker + 1) * per_worker])}
