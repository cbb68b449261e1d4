"""The ``npu`` model: :class:`compass_hf.backend.HFCausalLM` placed on an Ascend NPU.

It takes exactly the ``hf`` backend's options; ``device`` defaults to ``npu`` (the first
NPU this worker sees — the local runner restricts each worker with
``ASCEND_RT_VISIBLE_DEVICES``). ``torch_npu``, which adds the ``npu`` device to torch, is
imported only when the model is built. Without it, planning the run already fails with a
one-line error saying what to install.
"""

from __future__ import annotations

from compass.sdk import ModelTraits

from compass_hf import HFCausalLM
from compass_hf import check_torch_npu
from compass_hf import hf_traits


def npu_traits(**kwargs) -> ModelTraits:
    """Like ``hf``'s traits, with ``device`` defaulting to ``npu``: its tasks are npu tasks
    (``ModelTraits.device``), so runners hand out NPUs, not GPUs, without a ``device=``."""
    device = str(kwargs.get("device") or NPUCausalLM.default_device)
    if device.startswith("npu"):
        check_torch_npu("model 'npu'")
    return hf_traits(**{**kwargs, "device": device})


class NPUCausalLM(HFCausalLM):
    """The hf backend with ``device="npu"`` by default."""

    default_device = "npu"
