"""Analytics v2 `reports.query` over the simulated audience (youtube-api.md §10).

Rows come per Pacific day from the same curve as `videos.list` statistics, split over a few
countries; the latest 2 days are missing (Analytics lags); `rows` is absent when empty.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from publish.sandbox import simulate
from publish.sandbox.errors import ApiError

if TYPE_CHECKING:
    from publish.sandbox.api import YouTubeApi

METRICS = ("views", "estimatedMinutesWatched", "averageViewDuration", "likes", "comments")
DIMENSIONS = ("day", "country", "video")
LATENCY_DAYS = 2


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
    return names


def _date(params: dict[str, Any], name: str) -> date:
    if not params.get(name):
        raise _required(name)
    try:
        return date.fromisoformat(params[name])
    except ValueError:
        raise _bad(f"Invalid value '{params[name]}' for parameter {name}: expected "
                   "YYYY-MM-DD.") from None


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
    seed = api.store.seed
    last = api.clock.pacific_day() - timedelta(days=LATENCY_DAYS)
    groups: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with api.store.lock:
        videos = [v for v in api.store["videos"].values() if not v.get("_deleted")]
    for video in videos:
        if "video" in filters and video["id"] not in filters["video"]:
            continue
        since = api._public_since(video)
        avg = simulate.average_view_seconds(seed, video["id"])
        day = start
        while day <= min(end, last):
            lo, hi = simulate.pacific_day_bounds(day)
            before = simulate.counts_at(seed, video["id"], since, lo)
            after = simulate.counts_at(seed, video["id"], since, hi)
            delta = {k: after[k] - before[k] for k in after}
            if delta["viewCount"] > 0:
                by_country = _by_country(seed, video["id"], delta,
                                         "country" in dimensions or "country" in filters)
                for country, counts in by_country.items():
                    if "country" in filters and country not in filters["country"]:
                        continue
                    key = tuple({"day": day.isoformat(), "country": country,
                                 "video": video["id"]}[d] for d in dimensions)
                    group = groups[key]
                    group["views"] += counts["viewCount"]
                    group["likes"] += counts["likeCount"]
                    group["comments"] += counts["commentCount"]
                    group["seconds"] += counts["viewCount"] * avg
            day += timedelta(days=1)
    rows = []
    for key, group in groups.items():
        values = {"views": int(group["views"]), "likes": int(group["likes"]),
                  "comments": int(group["comments"]),
                  "estimatedMinutesWatched": round(group["seconds"] / 60),
                  "averageViewDuration": round(group["seconds"] / group["views"])
                  if group["views"] else 0}
        rows.append([*key, *(values[m] for m in metrics)])
    rows = _sorted(rows, params.get("sort"), dimensions, metrics)
    # The discovery document states minValue 1 only in prose, so the router lets 0 through.
    start_index = int(params.get("startIndex", 1))
    max_results = int(params.get("maxResults", len(rows)))
    if start_index < 1 or ("maxResults" in params and max_results < 1):
        raise _bad("startIndex and maxResults must be at least 1.")
    rows = rows[start_index - 1:start_index - 1 + max_results]
    table: dict[str, Any] = {
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [{"name": d, "columnType": "DIMENSION", "dataType": "STRING"}
                          for d in dimensions]
        + [{"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in metrics]}
    if rows:
        table["rows"] = rows
    return table


def _filters(raw: str | None) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for clause in (raw or "").split(";"):
        if not clause.strip():
            continue
        name, sep, values = clause.partition("==")
        if not sep or name not in DIMENSIONS:
            raise _bad(f"Unknown identifier ({name}) given in field parameters.filters.")
        found[name] = {v.strip() for v in values.split(",") if v.strip()}
    return found


def _by_country(seed: int, video_id: str, delta: dict[str, int],
                split: bool) -> dict[str, dict[str, int]]:
    if not split:
        return {"": delta}
    shares = {k: simulate.country_split(seed, video_id, v) for k, v in delta.items()}
    return {c: {k: shares[k][c] for k in delta} for c in simulate.COUNTRIES}


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
