"""The sandbox clock: real time by default, frozen or shifted by tests.

Token expiry, processing delay, simulated views, Analytics days and the quota day (midnight
America/Los_Angeles) all read this clock, so a test can jump a day ahead in one call.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


class SandboxClock:
    """Now = a frozen instant if set, else real time plus an offset."""

    def __init__(self, frozen: datetime | None = None, offset: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._frozen = _aware(frozen) if frozen is not None else None
        self._offset = offset

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.fromtimestamp(time.time() + self._offset, UTC)

    def timestamp(self) -> float:
        return self.now().timestamp()

    def set(self, when: datetime) -> None:
        """Freeze the clock at `when` (naive datetimes are UTC)."""
        with self._lock:
            self._frozen = _aware(when)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back); a frozen clock stays frozen."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += seconds

    def run(self) -> None:
        """Let the clock tick again from its current instant."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen.timestamp() - time.time()
                self._frozen = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def pacific_day(self) -> date:
        """The quota day: YouTube resets quota at midnight Pacific time."""
        return self.now().astimezone(PACIFIC).date()

    def to_dict(self) -> dict:
        return {"now": rfc3339(self.now()), "frozen": self.frozen,
                "pacific_day": self.pacific_day().isoformat()}


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def rfc3339(when: datetime) -> str:
    """YouTube's timestamp format: UTC with a Z (`2026-11-29T08:00:00Z`)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime | None:
    """A timezone-aware datetime, or None when `text` is not RFC 3339 with a zone."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if value.tzinfo is None or "T" not in text.upper():
        return None
    return value
