"""Audience depth against the sandbox over real sockets: stored rows equal what the sandbox
serves for each dimension, collection is batched and incremental (the sandbox's request log
shows no query for stored days), each query is charged, and unsupported queries are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from googleapiclient.errors import HttpError

from publish.journal import Journal
from publish.sandbox import DEFAULT_API_KEY
from publish.stats.collect import collect
from publish.stats.store import track
from publish.youtube.quota import spent

NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 12:00 Pacific, 20 Nov
TODAY = date(2026, 11, 20)


def add_videos(sandbox, count: int, days_ago: float = 20) -> list[str]:
    ids = []
    when = sandbox.clock.timestamp() - days_ago * 86400
    with sandbox.store.change() as data:
        for i in range(count):
            vid = sandbox.store.new_id(11)
            data["videos"][vid] = {
                "id": vid, "snippet": {"title": f"Capsule {i}", "categoryId": "29"},
                "status": {"privacyStatus": "public"}, "localizations": {},
                "recordingDetails": {}, "_uploaded": when, "_size": 1000,
                "_probe": {"ok": True, "seconds": 40.0 + 20 * i, "height": 720},
                "_ever_public": True, "_public_since": when}
            ids.append(vid)
    return ids


@pytest.fixture
def setup(sandbox, tmp_path):
    sandbox.clock.set(NOW)
    ids = add_videos(sandbox, 3)
    journal = Journal(tmp_path / "journal.sqlite")
    for vid in ids:
        track(journal, vid)
    youtube, analytics = sandbox.youtube(key=DEFAULT_API_KEY), sandbox.analytics()
    sandbox.api.analytics_log = []
    yield journal, ids, (lambda: (youtube, analytics))
    journal.close()


def run(journal, connect, sandbox):
    """One collection at the sandbox's time (its Pacific day decides which days are final)."""
    return collect(journal, connect, retries=0, now=sandbox.clock.now)


def served(sandbox, **params) -> list[list]:
    """Rows the sandbox serves for a query asked directly (outside capsule's code)."""
    reply = sandbox.analytics().reports().query(ids="channel==MINE", **params).execute()
    return reply.get("rows") or []


def rows(journal: Journal, sql: str, *args) -> list[tuple]:
    return [tuple(r) for r in journal.conn.execute(sql, args)]


def test_rows_per_dimension_equal_what_the_sandbox_served(sandbox, setup):
    journal, ids, connect = setup
    result = run(journal, connect, sandbox)
    # 1 batchGetStats; daily, traffic, device and country queries batch the 3 videos (countries
    # per calendar month: 31 Oct, then 1-17 Nov); retention is one query per video (the API
    # takes one video there).
    assert result.api_calls == 1 + 3 + 2 + 3
    assert spent(journal)["analytics"] == 8
    log = sandbox.api.analytics_log
    batched = [q for q in log if q["dimensions"].startswith("video,")]
    assert len(batched) == 5
    assert all(set(q["filters"].removeprefix("video==").split(",")) == set(ids)
               for q in batched)
    sandbox.api.analytics_log = []
    first = (TODAY - timedelta(days=20)).isoformat()
    last = (TODAY - timedelta(days=2)).isoformat()
    final = (TODAY - timedelta(days=3)).isoformat()
    for vid in ids:
        daily = served(sandbox, startDate=first, endDate=last, dimensions="day",
                       metrics="views,estimatedMinutesWatched,averageViewDuration,"
                               "averageViewPercentage,subscribersGained,subscribersLost,"
                               "shares,likes", filters=f"video=={vid}", sort="day")
        assert len(daily) >= 18
        assert rows(journal, "SELECT day, views, minutes_watched, average_view_duration, "
                             "average_view_percentage, subscribers_gained, subscribers_lost, "
                             "shares, likes FROM analytics_daily WHERE video_id = ? ORDER BY day",
                    vid) == [tuple(r) for r in daily]
        assert rows(journal, "SELECT max(day) FROM analytics_daily WHERE video_id = ? AND final",
                    vid) == [(final,)]
        for kind, dimension in (("traffic", "insightTrafficSourceType"),
                                ("device", "deviceType")):
            expected = served(sandbox, startDate=first, endDate=last,
                              dimensions=f"day,{dimension}",
                              metrics="views,estimatedMinutesWatched", filters=f"video=={vid}")
            assert len({r[1] for r in expected}) >= 4
            assert sorted(rows(journal, "SELECT day, value, views, minutes_watched FROM "
                                        "analytics_sources WHERE video_id = ? AND kind = ?",
                               vid, kind)) == sorted(tuple(r) for r in expected)
        expected = []
        for start, end in ((first, "2026-10-31"), ("2026-11-01", final)):
            expected += [(c, v, m, start, end) for c, v, m in served(
                sandbox, startDate=start, endDate=end, dimensions="country",
                metrics="views,estimatedMinutesWatched", filters=f"video=={vid}")]
        assert len(expected) >= 8
        assert sorted(rows(journal, "SELECT country, views, minutes_watched, start_day, end_day "
                                    "FROM analytics_countries WHERE video_id = ?", vid)) == \
            sorted(expected)
        curve = served(sandbox, startDate=first, endDate=last, dimensions="elapsedVideoTimeRatio",
                       metrics="audienceWatchRatio,relativeRetentionPerformance",
                       filters=f"video=={vid}")
        assert len(curve) == 100
        assert rows(journal, "SELECT ratio, watch_ratio, relative FROM analytics_retention "
                             "WHERE video_id = ? ORDER BY ratio", vid) == [tuple(r) for r in curve]


def test_incremental_collection_asks_only_for_days_not_stored(sandbox, setup):
    journal, ids, connect = setup
    run(journal, connect, sandbox)
    partial_day = (TODAY - timedelta(days=2)).isoformat()
    before = dict(rows(journal, "SELECT video_id, views FROM analytics_daily WHERE day = ?",
                       partial_day))
    assert rows(journal, "SELECT DISTINCT final FROM analytics_daily WHERE day = ?",
                partial_day) == [(0,)]

    # Same Pacific day, a second run: every day is stored or was just read → no query at all.
    sandbox.api.analytics_log = []
    sandbox.clock.set(NOW + timedelta(hours=3))
    again = run(journal, connect, sandbox)
    assert sandbox.api.analytics_log == [] and again.api_calls == 1  # the snapshot only

    # Next day: only the still-partial day onwards, countries for the month under way (its
    # row replaced), no retention (read less than a week ago).
    sandbox.clock.set(NOW + timedelta(days=1))
    run(journal, connect, sandbox)
    log = sandbox.api.analytics_log
    daily = [q for q in log if q["dimensions"] == "video,day"]
    assert [(q["startDate"], q["endDate"]) for q in daily] == [
        (partial_day, (TODAY - timedelta(days=1)).isoformat())]
    geo = [q for q in log if q["dimensions"] == "video,country"]
    assert [(q["startDate"], q["endDate"]) for q in geo] == [("2026-11-01", partial_day)]
    assert rows(journal, "SELECT DISTINCT start_day, end_day FROM analytics_countries "
                         "WHERE start_day >= '2026-11-01'") == [("2026-11-01", partial_day)]
    assert not [q for q in log if "elapsedVideoTimeRatio" in q["dimensions"]]
    assert len(log) == 4
    # The partial day was revised upwards and is now final.
    after = dict(rows(journal, "SELECT video_id, views FROM analytics_daily WHERE day = ? "
                               "AND final", partial_day))
    assert set(after) == set(ids) and all(after[v] > before[v] for v in ids)


def test_sandbox_refuses_what_the_api_does_not_support(sandbox, setup):
    _, ids, _ = setup
    analytics = sandbox.analytics()
    base = dict(ids="channel==MINE", startDate="2026-11-01", endDate="2026-11-10")
    refused = [
        dict(metrics="audienceWatchRatio", dimensions="elapsedVideoTimeRatio",
             filters="video==" + ",".join(ids)),  # retention: one video per query
        dict(metrics="views", dimensions="insightTrafficSourceType,country"),
        dict(metrics="views", dimensions="video"),  # top videos need sort and maxResults
        dict(metrics="views", dimensions="video,day", filters=f"video=={ids[0]}"),
        dict(metrics="shares", dimensions="deviceType"),  # not a device-type metric
        dict(metrics="views", dimensions="country,day"),  # geography has no day dimension
    ]
    for params in refused:
        with pytest.raises(HttpError) as caught:
            analytics.reports().query(**base, **params).execute()
        assert caught.value.resp.status == 400, params
        assert b"The query is not supported" in caught.value.content, params
    with pytest.raises(HttpError) as caught:
        analytics.reports().query(**base, metrics="views", dimensions="day",
                                  filters="video==" + ",".join(["x" * 11] * 501)).execute()
    assert caught.value.resp.status == 400
    top = analytics.reports().query(**base, metrics="views", dimensions="video",
                                    sort="-views", maxResults=2).execute()
    assert len(top["rows"]) == 2 and top["rows"][0][1] >= top["rows"][1][1]
