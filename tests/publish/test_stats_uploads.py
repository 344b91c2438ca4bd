"""`capsule stats track --uploads` and `stats collect --uploads` (issue 12): statistics follow
every upload of the channel, whichever machine published it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode
from publish.youtube.auth import save_token
from tests.media import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("uploads") / "clip.mp4", seconds=1.0,
                     audio=None)


@pytest.fixture
def env(sandbox, tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n', encoding="utf-8")
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    return {"args": ["--config", str(config)], "journal": data / "journal.sqlite"}


def invoke(env, *args: str):
    return CliRunner().invoke(main, [*env["args"], *args])


def tracked(env) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(env["journal"])
    try:
        return conn.execute("SELECT video_id, source, state FROM tracked_videos "
                            "ORDER BY video_id").fetchall()
    finally:
        conn.close()


def playlist_pages(sandbox, since: int) -> int:
    return sum(1 for verb, path, status in list(sandbox.traffic)[since:]
               if (verb, path, status) == ("GET", "/youtube/v3/playlistItems", 200))


def test_track_uploads_120_videos_in_3_pages_idempotent(env, sandbox, clip):
    ids = {sandbox.add_video(clip, title=f"capsule {n}") for n in range(120)}
    mark = len(sandbox.traffic)
    result = invoke(env, "stats", "track", "--uploads")
    assert result.exit_code == 0, result.stderr
    assert playlist_pages(sandbox, mark) == 3  # 50 + 50 + 20, asked of the sandbox
    assert sandbox.quota.usage()["default"]["used"] == 4  # channels.list + 3 pages, 1 each
    assert result.stderr.splitlines()[-1] == (
        "120 upload(s) on the channel, 120 newly tracked (3 page(s), 4 API call(s))")
    assert {row[0] for row in tracked(env)} == ids
    assert {row[1] for row in tracked(env)} == {"uploads"}

    untracked = sorted(ids)[0]
    assert invoke(env, "stats", "untrack", "--", untracked).exit_code == 0
    again = invoke(env, "stats", "track", "--uploads")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""  # nothing new; the untracked video stays untracked
    assert again.stderr.splitlines()[-1].startswith("120 upload(s) on the channel, 0 newly")
    assert dict((r[0], r[2]) for r in tracked(env))[untracked] == "untracked"
    assert len(tracked(env)) == 120


def test_collect_uploads_discovers_another_machines_upload(env, sandbox, clip):
    first = sandbox.add_video(clip, title="from laptop A", privacy="public")
    assert invoke(env, "stats", "track", "--uploads").exit_code == 0
    second = sandbox.add_video(clip, title="from laptop B", privacy="public")
    result = invoke(env, "stats", "collect", "--uploads", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["discovered"]["added"] == [second]
    assert report["tracked"] == 2 and report["collected"] == 2
    assert {r[0] for r in tracked(env)} == {first, second}


def test_collect_discovers_by_setting_and_needs_a_login(env, sandbox, clip, tmp_path):
    video = sandbox.add_video(clip, title="scheduled job", privacy="public")
    result = invoke(env, "--set", "stats_discover_uploads=true", "stats", "collect")
    assert result.exit_code == 0, result.stderr
    assert [r[0] for r in tracked(env)] == [video]
    keyed = tmp_path / "keyed.toml"
    keyed.write_text(f'data_dir = "{tmp_path / "other"}"\nendpoint = "{sandbox.url}"\n'
                     '[channels.default]\napi_key = "key"\n', encoding="utf-8")
    refused = CliRunner().invoke(main, ["--config", str(keyed), "stats", "track", "--uploads"])
    assert refused.exit_code == ExitCode.AUTH_REQUIRED
    assert "reading the channel's uploads needs a login, an API key is not enough" in (
        refused.stderr)


def test_track_needs_ids_or_uploads(env):
    result = invoke(env, "stats", "track")
    assert result.exit_code == ExitCode.USAGE
    assert "give video ids or URLs, --playlist ID, or --uploads" in result.stderr
