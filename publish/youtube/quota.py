"""YouTube quota as a local resource: published costs, the ledger in the journal, daily limits.

Every API call capsule makes is charged here (also failed and invalid calls: YouTube charges
them too). Days are Pacific days: quotas reset at midnight America/Los_Angeles.
Costs and pools: shared reference youtube-api.md §6.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.i18n import _
from publish.errors import QuotaExhausted
from publish.journal import Journal, now_iso
from publish.youtube.client import api_error

PACIFIC = ZoneInfo("America/Los_Angeles")

DEFAULT_LIMITS: dict[str, int] = {"default": 10_000, "uploads": 100, "search": 100,
                                  "batch_stats": 10_000}

# method -> (pool, units). Methods not listed cost 1 unit of the default pool (list calls).
COSTS: dict[str, tuple[str, int]] = {
    "videos.insert": ("uploads", 1),
    "search.list": ("search", 1),
    "videos.batchGetStats": ("batch_stats", 1),
    "videos.list": ("default", 1),
    "videos.update": ("default", 50),
    "videos.delete": ("default", 50),
    "captions.insert": ("default", 400),
    "captions.update": ("default", 450),
    "captions.list": ("default", 50),
    "captions.delete": ("default", 50),
    "thumbnails.set": ("default", 50),
    "playlists.insert": ("default", 50),
    "playlists.list": ("default", 1),
    "playlistItems.insert": ("default", 50),
    "playlistItems.list": ("default", 1),
    "channels.list": ("default", 1),
    "videoCategories.list": ("default", 1),
    "i18nLanguages.list": ("default", 1),
    # Analytics v2 has its own quota, separate from the Data API's (publish/stats/collect.py).
    "youtubeAnalytics.reports.query": ("analytics", 1),
}


def cost(method: str) -> tuple[str, int]:
    """(pool, units) of one call of `method`."""
    return COSTS.get(method, ("default", 1))


def pacific_day(moment: datetime | None = None) -> str:
    """The quota day (YYYY-MM-DD in Pacific time) of a moment."""
    return (moment or datetime.now(UTC)).astimezone(PACIFIC).date().isoformat()


def charge(journal: Journal, method: str, *, status: str = "ok", channel: str = "",
           upload_id: int | None = None, at: datetime | None = None) -> None:
    """Record one API call in the ledger at its published cost.

    A call that got no answer at all (status "network") is recorded at 0 units: nothing says
    it reached YouTube, and charging it would let an offline cron job eat the day's 100
    uploads. Every answered call is charged, errors included (YouTube charges invalid calls).
    """
    pool, units = cost(method)
    if status == "network":
        units = 0
    with journal.write() as c:
        c.execute(
            "INSERT INTO api_calls (at, pacific_day, channel, method, pool, units, status, "
            "upload_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now_iso() if at is None else at.astimezone(UTC).isoformat(), pacific_day(at),
             channel, method, pool, units, status, upload_id))


def spent(journal: Journal, *, day: str | None = None, channel: str | None = None
          ) -> dict[str, int]:
    """Units (or calls) spent per pool on a Pacific day (today by default)."""
    day = day or pacific_day()
    sql = "SELECT pool, sum(units) FROM api_calls WHERE pacific_day = ?"
    args: list[object] = [day]
    if channel is not None:
        sql += " AND channel = ?"
        args.append(channel)
    rows = journal.conn.execute(sql + " GROUP BY pool", args).fetchall()
    return {pool: int(total) for pool, total in rows}


def spent_by_upload(journal: Journal, upload_id: int) -> dict[str, int]:
    rows = journal.conn.execute(
        "SELECT pool, sum(units) FROM api_calls WHERE upload_id = ? GROUP BY pool",
        (upload_id,)).fetchall()
    return {pool: int(total) for pool, total in rows}


def last_call_id(journal: Journal) -> int:
    """The ledger's newest row id: pass it to `spent_since` to measure one run's spend."""
    row = journal.conn.execute("SELECT coalesce(max(id), 0) FROM api_calls").fetchone()
    return int(row[0])


def spent_since(journal: Journal, after_id: int, upload_id: int) -> dict[str, int]:
    """Units per pool charged after `after_id` to this upload, plus calls charged to no upload
    meanwhile (another process's such calls are counted too: the ledger cannot tell them)."""
    rows = journal.conn.execute(
        "SELECT pool, sum(units) FROM api_calls WHERE id > ? AND (upload_id = ? OR upload_id "
        "IS NULL) GROUP BY pool", (after_id, upload_id)).fetchall()
    return {pool: int(total) for pool, total in rows}


@dataclass
class PoolReport:
    pool: str
    spent: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.spent, 0)

    def to_json(self) -> dict[str, int | str]:
        return {"pool": self.pool, "spent": self.spent, "limit": self.limit,
                "remaining": self.remaining}


def report(journal: Journal, limits: Mapping[str, int] | None = None, *,
           day: str | None = None, channel: str | None = None) -> list[PoolReport]:
    """Today's spend and what remains, per pool."""
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    used = spent(journal, day=day, channel=channel)
    pools = list(limits) + [p for p in used if p not in limits]
    return [PoolReport(p, used.get(p, 0), limits.get(p, 0)) for p in pools]


def estimate(plan: Iterable[str]) -> dict[str, int]:
    """Units per pool of a list of method calls (e.g. ["videos.insert", "captions.insert"])."""
    total: dict[str, int] = {}
    for method in plan:
        pool, units = cost(method)
        total[pool] = total.get(pool, 0) + units
    return total


def ensure_affordable(journal: Journal, needed: Mapping[str, int],
                      limits: Mapping[str, int] | None = None, *, channel: str | None = None
                      ) -> None:
    """Refuse (QuotaExhausted) what today's remaining quota cannot finish."""
    by_pool = {r.pool: r for r in report(journal, limits, channel=channel)}
    short = []
    for pool, units in needed.items():
        entry = by_pool.get(pool)
        remaining = entry.remaining if entry else 0
        if units > remaining:
            short.append(_("{pool} needs {units}, {remaining} left of "
                           "{limit}").format(
                             pool=pool, units=units, remaining=remaining,
                             limit=entry.limit if entry else 0))
    if short:
        raise QuotaExhausted(_("today's YouTube quota cannot finish this publication "
                               "({short}); it resets at midnight Pacific time (run `capsule "
                               "quota` to see the spend)").format(short="; ".join(short)))


def execute(journal: Journal, method: str, request: Any, *, doing: str, channel: str = "",
            upload_id: int | None = None, retries: int = 2) -> Any:
    """Run one plain API call, charge it to the ledger (also when it fails), type its error.

    The library's own retries are fine for plain calls (youtube-api.md §3); pass retries=0 where
    a 429 must not be retried (thumbnails: uploadRateLimitExceeded lasts 24 h).
    """

    try:
        result = request.execute(num_retries=retries)
    except Exception as exc:
        resp = getattr(exc, "resp", None)
        status = str(getattr(resp, "status", "")) if resp is not None else "network"
        charge(journal, method, status=status or "error", channel=channel, upload_id=upload_id)
        raise api_error(exc, doing=doing, channel=channel or None) from exc
    charge(journal, method, status="ok", channel=channel, upload_id=upload_id)
    return result
