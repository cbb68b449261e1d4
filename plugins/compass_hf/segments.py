"""Scoring passes without padding: many contexts packed end to end in one row.

A scoring pass that needs only each context's last logits (clp, single-token ppl) pays
for padding when its contexts differ in length, and a few-shot pass that reads the
examples from :mod:`compass_hf.prefix` pays again for copying their KV cache into every
row. Here the contexts (or their tails after a shared prefix) are laid end to end in a
single row, each a *segment* with its own positions, and attention is computed per
segment by an attention function registered with transformers:

* each segment attends causally to itself only (one flash-attention call per segment);
* when a shared prefix is cached, every query also attends to the prefix's keys — one call
  for all segments and all query heads that share a key/value head, reading the prefix
  once, never copied — and the two halves are merged by their log-sum-exp, which is
  exactly softmax attention over ``prefix + segment``.

Only each segment's last position gets logits (``logits_to_keep`` as an index tensor).
The numbers are those of an unpadded pass over ``prefix + context``; the scorer checks
that on its first packed pass and keeps the padded path for a model that disagrees.
Used on CPU (the flash kernel that returns the log-sum-exp is the CPU one), for models
whose ``forward`` takes ``position_ids`` and ``logits_to_keep`` and that run the standard
SDPA attention interface.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

#: name of the attention function while a packed pass runs (see :func:`packed_last_logits`)
ATTENTION = "compass_segments"


class Unsupported(RuntimeError):
    """The model asked for attention this function does not compute (sliding window, ...)."""


def available(model: Any, features: Any, device: Any) -> bool:
    """Whether packed passes can be tried for ``model`` on ``device``."""
    cfg = getattr(model, "config", None)
    try:
        on_cpu = torch.device(device).type == "cpu"
    except (RuntimeError, TypeError):
        return False
    return (on_cpu and features.position_ids and features.logits_to_keep
            and getattr(cfg, "_attn_implementation", None) == "sdpa"
            and hasattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu"))


def _flash(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool, scale: float | None):
    return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, causal, scale=scale)


def segment_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: Any, scaling: float | None = None, dropout: float = 0.0,
                      compass_segments: Sequence[tuple[int, int]] = (), compass_prefix: Any = None,
                      **kwargs: Any) -> tuple[torch.Tensor, None]:
    """Attention of one packed row (``query`` is [1, heads, tokens, dim]); see the module doc.

    ``compass_segments`` lists each segment's ``(start, end)`` columns; ``compass_prefix``,
    when given, holds each layer's cached prefix ``(keys, values)`` as [1, kv_heads, P, dim].
    """
    if (query.shape[0] != 1 or dropout or attention_mask is not None or not compass_segments
            or any(kwargs.get(k) is not None for k in ("sliding_window", "softcap", "s_aux", "sinks"))):
        raise Unsupported("packed scoring needs plain causal attention over one row")
    _, heads, tokens, dim = query.shape
    kv_heads = key.shape[1]
    group = heads // kv_heads
    if group * kv_heads != heads:
        raise Unsupported("query heads are not a multiple of key/value heads")
    # Query head h reads key/value head h // group (transformers' repeat_kv layout).
    key = key.repeat_interleave(group, dim=1) if group > 1 else key
    value = value.repeat_interleave(group, dim=1) if group > 1 else value
    out = torch.empty_like(query)
    lse = query.new_empty((1, heads, tokens), dtype=torch.float32)
    for start, end in compass_segments:
        o, l = _flash(query[:, :, start:end], key[:, :, start:end], value[:, :, start:end], True, scaling)
        out[:, :, start:end] = o
        lse[:, :, start:end] = l
    if compass_prefix is not None:
        p_keys, p_values = compass_prefix[module.layer_idx]
        # All queries of the heads that share a key/value head, in one call over the prefix.
        q = query.reshape(1, kv_heads, group * tokens, dim)
        o, l = _flash(q, p_keys, p_values, False, scaling)
        o, l = o.reshape(1, heads, tokens, dim), l.reshape(1, heads, tokens)
        # softmax over prefix + segment = the two partial results weighted by their mass
        out = out + (o - out) * torch.sigmoid(l - lse)[..., None].to(out.dtype)
    return out.transpose(1, 2).contiguous(), None


def _register() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(ATTENTION, segment_attention)


def packed_last_logits(model: Any, seqs: Sequence[Sequence[int]], device: Any, *,
                       prefix: Any = None, offset: int = 0) -> torch.Tensor:
    """Logits after the last token of each of ``seqs``, as [len(seqs), vocab], from one
    packed pass. With ``prefix`` (a KV cache of ``offset`` tokens all of ``seqs`` follow),
    each sequence attends to it and counts its positions from ``offset``.

    Raises :class:`Unsupported` when the model's attention asks for more than this computes.
    """
    _register()
    ids: list[int] = []
    positions: list[int] = []
    segments: list[tuple[int, int]] = []
    for seq in seqs:
        segments.append((len(ids), len(ids) + len(seq)))
        ids += seq
        positions += range(offset, offset + len(seq))
    layers = None if prefix is None else [(layer.keys, layer.values) for layer in prefix.layers]
    cfg = model.config
    before = cfg._attn_implementation
    cfg._attn_implementation = ATTENTION
    try:
        out = model(input_ids=torch.tensor([ids], device=device),
                    position_ids=torch.tensor([positions], device=device),
                    logits_to_keep=torch.tensor([end - 1 for _, end in segments], device=device),
                    use_cache=False, compass_segments=segments, compass_prefix=layers)
    finally:
        cfg._attn_implementation = before
    return out.logits[0]
