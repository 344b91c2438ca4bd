"""Campaigns: which videos belong together, and what they did in a period against the one before.

A tracked video names its campaign (the manifest's `[capsule] campaign`, a playlist tracked with
`stats track --playlist`, or `stats track --campaign NAME`) and its capsule, variant and
language, so the versions of one capsule (Short and main, Arabic and French) are compared side
by side. Everything here reads SQLite with a handful of aggregate queries (the report over 1,000
videos x 365 days stays well under a second of SQL: benchmarks/stats.py).

Sources of each figure, in order of trust:
- YouTube Analytics rows (views, watch time, share viewed, subscribers, shares, likes, countries,
  traffic sources, devices, retention) when `collect --analytics` stored them for the period
  (countries per calendar month: a month straddling the period counts pro rata of its days);
- otherwise views gained between public-counter snapshots (Data API), the only thing known
  without an Analytics login; watch time and the rest are then unknown (shown as —).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from config.i18n import _
from publish.journal import Journal
from publish.youtube.client import api_error


@dataclass
class Measures:
    """Additive figures of a video or a group over one period."""

    views: int = 0
    minutes: float = 0.0
    viewed_weight: float = 0.0  # Σ averageViewPercentage × views (for a weighted mean)
    viewed_views: int = 0  # views that carried an averageViewPercentage
    subscribers: int = 0
    shares: int = 0
    likes: int = 0
    completion_weight: float = 0.0  # Σ end-of-video audienceWatchRatio × views
    completion_views: int = 0

    def add(self, other: Measures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def average_viewed(self) -> float | None:
        """Share of a video an average view watched (0-1), or None without Analytics."""
        return self.viewed_weight / self.viewed_views / 100 if self.viewed_views else None

    @property
    def completion(self) -> float | None:
        """Share of views still watching at the end (retention curve's last point)."""
        return self.completion_weight / self.completion_views if self.completion_views else None


@dataclass
class VideoLine:
    video_id: str
    title: str | None
    capsule: str | None
    variant: str | None
    language: str | None
    state: str
    lifetime_views: int | None  # public counter at the last snapshot up to the period's end
    current: Measures
    previous: Measures
    completion: float | None  # audienceWatchRatio at the end of the video
    countries: dict[str, float] = field(default_factory=dict)  # views in the period
    traffic: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    """Videos summed under one key (a capsule, a version, …)."""

    key: str
    label: str
    current: Measures = field(default_factory=Measures)
    previous: Measures = field(default_factory=Measures)
    videos: list[str] = field(default_factory=list)
    lifetime_views: int = 0  # public counters at the period's end, summed
    countries: dict[str, float] = field(default_factory=dict)  # views in the period
    traffic: dict[str, int] = field(default_factory=dict)

    def top(self, table: str) -> tuple[str, float, float] | None:
        """(key, views, share of the group's views there) of its first country or source."""
        values = getattr(self, table)
        if not values:
            return None
        key = max(values, key=lambda k: (values[k], k))
        total = sum(values.values())
        return key, values[key], values[key] / total if total else 0.0

    def finished_in(self, country: str) -> float | None:
        """Views in `country` that lasted to the end (country views x completion): estimated,
        as YouTube gives retention per video, not per country."""
        completion = self.current.completion
        if completion is None or country not in self.countries:
            return None
        return self.countries[country] * completion


@dataclass
class CampaignData:
    campaign: str | None
    since: date
    until: date
    videos: list[VideoLine]
    daily: list[tuple[date, int]]  # views per day in the period
    previous_daily: list[tuple[date, int]]  # … in the previous period (its own dates)
    countries: dict[str, tuple[float, float]]  # code -> (current, previous) views
    traffic: dict[str, tuple[int, int]]
    devices: dict[str, tuple[int, int]]
    retention: dict[tuple[str, str], list[tuple[float, float]]]  # version -> weighted curve
    has_analytics: bool
    snapshot_days: int  # 0, 1, or 2 meaning "two or more"
    last_collection: str | None

    @property
    def previous_since(self) -> date:
        return self.since - (self.until - self.since) - timedelta(days=1)

    @property
    def previous_until(self) -> date:
        return self.since - timedelta(days=1)

    def total(self, which: str = "current") -> Measures:
        out = Measures()
        for video in self.videos:
            out.add(getattr(video, which))
        return out

    def lifetime_views(self) -> int:
        return sum(v.lifetime_views or 0 for v in self.videos)

    def capsules(self, lang: str | None = None) -> list[Group]:
        """One group per capsule (its variants and languages summed), most viewed first,
        named by its main version's title in `lang` when there is one."""
        return _group(self.videos, lambda v: v.capsule or v.video_id,
                      lambda vs: _capsule_title(vs, lang))

    def versions(self) -> list[Group]:
        """One group per (variant, language): Short vs main, Arabic vs French."""
        return _group(self.videos, lambda v: f"{v.variant or 'main'}\t{v.language or ''}",
                      lambda vs: f"{vs[0].variant or 'main'}\t{vs[0].language or ''}")


def _capsule_title(videos: list[VideoLine], lang: str | None) -> str:
    main = [v for v in videos if (v.variant or "main") == "main" and v.title]
    same = [v for v in main if v.language == lang]
    titled = same or main or [v for v in videos if v.title]
    return titled[0].title if titled else (videos[0].capsule or videos[0].video_id)


def _group(videos: Iterable[VideoLine], key: Callable[[VideoLine], str],
           label: Callable[[list[VideoLine]], str]) -> list[Group]:
    members: dict[str, list[VideoLine]] = defaultdict(list)
    for video in videos:
        members[key(video)].append(video)
    groups = []
    for name, vs in members.items():
        group = Group(name, label(vs), videos=[v.video_id for v in vs])
        for v in vs:
            group.lifetime_views += v.lifetime_views or 0
            for table in ("countries", "traffic"):
                mine = getattr(group, table)
                for key, views in getattr(v, table).items():
                    mine[key] = mine.get(key, 0) + views
            group.current.add(v.current)
            group.previous.add(v.previous)
        groups.append(group)
    groups.sort(key=lambda g: (-g.current.views, -g.previous.views, g.label))
    return groups


# Membership ----------------------------------------------------------------------------------

def campaigns(journal: Journal) -> list[tuple[str, int]]:
    """(campaign, tracked videos) for every campaign named in the tracked set."""
    return [(r[0], r[1]) for r in journal.conn.execute(
        "SELECT campaign, count(*) FROM tracked_videos WHERE campaign IS NOT NULL "
        "GROUP BY campaign ORDER BY campaign")]


def playlist_videos(youtube: Any, playlist_id: str, *,
                    on_call: Callable[[str, str], None] = lambda method, status: None,
                    retries: int = 3) -> tuple[str | None, list[str]]:
    """(playlist title, video ids in playlist order): playlists.list + playlistItems.list pages."""

    def run(method: str, request: Any) -> dict[str, Any]:
        try:
            reply = request.execute(num_retries=retries)
            on_call(method, "ok")
            return reply
        except Exception as exc:
            on_call(method, "error")
            raise api_error(exc, doing=_("reading playlist {playlist_id}").format(
                                           playlist_id=playlist_id)) from exc

    found = run("playlists.list", youtube.playlists().list(part="snippet", id=playlist_id))
    items = found.get("items") or []
    title = items[0]["snippet"].get("title") if items else None
    ids: list[str] = []
    token = None
    while True:
        page = run("playlistItems.list", youtube.playlistItems().list(
            part="contentDetails", playlistId=playlist_id, maxResults=50, pageToken=token))
        ids += [i["contentDetails"]["videoId"] for i in page.get("items") or []]
        token = page.get("nextPageToken")
        if not token:
            return title, ids


# The period ----------------------------------------------------------------------------------

def _members(journal: Journal, campaign: str | None) -> list[Any]:
    where = "WHERE campaign = ?" if campaign is not None else ""
    return journal.conn.execute(
        "SELECT video_id, title, capsule, variant, language, state FROM tracked_videos "
        f"{where} ORDER BY video_id", (campaign,) if campaign is not None else ()).fetchall()


def _member_filter(campaign: str | None, alias: str = "x") -> tuple[str, tuple]:
    if campaign is None:
        return "", ()
    return (f"AND {alias}.video_id IN (SELECT video_id FROM tracked_videos WHERE campaign = ?)",
            (campaign,))


def _analytics(journal: Journal, campaign: str | None, start: date,
               end: date) -> dict[str, Measures]:
    member, params = _member_filter(campaign)
    out: dict[str, Measures] = {}
    for r in journal.conn.execute(
            "SELECT video_id, sum(views), sum(minutes_watched), "
            "sum(average_view_percentage * views), "
            "sum(CASE WHEN average_view_percentage IS NULL THEN 0 ELSE views END), "
            "sum(coalesce(subscribers_gained, 0) - coalesce(subscribers_lost, 0)), "
            "sum(shares), sum(likes) FROM analytics_daily AS x "
            f"WHERE day BETWEEN ? AND ? {member} GROUP BY video_id",
            (start.isoformat(), end.isoformat(), *params)):
        out[r[0]] = Measures(int(r[1] or 0), float(r[2] or 0), float(r[3] or 0), int(r[4] or 0),
                             int(r[5] or 0), int(r[6] or 0), int(r[7] or 0))
    return out


def _snapshot_views(journal: Journal, campaign: str | None, start: date,
                    end: date) -> dict[str, tuple[int | None, int | None]]:
    """Per video: (views gained in [start, end] by public counter, counter at the end)."""
    after_end = (end + timedelta(days=1)).isoformat()
    start_text = start.isoformat()
    member, params = _member_filter(campaign, "t")
    rows = journal.conn.execute(
        "SELECT t.video_id, "
        "(SELECT views FROM stat_snapshots WHERE video_id = t.video_id AND collected_at < ? "
        " AND views IS NOT NULL ORDER BY collected_at DESC LIMIT 1), "
        "(SELECT views FROM stat_snapshots WHERE video_id = t.video_id AND collected_at < ? "
        " AND views IS NOT NULL ORDER BY collected_at DESC LIMIT 1), "
        "(SELECT views FROM stat_snapshots WHERE video_id = t.video_id AND collected_at >= ? "
        " AND collected_at < ? AND views IS NOT NULL ORDER BY collected_at LIMIT 1) "
        f"FROM tracked_videos AS t WHERE 1 {member}",
        (after_end, start_text, start_text, after_end, *params))
    out = {}
    for vid, at_end, before, first in rows:
        base = before if before is not None else first
        gained = at_end - base if at_end is not None and base is not None else None
        out[vid] = (gained, at_end)
    return out


def _daily(journal: Journal, campaign: str | None, start: date, end: date,
           use_analytics: bool) -> list[tuple[date, int]]:
    """Views per day: Analytics rows, or the spread of public-counter gains between days."""
    member, params = _member_filter(campaign)
    if use_analytics:
        return [(date.fromisoformat(d), int(v or 0)) for d, v in journal.conn.execute(
            f"SELECT day, sum(views) FROM analytics_daily AS x WHERE day BETWEEN ? AND ? "
            f"{member} GROUP BY day ORDER BY day", (start.isoformat(), end.isoformat(),
                                                    *params))]
    rows = journal.conn.execute(
        "SELECT video_id, substr(collected_at, 1, 10), views FROM stat_snapshots AS x "
        f"WHERE collected_at >= ? AND collected_at < ? AND views IS NOT NULL {member} "
        "ORDER BY video_id, collected_at",
        ((start - timedelta(days=1)).isoformat(), (end + timedelta(days=1)).isoformat(),
         *params))
    totals: dict[date, float] = defaultdict(float)
    for _video, group in itertools.groupby(rows, key=lambda r: r[0]):
        days: dict[str, int] = {}
        for _row, day, views in group:
            days[day] = views
        for (d0, v0), (d1, v1) in itertools.pairwise(days.items()):
            a, b = date.fromisoformat(d0), date.fromisoformat(d1)
            gap = (b - a).days
            for i in range(1, gap + 1):  # a gap between collections: spread evenly
                day = a + timedelta(days=i)
                if start <= day <= end:
                    totals[day] += (v1 - v0) / gap
    return [(d, round(v)) for d, v in sorted(totals.items())]


def _countries(journal: Journal, campaign: str | None, start: date,
               end: date) -> dict[str, dict[str, float]]:
    """Views per video and country; a month straddling the period counts pro rata of its days."""
    lo, hi = start.isoformat(), end.isoformat()
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for vid, country, views in journal.conn.execute(
            "SELECT t.video_id, x.country, sum(CASE WHEN x.start_day >= :lo AND x.end_day <= :hi "
            "THEN x.views ELSE x.views * (julianday(min(x.end_day, :hi)) "
            "- julianday(max(x.start_day, :lo)) + 1) "
            "/ (julianday(x.end_day) - julianday(x.start_day) + 1) END) "
            "FROM tracked_videos AS t CROSS JOIN analytics_countries AS x "
            "ON x.video_id = t.video_id AND x.end_day >= :lo AND x.start_day <= :hi "
            f"WHERE {'t.campaign = :campaign' if campaign is not None else '1'} "
            "GROUP BY t.rowid, x.country",
            {"lo": lo, "hi": hi, "campaign": campaign}):
        out[vid][country] = float(views or 0)
    return out


def _sources(journal: Journal, campaign: str | None, kind: str, start: date,
             end: date) -> dict[str, dict[str, int]]:
    """Views per video and traffic source (or device type): one scan in key order, a FILTER
    sum per value seen (a GROUP BY on the value sorts a year of rows: 3x slower)."""
    values = [v for (v,) in journal.conn.execute(
        "SELECT value FROM analytics_source_values WHERE kind = ? ORDER BY value", (kind,))]
    if not values:
        return {}
    sums = ", ".join("sum(x.views) FILTER (WHERE x.value = ?)" for _ in values)
    where = "WHERE t.campaign = ?" if campaign is not None else ""
    out = {}
    for vid, *counts in journal.conn.execute(
            f"SELECT t.video_id, {sums} FROM tracked_videos AS t CROSS JOIN analytics_sources "
            "AS x ON x.video_id = t.video_id AND x.kind = ? AND x.day BETWEEN ? AND ? "
            f"{where} GROUP BY t.rowid",
            (*values, kind, start.isoformat(), end.isoformat(),
             *((campaign,) if campaign is not None else ()))):
        out[vid] = {v: int(n) for v, n in zip(values, counts, strict=True) if n}
    return out


def _totals(per_video: dict[str, dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for table in per_video.values():
        for key, views in table.items():
            out[key] += views
    return dict(out)


def _retention(journal: Journal, campaign: str | None) -> dict[str, list[tuple[float, float]]]:
    member, params = _member_filter(campaign)
    curves: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for vid, ratio, watch in journal.conn.execute(
            "SELECT video_id, ratio, watch_ratio FROM analytics_retention AS x "
            f"WHERE watch_ratio IS NOT NULL {member} ORDER BY video_id, ratio", params):
        curves[vid].append((ratio, watch))
    return curves


def load_campaign(journal: Journal, campaign: str | None, since: date | None = None,
                  until: date | None = None, *, days: int = 28) -> CampaignData:
    """Everything the campaign report shows for [since, until] and the period before it.

    Without dates: the `days` days up to the last collection. `campaign` None: every video.
    """
    conn = journal.conn
    last = conn.execute("SELECT max(collected_at) FROM stat_snapshots").fetchone()[0]
    last_day = conn.execute("SELECT max(day) FROM analytics_daily").fetchone()[0]
    if until is None:
        candidates = [date.fromisoformat(x[:10]) for x in (last, last_day) if x]
        until = max(candidates) if candidates else date.today()
    if since is None:
        since = until - timedelta(days=days - 1)
    previous_until = since - timedelta(days=1)
    previous_since = previous_until - (until - since)

    members = _members(journal, campaign)
    now_a = _analytics(journal, campaign, since, until)
    before_a = _analytics(journal, campaign, previous_since, previous_until)
    now_s = _snapshot_views(journal, campaign, since, until)
    before_s = _snapshot_views(journal, campaign, previous_since, previous_until)
    curves = _retention(journal, campaign)
    countries_now = _countries(journal, campaign, since, until)
    countries_before = _countries(journal, campaign, previous_since, previous_until)
    traffic_now = _sources(journal, campaign, "traffic", since, until)
    videos = []
    for vid, title, capsule, variant, language, state in members:
        current = now_a.get(vid) or Measures(views=now_s.get(vid, (None, None))[0] or 0)
        previous = before_a.get(vid) or Measures(views=before_s.get(vid, (None, None))[0] or 0)
        curve = curves.get(vid)
        completion = curve[-1][1] if curve else None
        for m in (current, previous):
            if completion is not None and m.views:
                m.completion_weight, m.completion_views = completion * m.views, m.views
        videos.append(VideoLine(vid, title, capsule, variant, language, state,
                                now_s.get(vid, (None, None))[1], current, previous, completion,
                                countries_now.get(vid, {}), traffic_now.get(vid, {})))
    videos.sort(key=lambda v: (-v.current.views, -(v.lifetime_views or 0), v.video_id))
    has_analytics = bool(now_a)
    by_version: dict[tuple[str, str], dict[float, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0]))
    for v in videos:
        weight = v.current.views or v.lifetime_views or 0
        for ratio, watch in curves.get(v.video_id, []):
            cell = by_version[(v.variant or "main", v.language or "")][ratio]
            cell[0] += watch * weight
            cell[1] += weight
    retention = {k: [(r, w / n) for r, (w, n) in sorted(points.items()) if n]
                 for k, points in by_version.items()}
    member, params = _member_filter(campaign)
    first, last_seen = conn.execute(
        "SELECT substr(min(collected_at), 1, 10), substr(max(collected_at), 1, 10) "
        f"FROM stat_snapshots AS x WHERE collected_at < ? {member}",
        ((until + timedelta(days=1)).isoformat(), *params)).fetchone()
    snapshot_days = 0 if first is None else 1 if first == last_seen else 2

    def pair(now: dict, before: dict) -> dict:
        keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), k))
        return {k: (now.get(k, 0), before.get(k, 0)) for k in keys}

    return CampaignData(
        campaign, since, until, videos,
        _daily(journal, campaign, since, until, has_analytics),
        _daily(journal, campaign, previous_since, previous_until, bool(before_a)),
        pair(_totals(countries_now), _totals(countries_before)),
        pair(_totals(traffic_now),
             _totals(_sources(journal, campaign, "traffic", previous_since, previous_until))),
        pair(_totals(_sources(journal, campaign, "device", since, until)),
             _totals(_sources(journal, campaign, "device", previous_since, previous_until))),
        retention, has_analytics, snapshot_days, last)
