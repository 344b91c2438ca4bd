"""Campaign membership from the command line: a playlist (read from the sandbox over real
sockets, charged to the ledger) and explicit --campaign/--capsule/--variant/--language links."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from publish.cli import main
from publish.sandbox import DEFAULT_API_KEY


def test_track_a_playlist_and_link_versions(sandbox, tmp_path, monkeypatch):
    youtube = sandbox.youtube()
    ids = []
    with sandbox.store.change() as data:  # public videos, written straight into the sandbox
        for i in range(3):
            vid = sandbox.store.new_id(11)
            data["videos"][vid] = {
                "id": vid, "snippet": {"title": f"Capsule {i}", "categoryId": "29"},
                "status": {"privacyStatus": "public"}, "localizations": {},
                "recordingDetails": {}, "_uploaded": sandbox.clock.timestamp(), "_size": 1,
                "_ever_public": True, "_public_since": sandbox.clock.timestamp()}
            ids.append(vid)
    playlist = youtube.playlists().insert(
        part="snippet,status", body={"snippet": {"title": "Traite 2026"},
                                     "status": {"privacyStatus": "public"}}).execute()["id"]
    for vid in ids[:2]:
        youtube.playlistItems().insert(part="snippet", body={"snippet": {
            "playlistId": playlist, "resourceId": {"kind": "youtube#video",
                                                   "videoId": vid}}}).execute()
    for key, value in {"CAPSULE_CONFIG": str(tmp_path / "none.toml"),
                       "CAPSULE_DATA_DIR": str(tmp_path / "data"),
                       "CAPSULE_ENDPOINT": sandbox.url,
                       "CAPSULE_CHANNELS__DEFAULT__API_KEY": DEFAULT_API_KEY}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    result = runner.invoke(main, ["stats", "track", "--playlist",
                                  f"https://www.youtube.com/playlist?list={playlist}"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"{vid}\ttracked\tTraite 2026" for vid in ids[:2]]
    result = runner.invoke(main, ["stats", "track", ids[2], "--campaign", "Traite 2026",
                                  "--capsule", "traite", "--variant", "short", "--language",
                                  "ar"])
    assert result.exit_code == 0, result.stderr
    conn = sqlite3.connect(tmp_path / "data" / "journal.sqlite")
    rows = conn.execute("SELECT video_id, campaign, capsule, variant, language FROM "
                        "tracked_videos ORDER BY added_at, video_id").fetchall()
    assert sorted(rows) == sorted([(ids[0], "Traite 2026", None, None, None),
                                   (ids[1], "Traite 2026", None, None, None),
                                   (ids[2], "Traite 2026", "traite", "short", "ar")])
    # playlists.list + one playlistItems.list page, charged to the default pool.
    charged = conn.execute("SELECT method, count(*) FROM api_calls GROUP BY method").fetchall()
    assert sorted(charged) == [("playlistItems.list", 1), ("playlists.list", 1)]
    empty = runner.invoke(main, ["stats", "track"])
    assert empty.exit_code == 2 and "--playlist" in empty.stderr
