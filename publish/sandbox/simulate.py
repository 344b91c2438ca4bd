"""Simulated audience: views, likes and comments that grow with the sandbox clock.

Everything is a pure function of (seed, video id, seconds since the video first went public or
unlisted), so two sandboxes with the same seed agree, counts never go down, and a test that
moves the clock knows the numbers will have grown. A video that was never public or unlisted
has no views. Analytics reports derive from the same curve, per Pacific day, split over a few
countries deterministically.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from publish.sandbox.clock import PACIFIC

COUNTRIES = ("MA", "FR", "DZ", "TN", "BE", "ES", "CA", "US")
TRAFFIC_SOURCES = ("SHORTS", "YT_SEARCH", "RELATED_VIDEO", "EXT_URL", "SUBSCRIBER", "PLAYLIST",
                   "NO_LINK_OTHER")
DEVICE_TYPES = ("MOBILE", "DESKTOP", "TABLET", "TV")
RETENTION_POINTS = 100  # elapsedVideoTimeRatio 0.01 … 1.00, as the API reports it


def _unit(seed: int, video_id: str, salt: str) -> float:
    """A stable number in [0, 1) for this seed, video and purpose."""
    digest = hashlib.sha256(f"{seed}:{video_id}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def views_at(seed: int, video_id: str, public_since: float | None, now: float) -> int:
    if public_since is None or now <= public_since:
        return 0
    hours = (now - public_since) / 3600
    rate = 3 + 40 * _unit(seed, video_id, "rate")  # views in the first hour
    return int(rate * hours**0.85)


def counts_at(seed: int, video_id: str, public_since: float | None,
              now: float) -> dict[str, int]:
    """viewCount, likeCount, commentCount at `now` (all non-decreasing in `now`)."""
    views = views_at(seed, video_id, public_since, now)
    like_rate = 0.02 + 0.03 * _unit(seed, video_id, "likes")
    comment_rate = 0.002 + 0.004 * _unit(seed, video_id, "comments")
    return {"viewCount": views, "likeCount": int(views * like_rate),
            "commentCount": int(views * comment_rate)}


def average_view_seconds(seed: int, video_id: str) -> int:
    return 15 + int(45 * _unit(seed, video_id, "duration"))


def audience_counts(seed: int, video_id: str, views: int) -> dict[str, int]:
    """Shares and subscriptions that follow `views` (cumulative: differences stay >= 0)."""
    gained = int(views * (0.004 + 0.012 * _unit(seed, video_id, "subs")))
    return {"shares": int(views * (0.003 + 0.01 * _unit(seed, video_id, "shares"))),
            "subscribersGained": gained,
            "subscribersLost": int(gained * 0.25 * _unit(seed, video_id, "unsubs"))}


def watched_fraction(seed: int, video_id: str, duration: float) -> float:
    """The average share of the video a view lasts (0.2 … 0.9), for averageViewPercentage."""
    avg = average_view_seconds(seed, video_id)
    return min(avg / max(duration, 1.0), 0.2 + 0.7 * _unit(seed, video_id, "fraction"))


def retention(seed: int, video_id: str, duration: float) -> list[tuple[float, float, float]]:
    """(elapsedVideoTimeRatio, audienceWatchRatio, relativeRetentionPerformance) points.

    A curve e + (1 − e)(1 − x)^a whose mean is the watched fraction, so the retention curve and
    averageViewPercentage agree; e is the share still watching at the end.
    """
    p = watched_fraction(seed, video_id, duration)
    end = p * (0.2 + 0.5 * _unit(seed, video_id, "end"))
    a = (1 - end) / (p - end) - 1
    relative = round(0.3 + 0.4 * _unit(seed, video_id, "relative"), 4)
    return [(i / RETENTION_POINTS,
             round(end + (1 - end) * (1 - i / RETENTION_POINTS) ** a, 4), relative)
            for i in range(1, RETENTION_POINTS + 1)]


def pacific_day_bounds(day: date) -> tuple[float, float]:
    start = datetime.combine(day, time(0), PACIFIC)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def country_split(seed: int, video_id: str, total: int) -> dict[str, int]:
    """Split `total` over COUNTRIES with stable weights; the parts add up to `total`."""
    weights = [(0.5 if c == "MA" else 0.05) + _unit(seed, video_id, "country:" + c) * 0.2
               for c in COUNTRIES]
    return _split(total, weights, COUNTRIES)


def source_split(seed: int, video_id: str, total: int, kind: str) -> dict[str, int]:
    """Split `total` over traffic sources (kind "traffic") or device types ("device")."""
    keys = TRAFFIC_SOURCES if kind == "traffic" else DEVICE_TYPES
    weights = [0.05 + _unit(seed, video_id, f"{kind}:{k}") for k in keys]
    return _split(total, weights, keys)


def _split(total: int, weights: list[float], keys: tuple[str, ...]) -> dict[str, int]:
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return dict(zip(keys, parts, strict=True))
