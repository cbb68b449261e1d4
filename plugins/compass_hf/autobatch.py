"""``batch_size="auto"``: the largest generation batch that fits memory, chosen up front,
and the size of scoring passes (:func:`scoring_limits`).

The KV cache is what grows during generation: ``2 × layers × kv_heads × head_dim ×
bytes`` per token and row. The budget is a fraction of the memory free *before* the run
(device memory on an accelerator, available RAM on CPU), so a batch cannot run out of
memory half-way: the decoder holds rows × (longest prompt + longest output) within it,
and allocates exactly that buffer once (:mod:`compass_hf.decoding`).

On CPU, under ``auto``, the budget is also capped at :data:`CPU_KV_BYTES` (and the rows at 128): each
decoding step reads the weights once whatever the rows, so more rows decode faster (one
step of SmolLM2-135M on 2 cores: 16 rows 93 tok/s, 32 rows 122, 64 150, 128 185), and the
ceiling is set so that W1 (GSM8K 100, prompts ≤ 158 tokens + 256 new ones at 45 KiB per
token) still runs all its 100 rows at once: 2.05 GB of cache, allocated once, where the old
40%-of-free budget grew a buffer by half again (6.3 GB peak RSS). Holding lm-eval's 1.5 GB
would leave room for ~9 rows, i.e. slower decoding; ``bench/RESULTS.md`` (Session 4).
"""

from __future__ import annotations

import os
from typing import Any

from compass_hf.decoding import Budget

CPU_ROWS = 128
ACCEL_ROWS = 256
MEMORY_SHARE = 0.4  # of the free memory, for the KV cache
CPU_KV_BYTES = 2560 << 20  # the KV cache's ceiling on CPU (2.5 GiB: W1's 100 rows fit)
PREFILL_TOKENS = {"cpu": 4096}  # accelerators: 16384
SCORING_ROWS = {"cpu": 32, "mps": 32}  # accelerators: 64
SCORING_TOKENS = {"cpu": 2048, "mps": 2048}  # padded tokens per ppl/clp pass; accelerators: 16384


def scoring_limits(kind: str) -> tuple[int, int]:
    """Rows and padded tokens per scoring (ppl/clp) pass under ``batch_size="auto"``
    (a packed pass, :mod:`compass_hf.segments`, has no padding and no row limit: only the
    token count applies)."""
    return SCORING_ROWS.get(kind, 64), SCORING_TOKENS.get(kind, 16384)


def kv_bytes_per_token(model: Any) -> int:
    """Bytes of KV cache one token of one row takes."""
    cfg = getattr(model, "config", None)
    layers = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layer", None) or 32
    heads = getattr(cfg, "num_attention_heads", None) or getattr(cfg, "n_head", None) or 32
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    hidden = getattr(cfg, "hidden_size", None) or getattr(cfg, "n_embd", None) or 4096
    head_dim = getattr(cfg, "head_dim", None) or hidden // heads
    try:
        size = next(model.parameters()).element_size()
    except (StopIteration, AttributeError, TypeError):
        size = 4
    return 2 * int(layers) * int(kv_heads) * int(head_dim) * size


def free_memory(kind: str, device: Any) -> int:
    """Free bytes on ``device`` (accelerators) or available RAM (CPU); 8 GiB if unknown."""
    try:
        if kind == "cuda":
            import torch

            return int(torch.cuda.mem_get_info(device)[0])
        pages = os.sysconf("SC_AVPHYS_PAGES")
        return int(pages) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError, RuntimeError, ImportError):
        return 8 << 30


def budget(model: Any, kind: str, device: Any, batch_size: int | str, free: int | None = None) -> Budget:
    """The decoder's limits for ``batch_size`` (a number of rows, or ``"auto"``), given
    ``free`` bytes (default: what :func:`free_memory` finds now)."""
    prefill = PREFILL_TOKENS.get(kind, 16384)
    per_token = max(1, kv_bytes_per_token(model))
    kv_bytes = int((free_memory(kind, device) if free is None else free) * MEMORY_SHARE)
    if kind == "cpu" and batch_size == "auto":
        kv_bytes = min(kv_bytes, CPU_KV_BYTES)
    kv_tokens = max(4096, kv_bytes // per_token)
    if batch_size == "auto":
        rows = CPU_ROWS if kind in ("cpu", "mps") else ACCEL_ROWS
    else:
        rows = max(1, int(batch_size))
    return Budget(max_rows=rows, kv_tokens=kv_tokens, prefill_tokens=prefill)
