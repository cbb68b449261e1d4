"""Limits on how hard an endpoint is pushed: a rate cap and an adaptive concurrency limit.

Both are asyncio objects used from one event loop (the client's); every HTTP attempt,
retries included, passes through them.

* :class:`RateLimiter` — at most ``rps`` request starts per second, enforced by spacing
  (GCRA, the virtual-time form of a token bucket): with ``burst=1`` two starts are never
  closer than ``1/rps`` seconds, so the cap holds over any window, not just on average.
* :class:`AdaptiveConcurrency` — at most ``limit`` requests in flight. ``limit`` starts at
  the configured maximum, is halved when the server says it is overloaded (429/503; at most
  once per round trip, like TCP's congestion window) and grows back by one per ``limit``
  successes (AIMD). A ``Retry-After`` pauses every new request until it has passed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable


class RateLimiter:
    """Request starts spaced at least ``1/rps`` apart (``burst`` may go at once)."""

    def __init__(self, rps: float, burst: int = 1, clock: Callable[[], float] = time.monotonic):
        if rps <= 0:
            raise ValueError("rps must be positive")
        self.interval = 1.0 / rps
        self.burst = max(1, int(burst))
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request

    def reserve(self) -> float:
        """Book the next start; returns how long to wait before it (no await: no race)."""
        now = self._clock()
        tat = max(self._tat, now)
        self._tat = tat + self.interval
        return max(0.0, tat - (self.burst - 1) * self.interval - now)

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


class AdaptiveConcurrency:
    """An AIMD concurrency limit with a shared pause for ``Retry-After``."""

    def __init__(self, maximum: int, *, adaptive: bool = True, minimum: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[str], None] | None = None):
        self.maximum = max(1, int(maximum))
        self.minimum = max(1, min(int(minimum), self.maximum))
        self.adaptive = adaptive
        self.limit = float(self.maximum)
        self.in_flight = 0
        self.peak = 0
        self.pause_until = 0.0
        self.cuts = 0
        self._last_cut = float("-inf")
        self._clock = clock
        self._on_change = on_change
        self._cond: asyncio.Condition | None = None

    @property
    def cond(self) -> asyncio.Condition:
        if self._cond is None:  # created on first use, inside the running loop
            self._cond = asyncio.Condition()
        return self._cond

    async def acquire(self) -> float:
        """Wait for a free slot (and for any pause to end); returns the start time."""
        while True:
            async with self.cond:
                now = self._clock()
                if now < self.pause_until:
                    delay = self.pause_until - now
                elif self.in_flight < max(self.minimum, int(self.limit)):
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    return now
                else:
                    await self.cond.wait()
                    continue
            await asyncio.sleep(delay)

    async def release(self, started: float, outcome: str, retry_after: float | None = None) -> None:
        """Free a slot; ``outcome`` is ``ok``, ``throttled`` (429/503) or ``error``."""
        async with self.cond:
            self.in_flight -= 1
            if outcome == "ok" and self.limit < self.maximum:
                self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            elif outcome == "throttled":
                now = self._clock()
                if retry_after:
                    self.pause_until = max(self.pause_until, now + retry_after)
                # Requests already in flight when we cut were part of the overload too:
                # one cut per round trip, not one per 429.
                if self.adaptive and started >= self._last_cut and self.limit > self.minimum:
                    before = int(self.limit)
                    self.limit = max(float(self.minimum), self.limit / 2)
                    self._last_cut = now
                    self.cuts += 1
                    if self._on_change:
                        pause = f", pausing {retry_after:g}s as asked (Retry-After)" if retry_after else ""
                        self._on_change(f"rate limited: concurrency {before} -> {int(self.limit)}{pause}")
            # wake as many waiters as there are free slots (not all of them: with hundreds
            # queued, waking everyone on every release costs more CPU than the requests)
            self.cond.notify(max(1, max(self.minimum, int(self.limit)) - self.in_flight))
