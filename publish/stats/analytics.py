"""Audience depth from YouTube Analytics v2: what to ask for, in as few queries as possible.

Per video and Pacific day: views, watch time, average view duration and percentage,
subscribers gained and lost, shares, likes; views per traffic source and per device type per
day; views per country per fetched window (the geography report has no day dimension); the
audience retention curve (one video per query: the API refuses several).

Incremental. Each tracked video carries watermarks (store.MARK_COLUMNS): the last day whose
daily rows are final, the Pacific day its later (partial) days were last read, the last day its
country windows cover, the day its retention curve was read. Analytics lags 2 days (LATENCY) and
revises the days after that for one more (a day is FINAL once 3 days old), so a run asks for:

    daily, traffic, device   from the day after `analytics_through` to today − 2, unless those
                             partial days were already read today (then no query at all)
    countries                final days only, from the day after `countries_through`, per
                             calendar month (the month under way is re-read whole: one row per
                             country and month; the geography report has no day dimension)
    retention                when older than RETENTION_REFRESH_DAYS

Batched. The video filter takes several ids and `video` then joins the dimensions, so one query
answers ANALYTICS_BATCH videos that share a window (all of them once their history is in).
Every query is charged to the ledger through `on_call`, success or not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from config.i18n import _
from publish.stats.store import (
    CountryViews,
    DailyAnalytics,
    RetentionPoint,
    SourceViews,
    TrackedVideo,
)
from publish.youtube.client import api_error
from publish.youtube.quota import PACIFIC

ANALYTICS_METHOD = "youtubeAnalytics.reports.query"
ANALYTICS_BATCH = 200
"""Ids per video filter. The API documents lists of ids in the filter (and groups of up to 500
items) without a smaller limit; 200 keeps a 365-day daily reply near 73,000 rows."""
DAILY_METRICS = ("views", "estimatedMinutesWatched", "averageViewDuration",
                 "averageViewPercentage", "subscribersGained", "subscribersLost", "shares",
                 "likes")
SOURCE_DIMENSIONS = {"traffic": "insightTrafficSourceType", "device": "deviceType"}
LATENCY_DAYS = 2  # the latest day Analytics serves is today − 2 (Pacific)
FINAL_DAYS = 3  # …and it revises that day once more: final from today − 3
LOOKBACK_DAYS = 365  # the first window of a video whose publication day is unknown
RETENTION_REFRESH_DAYS = 7

OnCall = Callable[[str, str], None]


@dataclass
class AudienceRows:
    """Everything one run fetched, saved in one transaction by collect.py."""

    daily: list[DailyAnalytics] = field(default_factory=list)
    countries: list[CountryViews] = field(default_factory=list)
    sources: list[SourceViews] = field(default_factory=list)
    retention: list[RetentionPoint] = field(default_factory=list)
    replace_sources: list[tuple[str, str, str, str]] = field(default_factory=list)
    marks: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    queries: int = 0


def pacific_today(moment: datetime) -> date:

    return moment.astimezone(PACIFIC).date()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def first_day(video: TrackedVideo, published: str | None, today: date) -> date:
    """The first day worth asking about: publication day, at most LOOKBACK_DAYS back."""
    floor = today - timedelta(days=LOOKBACK_DAYS)
    when = _day(published or video.published_at)
    return max(when, floor) if when else floor


def daily_window(video: TrackedVideo, published: str | None,
                 today: date) -> tuple[date, date] | None:
    """(start, end) of the daily/traffic/device query for a video, or None: nothing new."""
    end = today - timedelta(days=LATENCY_DAYS)
    through = _day(video.analytics_through)
    start = through + timedelta(days=1) if through else first_day(video, published, today)
    if start > end or video.analytics_checked_on == today.isoformat():
        return None
    return start, end


def countries_windows(video: TrackedVideo, published: str | None,
                      today: date) -> list[tuple[date, date]]:
    """Calendar-month windows of final days not yet covered (the current month re-read whole:
    one row per country and month, replaced as the month fills)."""
    end = today - timedelta(days=FINAL_DAYS)
    through = _day(video.countries_through)
    first = first_day(video, published, today)
    start = through + timedelta(days=1) if through else first
    windows = []
    while start <= end:
        month = start.replace(day=1)
        following = (month + timedelta(days=32)).replace(day=1)
        windows.append((max(month, first), min(following - timedelta(days=1), end)))
        start = following
    return windows


def needs_retention(video: TrackedVideo, today: date) -> bool:
    read = _day(video.retention_on)
    return read is None or (today - read).days >= RETENTION_REFRESH_DAYS


def parse_report(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name; no `rows` key means no data."""
    names = [h["name"] for h in reply.get("columnHeaders") or []]
    return [dict(zip(names, row, strict=False)) for row in reply.get("rows") or []]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def daily_rows(rows: list[dict[str, Any]], only: str | None,
               final_through: date) -> list[DailyAnalytics]:
    """DailyAnalytics from a daily reply (`only`: the id when the query named one video)."""
    return [DailyAnalytics(
        r.get("video") or only, str(r["day"]), _int(r.get("views")),
        _float(r.get("estimatedMinutesWatched")), _float(r.get("averageViewDuration")),
        _float(r.get("averageViewPercentage")), _int(r.get("subscribersGained")),
        _int(r.get("subscribersLost")), _int(r.get("shares")), _int(r.get("likes")),
        date.fromisoformat(str(r["day"])) <= final_through) for r in rows]


def _batches(windows: dict[Any, tuple[date, date]]) -> list[tuple[date, date, list[Any]]]:
    """Videos grouped by identical window, ANALYTICS_BATCH per query."""
    groups: dict[tuple[date, date], list[Any]] = defaultdict(list)
    for vid, window in windows.items():
        groups[window].append(vid)
    out = []
    for (start, end), ids in sorted(groups.items()):
        for i in range(0, len(ids), ANALYTICS_BATCH):
            out.append((start, end, ids[i:i + ANALYTICS_BATCH]))
    return out


class Fetcher:
    """One Analytics service, its ledger callback and retry count."""

    def __init__(self, analytics: Any, on_call: OnCall, retries: int, rows: AudienceRows):
        self.analytics, self.on_call, self.retries, self.rows = analytics, on_call, retries, rows

    def query(self, start: date, end: date, ids: Sequence[str], dimensions: list[str],
              metrics: Sequence[str], **extra: Any) -> list[dict[str, Any]]:
        """One reports.query over `ids` (the video dimension added when there are several)."""

        dims = (["video"] if len(ids) > 1 else []) + dimensions
        try:
            reply = self.analytics.reports().query(
                ids="channel==MINE", startDate=start.isoformat(), endDate=end.isoformat(),
                metrics=",".join(metrics), dimensions=",".join(dims),
                filters="video==" + ",".join(ids), **extra).execute(num_retries=self.retries)
            self.on_call(ANALYTICS_METHOD, "ok")
        except Exception as exc:
            self.on_call(ANALYTICS_METHOD, "error")
            what = ids[0] if len(ids) == 1 else f"{len(ids)} videos"
            raise api_error(exc, doing=_("reading Analytics for {what}").format(what=what)) from exc
        self.rows.queries += 1
        return parse_report(reply)


def fetch_audience(analytics: Any, videos: Sequence[TrackedVideo], published: dict[str, str],
                   today: date, *, on_call: OnCall, retries: int = 3) -> AudienceRows:
    """Every Analytics row the tracked `videos` lack, with their new watermarks (not saved)."""
    rows = AudienceRows()
    fetch = Fetcher(analytics, on_call, retries, rows)
    final_through = today - timedelta(days=FINAL_DAYS)
    daily = {v.video_id: w for v in videos
             if (w := daily_window(v, published.get(v.video_id), today))}
    for start, end, ids in _batches(daily):
        only = ids[0] if len(ids) == 1 else None
        found = fetch.query(start, end, ids, ["day"], DAILY_METRICS, sort="day")
        rows.daily += daily_rows(found, only, final_through)
        for kind, dimension in SOURCE_DIMENSIONS.items():
            for r in fetch.query(start, end, ids, ["day", dimension],
                                 ("views", "estimatedMinutesWatched")):
                rows.sources.append(SourceViews(
                    r.get("video") or only, str(r["day"]), kind, str(r[dimension]),
                    _int(r.get("views")), _float(r.get("estimatedMinutesWatched"))))
            rows.replace_sources += [(vid, kind, start.isoformat(), end.isoformat())
                                     for vid in ids]
        for vid in ids:
            through = min(end, final_through)
            if through >= start:
                rows.marks[vid]["analytics_through"] = through.isoformat()
            rows.marks[vid]["analytics_checked_on"] = today.isoformat()
    geo: dict[tuple[str, int], tuple[date, date]] = {}
    for v in videos:
        for i, window in enumerate(countries_windows(v, published.get(v.video_id), today)):
            geo[(v.video_id, i)] = window
    for start, end, keys in _batches(geo):
        ids = [vid for vid, _ in keys]
        only = ids[0] if len(ids) == 1 else None
        for r in fetch.query(start, end, ids, ["country"], ("views", "estimatedMinutesWatched"),
                             sort="-views"):
            rows.countries.append(CountryViews(
                r.get("video") or only, str(r["country"]), _int(r.get("views")),
                _float(r.get("estimatedMinutesWatched")), start.isoformat(), end.isoformat()))
        for vid in ids:
            rows.marks[vid]["countries_through"] = end.isoformat()
    for video in videos:
        if not needs_retention(video, today):
            continue
        start = first_day(video, published.get(video.video_id), today)
        end = today - timedelta(days=LATENCY_DAYS)
        if start > end:
            continue
        for r in fetch.query(start, end, [video.video_id], ["elapsedVideoTimeRatio"],
                             ("audienceWatchRatio", "relativeRetentionPerformance"),
                             sort="elapsedVideoTimeRatio"):
            rows.retention.append(RetentionPoint(
                video.video_id, float(r["elapsedVideoTimeRatio"]),
                _float(r.get("audienceWatchRatio")), _float(r.get("relativeRetentionPerformance"))))
        rows.marks[video.video_id]["retention_on"] = today.isoformat()
    return rows
