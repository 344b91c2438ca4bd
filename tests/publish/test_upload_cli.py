"""`capsule upload` and `capsule quota` end to end on the sandbox: validation with no request
sent, the steps after the upload, exit codes, and SIGKILL of a real process at several points."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from upload_helpers import CHUNK, assert_one_video, copy_clip, sessions, sha256, videos

from publish.cli import main
from publish.cli.exitcodes import ExitCode
from publish.youtube.auth import save_token

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

ROOT = Path(__file__).resolve().parents[2]
FR = "1\n00:00:00,200 --> 00:00:01,400\nBonjour à tous\n"
AR = "1\n00:00:00,500 --> 00:00:01,900\nمرحبا بكم\n"
REQUIRED = ["--title", "Le cœur bleu", "--not-made-for-kids", "--no-synthetic-media"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upload-cli")
    return {"small": media.make_clip(folder / "small.mp4", seconds=1),  # < one chunk
            "big": media.make_clip(folder / "big.mp4", seconds=3, size=(640, 360))}


@pytest.fixture
def env(sandbox, tmp_path):
    """Settings pointing at the sandbox with a saved login; returns the CLI's leading args."""
    sandbox.limits.processing_seconds = 0
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n'
                      f"chunk_size = {CHUNK}\ntimeout = 2\nretries = 3\n", encoding="utf-8")
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    return {"args": ["--config", str(config)], "journal": data / "journal.sqlite",
            "dir": tmp_path}


def invoke(env, *args: str):
    return CliRunner().invoke(main, [*env["args"], *args])


def journal_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM uploads ORDER BY id")]
    except sqlite3.OperationalError:  # the other process is still creating the tables
        return []
    finally:
        conn.close()


# --------------------------------------------------------------------------- validation
VALIDATION = [
    (["--title", " "], "title: must not be empty"),
    (["--title", "x" * 101], "title: 101 characters, at most 100 allowed"),
    (["--title", "<script>"], "title: must not contain '<' or '>'"),
    (["--description", "é" * 2501], "description: 5002 bytes in UTF-8, at most 5000 allowed"),
    (["--description", "a > b"], "description: must not contain '<' or '>'"),
    (["--tag", "a,b"], "tags: tag 1 ('a,b') must not contain a comma"),
    (["--tag", ""], "tags: tag 1 is empty"),
    ([arg for _ in range(63) for arg in ("--tag", "ab cd")],
     "tags: 503 characters counted as YouTube does"),
    (["--category", "Movies"], "category: 'Movies' is not an assignable category"),
    (["--privacy", "public", "--publish-at", "2099-01-01T10:00:00"],
     "publish_at: a scheduled video must be uploaded with privacy 'private'"),
    (["--publish-at", "2020-01-01T10:00:00Z"], "publish_at: 2020-01-01T10:00:00Z is not in "
                                               "the future"),
    (["--publish-at", "demain"], "publish_at: 'demain' is not an RFC 3339 date-time"),
    (["--language", "nb"], "default_language: 'nb' is not a YouTube language code"),
    (["--audio-language", "xx"], "default_audio_language: 'xx' is not a YouTube language code"),
    (["--localized-title", "ar=القلب الأزرق"], "default_language: required when localizations"),
    (["--language", "fr", "--localized-title", "ar=" + "ب" * 101],
     "localizations.ar.title: 101 characters, at most 100 allowed"),
    (["--language", "fr", "--localized-title", "ar=ok", "--localized-description",
      "ar=" + "<b>"], "localizations.ar.description: must not contain '<' or '>'"),
    (["--recording-date", "hier"], "recording_date: 'hier' is not an RFC 3339 date-time"),
]


@pytest.mark.parametrize(("extra", "expected"), VALIDATION,
                         ids=[e.split(":")[0] + str(i) for i, (_, e) in enumerate(VALIDATION)])
def test_each_metadata_rule_is_one_line_with_no_request(env, sandbox, clips, extra, expected):
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, *extra)
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("capsule: error: "), result.stderr
    assert expected in lines[0]
    assert list(sandbox.traffic) == []  # nothing reached the server, not even a token refresh
    assert journal_rows(env["journal"]) == []


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1:2:3:4", "1:x"])
def test_a_bad_thumbnail_time_is_a_usage_error(env, sandbox, clips, value):
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--thumbnail-at", value)
    assert result.exit_code == 2, result.output
    assert (f"Invalid value for '--thumbnail-at': expected seconds or [HH:]MM:SS(.mmm), got "
            f"'{value}'") in result.stderr
    assert list(sandbox.traffic) == []


@pytest.mark.parametrize(("drop", "expected"), [
    ("--not-made-for-kids", "made_for_kids: must be stated explicitly (true or false)"),
    ("--no-synthetic-media", "synthetic_media: must be stated explicitly (true or false)"),
])
def test_declarations_must_be_explicit(env, sandbox, clips, drop, expected):
    args = [a for a in REQUIRED if a != drop]
    result = invoke(env, "upload", str(clips["small"]), *args)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert expected in result.stderr
    assert list(sandbox.traffic) == []


def test_metadata_file_reports_all_problems_at_once(env, sandbox, clips, tmp_path):
    meta = tmp_path / "meta.toml"
    meta.write_text('title = ""\ncategory = "Movies"\nlicense = "cc"\n'
                    '[localizations.ar]\ntitle = "<>"\n', encoding="utf-8")
    result = invoke(env, "upload", str(clips["small"]), "--metadata", str(meta))
    assert result.exit_code == ExitCode.INVALID_INPUT
    line = result.stderr.strip()
    assert line.startswith(f"capsule: error: {meta}: 7 metadata problems: title: must not be "
                           "empty; ")
    for field in ("category:", "made_for_kids:", "synthetic_media:", "license:",
                  "default_language:", "localizations.ar.title:"):
        assert f"; {field}" in line
    assert list(sandbox.traffic) == []


def test_bad_thumbnail_and_caption_are_refused_before_anything(env, sandbox, clips, tmp_path):
    fake = tmp_path / "thumb.jpg"
    fake.write_bytes(b"not an image at all")
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--thumbnail", str(fake))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "not a JPEG or PNG image" in result.stderr
    empty = tmp_path / "fr.srt"
    empty.write_text("", encoding="utf-8")
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--caption", f"fr={empty}")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert f"--caption fr={empty}: the file is empty" in result.stderr
    assert list(sandbox.traffic) == []


def test_row20_torn_video_is_refused_before_a_session(env, sandbox, tmp_path):
    fast = media.make_clip(tmp_path / "fast.mp4", seconds=2, faststart=True)
    torn = media.truncate(fast, tmp_path / "torn.mp4", 0.6)
    result = invoke(env, "upload", str(torn), *REQUIRED)
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "truncated or corrupt video" in result.stderr
    assert list(sandbox.traffic) == []
    assert journal_rows(env["journal"]) == []


def test_row30_unwritable_journal_fails_before_uploading(env, sandbox, clips, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file", encoding="utf-8")
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--journal",
                    str(blocker / "journal.sqlite"))
    assert result.exit_code == ExitCode.FAILURE
    assert result.stderr.strip() == (f"capsule: error: {blocker}: cannot hold the journal: it is "
                                     "a file, not a folder; choose another path with --journal")
    assert list(sandbox.traffic) == []


def test_row30_journal_folder_root_cannot_write_fails_before_uploading(env, sandbox, clips):
    """The same as root (CI): /proc/self refuses new files whoever asks."""
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc")
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--journal",
                    "/proc/self/journal.sqlite")
    assert result.exit_code == ExitCode.FAILURE
    assert result.stderr.strip() == ("capsule: error: /proc/self: the journal folder is not "
                                     "writable (permission denied); fix its permissions or "
                                     "choose another with --journal")
    assert list(sandbox.traffic) == []


def test_temporary_failure_exit_code(env, sandbox, clips):
    sandbox.faults.add("503,method=POST,path=/upload/*,count=5")
    result = invoke(env, "-s", "retries=0", "upload", str(clips["small"]), *REQUIRED)
    assert result.exit_code == ExitCode.TEMPORARY
    assert "nothing was uploaded, run again later" in result.stderr
    assert videos(sandbox) == []


def test_quota_refused_up_front(env, sandbox, clips, tmp_path):
    srt = tmp_path / "fr.srt"
    srt.write_text(FR, encoding="utf-8")
    result = invoke(env, "-s", "quota_units=300", "upload", str(clips["small"]), *REQUIRED,
                    "--caption", f"fr={srt}")
    assert result.exit_code == ExitCode.QUOTA
    assert "default needs 475, 300 left of 300" in result.stderr
    assert [t for t in sandbox.traffic if t[1].startswith("/upload")] == []


# ------------------------------------------------------------------------ the full run
def test_full_upload_with_steps_and_json(env, sandbox, clips, tmp_path):
    fr, ar = tmp_path / "fr.srt", tmp_path / "ar.vtt"
    fr.write_bytes(b"\xef\xbb\xbf" + FR.replace("\n", "\r\n").encode())  # BOM, CRLF
    ar.write_text("WEBVTT\n\n00:00.500 --> 00:01.900\nالرقم الأخضر 0800 00 88 00\n",
                  encoding="utf-8")
    args = ["upload", str(clips["small"]), *REQUIRED, "--privacy", "unlisted",
            "--language", "fr", "--localized-title", "ar=القلب الأزرق",
            "--caption", f"fr={fr}", "--caption", f"ar={ar}", "--thumbnail-at", "0.5",
            "--thumbnail-title", "Le cœur bleu", "--playlist", "Campagne 2026",
            "--create-playlist", "--wait", "--json"]
    result = invoke(env, *args)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    video_id = assert_one_video(sandbox, clips["small"])
    assert out["video_id"] == video_id and out["url"].endswith(f"watch?v={video_id}")
    assert out["resource"]["snippet"]["title"] == "Le cœur bleu"
    assert out["processing"]["upload_status"] == "processed"
    assert out["processing"]["privacy"] == "unlisted"
    assert out["quota_spent"]["uploads"] == 1
    # … + the channel check: channels.list, an empty uploads page, then after the upload the
    # newest page and its videos.list (4 units)
    assert out["quota_spent"]["default"] == (50 + 400) * 2 + 50 + 1 + 50 + 1 + 50 + 1 + 4
    tracks = sorted((t["language"], t["name"], t["status"])
                    for t in sandbox.store["captions"].values())
    assert tracks == [("ar", "العربية", "serving"), ("fr", "Français", "serving")]
    fr_track = next(t for t in sandbox.store["captions"].values() if t["language"] == "fr")
    stored = sandbox.store.path("captions", fr_track["id"]).read_bytes()
    assert stored.decode("utf-8").startswith("1\n00:00:00,200 --> 00:00:01,400\nBonjour")
    ar_track = next(t for t in sandbox.store["captions"].values() if t["language"] == "ar")
    stored_ar = sandbox.store.path("captions", ar_track["id"]).read_bytes().decode("utf-8")
    assert "الرقم الأخضر \u200e0800 00 88 00\u200e" in stored_ar  # the number keeps its order
    assert video_id in sandbox.store["thumbnails"]
    playlist = next(iter(sandbox.store["playlists"].values()))
    assert playlist["snippet"]["title"] == "Campagne 2026"
    assert playlist["status"]["privacyStatus"] == "unlisted"
    assert [i["videoId"] for i in sandbox.store["playlistItems"].values()] == [video_id]

    again = invoke(env, *args)  # same source, same metadata: report, never redo
    assert again.exit_code == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["existing"] and second["video_id"] == video_id
    assert all(step.get("skipped") for step in second["steps"].values())
    assert len(sandbox.store["captions"]) == 2 and len(sandbox.store["playlistItems"]) == 1
    assert_one_video(sandbox, clips["small"])

    quota = invoke(env, "quota", "--json")
    pools = {p["pool"]: p for p in json.loads(quota.stdout)["pools"]}
    assert pools["uploads"]["spent"] == 1
    assert pools["default"]["spent"] == out["quota_spent"]["default"] + 1  # re-run: --wait


def test_existing_track_is_updated_never_duplicated(env, sandbox, clips, tmp_path):
    from publish.journal import Journal
    from publish.youtube.caption_tracks import put_track
    from publish.youtube.client import youtube_service

    result = invoke(env, "upload", str(clips["small"]), *REQUIRED)
    assert result.exit_code == 0, result.stderr
    video_id = result.stdout.split()[0]
    service = youtube_service(sandbox.credentials(), endpoint=sandbox.url, timeout=5)
    srt = tmp_path / "fr.srt"
    srt.write_text(FR, encoding="utf-8")
    with Journal(tmp_path / "other.sqlite") as journal:  # e.g. a journal that lost the step
        first = put_track(service, journal, video_id=video_id, language="fr", srt=srt)
        srt.write_text(FR.replace("Bonjour", "Salut"), encoding="utf-8")
        second = put_track(service, journal, video_id=video_id, language="fr", srt=srt)
        methods = [r[0] for r in journal.conn.execute("SELECT method FROM api_calls")]
    assert first["id"] == second["id"] and len(sandbox.store["captions"]) == 1
    assert b"Salut" in sandbox.store.path("captions", first["id"]).read_bytes()
    assert methods == ["captions.list", "captions.insert", "captions.list", "captions.update"]
    assert not any("sync" in t[1] for t in sandbox.traffic)


def test_track_created_by_another_run_since_the_list_is_updated(env, sandbox, clips, tmp_path,
                                                                monkeypatch):
    """The race in put_track: the list saw no track, the insert answers 409 captionExists."""
    from publish.journal import Journal
    from publish.youtube import caption_tracks as captions_api
    from publish.youtube.client import youtube_service

    result = invoke(env, "upload", str(clips["small"]), *REQUIRED)
    video_id = result.stdout.split()[0]
    service = youtube_service(sandbox.credentials(), endpoint=sandbox.url, timeout=5)
    srt = tmp_path / "fr.srt"
    srt.write_text(FR, encoding="utf-8")
    with Journal(tmp_path / "other.sqlite") as journal:
        first = captions_api.put_track(service, journal, video_id=video_id, language="fr",
                                       srt=srt)
        find, calls = captions_api.find_track, []

        def stale_then_fresh(*args, **kwargs):
            calls.append(1)
            return None if len(calls) == 1 else find(*args, **kwargs)
        monkeypatch.setattr(captions_api, "find_track", stale_then_fresh)
        srt.write_text(FR.replace("Bonjour", "Salut"), encoding="utf-8")
        second = captions_api.put_track(service, journal, video_id=video_id, language="fr",
                                        srt=srt)
        calls_made = [tuple(r) for r in journal.conn.execute(
            "SELECT method, status FROM api_calls")]
    assert first["id"] == second["id"] and len(sandbox.store["captions"]) == 1
    assert b"Salut" in sandbox.store.path("captions", first["id"]).read_bytes()
    assert calls_made == [("captions.list", "ok"), ("captions.insert", "ok"),
                          ("captions.insert", "409"), ("captions.list", "ok"),
                          ("captions.update", "ok")]


def test_wait_reports_the_privacy_youtube_applied(env, sandbox, clips):
    from publish.journal import Journal
    from publish.youtube.client import youtube_service
    from publish.youtube.upload import wait_for_processing

    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--privacy", "public")
    video_id = result.stdout.split()[0]
    with sandbox.store.change() as data:  # YouTube locked it private (unverified project)
        data["videos"][video_id]["status"]["privacyStatus"] = "private"
    service = youtube_service(sandbox.credentials(), endpoint=sandbox.url, timeout=5)
    with Journal(env["dir"] / "w.sqlite") as journal:
        report = wait_for_processing(service, journal, video_id, requested_privacy="public",
                                     interval=0)
    assert report["privacy"] == "private" and report["upload_status"] == "processed"
    assert report["privacy_note"].startswith("requested privacy 'public' but YouTube applied "
                                             "'private'")


# --------------------------------------------------------------- real processes, SIGKILL
def start(env, video: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from publish.cli import main; main()", *env["args"],
           "upload", str(video), *REQUIRED, *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def finish(env, video: Path, *extra: str) -> dict:
    result = invoke(env, "upload", str(video), *REQUIRED, "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_row15_sigkill_after_session_post_before_the_first_byte(env, sandbox, clips):
    # The first chunk is refused with nothing stored; the process is killed in its backoff.
    sandbox.faults.add("503,method=PUT")
    proc = start(env, clips["small"])
    wait_for(lambda: any(p["outcome"] == 503 for log in sandbox.upload_log().values()
                         for p in log["puts"]), what="the refused chunk")
    kill(proc)
    rows = journal_rows(env["journal"])
    assert rows[0]["session_uri"] and rows[0]["video_id"] is None
    assert videos(sandbox) == []
    out = finish(env, clips["small"])
    assert out["resumed"]
    assert len(sessions(sandbox)) == 1  # the saved session was resumed, from byte 0
    assert_one_video(sandbox, clips["small"])


def test_row16_sigkill_mid_upload_resumes_from_the_server_offset(env, sandbox, clips):
    video = clips["big"]
    sandbox.faults.add("short-range:150000,method=PUT")  # first chunk: 150000 bytes kept
    sandbox.faults.add("stall:1.5,method=PUT")  # second chunk: killed while it is in flight
    proc = start(env, video)
    wait_for(lambda: any(f["kind"] == "stall" for f in sandbox.faults.fired),
             what="the stalled chunk")
    time.sleep(0.2)
    kill(proc)
    rows = journal_rows(env["journal"])
    assert rows[0]["confirmed_bytes"] == 150000 and rows[0]["video_id"] is None
    wait_for(lambda: len(next(iter(sandbox.upload_log().values()))["puts"]) >= 2,
             what="the stalled request to end")
    out = finish(env, video)
    assert out["resumed"] and len(sessions(sandbox)) == 1
    assert_one_video(sandbox, video)


def test_row16_sigkill_during_backoff_mid_file(env, sandbox, clips):
    video = clips["big"]
    sandbox.faults.add("short-range:200000,method=PUT")
    sandbox.faults.add("503,method=PUT,bytes=100000")
    proc = start(env, video)
    wait_for(lambda: any(p["outcome"] == 503 for log in sandbox.upload_log().values()
                         for p in log["puts"]), what="the failed chunk")
    kill(proc)
    out = finish(env, video)
    assert out["resumed"] and len(sessions(sandbox)) == 1
    puts = [p for p in next(iter(sandbox.upload_log().values()))["puts"] if p["stored"]]
    assert [p["range"].split()[1].split("-")[0] for p in puts][:3] == ["0", "200000", "300000"]
    assert_one_video(sandbox, video)


def kill_after_final_chunk_stored(env, sandbox, video: Path) -> None:
    """Every byte is on the server but the client never learned the video id: the final
    chunk is stored whole and answered 503; the process is killed in its backoff."""
    sandbox.faults.add("503,method=PUT,bytes=-1")
    proc = start(env, video)
    wait_for(lambda: any(p["outcome"] == 503 and p["stored"] == video.stat().st_size
                         for log in sandbox.upload_log().values() for p in log["puts"]),
             what="the stored final chunk")
    kill(proc)
    row = journal_rows(env["journal"])[0]
    assert row["video_id"] is None and row["final_sent"] == 1


def test_row17_sigkill_after_the_final_chunk_before_the_commit(env, sandbox, clips):
    kill_after_final_chunk_stored(env, sandbox, clips["small"])
    out = finish(env, clips["small"])  # the status query returns the resource
    assert out["video_id"] == videos(sandbox)[0]["id"]
    assert len(sessions(sandbox)) == 1
    assert_one_video(sandbox, clips["small"])


def test_row17_expired_session_then_is_reported_as_possible_duplicate(env, sandbox, clips):
    kill_after_final_chunk_stored(env, sandbox, clips["small"])
    sandbox.expire_session(sessions(sandbox)[0])
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED)
    assert result.exit_code == ExitCode.FAILURE
    assert "possible duplicate" in result.stderr and "--restart" in result.stderr
    assert len(sessions(sandbox)) == 1 and videos(sandbox) == []  # never uploaded twice


def test_row21_a_second_process_on_the_same_source_is_busy(env, sandbox, clips):
    sandbox.faults.add("stall:1,method=PUT")
    first = start(env, clips["small"])
    wait_for(lambda: journal_rows(env["journal"]) and journal_rows(env["journal"])[0][
        "session_uri"], what="the first run's session")
    second = invoke(env, "upload", str(clips["small"]), *REQUIRED)
    assert second.exit_code == ExitCode.BUSY
    assert "another capsule run is uploading this video right now" in second.stderr
    assert first.wait(timeout=30) == 0, first.stderr.read()
    assert_one_video(sandbox, clips["small"])
    assert sha256(sandbox.video_file(videos(sandbox)[0]["id"])) == sha256(clips["small"])


def test_copy_is_uploaded_once(env, sandbox, clips, tmp_path):
    """The same bytes under another name are the same video: reported, not uploaded."""
    first = finish(env, clips["small"])
    copy = copy_clip(clips["small"], tmp_path / "elsewhere", "renamed.mp4")
    second = finish(env, copy)
    assert second["existing"] and second["video_id"] == first["video_id"]
    assert len(videos(sandbox)) == 1


def test_thumbnail_file_and_existing_playlist_by_id(env, sandbox, clips, tmp_path):
    from PIL import Image

    from publish.youtube.client import youtube_service

    service = youtube_service(sandbox.credentials(), endpoint=sandbox.url, timeout=5)
    playlist = service.playlists().insert(part="snippet,status", body={
        "snippet": {"title": "Campagne"}, "status": {"privacyStatus": "public"}}).execute()
    thumb = tmp_path / "thumb.png"
    Image.new("RGB", (1280, 720), "navy").save(thumb, "PNG")
    out = finish(env, clips["small"], "--thumbnail", str(thumb), "--playlist", playlist["id"])
    assert out["steps"]["playlist"] == {"playlistId": playlist["id"],
                                        "itemId": out["steps"]["playlist"]["itemId"],
                                        "added": True}
    assert sandbox.store["thumbnails"][out["video_id"]]["type"] == "image/png"
    assert len(sandbox.store["playlists"]) == 1


def test_unknown_playlist_is_refused_before_the_upload(env, sandbox, clips):
    result = invoke(env, "upload", str(clips["small"]), *REQUIRED, "--playlist", "Nulle part")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert ("--playlist 'Nulle part': no playlist of the channel has this id or title; add "
            "--create-playlist to create it") in result.stderr
    assert videos(sandbox) == [] and sessions(sandbox) == []


def test_an_arabic_title_with_the_helpline_number_is_sent_with_direction_marks(env, sandbox,
                                                                                clips):
    """Issue 17: the title passes the metadata rules and reaches YouTube with LEFT-TO-RIGHT
    MARKs around the number, so it reads 0800 00 88 00 on YouTube's pages too."""
    title = "الرقم الأخضر 0800 00 88 00 مجاني"
    result = invoke(env, "upload", str(clips["small"]), "--title", title,
                    "--not-made-for-kids", "--no-synthetic-media", "--language", "ar")
    assert result.exit_code == 0, result.stderr
    (video,) = sandbox.store["videos"].values()
    assert video["snippet"]["title"] == "الرقم الأخضر \u200e0800 00 88 00\u200e مجاني"
