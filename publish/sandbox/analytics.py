"""Analytics v2 `reports.query` over the simulated audience (youtube-api.md §10).

Rows come per Pacific day from the same curve as `videos.list` statistics, split
deterministically over countries, traffic sources and device types; the latest 2 days are
missing (Analytics lags) and the most recent day served is still partial (YouTube revises it:
`PARTIAL_SHARE` of its views until it is a day older); `rows` is absent when empty.

Only the channel reports capsule relies on are served, and a query that matches none of them is
refused as YouTube refuses it: 400 badRequest "The query is not supported…" (the table below
follows developers.google.com/youtube/analytics/channel_reports):

    report            dimensions (required + optional)        filters            metrics
    basic             —                                       video, country     core
    time-based        day                                     video, country     core
    geography         country                                 video              core
    traffic source    insightTrafficSourceType [+ day]        video, country     views, minutes
    device type       deviceType [+ day]                      video, country     views, minutes
    retention         elapsedVideoTimeRatio                   video (exactly 1)  audienceWatchRatio,
                                                              audienceType       relativeRetention…
    top videos        video (sort by a metric, descending;    country            core
                      maxResults <= 200)

The video filter takes several ids (comma-separated, up to MAX_FILTER_VIDEOS); with more than
one, `video` may be added to the dimensions of any report but retention, which groups the rows
per video (data model: "multiple values for the video filter … add it to the dimensions").
Every served query is appended to `api.analytics_log` (its parameters) so tests can assert which
days were asked for.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from publish.sandbox import simulate
from publish.sandbox.errors import ApiError

if TYPE_CHECKING:
    from publish.sandbox.api import YouTubeApi

CORE = ("views", "estimatedMinutesWatched", "averageViewDuration", "averageViewPercentage",
        "subscribersGained", "subscribersLost", "shares", "likes", "comments")
SOURCE_METRICS = ("views", "estimatedMinutesWatched")
RETENTION_METRICS = ("audienceWatchRatio", "relativeRetentionPerformance")
METRICS = CORE + RETENTION_METRICS
DIMENSIONS = ("day", "country", "video", "insightTrafficSourceType", "deviceType",
              "elapsedVideoTimeRatio")
FILTERS = ("video", "country", "audienceType")
FLOAT_METRICS = {"averageViewPercentage", "audienceWatchRatio", "relativeRetentionPerformance"}
LATENCY_DAYS = 2
PARTIAL_SHARE = 0.8  # share of its final views the most recent served day shows
MAX_FILTER_VIDEOS = 500
MAX_TOP_VIDEOS = 200

# name: (required dimensions, optional dimensions, allowed filters, allowed metrics)
REPORTS: dict[str, tuple[frozenset, frozenset, frozenset, tuple[str, ...]]] = {
    "basic": (frozenset(), frozenset(), frozenset({"video", "country"}), CORE),
    "time": (frozenset({"day"}), frozenset(), frozenset({"video", "country"}), CORE),
    "geography": (frozenset({"country"}), frozenset(), frozenset({"video"}), CORE),
    "traffic": (frozenset({"insightTrafficSourceType"}), frozenset({"day"}),
                frozenset({"video", "country"}), SOURCE_METRICS),
    "device": (frozenset({"deviceType"}), frozenset({"day"}), frozenset({"video", "country"}),
               SOURCE_METRICS),
    "retention": (frozenset({"elapsedVideoTimeRatio"}), frozenset(),
                  frozenset({"video", "audienceType"}), RETENTION_METRICS),
    "top": (frozenset({"video"}), frozenset(), frozenset({"country"}), CORE),
}
NOT_SUPPORTED = ("The query is not supported. Check the documentation at "
                 "https://developers.google.com/youtube/analytics/v2/available_reports for a "
                 "list of supported queries.")


def _bad(message: str) -> ApiError:
    return ApiError(400, "badRequest", message, charge=False)


def _required(name: str) -> ApiError:
    return ApiError(400, "required", f"Required parameter: {name}", location=name,
                    location_type="parameter", charge=False)


def _names(raw: str | None, allowed: tuple[str, ...], field: str) -> list[str]:
    names = [n.strip() for n in (raw or "").split(",") if n.strip()]
    for name in names:
        if name not in allowed:
            raise _bad(f"Unknown identifier ({name}) given in field parameters.{field}.")
    if len(set(names)) != len(names):
        raise _bad(f"Duplicate identifier given in field parameters.{field}.")
    return names


def _date(params: dict[str, Any], name: str) -> date:
    if not params.get(name):
        raise _required(name)
    try:
        return date.fromisoformat(params[name])
    except ValueError:
        raise _bad(f"Invalid value '{params[name]}' for parameter {name}: expected "
                   "YYYY-MM-DD.") from None


def _filters(raw: str | None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for clause in (raw or "").split(";"):
        if not clause.strip():
            continue
        name, sep, values = clause.partition("==")
        if not sep or name not in FILTERS:
            raise _bad(f"Unknown identifier ({name}) given in field parameters.filters.")
        found[name] = [v.strip() for v in values.split(",") if v.strip()]
    if len(found.get("video", ())) > MAX_FILTER_VIDEOS:
        raise _bad(f"The filter video lists more than {MAX_FILTER_VIDEOS} values.")
    return found


def which_report(dimensions: list[str], filters: dict[str, list[str]], metrics: list[str],
                 params: dict[str, Any]) -> str:
    """The channel report a query asks for, or the API's "not supported" 400."""
    dims = set(dimensions)
    several = len(filters.get("video", ())) > 1
    for name, (required, optional, allowed, allowed_metrics) in REPORTS.items():
        extra = dims - required - optional
        if several and name != "retention":
            extra -= {"video"}
        if not required <= dims or extra or not set(filters) <= allowed:
            continue
        if not set(metrics) <= set(allowed_metrics):
            continue
        if name == "basic" and dims:
            continue
        if name == "retention" and len(filters.get("video", ())) != 1:
            continue
        if name == "top":
            if several:
                continue
            sort = [k.strip() for k in (params.get("sort") or "").split(",") if k.strip()]
            max_results = int(params.get("maxResults") or 0)
            if (not sort or not all(k.startswith("-") and k[1:] in metrics for k in sort)
                    or not 0 < max_results <= MAX_TOP_VIDEOS):
                continue
        return name
    raise _bad(NOT_SUPPORTED)


def report(api: YouTubeApi, params: dict[str, Any]) -> dict[str, Any]:
    """The `resultTable` for a query (raises ApiError for what the real API refuses)."""
    for name in ("ids", "metrics"):
        if not params.get(name):
            raise _required(name)
    start, end = _date(params, "startDate"), _date(params, "endDate")
    if params["ids"] not in ("channel==MINE", f"channel=={api.channel['id']}"):
        raise ApiError(403, "forbidden", "Forbidden", charge=False)
    if start > end:
        raise _bad("The query is not supported: startDate is after endDate.")
    metrics = _names(params["metrics"], METRICS, "metrics")
    dimensions = _names(params.get("dimensions"), DIMENSIONS, "dimensions")
    filters = _filters(params.get("filters"))
    kind = which_report(dimensions, filters, metrics, params)
    log = getattr(api, "analytics_log", None)
    if log is None:
        log = api.analytics_log = []
    log.append(dict(params))
    with api.store.lock:
        videos = [v for v in api.store["videos"].values() if not v.get("_deleted")]
    if "video" in filters:
        wanted = set(filters["video"])
        videos = [v for v in videos if v["id"] in wanted]
    if kind == "retention":
        rows = _retention_rows(api, videos, start, end, metrics)
    else:
        rows = _rows(api, videos, start, end, dimensions, filters, metrics)
    rows = _sorted(rows, params.get("sort"), dimensions, metrics)
    # The discovery document states minValue 1 only in prose, so the router lets 0 through.
    start_index = int(params.get("startIndex", 1))
    max_results = int(params.get("maxResults", len(rows)))
    if start_index < 1 or ("maxResults" in params and max_results < 1):
        raise _bad("startIndex and maxResults must be at least 1.")
    rows = rows[start_index - 1:start_index - 1 + max_results]
    table: dict[str, Any] = {
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [{"name": d, "columnType": "DIMENSION",
                           "dataType": "FLOAT" if d == "elapsedVideoTimeRatio" else "STRING"}
                          for d in dimensions]
        + [{"name": m, "columnType": "METRIC",
            "dataType": "FLOAT" if m in FLOAT_METRICS else "INTEGER"} for m in metrics]}
    if rows:
        table["rows"] = rows
    return table


def _duration(video: dict[str, Any]) -> float:
    return float((video.get("_probe") or {}).get("seconds") or 60.0)


def _day_counts(api: YouTubeApi, video: dict[str, Any], day: date,
                last: date) -> dict[str, int]:
    """One video's counters gained on one Pacific day (the latest served day still partial)."""
    seed, vid = api.store.seed, video["id"]
    since = api._public_since(video)
    lo, hi = simulate.pacific_day_bounds(day)
    before = simulate.counts_at(seed, vid, since, lo)
    after = simulate.counts_at(seed, vid, since, hi)
    extra_before = simulate.audience_counts(seed, vid, before["viewCount"])
    extra_after = simulate.audience_counts(seed, vid, after["viewCount"])
    delta = {"views": after["viewCount"] - before["viewCount"],
             "likes": after["likeCount"] - before["likeCount"],
             "comments": after["commentCount"] - before["commentCount"],
             **{k: extra_after[k] - extra_before[k] for k in extra_after}}
    if day == last:
        delta = {k: int(v * PARTIAL_SHARE) for k, v in delta.items()}
    return delta


def _rows(api: YouTubeApi, videos: list[dict[str, Any]], start: date, end: date,
          dimensions: list[str], filters: dict[str, list[str]],
          metrics: list[str]) -> list[list[Any]]:
    seed = api.store.seed
    last = api.clock.pacific_day() - timedelta(days=LATENCY_DAYS)
    by_country = "country" in dimensions or "country" in filters
    source = ("traffic" if "insightTrafficSourceType" in dimensions
              else "device" if "deviceType" in dimensions else None)
    groups: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for video in videos:
        vid = video["id"]
        duration = _duration(video)
        fraction = simulate.watched_fraction(seed, vid, duration)
        seconds_per_view = fraction * duration
        day = start
        while day <= min(end, last):
            delta = _day_counts(api, video, day, last)
            day += timedelta(days=1)
            if delta["views"] <= 0:
                continue
            parts = _split(delta, lambda n, v=vid: simulate.country_split(seed, v, n), by_country)
            for country, counts in parts.items():
                if "country" in filters and country not in filters["country"]:
                    continue
                pieces = _split(counts, lambda n, v=vid: simulate.source_split(seed, v, n, source),
                                source is not None)
                for value, piece in pieces.items():
                    names = {"day": (day - timedelta(days=1)).isoformat(), "country": country,
                             "video": vid, "insightTrafficSourceType": value,
                             "deviceType": value}
                    group = groups[tuple(names[d] for d in dimensions)]
                    for k, v in piece.items():
                        group[k] += v
                    group["seconds"] += piece["views"] * seconds_per_view
                    group["duration_views"] += piece["views"] * duration
    rows = []
    for key, group in groups.items():
        views = group["views"]
        values = {k: int(group[k]) for k in ("views", "likes", "comments", "shares",
                                             "subscribersGained", "subscribersLost")}
        values["estimatedMinutesWatched"] = round(group["seconds"] / 60)
        values["averageViewDuration"] = round(group["seconds"] / views) if views else 0
        values["averageViewPercentage"] = (round(100 * group["seconds"] / group["duration_views"],
                                                 2) if views else 0.0)
        rows.append([*key, *(values[m] for m in metrics)])
    return rows


def _split(counts: dict[str, int], splitter, split: bool) -> dict[str, dict[str, int]]:
    """Counters split over the keys `splitter` gives (each counter split the same way)."""
    if not split:
        return {"": counts}
    shares = {k: splitter(v) for k, v in counts.items()}
    keys = next(iter(shares.values())).keys()
    return {key: {k: shares[k][key] for k in counts} for key in keys}


def _retention_rows(api: YouTubeApi, videos: list[dict[str, Any]], start: date, end: date,
                    metrics: list[str]) -> list[list[Any]]:
    """The audience retention curve of the one filtered video; no rows without views."""
    if not videos:
        return []
    video = videos[0]
    last = api.clock.pacific_day() - timedelta(days=LATENCY_DAYS)
    if not any(_day_counts(api, video, start + timedelta(days=i), last)["views"] > 0
               for i in range(max(0, (min(end, last) - start).days + 1))):
        return []
    points = simulate.retention(api.store.seed, video["id"], _duration(video))
    names = {"audienceWatchRatio": 1, "relativeRetentionPerformance": 2}
    return [[point[0], *(point[names[m]] for m in metrics)] for point in points]


def _sorted(rows: list[list[Any]], sort: str | None, dimensions: list[str],
            metrics: list[str]) -> list[list[Any]]:
    columns = dimensions + metrics
    keys = [k.strip() for k in (sort or "").split(",") if k.strip()]
    if not keys:
        return sorted(rows, key=lambda r: r[:len(dimensions)])
    for key in reversed(keys):
        name = key.lstrip("-")
        if name not in columns:
            raise _bad(f"Unknown identifier ({name}) given in field parameters.sort.")
        index = columns.index(name)
        rows = sorted(rows, key=lambda r, i=index: r[i], reverse=key.startswith("-"))
    return rows
