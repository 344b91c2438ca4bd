"""`capsule journal check|rebuild` (issue 12): a damaged journal is named, moved aside (never
deleted), rebuilt from the channel, and the next `publish` does nothing twice."""

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

SRT_FR = "1\n00:00:00,200 --> 00:00:01,400\nEnsemble contre la traite\n"
SRT_AR = "1\n00:00:00,200 --> 00:00:01,400\nمعًا ضد الاتجار بالبشر\n"

MANIFEST = """\
[capsule]
name = "Rebuild"

[video]
source = "clip.mp4"

[subtitles.fr]
file = "fr.srt"

[subtitles.ar]
file = "ar.srt"

[burn]
languages = ["fr"]
output = "build/burned.mp4"

[captions]
languages = ["fr", "ar"]

[metadata]
title = "Cœur bleu"
description = "Ensemble contre la traite des personnes."
tags = ["traite"]
privacy = "private"
made_for_kids = false
synthetic_media = false
default_language = "fr"

[playlist]
title = "Campagne 2027"
create = true
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("rebuild") / "clip.mp4", seconds=2.0)


@pytest.fixture
def capsule(tmp_path, clip) -> Path:
    folder = tmp_path / "capsule"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    (folder / "fr.srt").write_text(SRT_FR, encoding="utf-8")
    (folder / "ar.srt").write_text(SRT_AR, encoding="utf-8")
    path = folder / "capsule.toml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


@pytest.fixture
def env(sandbox, tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n'
                      'chunk_size = 262144\ntimeout = 5\npreset = "ultrafast"\n'
                      "duplicate_settle_seconds = 1\n", encoding="utf-8")
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    return {"args": ["--config", str(config)], "journal": data / "journal.sqlite"}


def invoke(env, *args: str):
    return CliRunner().invoke(main, [*env["args"], *args])


def live_videos(sandbox) -> list[dict]:
    with sandbox.store.lock:
        return [v for v in sandbox.store["videos"].values() if not v.get("_deleted")]


def damage(path: Path) -> bytes:
    """Scribble over the schema page, as a failing disk or a half-copied file would."""
    conn = sqlite3.connect(path)  # every committed page into the main file first
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    data = path.read_bytes()
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\xa5" * 3996)
    return data


def test_damaged_journal_checked_moved_aside_rebuilt(env, sandbox, capsule):
    first = invoke(env, "publish", str(capsule))
    assert first.exit_code == 0, first.stderr
    (video,) = live_videos(sandbox)
    assert invoke(env, "journal", "check").stdout == (
        f"{env['journal']}: the journal is sound (SQLite integrity check: ok)\n")

    damage(env["journal"])
    refused = invoke(env, "publish", str(capsule))
    assert refused.exit_code == ExitCode.FAILURE
    assert refused.stderr == (f"capsule: error: {env['journal']}: cannot open the journal: "
                              "database disk image is malformed; run `capsule journal check`\n")
    checked = invoke(env, "journal", "check")
    assert checked.exit_code == ExitCode.INVALID_INPUT
    assert checked.stderr.startswith(f"capsule: error: {env['journal']}: the journal is "
                                     "damaged (SQLite: ")
    assert checked.stderr.rstrip().endswith(
        "run `capsule journal rebuild MANIFEST…` to move it aside and rebuild it from the "
        "channel")

    before = env["journal"].read_bytes()
    rebuilt = invoke(env, "journal", "rebuild", str(capsule), "--json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    report = json.loads(rebuilt.stdout)
    moved = Path(report["moved_to"])
    assert moved.name.startswith("journal.sqlite.damaged-")
    assert moved.read_bytes() == before  # kept as it was, never deleted
    (entry,) = report["manifests"]
    assert entry["video_id"] == video["id"]
    assert entry["steps"] == ["metadata", "caption:fr", "caption:ar", "playlist", "statistics"]
    assert "same title ('Cœur bleu')" in entry["matched"]
    assert invoke(env, "journal", "check").exit_code == 0

    traffic = len(sandbox.traffic)
    again = invoke(env, "publish", str(capsule))
    assert again.exit_code == ExitCode.NOTHING_TO_DO, again.stderr
    assert again.stdout.startswith(f"{video['id']}\t")
    assert "every step is already done" in again.stderr
    writes = [t for t in list(sandbox.traffic)[traffic:] if t[0] in ("POST", "PUT", "DELETE")]
    assert writes == []  # nothing was sent twice
    assert [v["id"] for v in live_videos(sandbox)] == [video["id"]]
    youtube = sandbox.youtube()
    tracks = youtube.captions().list(part="snippet", videoId=video["id"]).execute()["items"]
    assert len(tracks) == 2
    conn = sqlite3.connect(env["journal"])
    try:
        assert conn.execute("SELECT video_id FROM tracked_videos").fetchall() == [
            (video["id"],)]
    finally:
        conn.close()


def test_check_without_journal_is_nothing_to_do(env):
    result = invoke(env, "journal", "check")
    assert result.exit_code == ExitCode.NOTHING_TO_DO
    assert result.stderr == (f"capsule: nothing to do: {env['journal']}: no journal yet "
                             "(the first upload creates it)\n")


def test_rebuild_of_a_lost_journal_with_a_processed_video(env, sandbox, capsule):
    assert invoke(env, "publish", str(capsule)).exit_code == 0
    (video,) = live_videos(sandbox)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{env['journal']}{suffix}").unlink(missing_ok=True)
    sandbox.clock.advance(3600)  # processed: the burned file's size and name are compared
    rebuilt = invoke(env, "journal", "rebuild", str(capsule), "--json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    (entry,) = json.loads(rebuilt.stdout)["manifests"]
    assert entry["video_id"] == video["id"]
    size = (capsule.parent / "build" / "burned.mp4").stat().st_size
    assert entry["matched"] == f"same size ({size} bytes) and same file name (burned.mp4)"
    again = invoke(env, "publish", str(capsule))
    assert again.exit_code == ExitCode.NOTHING_TO_DO, again.stderr
    assert len(live_videos(sandbox)) == 1


def test_publish_after_a_lost_journal_adopts_the_channel_video(env, sandbox, capsule):
    assert invoke(env, "publish", str(capsule)).exit_code == 0
    (video,) = live_videos(sandbox)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{env['journal']}{suffix}").unlink(missing_ok=True)  # a wiped data dir

    found = invoke(env, "publish", str(capsule))
    assert found.exit_code == ExitCode.NOTHING_TO_DO, found.stderr
    burned = capsule.parent / "build" / "burned.mp4"
    assert found.stderr.splitlines()[-2:] == [
        f"recorded from the channel for video {video['id']}: upload, metadata, caption:fr, "
        "caption:ar, playlist, statistics",
        f"capsule: nothing to do: {burned}: already on the channel as video {video['id']} "
        f"(uploaded {video_uploaded(sandbox, video['id'])}; same title ('Cœur bleu') and still "
        "processing (file details not yet available)); recorded in the journal, nothing "
        "uploaded: run again to finish its other steps, or add --force-duplicate to upload a "
        "second copy"]
    traffic = len(sandbox.traffic)
    again = invoke(env, "publish", str(capsule))
    assert again.exit_code == ExitCode.NOTHING_TO_DO, again.stderr
    assert "every step is already done" in again.stderr
    assert len(sandbox.traffic) == traffic  # not a single request
    assert [v["id"] for v in live_videos(sandbox)] == [video["id"]]


def video_uploaded(sandbox, video_id: str) -> str:
    item = sandbox.youtube().videos().list(part="snippet", id=video_id).execute()["items"][0]
    return item["snippet"]["publishedAt"].replace("T", " ")[:16] + " UTC"


def test_rebuild_without_manifests_only_moves_the_damaged_journal(env, sandbox, capsule):
    assert invoke(env, "publish", str(capsule)).exit_code == 0
    damage(env["journal"])
    traffic = len(sandbox.traffic)
    result = invoke(env, "journal", "rebuild")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "no manifest given: nothing was read from the channel; give the capsules' manifests "
        "to rebuild their publications")
    assert len(sandbox.traffic) == traffic
    (moved,) = [p for p in env["journal"].parent.glob("journal.sqlite.damaged-*")
                if not p.name.endswith(("-wal", "-shm"))]
    assert moved.is_file() and invoke(env, "journal", "check").exit_code == 0
