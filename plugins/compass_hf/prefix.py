"""Shared-prefix KV cache: a token prefix that many contexts share is read once.

C-Eval's five dev examples, MMLU's, a chat template's system turn: every question of a
subject starts with the same few hundred tokens. :class:`PrefixCache` runs that prefix
through the model once (batch of one), keeps its KV cache, and serves any later batch
whose contexts all start with it: the cache rows are repeated for the batch and only each
context's own tail is run. The tails are left-padded *after* the prefix, so the attention
mask reads ``prefix ones | padding zeros | tail ones``; position ids count real tokens
only, so every row sees exactly the positions (and numbers) of an unpadded full pass.

The cache survives between calls, so a subject's questions handed over in several chunks
pay for its prefix once. It is used only for models whose ``forward`` takes position ids
and whose cache is a plain :class:`transformers.DynamicCache`.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from compass_hf.batching import Features, forward

#: a shared prefix shorter than this is not worth a separate pass
MIN_PREFIX = 32


def common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest prefix all of ``seqs`` share."""
    if not seqs:
        return 0
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for s in seqs[1:]:
        i = 0
        while i < n and s[i] == first[i]:
            i += 1
        n = i
        if n == 0:
            break
    return n


def shareable(cache: Any) -> bool:
    """Whether ``cache`` is a plain dynamic KV cache whose rows can be copied and sliced."""
    try:
        from transformers.cache_utils import DynamicCache, DynamicLayer
    except ImportError:
        return False
    return (type(cache) is DynamicCache and bool(cache.layers)
            and all(type(layer) is DynamicLayer and getattr(layer, "keys", None) is not None
                    for layer in cache.layers))


def make_cache(tensors: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
    from transformers.cache_utils import DynamicCache

    return DynamicCache(ddp_cache_data=tensors)


def layers(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def select_rows(cache: Any, rows: torch.Tensor) -> Any:
    """A new cache holding ``rows`` of ``cache`` (repeats allowed)."""
    return make_cache([(k.index_select(0, rows), v.index_select(0, rows)) for k, v in layers(cache)])


class PrefixCache:
    """Remembers the KV cache of one shared prefix (see the module docstring)."""

    def __init__(self, model: Any, features: Features, *, pad_id: int, device: Any):
        self.model = model
        self.features = features
        self.pad_id = pad_id
        self.device = device
        self.tokens: list[int] = []
        self.cache: Any = None
        self.enabled = features.position_ids
        self.tokens_read = 0

    def prepare(self, contexts: Sequence[Sequence[int]]) -> None:
        """Choose the prefix for everything handed over at once (all its batches).

        A remembered prefix that all ``contexts`` start with is kept when it covers nearly
        all of what they share; otherwise their common prefix (at least :data:`MIN_PREFIX`
        tokens, each context keeping one token of its own) becomes the new one, computed
        when first needed. A single context gives nothing to compare: only a remembered
        prefix is used for it.
        """
        if not self.enabled or not contexts:
            return
        shared = min(common_prefix_len(contexts), min(len(c) for c in contexts) - 1)
        n = len(self.tokens)
        if n and n <= shared and all(list(c[:n]) == self.tokens for c in contexts) and (
                n >= shared - MIN_PREFIX or len(contexts) == 1):
            return
        if len(contexts) > 1 and shared >= MIN_PREFIX:
            if self.tokens != list(contexts[0][:shared]):
                self.clear()
                self.tokens = list(contexts[0][:shared])

    def plan(self, contexts: Sequence[Sequence[int]]) -> int:
        """How many leading tokens of ``contexts`` to read from the prefix cache (0: none)."""
        n = len(self.tokens)
        if not self.enabled or not n:
            return 0
        if all(len(c) > n and list(c[:n]) == self.tokens for c in contexts):
            return n
        return 0

    def kv(self, tokens: list[int]) -> Any:
        """The KV cache of ``tokens`` (computed unless remembered), or None when the model's
        cache cannot be shared."""
        if self.cache is not None and self.tokens == tokens:
            return self.cache
        self.cache, self.tokens = None, []
        ids = torch.tensor([tokens], dtype=torch.long, device=self.device)
        mask = torch.ones_like(ids)
        _, cache = forward(self.model, self.features, ids, mask, use_cache=True, keep=1)
        self.tokens_read += len(tokens)
        if not shareable(cache):
            self.enabled = False
            self.clear()
            return None
        self.cache, self.tokens = cache, list(tokens)
        return cache

    def run(self, contexts: Sequence[Sequence[int]], n: int, *, use_cache: bool,
            keep: int = 1) -> tuple[torch.Tensor, Any, torch.Tensor] | None:
        """Forward ``contexts`` reading their first ``n`` tokens from the shared cache.

        Returns ``(logits of the last keep positions, cache or None, attention mask over
        prefix + tails)``, or None when the model's cache turned out not to be shareable.
        """
        prefix = self.kv(list(contexts[0][:n]))
        if prefix is None:
            return None
        tails = [c[n:] for c in contexts]
        width = max(len(t) for t in tails)
        b = len(tails)
        ids = torch.full((b, width), self.pad_id, dtype=torch.long)
        tail_mask = torch.zeros((b, width), dtype=torch.long)
        for row, t in enumerate(tails):
            ids[row, width - len(t):] = torch.tensor(t, dtype=torch.long)
            tail_mask[row, width - len(t):] = 1
        ids, tail_mask = ids.to(self.device), tail_mask.to(self.device)
        mask = torch.cat([torch.ones((b, n), dtype=torch.long, device=self.device), tail_mask], dim=1)
        pos = (n + tail_mask.cumsum(-1) - 1).clamp(min=n)
        past = select_rows(prefix, torch.zeros(b, dtype=torch.long, device=self.device))
        self.tokens_read += int(tail_mask.sum())
        logits, cache = forward(self.model, self.features, ids, mask, position_ids=pos, past=past,
                                use_cache=use_cache, keep=keep)
        return logits, cache, mask

    def clear(self) -> None:
        self.tokens, self.cache = [], None
