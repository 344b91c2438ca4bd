"""The channel as the second ledger (issue 12): the check before the first byte, fileDetails and
the uploads playlist on the sandbox, `capsule upload` tracking its video.

Over real sockets against the sandbox; exit codes and messages asserted exactly.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode
from publish.youtube.auth import save_token

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

REQUIRED = ["--title", "Cœur bleu", "--not-made-for-kids", "--no-synthetic-media"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return media.make_clip(tmp_path_factory.mktemp("ledger") / "capsule.mp4", seconds=2)


@pytest.fixture
def env(sandbox, tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n'
                      "chunk_size = 262144\ntimeout = 5\nretries = 2\n"
                      "duplicate_settle_seconds = 1\n", encoding="utf-8")
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    return {"args": ["--config", str(config)], "journal": data / "journal.sqlite",
            "data": data}


def invoke(env, *args: str):
    return CliRunner().invoke(main, [*env["args"], *args])


def live_videos(sandbox) -> list[dict]:
    with sandbox.store.lock:
        return [v for v in sandbox.store["videos"].values() if not v.get("_deleted")]


def wipe_journal(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def uploaded_at(sandbox, video_id: str) -> str:
    item = sandbox.youtube().videos().list(part="snippet", id=video_id).execute()["items"][0]
    return item["snippet"]["publishedAt"].replace("T", " ")[:16] + " UTC"


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_journal_deleted_no_second_upload_while_processing(env, sandbox, clip):
    first = invoke(env, "upload", str(clip), *REQUIRED)
    assert first.exit_code == 0, first.stderr
    (video,) = live_videos(sandbox)
    wipe_journal(env["journal"])  # a new laptop, a wiped data dir

    again = invoke(env, "upload", str(clip), *REQUIRED)
    assert again.exit_code == ExitCode.NOTHING_TO_DO
    assert again.stderr.splitlines()[-1] == (
        f"capsule: nothing to do: {clip}: already on the channel as video {video['id']} "
        f"(uploaded {uploaded_at(sandbox, video['id'])}; same title ('Cœur bleu') and still "
        "processing (file details not yet available)); recorded in the journal, nothing "
        "uploaded: run again to finish its other steps, or add --force-duplicate to upload a "
        "second copy")
    assert [v["id"] for v in live_videos(sandbox)] == [video["id"]]
    assert rows(env["journal"], "SELECT video_id, state FROM uploads") == [(video["id"], "done")]
    assert rows(env["journal"], "SELECT video_id FROM tracked_videos") == [(video["id"],)]
    spent = dict(rows(env["journal"], "SELECT method, sum(units) FROM api_calls GROUP BY "
                                      "method"))
    assert spent == {"channels.list": 1, "playlistItems.list": 1, "videos.list": 1}

    third = invoke(env, "upload", str(clip), *REQUIRED)  # the journal knows it now
    assert third.exit_code == 0, third.stderr
    assert third.stdout.startswith(f"{video['id']}\t")
    assert "already uploaded as video" in third.stderr
    assert len(live_videos(sandbox)) == 1


def test_processed_video_matched_by_size_and_file_name(env, sandbox, clip, tmp_path):
    assert invoke(env, "upload", str(clip), *REQUIRED).exit_code == 0
    assert len(live_videos(sandbox)) == 1
    sandbox.clock.advance(3600)  # processed: fileDetails are available now
    wipe_journal(env["journal"])
    retitled = ["--title", "Another title", "--not-made-for-kids", "--no-synthetic-media"]
    again = invoke(env, "upload", str(clip), *retitled)
    assert again.exit_code == ExitCode.NOTHING_TO_DO
    assert (f"same size ({clip.stat().st_size} bytes) and same file name (capsule.mp4)"
            in again.stderr)
    assert len(live_videos(sandbox)) == 1

    forced = invoke(env, "upload", str(clip), *retitled, "--force-duplicate")
    assert forced.exit_code == 0, forced.stderr  # the officer asked for a second copy
    assert len(live_videos(sandbox)) == 2


def test_other_file_same_title_is_not_a_duplicate_once_processed(env, sandbox, clip, tmp_path):
    other = media.make_clip(tmp_path / "other.mp4", seconds=3, size=(320, 240))
    sandbox.add_video(other, title="Cœur bleu", file_name="other.mp4")
    sandbox.clock.advance(3600)
    result = invoke(env, "upload", str(clip), *REQUIRED)
    assert result.exit_code == 0, result.stderr
    assert len(live_videos(sandbox)) == 2
    video_id = result.stdout.split("\t")[0]
    assert rows(env["journal"], "SELECT video_id, source, title FROM tracked_videos") == [
        (video_id, "capsule", "Cœur bleu")]  # `upload` tracks its video like `publish`


def test_dry_run_states_the_check_cost(env, sandbox, clip, tmp_path):
    folder = tmp_path / "capsule"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    manifest = folder / "capsule.toml"
    manifest.write_text('[capsule]\nname = "c"\n[video]\nsource = "clip.mp4"\n'
                        '[metadata]\ntitle = "Cœur bleu"\nprivacy = "private"\n'
                        "made_for_kids = false\nsynthetic_media = false\n", encoding="utf-8")
    result = invoke(env, "--set", "duplicate_window_uploads=120", "publish", str(manifest),
                    "--dry-run")
    assert result.exit_code == 0, result.stderr
    upload = next(line for line in result.stdout.splitlines() if " upload " in line)
    # channels.list + 3 pages × (playlistItems.list + videos.list) + 2 before the last chunk
    # + 2 after the upload
    assert "1 uploads, 11 default" in upload
    assert "channel checked first: at most 120 uploads" in upload


def test_sandbox_file_details_owner_only_after_processing(sandbox, clip):
    from publish.sandbox import DEFAULT_API_KEY

    video_id = sandbox.add_video(clip, title="t", file_name="capsule.mp4", privacy="public")
    owner = sandbox.youtube()
    fresh = owner.videos().list(part="fileDetails,status", id=video_id).execute()["items"][0]
    assert "fileDetails" not in fresh  # not before processing
    sandbox.clock.advance(120)
    item = owner.videos().list(part="fileDetails", id=video_id).execute()["items"][0]
    details = item["fileDetails"]
    assert details["fileName"] == "capsule.mp4"
    assert details["fileSize"] == str(clip.stat().st_size)
    assert details["durationMs"] == "2000"
    assert details["container"] == "mov"
    assert details["videoStreams"][0]["widthPixels"] == 320
    assert details["videoStreams"][0]["codec"] == "h264"
    assert details["audioStreams"] == [{"codec": "aac", "channelCount": 1}]
    public = sandbox.youtube(key=DEFAULT_API_KEY).videos().list(
        part="fileDetails,snippet", id=video_id).execute()["items"][0]
    assert "fileDetails" not in public  # the owner's only


def test_upload_sends_the_file_name(env, sandbox, clip, tmp_path):
    named = tmp_path / "قلب أزرق 2027.mp4"
    named.write_bytes(clip.read_bytes())
    assert invoke(env, "upload", str(named), *REQUIRED).exit_code == 0
    (video,) = live_videos(sandbox)
    sandbox.clock.advance(120)
    details = sandbox.youtube().videos().list(part="fileDetails",
                                              id=video["id"]).execute()["items"][0]
    assert details["fileDetails"]["fileName"] == "قلب أزرق 2027.mp4"


def test_uploads_playlist_pages_of_50_newest_first(sandbox, clip):
    ids = [sandbox.add_video(clip, title=f"v{n}") for n in range(3)]
    youtube = sandbox.youtube()
    uploads = youtube.channels().list(part="contentDetails", mine=True).execute()[
        "items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
    page = youtube.playlistItems().list(part="contentDetails", playlistId=uploads,
                                        maxResults=50).execute()
    assert [i["contentDetails"]["videoId"] for i in page["items"]] == ids[::-1]
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as caught:
        youtube.playlistItems().list(part="contentDetails", playlistId=uploads,
                                     maxResults=51).execute()
    assert caught.value.resp.status == 400


def test_match_rules_on_reported_facts():
    from publish.youtube.channel_check import RemoteVideo, SourceFacts, match

    source = SourceFacts(size=1000, file_name="burned.mp4", duration_ms=3000, frame_ms=40.0,
                         title="Cœur bleu")

    def video(**details) -> RemoteVideo:
        item = {"id": "v1", "snippet": {"title": details.pop("title", "Cœur bleu"),
                                        "publishedAt": "2026-12-04T00:41:00Z"},
                "status": {"uploadStatus": details.pop("status", "processed")},
                "contentDetails": {"duration": details.pop("duration", "PT3S")}}
        if details:
            item["fileDetails"] = {k: str(v) for k, v in details.items()}
        return RemoteVideo.parse(item)

    def reasons(v: RemoteVideo) -> str | None:
        found = match(source, v)
        return found.describe() if found else None

    assert reasons(video(fileSize=1000, fileName="burned.mp4", title="x")) == (
        "same size (1000 bytes) and same file name (burned.mp4)")
    assert reasons(video(fileSize=1000, durationMs=3030, title="x")) == (
        "same size (1000 bytes) and same duration (3.03 s)")
    assert reasons(video(fileSize=1000, durationMs=9000)) == (
        "same size (1000 bytes) and same title ('Cœur bleu')")
    assert reasons(video(fileSize=1000, durationMs=9000, title="x")) is None
    assert reasons(video(fileSize=1234, durationMs=3040)) == (
        "same title ('Cœur bleu') and same duration (3.04 s) and another size (1234 bytes)")
    assert reasons(video(fileSize=1234, durationMs=3100)) is None  # 2.5 frames off
    assert reasons(video(fileSize=1234, fileName="burned.mp4", title="x")) is None
    assert reasons(video(status="uploaded", duration="P0D")) == (
        "same title ('Cœur bleu') and still processing (file details not yet available)")
    assert reasons(video(status="uploaded", duration="PT9S")) is None
    assert reasons(video(status="uploaded", duration="P0D", title="x")) is None
