"""Quota accounting as YouTube does it since 2026-06 (youtube-api.md §6), plus settable limits.

Three daily buckets, reset at midnight America/Los_Angeles by the sandbox clock:
`default` (10,000 units, costs per method), `uploads` (100 videos.insert calls) and
`batchGetStats` (10,000 calls). A request is refused with 403 quotaExceeded when its cost
does not fit in what is left; a request rejected as invalid still costs 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from publish.sandbox.clock import SandboxClock
from publish.sandbox.errors import quota_exceeded
from publish.sandbox.store import Store

COSTS: dict[str, int] = {
    "youtube.videos.insert": 1,  # one call in the uploads bucket
    "youtube.videos.batchGetStats": 1,  # one call in its own bucket
    "youtube.videos.update": 50,
    "youtube.videos.delete": 50,
    "youtube.captions.insert": 400,
    "youtube.captions.update": 450,
    "youtube.captions.list": 50,
    "youtube.captions.delete": 50,
    "youtube.captions.download": 200,
    "youtube.thumbnails.set": 50,
    "youtube.playlists.insert": 50,
    "youtube.playlists.update": 50,
    "youtube.playlists.delete": 50,
    "youtube.playlistItems.insert": 50,
    "youtube.playlistItems.update": 50,
    "youtube.playlistItems.delete": 50,
    "youtube.search.list": 1,  # own bucket on YouTube; not emulated beyond a cost
}
BUCKET_OF = {"youtube.videos.insert": "uploads", "youtube.videos.batchGetStats": "batchGetStats"}


@dataclass
class Limits:
    """Every limit the sandbox enforces; tests shrink them to reach the edge quickly."""

    daily_units: int = 10_000  # default pool, units
    daily_upload_calls: int = 100  # videos.insert calls per day (own bucket)
    daily_batch_stats: int = 10_000  # videos:batchGetStats calls per day (own bucket)
    channel_uploads_per_day: int = 50  # → 400 uploadLimitExceeded (per channel, rolling 24 h)
    thumbnail_sets_per_day: int = 50  # → 429 uploadRateLimitExceeded (rolling 24 h)
    thumbnail_max_bytes: int = 50 * 1024 * 1024
    caption_max_bytes: int = 100 * 1024 * 1024
    processing_seconds: float = 60.0  # uploaded → processed, on the sandbox clock
    session_lifetime_seconds: float = 7 * 24 * 3600  # resumable session expiry (then 404)
    token_lifetime_seconds: int = 3599
    body_timeout_seconds: float = 20.0  # a request body silent this long is cut (data kept)
    long_uploads_status: str = "allowed"  # channels.list status.longUploadsStatus
    channel_verified: bool = True  # False: thumbnails.set answers 403 forbidden

    def update(self, values: dict[str, Any]) -> None:
        """Set limits by name from JSON or `NAME=VALUE` text (raises KeyError, ValueError)."""
        names = [f.name for f in fields(self)]
        for key, value in values.items():
            if key not in names:
                raise KeyError(f"unknown limit {key!r}; known: {', '.join(names)}")
            current = getattr(self, key)
            if isinstance(current, bool):
                text = str(value).strip().lower()
                if text not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(f"limit {key}: expected true or false, got {value!r}")
                value = text in ("true", "1", "yes")
            setattr(self, key, type(current)(value))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def bucket_limit(self, bucket: str) -> int:
        return {"default": self.daily_units, "uploads": self.daily_upload_calls,
                "batchGetStats": self.daily_batch_stats}[bucket]


class QuotaLedger:
    """Per Pacific day and bucket, the units used; persisted in the store."""

    def __init__(self, store: Store, clock: SandboxClock, limits: Limits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits

    def _used(self) -> dict[str, int]:
        day = self.clock.pacific_day().isoformat()
        return self.store["quota"].setdefault(day, {})

    def check(self, method_id: str) -> None:
        """Refuse (403 quotaExceeded) when the method's full cost does not fit today."""
        bucket = BUCKET_OF.get(method_id, "default")
        with self.store.lock:
            used = self._used().get(bucket, 0)
        if used + COSTS.get(method_id, 1) > self.limits.bucket_limit(bucket):
            raise quota_exceeded()

    def spend(self, method_id: str, *, valid: bool = True) -> None:
        bucket = BUCKET_OF.get(method_id, "default")
        units = COSTS.get(method_id, 1) if valid else 1
        with self.store.change():
            used = self._used()
            used[bucket] = used.get(bucket, 0) + units

    def usage(self) -> dict[str, dict[str, int]]:
        """Today's use and limit per bucket (for `sandbox status` and tests)."""
        with self.store.lock:
            used = dict(self._used())
        return {bucket: {"used": used.get(bucket, 0), "limit": self.limits.bucket_limit(bucket)}
                for bucket in ("default", "uploads", "batchGetStats")}

    def reset_today(self) -> None:
        with self.store.change():
            self._used().clear()
