"""`capsule stats collect` against the local sandbox over real sockets: exact rows, the
videos.list fallback, deleted and private videos, quota, a revoked login, overlapping runs,
a full disk, Analytics."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.errors import TemporaryFailure
from publish.journal import Journal, JournalError
from publish.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, simulate
from publish.stats import collect as collect_module
from publish.stats.collect import CollectResult, collect, collection_lock, lock_path_for
from publish.stats.store import track
from publish.youtube.auth import SCOPE_SETS, write_token_file
from publish.youtube.client import youtube_service

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class _FrozenDatetime(datetime):
    """capsule's clock at NOW: Analytics windows end at capsule's today, which must be the
    sandbox's (a frozen sandbox against the real date made a month boundary fall between)."""

    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz is not None else NOW.replace(tzinfo=None)


@pytest.fixture(autouse=True)
def frozen_clock(sandbox, monkeypatch):
    """Simulated counts grow with the sandbox clock: freeze it, and capsule's with it, so
    expected rows are exact whatever the date the tests run on."""
    sandbox.clock.set(NOW)
    monkeypatch.setattr(collect_module, "datetime", _FrozenDatetime)


def add_videos(sandbox, count: int, *, privacy: str = "public", days_ago: float = 30,
               prefix: str = "Capsule") -> list[str]:
    """Videos published `days_ago` on the sandbox, created through its store (no upload)."""
    ids = []
    when = sandbox.clock.timestamp() - days_ago * 86400
    with sandbox.store.change() as data:
        for i in range(count):
            vid = sandbox.store.new_id(11)
            data["videos"][vid] = {
                "id": vid, "snippet": {"title": f"{prefix} {i}", "categoryId": "29"},
                "status": {"privacyStatus": privacy}, "localizations": {},
                "recordingDetails": {}, "_uploaded": when, "_size": 1000,
                "_probe": {"ok": True, "seconds": 30.0, "height": 720}}
            if privacy != "private":
                data["videos"][vid]["_ever_public"] = True
                data["videos"][vid]["_public_since"] = when
            ids.append(vid)
    return ids


def expected_counts(sandbox, vid: str) -> tuple[int, int, int]:
    video = sandbox.store["videos"][vid]
    counts = simulate.counts_at(sandbox.store.seed, vid, sandbox.api._public_since(video),
                                sandbox.clock.timestamp())
    return counts["viewCount"], counts["likeCount"], counts["commentCount"]


@pytest.fixture
def env(tmp_path, sandbox, monkeypatch):
    """A user whose settings point at the sandbox with its API key (no login)."""
    values = {"CAPSULE_CONFIG": str(tmp_path / "none.toml"),
              "CAPSULE_DATA_DIR": str(tmp_path / "data"),
              "CAPSULE_ENDPOINT": sandbox.url,
              "CAPSULE_CHANNELS__DEFAULT__API_KEY": DEFAULT_API_KEY}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return tmp_path / "data"


def journal_at(data: Path) -> Journal:
    return Journal(data / "journal.sqlite")


def track_all(data: Path, ids: list[str]) -> None:
    with journal_at(data) as j:
        for vid in ids:
            track(j, vid)


def run_collect(*args: str):
    result = CliRunner().invoke(main, ["stats", "collect", "--json", *args])
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout + result.stderr  # exactly one JSON line per run
    return result, json.loads(lines[0])


def db_rows(data: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(data / "journal.sqlite")
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def login(sandbox, data: Path, scopes=SCOPE_SETS["stats"]) -> dict:
    """A saved login for the default channel, as `capsule auth login` writes it."""
    minted = sandbox.mint_token(list(scopes))
    expiry = datetime.now(UTC) + timedelta(seconds=minted["expires_in"])
    write_token_file(data / "tokens" / "default.json", {
        "type": "authorized_user", "token": minted["access_token"],
        "refresh_token": minted["refresh_token"], "token_uri": sandbox.url + "token",
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
        "scopes": list(scopes), "expiry": expiry.replace(tzinfo=None).isoformat() + "Z"})
    return minted


# ---------------------------------------------------------------------------------------------

def test_collect_exact_rows_deleted_and_private(env, sandbox):
    public = add_videos(sandbox, 3)
    gone = add_videos(sandbox, 1, prefix="Deleted")[0]
    private = add_videos(sandbox, 1, privacy="private", prefix="Private")[0]
    sandbox.delete_video(gone)
    track_all(env, [*public, gone, private])

    result, line = run_collect()
    assert result.exit_code == 0, result.stderr
    assert line["status"] == "ok" and line["error"] is None
    assert (line["tracked"], line["collected"], line["missing"]) == (5, 3, [gone, private])
    assert (line["method"], line["api_calls"], line["quota"]) == (
        "videos.batchGetStats", 1, {"batch_stats": 1})
    assert "collecting" not in result.stderr  # no progress bar without a terminal

    stamp = line["collected_at"]
    assert db_rows(env, "SELECT video_id, collected_at, views, likes, comments FROM "
                        "stat_snapshots ORDER BY video_id") == sorted(
        (vid, stamp, *expected_counts(sandbox, vid)) for vid in public)
    assert db_rows(env, f"SELECT state, missing_since FROM tracked_videos WHERE video_id IN "
                        f"('{gone}', '{private}')") == [("missing", stamp)] * 2
    assert db_rows(env, "SELECT method, pool, units, status FROM api_calls") == [
        ("videos.batchGetStats", "batch_stats", 1, "ok")]
    assert sandbox.quota.usage()["batchGetStats"]["used"] == 1


def test_nothing_tracked_exits_8(env):
    result, line = run_collect()
    assert result.exit_code == 8
    assert line["status"] == "nothing_to_do" and line["api_calls"] == 0
    assert result.stderr.startswith("capsule: nothing to do: no tracked videos")


def test_fallback_to_videos_list(env, sandbox):
    ids = add_videos(sandbox, 60)
    track_all(env, ids)
    sandbox.faults.add("404,path=/youtube/v3/videos:batchGetStats")

    result, line = run_collect()
    assert result.exit_code == 0, result.stderr
    # One refused batchGetStats, then 50 + 10 ids through videos.list.
    assert (line["method"], line["api_calls"], line["collected"]) == ("videos.list", 3, 60)
    assert line["quota"] == {"batch_stats": 1, "default": 2}
    got = db_rows(env, "SELECT video_id, views, likes, comments FROM stat_snapshots")
    assert sorted(got) == sorted((vid, *expected_counts(sandbox, vid)) for vid in ids)
    # videos.list brings titles; they land in the tracked set.
    assert db_rows(env, f"SELECT title FROM tracked_videos WHERE video_id = '{ids[7]}'") == [
        ("Capsule 7",)]
    assert db_rows(env, "SELECT method, status FROM api_calls ORDER BY id") == [
        ("videos.batchGetStats", "error"), ("videos.list", "ok"), ("videos.list", "ok")]


def test_quota_exhausted_exits_5_and_writes_nothing(env, sandbox):
    ids = add_videos(sandbox, 120)
    track_all(env, ids)
    sandbox.limits.update({"daily_batch_stats": 2})  # the third call of 50 ids is refused

    result, line = run_collect()
    assert result.exit_code == 5
    assert line["status"] == "quota" and "quotaExceeded" in line["error"]
    assert line["api_calls"] == 3 and line["collected"] == 0
    errors = [x for x in result.stderr.splitlines() if x.startswith("capsule: error:")]
    assert len(errors) == 1 and errors[0].endswith("retry after midnight Pacific time")
    assert db_rows(env, "SELECT count(*) FROM stat_snapshots") == [(0,)]
    assert db_rows(env, "SELECT DISTINCT state FROM tracked_videos") == [("tracked",)]
    assert db_rows(env, "SELECT status, count(*) FROM api_calls GROUP BY status "
                        "ORDER BY status") == [("error", 1), ("ok", 2)]


def test_revoked_login_exits_4(env, sandbox, monkeypatch):
    monkeypatch.delenv("CAPSULE_CHANNELS__DEFAULT__API_KEY")
    track_all(env, add_videos(sandbox, 2))
    minted = login(sandbox, env)
    sandbox.revoke(minted["refresh_token"])

    result, line = run_collect()
    assert result.exit_code == 4, result.stderr
    assert line["status"] == "auth_required"
    errors = [x for x in result.stderr.splitlines() if x.startswith("capsule: error:")]
    assert len(errors) == 1 and "capsule auth login" in errors[0]
    assert db_rows(env, "SELECT count(*) FROM stat_snapshots") == [(0,)]


def _subprocess_collect(data: Path, sandbox) -> subprocess.CompletedProcess:
    env = {**os.environ, "CAPSULE_CONFIG": str(data.parent / "none.toml"),
           "CAPSULE_DATA_DIR": str(data), "CAPSULE_ENDPOINT": sandbox.url,
           "CAPSULE_CHANNELS__DEFAULT__API_KEY": DEFAULT_API_KEY,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", "from publish.cli import main; main()",
                           "stats", "collect", "--json"], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_overlapping_runs_second_is_busy(env, sandbox):
    ids = add_videos(sandbox, 3)
    track_all(env, ids)
    lock = lock_path_for(env / "journal.sqlite")
    with collection_lock(lock):  # a run in progress
        started = time.monotonic()
        second = _subprocess_collect(env, sandbox)
        waited = time.monotonic() - started
    assert second.returncode == 7, second.stderr
    line = json.loads(second.stdout)
    assert line["status"] == "busy" and line["api_calls"] == 0
    assert waited < 10  # it did not wait for the lock
    assert db_rows(env, "SELECT count(*) FROM stat_snapshots") == [(0,)]
    assert sandbox.quota.usage()["batchGetStats"]["used"] == 0

    first = _subprocess_collect(env, sandbox)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["collected"] == 3
    assert db_rows(env, "SELECT count(*), count(DISTINCT video_id) FROM stat_snapshots") == [
        (3, 3)]


def test_full_disk_during_collection_writes_nothing(tmp_path, sandbox):
    ids = add_videos(sandbox, 120)
    with Journal(tmp_path / "journal.sqlite") as journal:
        for vid in ids:
            track(journal, vid)
        pages = journal.conn.execute("PRAGMA page_count").fetchone()[0]
        journal.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        youtube = youtube_service(DEFAULT_API_KEY, endpoint=sandbox.url, timeout=10)
        with pytest.raises(JournalError, match="disk full"):
            collect(journal, lambda: (youtube, None))
        assert not journal.conn.in_transaction
        assert journal.conn.execute("SELECT count(*) FROM stat_snapshots").fetchone()[0] == 0
        # The calls made are in the ledger: they were spent.
        assert journal.conn.execute("SELECT count(*) FROM api_calls").fetchone()[0] == 3
        journal.conn.execute("PRAGMA max_page_count = 1073741823")
        # Space is back: the next run completes.
        assert collect(journal, lambda: (youtube, None)).collected == 120


def test_collect_with_analytics(env, sandbox, monkeypatch):
    monkeypatch.delenv("CAPSULE_CHANNELS__DEFAULT__API_KEY")
    ids = add_videos(sandbox, 2, days_ago=10)
    track_all(env, ids)
    login(sandbox, env)

    result, line = run_collect("--analytics")
    assert result.exit_code == 0, result.stderr
    assert line["collected"] == 2
    # 1 batchGetStats; Analytics batches both videos (same window): by day, by traffic source,
    # by device, by country; then one retention query per video (the API takes one video).
    assert line["api_calls"] == 7 and line["quota"] == {"batch_stats": 1, "analytics": 6}
    days = db_rows(env, "SELECT video_id, count(*), max(day), sum(views * final) "
                        "FROM analytics_daily GROUP BY video_id ORDER BY video_id")
    countries = dict(db_rows(env, "SELECT video_id, sum(views) FROM analytics_countries "
                                  "GROUP BY video_id"))
    assert line["analytics_days"] == sum(d[1] for d in days)
    assert line["analytics_retention"] == 2
    for vid, count, last, final_views in days:
        assert count >= 7 and last <= "2026-11-18"  # the latest two days are not ready
        assert countries[vid] == final_views  # countries cover the final days only
    assert db_rows(env, "SELECT count(DISTINCT country) > 1 FROM analytics_countries") == [(1,)]


def test_server_failure_is_temporary_and_writes_nothing(tmp_path, sandbox):
    ids = add_videos(sandbox, 60)
    sandbox.faults.add("503,path=/youtube/v3/videos:batchGetStats,count=2")
    with Journal(tmp_path / "journal.sqlite") as journal:
        for vid in ids:
            track(journal, vid)
        youtube = youtube_service(DEFAULT_API_KEY, endpoint=sandbox.url, timeout=10)
        result = CollectResult()
        with pytest.raises(TemporaryFailure, match="run again later"):
            collect(journal, lambda: (youtube, None), retries=0, result=result)
        assert result.api_calls == 1
        assert journal.conn.execute("SELECT count(*) FROM stat_snapshots").fetchone()[0] == 0
        sandbox.faults.clear()  # the server is back: the next run collects everything
        assert collect(journal, lambda: (youtube, None), retries=0).collected == 60


def test_analytics_failure_keeps_the_snapshot_and_raises(tmp_path, sandbox):
    ids = add_videos(sandbox, 2, days_ago=10)
    sandbox.faults.add("500,path=/v2/reports")
    with Journal(tmp_path / "journal.sqlite") as journal:
        for vid in ids:
            track(journal, vid)
        youtube, analytics = sandbox.youtube(key=DEFAULT_API_KEY), sandbox.analytics()
        result = CollectResult()
        with pytest.raises(TemporaryFailure, match="Analytics"):
            collect(journal, lambda: (youtube, analytics), retries=0, result=result)
        assert sandbox.saw("GET", "/v2/reports", 500)
        # The counters were fetched and paid for: their snapshot stays, Analytics rows do not.
        assert result.collected == 2 and result.analytics_days == 0
        assert journal.conn.execute("SELECT count(*) FROM stat_snapshots").fetchone()[0] == 2
        assert journal.conn.execute("SELECT count(*) FROM analytics_daily").fetchone()[0] == 0


def test_collect_without_json_summarises_on_stderr(env, sandbox):
    ids = add_videos(sandbox, 2)
    gone = add_videos(sandbox, 1, prefix="Deleted")[0]
    sandbox.delete_video(gone)
    track_all(env, [*ids, gone])

    result = CliRunner().invoke(main, ["stats", "collect"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    warning, summary = result.stderr.splitlines()
    assert warning == f"capsule: WARNING: {gone}: not in the reply (deleted or private); marked " \
                      "missing"
    assert re.fullmatch(r"collected 2 of 3 video\(s\) via videos\.batchGetStats, 1 missing "
                        r"\(deleted or private\); 1 API call\(s\) in \d+\.\d s", summary)
