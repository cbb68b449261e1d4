"""Choosing where a model runs: cpu, cuda (one or several GPUs), mps or an Ascend NPU.

:func:`place` is a pure function of the user's settings, what the machine has
(:class:`Accelerators`) and the environment, so it can be tested on any machine.
:func:`detect` asks torch what is there, and :func:`require_torch_npu` imports torch-npu,
which registers the ``npu`` device with torch, only when an NPU is asked for.

The local runner hands each worker its accelerators through ``CUDA_VISIBLE_DEVICES`` or
``ASCEND_RT_VISIBLE_DEVICES`` (see :func:`compass._runners.visible_devices_env`), so inside
a worker the first visible device is always index 0.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Mapping

from compass.sdk import CompassError

NPU_INSTALL = "pip install 'compass-eval[npu]' (needs Ascend CANN)"


@dataclass(frozen=True)
class Accelerators:
    """What this machine offers (counts of visible devices)."""

    cuda: int = 0
    mps: bool = False
    npu: int = 0


@dataclass(frozen=True)
class Placement:
    """Where to put the model.

    ``device`` is the torch device of the inputs (``"cpu"``, ``"cuda:0"``, ``"npu:0"``).
    ``device_map`` is handed to ``from_pretrained`` when the model is spread over several
    devices (``"auto"``) or the user gave one; otherwise the model is moved to ``device``.
    """

    device: str
    device_map: Any = None

    @property
    def kind(self) -> str:
        return self.device.partition(":")[0]


def place(device: str, *, num_gpus: int = 0, device_map: Any = None,
          available: Accelerators, env: Mapping[str, str] | None = None) -> Placement:
    """Decide the placement; a one-line error when the requested device is not there.

    :param device: ``auto``, ``cpu``, ``cuda``, ``mps``, ``npu``, optionally ``kind:N``.
    :param num_gpus: how many accelerators the model may use (``--hf-num-gpus``); more than
        one spreads it with ``device_map="auto"``.
    :param device_map: a ``device_map`` the user passed in ``--model-kwargs``; it wins.
    """
    env = env or {}
    kind, _, index = device.partition(":")
    if kind == "auto":
        if available.cuda:
            kind = "cuda"
        elif available.npu:
            kind = "npu"
        elif available.mps:
            kind = "mps"
        else:
            kind = "cpu"
    if kind == "cpu":
        return Placement("cpu", device_map)
    if kind == "mps":
        if not available.mps:
            raise CompassError("device mps was asked for, but torch reports no Apple GPU (mps)")
        return Placement("mps", device_map)
    count = available.cuda if kind == "cuda" else available.npu
    var = "CUDA_VISIBLE_DEVICES" if kind == "cuda" else "ASCEND_RT_VISIBLE_DEVICES"
    if count < 1:
        hint = f" ({var}={env[var]!r})" if var in env else ""
        raise CompassError(f"device {kind} was asked for, but torch sees no {kind.upper()} device{hint}")
    idx = int(index) if index else 0
    if idx >= count:
        raise CompassError(f"device {kind}:{idx} was asked for, but only {count} {kind} device(s) are visible")
    if device_map is not None:
        return Placement(f"{kind}:{idx}", device_map)
    if num_gpus > 1:
        if num_gpus > count:
            raise CompassError(f"--hf-num-gpus {num_gpus} asks for more {kind} devices than the {count} visible")
        return Placement(f"{kind}:0", "auto")
    return Placement(f"{kind}:{idx}", None)


def check_torch_npu(what: str = "device npu") -> None:
    """A one-line error unless torch-npu is installed (found without importing it)."""
    if importlib.util.find_spec("torch_npu") is None:
        raise CompassError(f"{what} needs the package torch-npu, which is not installed; {NPU_INSTALL}")


def require_torch_npu() -> Any:
    """Import torch-npu (which adds the ``npu`` device to torch) or explain how to get it."""
    check_torch_npu()
    try:
        return importlib.import_module("torch_npu")
    except Exception as exc:  # installed but broken (e.g. CANN libraries missing)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CompassError(f"torch-npu is installed but failed to import ({first}); {NPU_INSTALL}") from None


def detect(kind: str) -> Accelerators:
    """Count the devices torch can see. Imports torch-npu only when ``kind`` is npu."""
    import torch

    npu = 0
    if kind == "npu":
        require_torch_npu()
        npu = int(torch.npu.device_count())  # type: ignore[attr-defined]
    cuda = torch.cuda.device_count() if kind in ("auto", "cuda") and torch.cuda.is_available() else 0
    mps_backend = getattr(torch.backends, "mps", None)
    mps = bool(kind in ("auto", "mps") and mps_backend is not None and mps_backend.is_available())
    return Accelerators(cuda=cuda, mps=mps, npu=npu)
