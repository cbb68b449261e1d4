"""The decoder's slot buffer keeps every row's cache intact through joins, steps and leaves.

Each cached token gets a unique value; after every operation the values a row attends to
(mask 1 in the live region) must be exactly that row's tokens in order, and every row's
latest token must sit in the last live column — through buffer growth, shifts of the live
region and rows that leave from the middle.
"""

from __future__ import annotations

import random

import pytest
from extras import require_extra

torch = require_extra("torch")
require_extra("transformers")

from compass_hf.slots import SlotBuffer  # noqa: E402

LAYERS = 2


class Reference:
    def __init__(self, slots: SlotBuffer):
        self.slots = slots
        self.rows: list[list[float]] = []
        self.counter = 0.0

    def _fresh(self) -> float:
        self.counter += 1
        return self.counter

    def add(self, lengths: list[int], room: int) -> None:
        width = max(lengths)
        k = torch.zeros((len(lengths), 1, width, 1))
        mask = torch.zeros((len(lengths), width), dtype=torch.long)
        for r, n in enumerate(lengths):
            vals = [self._fresh() for _ in range(n)]
            # Left padding with junk the mask hides, like a prefill's padded rows.
            k[r, 0, :width - n, 0] = -1.0
            k[r, 0, width - n:, 0] = torch.tensor(vals)
            mask[r, width - n:] = 1
            self.rows.append(vals)
        self.slots.add([(k, -k) for _ in range(LAYERS)], mask, room)

    def step(self) -> None:
        with torch.inference_mode():
            self.slots.step_mask()
            cache = self.slots.cache()
            vals = [self._fresh() for _ in self.rows]
            new = torch.tensor(vals).reshape(len(vals), 1, 1, 1)
            for layer in cache.layers:
                k, v = layer.update(new, -new)
                assert k.shape[2] == self.slots.width + 1
            self.slots.advance()
        for row, val in zip(self.rows, vals):
            row.append(val)

    def remove(self, rows: list[int]) -> None:
        order = self.slots.remove(rows)
        self.rows = [self.rows[old] for old in order]

    def check(self) -> None:
        s = self.slots
        assert s.rows == len(self.rows)
        if not s.rows:
            return
        for layer in range(LAYERS):
            keys, values = s.view(layer, s.end)
            mask = s.mask[:s.rows, s.start:s.end]
            for r, ref in enumerate(self.rows):
                real = mask[r].bool()
                assert keys[r, 0, real, 0].tolist() == ref
                assert values[r, 0, real, 0].tolist() == [-x for x in ref]
                assert bool(mask[r, -1])  # the latest token is in the last live column
        assert bool(s.mask[:s.rows, s.start].any())  # no column nobody reads is kept


@pytest.mark.parametrize("seed", range(6))
def test_random_joins_steps_and_leaves(seed):
    rng = random.Random(seed)
    ref = Reference(SlotBuffer("cpu", max_rows=8, max_tokens=8 * 64))
    for _ in range(120):
        op = rng.random()
        if op < 0.25 and ref.slots.rows < 8:
            n = rng.randint(1, 8 - ref.slots.rows)
            ref.add([rng.randint(1, 12) for _ in range(n)], room=rng.randint(1, 20))
        elif op < 0.45 and ref.rows:
            ref.remove(rng.sample(range(len(ref.rows)), rng.randint(1, len(ref.rows))))
        elif ref.rows:
            ref.step()
        ref.check()


def test_newcomer_longer_than_the_live_region_moves_it_right():
    ref = Reference(SlotBuffer("cpu", max_rows=4, max_tokens=1000))
    ref.add([2], room=3)
    ref.step()
    ref.add([9, 4], room=3)  # wider than everything left of `end`
    ref.check()
    ref.step()
    ref.remove([0])
    ref.check()
    assert ref.slots.width == 10  # the 9-token row and its one step


def test_buffer_grows_when_steps_outrun_it():
    slots = SlotBuffer("cpu", max_rows=2, max_tokens=10_000)
    ref = Reference(slots)
    ref.add([3, 5], room=2)
    first = slots.capacity
    for _ in range(30):  # far beyond the room announced
        ref.step()
    ref.check()
    assert slots.capacity[1] > first[1] and slots.capacity[0] == 2
