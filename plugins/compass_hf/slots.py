"""The decoder's KV cache: one preallocated buffer per layer, written in place.

A plain :class:`transformers.DynamicCache` grows by concatenation, so every decoding step
copies the whole cache of every layer, and a batch whose rows come and go copies it
again at each change. :class:`SlotBuffer` holds the running batch's keys and values in
tensors of shape ``[rows, kv_heads, columns, head_dim]`` allocated once (and grown
geometrically when a batch needs more): a step writes one column, a finished row is
replaced by the last row (one row copied), and newcomers' prefilled caches are copied into
free rows.

Layout: every row's latest token sits in the same column, so the live region is the
columns ``[start, end)`` and the next token of every row goes to column ``end``. A row
with a shorter history has zeros in its attention mask on the left (exactly like left
padding). :meth:`SlotBuffer.cache` returns a ``DynamicCache`` whose layers are
:class:`SlotLayer` views of the buffer, so the model's attention reads the live region
without a copy.
"""

from __future__ import annotations

import functools
from typing import Any

import torch


@functools.cache
def _slot_layer_class() -> type:
    """The cache layer class (defined on first use: transformers is imported only then)."""
    from transformers.cache_utils import DynamicLayer

    class SlotLayer(DynamicLayer):
        """A cache layer that writes new keys/values into a :class:`SlotBuffer` column."""

        def __init__(self, buffer: SlotBuffer, index: int):
            super().__init__()
            self.buffer, self.index = buffer, index
            self.keys, self.values = buffer.view(index, buffer.end)
            self.dtype, self.device = self.keys.dtype, self.keys.device
            self.is_initialized = True

        def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
                   **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
            buf = self.buffer
            q = key_states.shape[-2]
            buf.keys[self.index][:buf.rows, :, buf.end:buf.end + q] = key_states
            buf.values[self.index][:buf.rows, :, buf.end:buf.end + q] = value_states
            self.keys, self.values = buf.view(self.index, buf.end + q)
            return self.keys, self.values

    return SlotLayer


class SlotBuffer:
    """Keys, values and attention mask of the running batch (see the module docstring)."""

    def __init__(self, device: Any, *, max_rows: int, max_tokens: int, max_columns: int | None = None):
        self.device = device
        self.max_rows, self.max_tokens = max_rows, max_tokens
        # The longest a row can get (prompt + new tokens), when the caller knows it: the
        # buffer is then allocated once, ``max_rows`` × ``max_columns``, and never grows.
        self.max_columns = max_columns
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.mask = torch.zeros((0, 0), dtype=torch.long, device=device)
        self.rows = 0
        self.start = self.end = 0

    # ------------------------------------------------------------------ shape
    @property
    def capacity(self) -> tuple[int, int]:
        return tuple(self.mask.shape)  # type: ignore[return-value]

    @property
    def width(self) -> int:
        return self.end - self.start

    def view(self, layer: int, end: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``layer``'s keys and values of the running rows, columns ``[start, end)``."""
        return (self.keys[layer][:self.rows, :, self.start:end], self.values[layer][:self.rows, :, self.start:end])

    def _allocate(self, rows: int, columns: int, like: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """New buffers of ``rows`` × ``columns``; the live region moves to the left edge."""
        old_k, old_v, old_mask = self.keys, self.values, self.mask
        width, n = self.width, self.rows
        self.keys, self.values = [], []
        for layer, (k, v) in enumerate(like):
            nk = k.new_zeros((rows, k.shape[1], columns, k.shape[3]))
            nv = v.new_zeros((rows, v.shape[1], columns, v.shape[3]))
            if n and old_k:
                nk[:n, :, :width] = old_k[layer][:n, :, self.start:self.end]
                nv[:n, :, :width] = old_v[layer][:n, :, self.start:self.end]
            self.keys.append(nk)
            self.values.append(nv)
        mask = torch.zeros((rows, columns), dtype=torch.long, device=self.device)
        if n:
            mask[:n, :width] = old_mask[:n, self.start:self.end]
        self.mask = mask
        self.start, self.end = 0, width

    def _shift(self, to: int) -> None:
        """Move the live region so that it starts at column ``to``."""
        if to == self.start:
            return
        n, width = self.rows, self.width
        for buf in (*self.keys, *self.values):
            region = buf[:n, :, self.start:self.end].clone()
            buf[:n, :, to:to + width] = region
        region = self.mask[:n, self.start:self.end].clone()
        self.mask[:n] = 0
        self.mask[:n, to:to + width] = region
        self.start, self.end = to, to + width

    def reserve(self, rows: int, columns: int, like: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Make room for ``rows`` rows and ``columns`` columns of live region.

        With ``max_columns`` the first call allocates the whole buffer (``max_rows`` ×
        ``max_columns``: no copy later, no column nobody uses). Otherwise a buffer that must
        grow grows by half again (so a run reallocates a few times at most), within
        ``max_rows`` and ``max_tokens`` (rows × columns) where they allow.
        """
        have_rows, have_cols = self.capacity
        if self.keys and rows <= have_rows and columns <= have_cols:
            return
        if not self.keys and self.max_columns is not None and columns <= self.max_columns:
            self._allocate(max(rows, self.max_rows), self.max_columns, like)
            return
        new_rows = have_rows if rows <= have_rows else max(rows, min(self.max_rows, have_rows * 3 // 2))
        new_cols = have_cols if columns <= have_cols else max(
            columns, min(have_cols * 3 // 2, self.max_tokens // max(1, new_rows)))
        self._allocate(new_rows, new_cols, like)

    # ------------------------------------------------------------------ rows
    @torch.inference_mode()
    def add(self, tensors: list[tuple[torch.Tensor, torch.Tensor]], mask: torch.Tensor, room: int) -> None:
        """Append newcomer rows: their prefilled ``tensors`` per layer and ``mask``.

        ``room`` is how many more columns the batch will write (the decoding steps ahead).
        """
        n, w = mask.shape
        if self.rows == 0:
            self.start = self.end = 0
        columns = max(self.width, w) + room
        if self.max_columns is not None:  # no row outgrows it: a step shifts the region instead
            columns = max(self.width, w, min(columns, self.max_columns))
        self.reserve(self.rows + n, columns, tensors)
        cols = self.capacity[1]
        # `end` must leave the newcomers' prompts room on its left, and, where the buffer
        # allows, the steps ahead room on its right (else a step shifts the region to the left
        # edge when it reaches the right one: rows end before the longest can outgrow it).
        end = max(w, self.width, min(self.end, cols - room))
        if end != self.end:
            self._shift(end - self.width)
        lo, hi = self.rows, self.rows + n
        if w > self.width:  # older rows get masked columns on the left
            self.mask[:lo, self.end - w:self.start] = 0
            self.start = self.end - w
        for layer, (k, v) in enumerate(tensors):
            self.keys[layer][lo:hi, :, self.end - w:self.end] = k
            self.values[layer][lo:hi, :, self.end - w:self.end] = v
        self.mask[lo:hi, :] = 0
        self.mask[lo:hi, self.end - w:self.end] = mask
        self.rows = hi

    @torch.inference_mode()
    def remove(self, rows: list[int]) -> list[int]:
        """Drop ``rows``; each hole is filled by moving a surviving row from the end.

        Returns the new order: entry ``i`` is the old index of the row now at ``i``.
        """
        gone = set(rows)
        order = list(range(self.rows))
        keep = self.rows - len(gone)
        movers = [r for r in range(keep, self.rows) if r not in gone]
        holes = [r for r in sorted(gone) if r < keep]
        if holes:
            dst = torch.tensor(holes, device=self.device)
            src = torch.tensor(movers, device=self.device)
            s, e = self.start, self.end
            for buf in (*self.keys, *self.values):  # layers may sit on different devices
                d, r = dst.to(buf.device), src.to(buf.device)
                buf[d, :, s:e] = buf[r, :, s:e]
            self.mask[dst] = self.mask[src]
            for h, m in zip(holes, movers):
                order[h] = m
        self.rows = keep
        order = order[:keep]
        if keep:
            used = self.mask[:keep, self.start:self.end].any(0).nonzero()
            self.start += int(used[0]) if len(used) else self.width
        else:
            self.start = self.end = 0
        return order

    # ------------------------------------------------------------------ steps
    def step_mask(self) -> torch.Tensor:
        """The attention mask for one more token per row (marks column ``end`` as real)."""
        if self.end >= self.capacity[1]:
            self.reserve(self.rows, self.width + 1, list(zip(self.keys, self.values)))
            if self.end >= self.capacity[1]:
                self._shift(0)
        self.mask[:self.rows, self.end] = 1
        return self.mask[:self.rows, self.start:self.end + 1]

    def cache(self) -> Any:
        """A ``DynamicCache`` over the live region whose ``update`` writes column ``end``."""
        from transformers.cache_utils import DynamicCache

        layer = _slot_layer_class()
        cache = DynamicCache()
        cache.layers = [layer(self, i) for i in range(len(self.keys))]
        return cache

    def advance(self) -> None:
        """The step's token is written: the live region grows by one column."""
        self.end += 1
