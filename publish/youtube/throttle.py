"""Gentle on the office's line: an upload's average rate capped, in bytes per second.

A token bucket paces the reads of the media as http.client sends them (`ChunkBody`): bytes keep
flowing in small pieces, so a throttled chunk is slow, never silent, and neither the server's
body timeout nor our socket timeout mistakes it for a stalled connection. The bucket holds half
a second of bytes at most: a resumed upload starts without a burst, so the average holds across
chunks and across a resume. Captions and thumbnails (one request each) wait their share too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """Hands out bytes at `rate` per second on average (None or 0: no limit)."""

    BURST_SECONDS = 0.5

    def __init__(self, rate: int | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate or None
        self._clock, self._sleep = clock, sleep
        self._tokens = 0.0
        self._last = clock()
        self._lock = threading.Lock()

    @property
    def piece(self) -> int:
        """How many bytes to read at a time: about an eighth of a second's worth."""
        return 1024 * 1024 if self.rate is None else max(16 * 1024, min(self.rate // 8,
                                                                          1024 * 1024))

    def take(self, count: int) -> None:
        """Wait until `count` bytes may go."""
        if self.rate is None or count <= 0:
            return
        with self._lock:
            now = self._clock()
            capacity = self.rate * self.BURST_SECONDS
            self._tokens = min(capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= count
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


UNLIMITED = Throttle(None)
