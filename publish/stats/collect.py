"""The API side of statistics: fetch counters and Analytics rows, then hand them to store.py.

`videos:batchGetStats` answers 50 ids for 1 unit of its own daily bucket; where it is missing
(404/400, or a 403 that is not about quota) `videos.list part=statistics` does the same job from
the main 10,000-unit bucket (youtube-api.md §6, §8). Counters arrive as strings and may be
hidden (likes), so parsing is separate from fetching and tested on saved replies.

A collection is unattended by design: a kernel lock keeps two runs apart (the second stops at
once with Busy), every counter reply is fetched before anything is written, and the whole
snapshot is one transaction, so a failure while fetching counters leaves the history as it was.
Analytics rows (publish/stats/analytics.py: incremental, batched) are fetched after the snapshot
is saved and stored in a second transaction: an Analytics failure keeps that snapshot (the
counters were paid for) and still raises.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from config.i18n import _
from publish.errors import Busy, NothingToDo
from publish.journal import Journal
from publish.stats.store import (
    CountryViews,
    DailyAnalytics,
    Snapshot,
    save_analytics,
    save_snapshots,
    tracked_videos,
    utc_stamp,
)
from publish.youtube.client import api_error, error_reason
from publish.youtube.quota import charge, cost

log = logging.getLogger("capsule.stats")

BATCH_SIZE = 50  # ids per batchGetStats or videos.list call

Progress = Callable[[int, int], None]

_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded",
                  "userRateLimitExceeded"}


@dataclass
class CollectResult:
    """What one `collect` run did; filled in as it goes, so a failed run can still report."""

    status: str = "ok"
    tracked: int = 0
    collected: int = 0  # snapshot rows written
    missing: list[str] = field(default_factory=list)
    method: str | None = None  # videos.batchGetStats or videos.list
    api_calls: int = 0
    quota: dict[str, int] = field(default_factory=dict)  # pool -> units
    analytics_days: int = 0
    analytics_countries: int = 0
    analytics_sources: int = 0  # traffic-source and device-type rows
    analytics_retention: int = 0  # retention curves read
    collected_at: str | None = None
    duration_s: float = 0.0
    error: str | None = None

    def count_call(self, method: str) -> None:
        pool, units = cost(method)
        self.api_calls += 1
        self.quota[pool] = self.quota.get(pool, 0) + units

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "tracked": self.tracked, "collected": self.collected,
                "missing": self.missing, "method": self.method, "api_calls": self.api_calls,
                "quota": self.quota, "analytics_days": self.analytics_days,
                "analytics_countries": self.analytics_countries,
                "analytics_sources": self.analytics_sources,
                "analytics_retention": self.analytics_retention,
                "collected_at": self.collected_at, "duration_s": round(self.duration_s, 3),
                "error": self.error}


# Lock ----------------------------------------------------------------------------------------

def lock_path_for(journal_path: Path) -> Path:
    """The collection lock file, beside the journal's other locks."""
    return journal_path.parent / (journal_path.name + ".locks") / "stats-collect.lock"


@contextlib.contextmanager
def collection_lock(path: Path) -> Iterator[None]:
    """Hold the collection lock or raise Busy at once (flock: freed when the holder dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            who = _(" (pid {pid})").format(pid=holder) if holder.isdigit() else ""
            raise Busy(_("another `capsule stats collect` is running{who}, lock {path}; "
                         "this run stopped without collecting").format(who=who, path=path)) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# Parsing saved replies -----------------------------------------------------------------------

def _count(value: Any) -> int | None:
    """Counters are strings ("123"); a hidden one is absent."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_stats(items: Sequence[dict[str, Any]]) -> list[Snapshot]:
    """Snapshots from batchGetStats or videos.list items (both carry `statistics`)."""
    out = []
    for item in items:
        stats = item.get("statistics") or {}
        out.append(Snapshot(item["id"], _count(stats.get("viewCount")),
                            _count(stats.get("likeCount")), _count(stats.get("commentCount"))))
    return out


def parse_titles(items: Sequence[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """(titles, publication times) by id, where the reply has them."""
    titles, published = {}, {}
    for item in items:
        snippet = item.get("snippet") or {}
        if snippet.get("title"):
            titles[item["id"]] = snippet["title"]
        when = snippet.get("publishedAt") or snippet.get("publishTime")
        if when:
            published[item["id"]] = when
    return titles, published


def parse_report(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Analytics rows as dicts keyed by column name; no `rows` key means no data."""
    names = [h["name"] for h in reply.get("columnHeaders") or []]
    return [dict(zip(names, row, strict=False)) for row in reply.get("rows") or []]


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_daily(video_id: str, reply: dict[str, Any]) -> list[DailyAnalytics]:
    return [DailyAnalytics(video_id, str(r["day"]), _count(r.get("views")),
                           _float(r.get("estimatedMinutesWatched")),
                           _float(r.get("averageViewDuration")))
            for r in parse_report(reply)]


def parse_countries(video_id: str, reply: dict[str, Any], start: date,
                    end: date) -> list[CountryViews]:
    return [CountryViews(video_id, str(r["country"]), _count(r.get("views")),
                         _float(r.get("estimatedMinutesWatched")), start.isoformat(),
                         end.isoformat())
            for r in parse_report(reply)]


# Fetching ------------------------------------------------------------------------------------

def batch_unavailable(exc: BaseException) -> bool:
    """True when batchGetStats itself is missing or refused: 400, 404, or 403 not about quota."""
    from googleapiclient.errors import HttpError


    if not isinstance(exc, HttpError):
        return False
    status = int(getattr(exc.resp, "status", 0) or 0)
    return status in (400, 404) or (status == 403 and error_reason(exc) not in _QUOTA_REASONS)


def fetch_stats(youtube: Any, video_ids: Sequence[str], *,
                on_call: Callable[[str, str], None] = lambda method, status: None,
                progress: Progress | None = None, retries: int = 3
                ) -> tuple[list[dict[str, Any]], str]:
    """Every item the API returns for `video_ids`, 50 ids a call; (items, method used).

    `on_call(method, status)` is called once per HTTP call, success or not, so each is charged.
    """

    method = "videos.batchGetStats"
    items: list[dict[str, Any]] = []
    done = 0
    for start in range(0, len(video_ids), BATCH_SIZE):
        chunk = list(video_ids[start:start + BATCH_SIZE])
        reply = None
        if method == "videos.batchGetStats":
            try:
                reply = youtube.videos().batchGetStats(
                    id=chunk, part=["snippet", "statistics"]).execute(num_retries=retries)
                on_call(method, "ok")
            except Exception as exc:
                on_call(method, "error")
                if not batch_unavailable(exc):
                    raise api_error(exc, doing=_("collecting statistics "
                                                 "(videos:batchGetStats)")
                                    ) from exc
                log.info("videos:batchGetStats unavailable (%s); using videos.list", exc)
                method = "videos.list"
        if reply is None:
            try:
                reply = youtube.videos().list(
                    id=",".join(chunk), part="snippet,statistics",
                    maxResults=BATCH_SIZE).execute(num_retries=retries)
                on_call(method, "ok")
            except Exception as exc:
                on_call(method, "error")
                raise api_error(exc, doing=_("collecting statistics (videos.list)")) from exc
        items.extend(reply.get("items") or [])
        done += len(chunk)
        if progress:
            progress(done, len(video_ids))
    return items, method


# The run -------------------------------------------------------------------------------------

def collect(journal: Journal, connect: Callable[[], tuple[Any, Any]], *, channel: str = "",
            progress: Progress | None = None, now: Callable[[], datetime] | None = None,
            lock_path: Path | None = None, result: CollectResult | None = None,
            retries: int = 3) -> CollectResult:
    """Snapshot every tracked video (and its Analytics rows when `connect` gives that service).

    `connect()` returns (Data API service, Analytics service or None); it is called only once
    the lock is held and there is something to collect, so a busy or idle run costs no login.
    Raises Busy (another run holds the lock), NothingToDo (no tracked video) or the typed API
    errors of publish.youtube.client.api_error; `result` holds the counts so far even then.
    """
    result = result if result is not None else CollectResult()
    started = time.monotonic()
    clock = now or (lambda: datetime.now(UTC))
    try:
        with collection_lock(lock_path or lock_path_for(journal.path)):
            _collect_locked(journal, connect, channel, progress, clock, result, retries)
    finally:
        result.duration_s = time.monotonic() - started
    return result


def _collect_locked(journal: Journal, connect: Callable[[], tuple[Any, Any]], channel: str,
                    progress: Progress | None, clock: Callable[[], datetime],
                    result: CollectResult, retries: int) -> None:
    videos = tracked_videos(journal)
    result.tracked = len(videos)
    if not videos:
        result.status = "nothing_to_do"
        raise NothingToDo(_("no tracked videos: publish one with capsule or add one with "
                            "`capsule stats track VIDEO_ID`"))
    youtube, analytics = connect()

    def on_call(method: str, status: str) -> None:
        charge(journal, method, status=status, channel=channel)
        result.count_call(method)

    ids = [v.video_id for v in videos]
    items, method = fetch_stats(youtube, ids, on_call=on_call, progress=progress,
                                retries=retries)
    result.method = method
    answered = {item["id"] for item in items}
    result.missing = [vid for vid in ids if vid not in answered]
    was_missing = {v.video_id for v in videos if v.state == "missing"}
    for vid in result.missing:  # warn once, not at every cron run
        (log.info if vid in was_missing else log.warning)(
            "%s: not in the reply (deleted or private); marked missing", vid)

    moment = clock()
    collected_at = utc_stamp(moment)
    result.collected_at = collected_at
    titles, published = parse_titles(items)
    result.collected = save_snapshots(journal, collected_at, parse_stats(items), result.missing,
                                      titles=titles, published=published)

    if analytics is not None:
        from publish.stats.analytics import fetch_audience, pacific_today

        current = [v for v in videos if v.video_id not in result.missing]
        rows = fetch_audience(analytics, current, published, pacific_today(moment),
                              on_call=on_call, retries=retries)
        save_analytics(journal, collected_at, rows.daily, rows.countries, rows.sources,
                       rows.retention, replace_sources=rows.replace_sources, marks=rows.marks)
        result.analytics_days = len(rows.daily)
        result.analytics_countries = len(rows.countries)
        result.analytics_sources = len(rows.sources)
        result.analytics_retention = len({p.video_id for p in rows.retention})
