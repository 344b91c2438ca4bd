"""The SQLite side of statistics: the tracked set, snapshots, Analytics rows and queries on them.

Nothing here talks to the network: `collect.py` fetches, these functions save and read, so every
one of them is testable with saved API replies. Tables are created by migration 2 of
publish/journal.py. Every write is one `journal.write()` transaction (BEGIN IMMEDIATE … COMMIT,
explicit ROLLBACK), so a full disk or a crash leaves a collection either whole or absent.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from config.i18n import _
from publish.journal import Journal

EXPORT_COLUMNS = ("video_id", "title", "collected_at", "views", "likes", "comments")
"""The export's columns, in this order, for ever: scripts and spreadsheets rely on it."""


@dataclass(frozen=True)
class TrackedVideo:
    video_id: str
    source: str  # "capsule" (published by capsule) or "manual" (`capsule stats track`)
    title: str | None
    published_at: str | None
    added_at: str
    state: str  # tracked | missing (absent from the last reply) | untracked
    missing_since: str | None
    campaign: str | None = None
    capsule: str | None = None  # the manifest's capsule name: links its variants and languages
    variant: str | None = None  # main, short, or a [variants.NAME] of the manifest
    language: str | None = None
    analytics_through: str | None = None  # last Pacific day whose daily rows are final
    analytics_checked_on: str | None = None  # Pacific day the later (partial) days were read
    countries_through: str | None = None  # last day covered by country windows
    retention_on: str | None = None  # Pacific day the retention curve was read


@dataclass(frozen=True)
class Snapshot:
    """One video's public counters at one collection; None where the owner hides a counter."""

    video_id: str
    views: int | None
    likes: int | None
    comments: int | None


@dataclass(frozen=True)
class DailyAnalytics:
    video_id: str
    day: str
    views: int | None
    minutes_watched: float | None
    average_view_duration: float | None
    average_view_percentage: float | None = None
    subscribers_gained: int | None = None
    subscribers_lost: int | None = None
    shares: int | None = None
    likes: int | None = None
    final: bool = True  # False: YouTube may still revise this day; it is asked for again


@dataclass(frozen=True)
class SourceViews:
    """Views of one video on one day from one traffic source or device type."""

    video_id: str
    day: str
    kind: str  # traffic | device
    value: str  # e.g. YT_SEARCH, SHORTS / MOBILE, TV
    views: int | None
    minutes_watched: float | None


@dataclass(frozen=True)
class RetentionPoint:
    video_id: str
    ratio: float  # elapsedVideoTimeRatio
    watch_ratio: float | None  # audienceWatchRatio: share of views still watching there
    relative: float | None  # relativeRetentionPerformance


@dataclass(frozen=True)
class CountryViews:
    video_id: str
    country: str
    views: int | None
    minutes_watched: float | None
    start_day: str
    end_day: str


@dataclass(frozen=True)
class DailyRow:
    """The last snapshot of a video on one UTC day, with the views gained per day since the
    previous day that has a snapshot (None for a video's first day)."""

    video_id: str
    title: str | None
    day: str
    views: int | None
    change_per_day: float | None
    likes: int | None
    comments: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def utc_stamp(moment: datetime | None = None) -> str:
    """A collection time: UTC to the second, sortable as text (`2026-11-29T07:50:00Z`)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Tracked set ---------------------------------------------------------------------------------

LINK_FIELDS = ("campaign", "capsule", "variant", "language")
MARK_COLUMNS = ("analytics_through", "analytics_checked_on", "countries_through", "retention_on")


def track(journal: Journal, video_id: str, source: str = "capsule",
          title: str | None = None, *, campaign: str | None = None, capsule: str | None = None,
          variant: str | None = None, language: str | None = None) -> bool:
    """Add a video to the tracked set (True when it was not tracked yet).

    Tracking again an untracked video resumes it; a known title, campaign or capsule link is
    never erased by None (a later value replaces it).
    """
    links = (campaign, capsule, variant, language)
    with journal.write() as c:
        row = c.execute("SELECT state FROM tracked_videos WHERE video_id = ?",
                        (video_id,)).fetchone()
        if row is None:
            c.execute("INSERT INTO tracked_videos (video_id, source, title, added_at, campaign, "
                      "capsule, variant, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (video_id, source, title, utc_stamp(), *links))
            return True
        c.execute("UPDATE tracked_videos SET title = coalesce(?, title), "
                  "campaign = coalesce(?, campaign), capsule = coalesce(?, capsule), "
                  "variant = coalesce(?, variant), language = coalesce(?, language), "
                  "state = CASE state WHEN 'untracked' THEN 'tracked' ELSE state END "
                  "WHERE video_id = ?", (title, *links, video_id))
        return row["state"] == "untracked"


def untrack(journal: Journal, video_ids: Iterable[str], *, purge: bool = False) -> int:
    """Stop collecting these videos (their history stays unless `purge`); returns how many."""
    count = 0
    with journal.write() as c:
        for vid in video_ids:
            if purge:
                found = c.execute("DELETE FROM tracked_videos WHERE video_id = ?", (vid,)).rowcount
                for table in ("stat_snapshots", "analytics_daily", "analytics_countries",
                              "analytics_sources", "analytics_retention"):
                    found += c.execute(f"DELETE FROM {table} WHERE video_id = ?", (vid,)).rowcount
            else:
                found = c.execute("UPDATE tracked_videos SET state = 'untracked' "
                                  "WHERE video_id = ? AND state != 'untracked'", (vid,)).rowcount
            count += bool(found)
    return count


def tracked_videos(journal: Journal, *, include_untracked: bool = False) -> list[TrackedVideo]:
    """The videos a collection asks for (tracked or missing), oldest first."""
    where = "" if include_untracked else "WHERE state != 'untracked'"
    rows = journal.conn.execute(
        f"SELECT * FROM tracked_videos {where} ORDER BY added_at, video_id").fetchall()
    return [TrackedVideo(**dict(r)) for r in rows]


# Saving --------------------------------------------------------------------------------------

def save_snapshots(journal: Journal, collected_at: str, snapshots: Sequence[Snapshot],
                   missing: Sequence[str] = (), *, titles: dict[str, str] | None = None,
                   published: dict[str, str] | None = None) -> int:
    """Store one collection in ONE transaction; returns the number of new snapshot rows.

    The unique key (video_id, collected_at) makes a replayed collection a no-op. Videos absent
    from the reply (deleted or private) are marked missing; a video that answers again is not.
    """
    titles = titles or {}
    published = published or {}
    with journal.write() as c:
        before = c.total_changes
        c.executemany(
            "INSERT OR IGNORE INTO stat_snapshots (video_id, collected_at, views, likes, comments)"
            " VALUES (?, ?, ?, ?, ?)",
            [(s.video_id, collected_at, s.views, s.likes, s.comments) for s in snapshots])
        inserted = c.total_changes - before
        c.executemany(
            "UPDATE tracked_videos SET state = 'tracked', missing_since = NULL, "
            "title = coalesce(?, title), published_at = coalesce(?, published_at) "
            "WHERE video_id = ? AND state != 'untracked'",
            [(titles.get(s.video_id), published.get(s.video_id), s.video_id) for s in snapshots])
        c.executemany(
            "UPDATE tracked_videos SET state = 'missing', "
            "missing_since = coalesce(missing_since, ?) WHERE video_id = ? AND state = 'tracked'",
            [(collected_at, vid) for vid in missing])
    return inserted


def save_analytics(journal: Journal, fetched_at: str, daily: Sequence[DailyAnalytics],
                   countries: Sequence[CountryViews], sources: Sequence[SourceViews] = (),
                   retention: Sequence[RetentionPoint] = (), *,
                   replace_sources: Sequence[tuple[str, str, str, str]] = (),
                   marks: dict[str, dict[str, str]] | None = None) -> int:
    """Upsert Analytics rows in ONE transaction (YouTube revises recent days: latest wins).

    `replace_sources` lists (video_id, kind, first day, last day) ranges fetched again: their
    old rows go first, so a source that fell to zero does not linger. A video's retention
    curve is replaced whole. `marks` moves each video's watermarks ({video: {column: day}},
    columns of MARK_COLUMNS) in the same transaction as the rows they describe.
    """
    with journal.write() as c:
        before = c.total_changes
        c.executemany(
            "INSERT INTO analytics_daily (video_id, day, views, minutes_watched, "
            "average_view_duration, average_view_percentage, subscribers_gained, "
            "subscribers_lost, shares, likes, final, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (video_id, day) DO UPDATE SET views = excluded.views, "
            "minutes_watched = excluded.minutes_watched, "
            "average_view_duration = excluded.average_view_duration, "
            "average_view_percentage = excluded.average_view_percentage, "
            "subscribers_gained = excluded.subscribers_gained, "
            "subscribers_lost = excluded.subscribers_lost, shares = excluded.shares, "
            "likes = excluded.likes, final = excluded.final, fetched_at = excluded.fetched_at",
            [(d.video_id, d.day, d.views, d.minutes_watched, d.average_view_duration,
              d.average_view_percentage, d.subscribers_gained, d.subscribers_lost, d.shares,
              d.likes, int(d.final), fetched_at) for d in daily])
        c.executemany(
            "INSERT INTO analytics_countries (video_id, country, views, minutes_watched, "
            "start_day, end_day, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (video_id, start_day, country) DO UPDATE SET views = excluded.views, "
            "minutes_watched = excluded.minutes_watched, end_day = excluded.end_day, "
            "fetched_at = excluded.fetched_at",
            [(r.video_id, r.country, r.views, r.minutes_watched, r.start_day, r.end_day,
              fetched_at) for r in countries])
        c.executemany("DELETE FROM analytics_sources WHERE video_id = ? AND kind = ? "
                      "AND day BETWEEN ? AND ?", list(replace_sources))
        c.executemany("INSERT OR IGNORE INTO analytics_source_values (kind, value) VALUES (?, ?)",
                      sorted({(r.kind, r.value) for r in sources}))
        c.executemany(
            "INSERT OR REPLACE INTO analytics_sources (video_id, day, kind, value, views, "
            "minutes_watched) VALUES (?, ?, ?, ?, ?, ?)",
            [(r.video_id, r.day, r.kind, r.value, r.views, r.minutes_watched) for r in sources])
        curves = sorted({p.video_id for p in retention})
        c.executemany("DELETE FROM analytics_retention WHERE video_id = ?",
                      [(v,) for v in curves])
        c.executemany(
            "INSERT INTO analytics_retention (video_id, ratio, watch_ratio, relative, end_day, "
            "fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(p.video_id, p.ratio, p.watch_ratio, p.relative, fetched_at[:10], fetched_at)
             for p in retention])
        for vid, columns in (marks or {}).items():
            for column, value in columns.items():
                if column not in MARK_COLUMNS:
                    raise ValueError(_("not a watermark column: {column}").format(column=column))
                c.execute(f"UPDATE tracked_videos SET {column} = ? WHERE video_id = ?",
                          (value, vid))
        return c.total_changes - before


# Reading -------------------------------------------------------------------------------------

def _filters(video_ids: Sequence[str] | None, since: date | None) -> tuple[str, list]:
    clauses, params = [], []
    if video_ids:
        clauses.append(f"s.video_id IN ({', '.join('?' for _ in video_ids)})")
        params.extend(video_ids)
    if since is not None:
        clauses.append("s.collected_at >= ?")
        params.append(since.isoformat())
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def daily_history_sql(video_ids: Sequence[str] | None = None) -> tuple[str, list]:
    """The query behind `stats show` (exposed so the benchmark can print its plan)."""
    where, params = _filters(video_ids, None)
    sql = f"""
        WITH daily AS (
            SELECT s.video_id, substr(s.collected_at, 1, 10) AS day, s.views, s.likes,
                   s.comments,
                   row_number() OVER (PARTITION BY s.video_id, substr(s.collected_at, 1, 10)
                                      ORDER BY s.collected_at DESC) AS rank
            FROM stat_snapshots AS s {where}
        )
        SELECT d.video_id, t.title, d.day, d.views, d.likes, d.comments,
               lag(d.views) OVER w AS prev_views, lag(d.day) OVER w AS prev_day
        FROM daily AS d LEFT JOIN tracked_videos AS t ON t.video_id = d.video_id
        WHERE d.rank = 1
        WINDOW w AS (PARTITION BY d.video_id ORDER BY d.day)
        ORDER BY d.video_id, d.day
    """
    return sql, params


def daily_history(journal: Journal, video_ids: Sequence[str] | None = None,
                  since: date | None = None) -> list[DailyRow]:
    """One row per video and UTC day (the day's last snapshot), oldest first per video.

    The change of the first day after `since` is still computed against the day before it.
    """
    sql, params = daily_history_sql(video_ids)
    out = []
    for r in journal.conn.execute(sql, params):
        if since is not None and r["day"] < since.isoformat():
            continue
        change = None
        if r["prev_views"] is not None and r["views"] is not None:
            gap = (date.fromisoformat(r["day"]) - date.fromisoformat(r["prev_day"])).days
            change = round((r["views"] - r["prev_views"]) / max(gap, 1), 1)
        out.append(DailyRow(r["video_id"], r["title"], r["day"], r["views"], change,
                            r["likes"], r["comments"]))
    return out


def snapshot_rows(journal: Journal, video_ids: Sequence[str] | None = None,
                  since: date | None = None) -> list[dict]:
    """Every snapshot as a dict with EXPORT_COLUMNS keys, by video then time."""
    where, params = _filters(video_ids, since)
    rows = journal.conn.execute(
        "SELECT s.video_id, t.title, s.collected_at, s.views, s.likes, s.comments "
        f"FROM stat_snapshots AS s LEFT JOIN tracked_videos AS t ON t.video_id = s.video_id "
        f"{where} ORDER BY s.video_id, s.collected_at", params).fetchall()
    return [{k: r[k] for k in EXPORT_COLUMNS} for r in rows]


def to_csv(rows: Sequence[dict]) -> str:
    """CSV with a header line, EXPORT_COLUMNS order, empty cells for hidden counters."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if row[k] is None else row[k] for k in EXPORT_COLUMNS])
    return buf.getvalue()


def to_json(rows: Sequence[dict]) -> str:
    """A JSON array of objects, keys in EXPORT_COLUMNS order, one object per line."""
    if not rows:
        return "[]\n"
    lines = [json.dumps({k: row[k] for k in EXPORT_COLUMNS}, ensure_ascii=False)
             for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]\n"
