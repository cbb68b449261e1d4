"""What the planner learns about a ``vllm`` model before anything loads.

The ``hf`` backend's checks (every setting, local paths, the chat template), then what
only vLLM refuses: vLLM missing from this Python, a PEFT adapter, a device it does not
run on, ``--model-kwargs`` its engine does not take. Each is one line, before any task runs.
"""

from __future__ import annotations

from compass.sdk import device_kind, ModelTraits
from compass_hf import HFOptions
from compass_hf import check_options

from compass_vllm.options import check, check_engine_kwargs, require_vllm

MODES = frozenset({"gen", "ppl", "clp"})
#: vLLM batches by itself: batch_size, threads and the GPU count change speed, not answers
OPERATIONAL = frozenset({"batch_size", "num_gpus", "threads"})


def vllm_traits(**kwargs) -> ModelTraits:
    """``ModelTraits`` of a ``vllm`` model: chat or base, every mode, its device kind."""
    opts = HFOptions.from_kwargs(**kwargs)
    check(opts)
    check_options(opts)
    require_vllm()
    check_engine_kwargs(opts)
    return ModelTraits(is_chat=opts.is_chat, modes=MODES, device=device_kind(opts.device),
                       operational=OPERATIONAL)
