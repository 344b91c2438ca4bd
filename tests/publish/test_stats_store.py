"""Statistics on the SQLite side, fed with saved API replies (no network): parsing, saving,
the tracked set, daily history, exports, the show index and a full disk."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.errors import InvalidInput
from publish.journal import Journal, JournalError
from publish.stats.collect import parse_countries, parse_daily, parse_stats, parse_titles
from publish.stats.ids import video_id
from publish.stats.store import (
    EXPORT_COLUMNS,
    Snapshot,
    daily_history,
    daily_history_sql,
    save_analytics,
    save_snapshots,
    snapshot_rows,
    to_csv,
    to_json,
    track,
    tracked_videos,
    untrack,
)

A, B, C = "aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"

# A videos:batchGetStats reply as YouTube sends it: counters are strings, likes may be hidden.
BATCH_REPLY = {
    "kind": "youtube#batchGetStatsResponse",
    "items": [
        {"kind": "youtube#videoStats", "id": A,
         "snippet": {"publishTime": "2026-11-01T10:00:00Z"},
         "statistics": {"viewCount": "1200", "likeCount": "31", "commentCount": "4"}},
        {"kind": "youtube#videoStats", "id": B,
         "statistics": {"viewCount": "75", "commentCount": "0"}},
    ],
}
# The same shape from videos.list part=snippet,statistics (with titles).
LIST_REPLY = {
    "kind": "youtube#videoListResponse",
    "items": [{"kind": "youtube#video", "id": A,
               "snippet": {"title": "Reconnaître la traite", "publishedAt": "2026-11-01T10:00:00Z"},
               "statistics": {"viewCount": "1300", "likeCount": "33", "favoriteCount": "0",
                              "commentCount": "5"}}],
}


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        yield j


def rows(journal, sql):
    return [tuple(r) for r in journal.conn.execute(sql)]


@pytest.mark.parametrize("text", [
    "dQw4w9WgXcQ", " dQw4w9WgXcQ ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
    "youtube.com/watch?feature=share&v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ?si=abc",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube.com/live/dQw4w9WgXcQ",
])
def test_video_id_accepts_ids_and_urls(text):
    assert video_id(text) == "dQw4w9WgXcQ"


@pytest.mark.parametrize("text", [
    "dQw4w9WgXc", "dQw4w9WgXcQQ", "dQw4w9WgX!Q", "https://vimeo.com/dQw4w9WgXcQ",
    "https://www.youtube.com/watch?list=PL123", "https://www.youtube.com/@channel", "",
])
def test_video_id_rejects_others_with_one_line(text):
    with pytest.raises(InvalidInput) as err:
        video_id(text)
    assert "\n" not in str(err.value)
    assert "11-character id" in str(err.value)


def test_parse_saved_replies():
    assert parse_stats(BATCH_REPLY["items"]) == [Snapshot(A, 1200, 31, 4), Snapshot(B, 75, None, 0)]
    assert parse_titles(LIST_REPLY["items"]) == (
        {A: "Reconnaître la traite"}, {A: "2026-11-01T10:00:00Z"})
    assert parse_titles(BATCH_REPLY["items"]) == ({}, {A: "2026-11-01T10:00:00Z"})


def test_save_snapshots_exact_rows_marks_missing_and_ignores_replays(journal):
    for vid in (A, B, C):
        track(journal, vid)
    items = BATCH_REPLY["items"]
    titles, published = parse_titles(items)
    assert save_snapshots(journal, "2026-11-29T06:07:00Z", parse_stats(items), [C],
                          titles=titles, published=published) == 2
    # Replaying the same collection (same key) adds nothing.
    assert save_snapshots(journal, "2026-11-29T06:07:00Z", parse_stats(items), [C]) == 0
    assert rows(journal, "SELECT * FROM stat_snapshots ORDER BY video_id") == [
        (A, "2026-11-29T06:07:00Z", 1200, 31, 4), (B, "2026-11-29T06:07:00Z", 75, None, 0)]
    assert rows(journal, "SELECT video_id, state, missing_since, published_at "
                         "FROM tracked_videos ORDER BY video_id") == [
        (A, "tracked", None, "2026-11-01T10:00:00Z"), (B, "tracked", None, None),
        (C, "missing", "2026-11-29T06:07:00Z", None)]
    # Back in a later reply: no longer missing.
    save_snapshots(journal, "2026-11-30T06:07:00Z", [Snapshot(C, 5, 1, 0)])
    assert [v.state for v in tracked_videos(journal)] == ["tracked"] * 3


def test_track_untrack_purge(journal):
    assert track(journal, A, source="manual", title="Old spot") is True
    assert track(journal, A) is False
    assert track(journal, A, title=None) is False
    save_snapshots(journal, "2026-11-29T06:07:00Z", [Snapshot(A, 10, 1, 0)])
    assert untrack(journal, [A]) == 1
    assert tracked_videos(journal) == []
    # History kept, title kept, and it is still exported.
    assert snapshot_rows(journal)[0]["title"] == "Old spot"
    assert track(journal, A) is True  # resumed
    assert [v.source for v in tracked_videos(journal)] == ["manual"]
    assert untrack(journal, [A, B], purge=True) == 1
    assert rows(journal, "SELECT count(*) FROM stat_snapshots") == [(0,)]
    assert rows(journal, "SELECT count(*) FROM tracked_videos") == [(0,)]


def _history(journal):
    track(journal, A, title="Reconnaître la traite")
    track(journal, B)
    series = {  # several snapshots a day: the day's last one counts
        "2026-11-01T06:00:00Z": (100, 200), "2026-11-01T18:00:00Z": (150, 210),
        "2026-11-02T06:00:00Z": (400, 230), "2026-11-05T06:00:00Z": (1000, 260),
    }
    for at, (a, b) in series.items():
        save_snapshots(journal, at, [Snapshot(A, a, a // 10, 1), Snapshot(B, b, None, 0)])


def test_daily_history_change_per_day(journal):
    _history(journal)
    got = [(r.video_id, r.day, r.views, r.change_per_day, r.likes)
           for r in daily_history(journal)]
    assert got == [
        (A, "2026-11-01", 150, None, 15), (A, "2026-11-02", 400, 250.0, 40),
        (A, "2026-11-05", 1000, 200.0, 100),  # 600 over 3 days
        (B, "2026-11-01", 210, None, None), (B, "2026-11-02", 230, 20.0, None),
        (B, "2026-11-05", 260, 10.0, None)]
    # --since keeps the change against the day before it.
    since = daily_history(journal, [A], date(2026, 11, 2))
    assert [(r.day, r.change_per_day, r.title) for r in since] == [
        ("2026-11-02", 250.0, "Reconnaître la traite"), ("2026-11-05", 200.0,
                                                          "Reconnaître la traite")]


def test_show_for_one_video_is_answered_from_the_index(journal):
    _history(journal)
    sql, params = daily_history_sql([A])
    plan = " | ".join(r[3] for r in journal.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX stat_snapshots_by_video (video_id=?)" in plan


def test_exports_exact(journal):
    _history(journal)
    data = snapshot_rows(journal, [B], since=date(2026, 11, 2))
    assert to_csv(data) == (
        "video_id,title,collected_at,views,likes,comments\n"
        f"{B},,2026-11-02T06:00:00Z,230,,0\n"
        f"{B},,2026-11-05T06:00:00Z,260,,0\n")
    assert to_json(data) == (
        "[\n"
        f'{{"video_id": "{B}", "title": null, "collected_at": "2026-11-02T06:00:00Z", '
        '"views": 230, "likes": null, "comments": 0},\n'
        f'{{"video_id": "{B}", "title": null, "collected_at": "2026-11-05T06:00:00Z", '
        '"views": 260, "likes": null, "comments": 0}\n'
        "]\n")
    assert list(json.loads(to_json(data))[0]) == list(EXPORT_COLUMNS)
    assert to_json([]) == "[]\n"


def test_analytics_rows_upsert(journal):
    reply = {"kind": "youtubeAnalytics#resultTable",
             "columnHeaders": [{"name": "day"}, {"name": "views"},
                               {"name": "estimatedMinutesWatched"},
                               {"name": "averageViewDuration"}],
             "rows": [["2026-11-01", 40, 12.5, 19], ["2026-11-02", 55, 20.0, 22]]}
    empty = {"kind": "youtubeAnalytics#resultTable",
             "columnHeaders": [{"name": "country"}, {"name": "views"},
                               {"name": "estimatedMinutesWatched"},
                               {"name": "averageViewDuration"}]}  # no "rows" when empty
    daily = parse_daily(A, reply)
    assert parse_countries(A, empty, date(2026, 11, 1), date(2026, 11, 3)) == []
    save_analytics(journal, "t1", daily, [])
    revised = {**reply, "rows": [["2026-11-02", 60, 21.0, 22]]}
    save_analytics(journal, "t2", parse_daily(A, revised), [])
    assert rows(journal, "SELECT video_id, day, views, minutes_watched, average_view_duration, "
                         "fetched_at FROM analytics_daily ORDER BY day") == [
        (A, "2026-11-01", 40, 12.5, 19.0, "t1"), (A, "2026-11-02", 60, 21.0, 22.0, "t2")]


def test_full_disk_leaves_nothing_half_written(journal):
    """SQLITE_FULL in the middle of a collection: explicit ROLLBACK, no row of it stays."""
    for i in range(300):
        track(journal, f"v{i:010d}")
    before = rows(journal, "SELECT video_id, state FROM tracked_videos ORDER BY video_id")
    pages = journal.conn.execute("PRAGMA page_count").fetchone()[0]
    journal.conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    snaps = [Snapshot(f"v{i:010d}", i * 1000, i, i) for i in range(300)]
    with pytest.raises(JournalError, match="disk full"):
        save_snapshots(journal, "2026-11-29T06:07:00Z", snaps, ["v0000000000"])
    assert not journal.conn.in_transaction
    assert rows(journal, "SELECT count(*) FROM stat_snapshots") == [(0,)]
    assert rows(journal, "SELECT video_id, state FROM tracked_videos "
                         "ORDER BY video_id") == before
    # A fresh connection sees the same: nothing was committed.
    other = sqlite3.connect(journal.path)
    assert other.execute("SELECT count(*) FROM stat_snapshots").fetchone() == (0,)
    other.close()


# CLI on saved rows ---------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_track_show_export(cli_env):
    result = run("stats", "track", "https://youtu.be/aaaaaaaaaaa", "bbbbbbbbbbb")
    assert result.exit_code == 0
    assert result.stdout == f"{A}\ttracked\n{B}\ttracked\n"
    assert run("stats", "track", A).stdout == f"{A}\talready tracked\n"
    bad = run("stats", "track", "https://vimeo.com/1")
    assert bad.exit_code == 2 and "11-character id" in bad.stderr

    with Journal(cli_env / "data" / "journal.sqlite") as j:
        _history(j)
    shown = run("stats", "show", "--video", A, "--since", "2026-11-02")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[1:] == [
        f"{A}  2026-11-02           400        +250         40         1  Reconnaître la traite",
        f"{A}  2026-11-05         1,000        +200        100         1  Reconnaître la traite"]
    as_json = json.loads(run("stats", "show", "--video", B, "--json").stdout)
    assert as_json[1] == {"video_id": B, "title": None, "day": "2026-11-02", "views": 230,
                          "change_per_day": 20.0, "likes": None, "comments": 0}

    out = cli_env / "out" / "views.csv"
    exported = run("stats", "export", "--csv", "-o", str(out))
    assert exported.exit_code == 0 and exported.stdout == ""
    assert out.read_text().splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert len(out.read_text().splitlines()) == 1 + 8
    assert [p.name for p in out.parent.iterdir()] == ["views.csv"]  # no temp file left
    with Journal(cli_env / "data" / "journal.sqlite") as j:
        expected = to_json(snapshot_rows(j, [A]))
    assert run("stats", "export", "--json", "--video", A).stdout == expected
    assert run("stats", "export").exit_code == 2

    assert run("stats", "untrack", B).stdout == "untracked 1 of 1 video(s)\n"
