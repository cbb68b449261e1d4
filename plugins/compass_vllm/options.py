"""The ``vllm`` backend's settings: the ``hf`` backend's, checked the same way, mapped to vLLM.

No vllm import here except :func:`check_engine_kwargs`, which reads the names
``vllm.EngineArgs`` accepts (only when the user passed ``--model-kwargs``).
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from compass.sdk import CompassError
from compass_hf import HFOptions, flag

INSTALL = ("the vllm backend needs vLLM, which is not installed in this Python ({python}); install it "
           "in a venv of its own (vLLM pins its own transformers): python -m venv .venv-vllm && "
           ".venv-vllm/bin/pip install torch==2.13.0 -e '.[vllm]' (see README, vLLM)")
#: ``from_pretrained`` arguments with no meaning for vLLM (it places and loads the weights itself)
HF_ONLY = frozenset({"device_map", "low_cpu_mem_usage", "attn_implementation", "max_memory", "offload_folder"})
#: engine arguments compass sets from its own settings
OWN = {"model": "--hf-path", "tokenizer": "--tokenizer-path", "tensor_parallel_size": "--hf-num-gpus",
       "max_model_len": "--max-seq-len"}
#: ``generation_kwargs`` spelled the transformers way, and what they mean for vLLM
RENAMED = {"max_new_tokens": "max_tokens", "min_new_tokens": "min_tokens"}


def require_vllm() -> None:
    """A one-line error naming the extra when vLLM cannot be imported here."""
    try:
        found = importlib.util.find_spec("vllm") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise CompassError(INSTALL.format(python=sys.executable))


def check(opts: HFOptions) -> None:
    """What vLLM cannot do that ``hf`` can: refused while the run is planned."""
    if opts.peft_path:
        raise CompassError(f"the vllm backend does not apply PEFT adapters ({flag('peft_path')} {opts.peft_path}); "
                           f"merge the adapter into the weights, or run this model with -m hf (without -a vllm)")
    kind = opts.device.partition(":")[0]
    if kind in ("mps", "npu"):
        raise CompassError(f"the vllm backend runs on CUDA GPUs or on the CPU, not on device={opts.device!r}; "
                           f"use -m hf for {kind}")
    for key in OWN:
        if key in opts.model_kwargs:
            raise CompassError(f"{flag('model_kwargs')}: {key}= is set by compass for vLLM; "
                               f"use {OWN[key]} instead")


def engine_kwargs(opts: HFOptions) -> dict:
    """Keyword arguments for ``vllm.LLM`` beyond model/tokenizer/dtype (``--model-kwargs`` pass through)."""
    kwargs = {k: v for k, v in opts.model_kwargs.items() if k not in HF_ONLY}
    kwargs["tensor_parallel_size"] = max(1, opts.num_gpus)
    if opts.max_seq_len:
        kwargs["max_model_len"] = opts.max_seq_len
    if opts.tokenizer_kwargs.get("trust_remote_code"):
        kwargs.setdefault("trust_remote_code", True)
    return kwargs


def check_engine_kwargs(opts: HFOptions) -> None:
    """``--model-kwargs`` vLLM's engine does not take: one line naming them (imports vllm's argument table)."""
    given = [k for k in opts.model_kwargs if k not in HF_ONLY]
    if not given:
        return
    from dataclasses import fields

    import contextlib
    import io

    try:  # vLLM's import talks on stderr (its Triton probe): keep the plan's output to one line
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            from vllm.engine.arg_utils import EngineArgs
    except Exception as exc:  # a broken vLLM install: say what failed, in one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CompassError(f"vLLM is installed but cannot be imported: {first}") from None
    known = {f.name for f in fields(EngineArgs)}
    unknown = [k for k in given if k not in known]
    if unknown:
        from compass.sdk import did_you_mean

        raise CompassError(f"{flag('model_kwargs')}: vLLM's engine does not take "
                           f"{', '.join(repr(k) for k in unknown)}{did_you_mean(unknown[0], sorted(known))} "
                           f"(it takes vllm.EngineArgs fields: gpu_memory_utilization, max_model_len, "
                           f"enforce_eager, …)")


def sampling_kwargs(generation_kwargs: dict) -> dict[str, Any]:
    """``--generation-kwargs`` for ``vllm.SamplingParams`` (``do_sample=False`` means greedy)."""
    out = {RENAMED.get(k, k): v for k, v in generation_kwargs.items() if k not in ("do_sample", "num_beams")}
    if generation_kwargs.get("do_sample") is False:
        out.pop("temperature", None)
    return out
