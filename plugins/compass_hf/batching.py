"""Token-id lists to padded tensors, and the forward call every request kind shares.

Left padding keeps each row's last real token in the last column, so "the next token"
is ``logits[:, -1]`` for every row. Position ids are counted over real tokens only, so a
row gets the same positions (and the same numbers) whatever it is batched with.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence, TypeVar

import torch

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]


def budget_chunks(items: Sequence[T], rows: int, tokens: int | None,
                  length: Callable[[T], int], min_fill: float = 0.8, *,
                  packed: bool = False) -> Iterator[Sequence[T]]:
    """Consecutive chunks of at most ``rows`` items whose padded size (items × the longest
    ``length``) stays within ``tokens``; at least one item each.

    With a token budget (None: rows only), an item shorter than ``min_fill`` × the chunk's
    longest starts a new chunk once the chunk holds a quarter of the budget: for items
    sorted longest first, padding stays under ``1 - min_fill`` without tiny passes.
    ``packed=True`` is for passes without padding (:mod:`compass_hf.segments`): the
    chunk's size is the sum of its lengths.
    """
    start = 0
    while start < len(items):
        end, longest = start + 1, length(items[start])
        total = longest
        while end < len(items) and end - start < rows:
            n = length(items[end])
            longer = max(longest, n)
            if tokens is not None:
                if packed:
                    if total + n > tokens:
                        break
                elif longer * (end - start + 1) > tokens or (
                        n < min_fill * longest and longest * (end - start) >= tokens // 4):
                    break
            longest, total = longer, total + n
            end += 1
        yield items[start:end]
        start = end


def left_truncate(ids: list[int], limit: int) -> list[int]:
    """The last ``limit`` ids (at least one)."""
    limit = max(1, limit)
    return ids[-limit:] if len(ids) > limit else ids


def left_pad(seqs: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids, mask)`` of shape [batch, longest], padded on the left."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        if seq:
            ids[row, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
            mask[row, width - len(seq):] = 1
    return ids.to(device), mask.to(device)


def right_pad(seqs: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(ids, mask)`` of shape [batch, longest], padded on the right."""
    width = max(1, max(len(s) for s in seqs))
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        if seq:
            ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, :len(seq)] = 1
    return ids.to(device), mask.to(device)


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids counted over real tokens (0 on padding)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


@dataclass(frozen=True)
class Features:
    """Which optional arguments the model's ``forward`` takes."""

    position_ids: bool
    logits_to_keep: bool

    @classmethod
    def of(cls, model: Any) -> Features:
        try:
            params = inspect.signature(model.forward).parameters
        except (TypeError, ValueError):
            return cls(False, False)
        return cls(position_ids="position_ids" in params, logits_to_keep="logits_to_keep" in params)


def forward(model: Any, features: Features, ids: torch.Tensor, mask: torch.Tensor, *,
            position_ids: torch.Tensor | None = None, past: Any = None, use_cache: bool = False,
            keep: int | None = None) -> tuple[torch.Tensor, Any]:
    """One forward pass; returns ``(logits, cache)``.

    ``mask`` covers the cached tokens and ``ids``; ``keep=n`` asks for the logits of the
    last ``n`` positions only (computed only there when the model allows it).
    """
    kwargs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "use_cache": use_cache}
    if features.position_ids:
        kwargs["position_ids"] = positions(mask)[:, -ids.shape[1]:] if position_ids is None else position_ids
    if past is not None:
        kwargs["past_key_values"] = past
    if keep is not None and features.logits_to_keep:
        kwargs["logits_to_keep"] = keep
    out = model(**kwargs)
    logits = out.logits
    if keep is not None:
        logits = logits[:, -keep:]
    return logits, (getattr(out, "past_key_values", None) if use_cache else None)
