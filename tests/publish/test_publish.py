"""`capsule publish`: the whole capsule end to end on the sandbox (issue 7)."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode
from tests.media import make_clip

SRT_FR = """1
00:00:00,200 --> 00:00:01,400
Ensemble contre la traite

2
00:00:01,500 --> 00:00:02,800
Signalez tout soupçon
"""
SRT_AR = """1
00:00:00,200 --> 00:00:01,400
معًا ضد الاتجار بالبشر

2
00:00:01,500 --> 00:00:02,800
أبلغوا عن أي شبهة
"""

MANIFEST = """\
[capsule]
name = "Test capsule"

[video]
source = "clip.mp4"

[subtitles.fr]
file = "fr.srt"

[subtitles.ar]
file = "ar.srt"

[burn]
languages = ["ar", "fr"]
style = "outline"
output = "build/burned.mp4"

[captions]
languages = ["fr", "ar"]

[metadata]
title = "Cœur bleu"
description = "Ensemble contre la traite des personnes."
tags = ["traite", "sensibilisation"]
category = 29
privacy = "private"
made_for_kids = false
synthetic_media = false
default_language = "fr"

[metadata.localizations.ar]
title = "القلب الأزرق"

[thumbnail]
at = "00:00:01"
title = "Ensemble"

[playlist]
title = "Campagne 2027"
create = true

[schedule]
publish_at = 2030-07-30T10:00:00
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=3.0)


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


def publish(*args: str):
    return CliRunner().invoke(main, ["publish", *args])


def server_videos(sandbox) -> list[dict]:
    with sandbox.store.lock:
        return [v for v in sandbox.store["videos"].values() if not v.get("_deleted")]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tracks(sandbox, video_id: str) -> list[dict]:
    youtube = sandbox.youtube()
    return youtube.captions().list(part="snippet", videoId=video_id).execute()["items"]


def test_full_publish_then_nothing_to_do(env, sandbox, capsule, isolated):
    result = publish(str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [s["state"] for s in report["steps"]] == ["done"] * len(report["steps"])
    assert [s["step"] for s in report["steps"]] == [
        "burn", "upload", "metadata", "caption:fr", "caption:ar", "thumbnail", "playlist",
        "statistics"]
    (video,) = server_videos(sandbox)
    assert report["video_id"] == video["id"]
    burned = capsule.parent / "build" / "burned.mp4"
    assert sha256(sandbox.video_file(video["id"])) == sha256(burned)  # nothing lost
    assert video["snippet"]["title"] == "Cœur bleu"
    assert video["status"]["publishAt"].startswith("2030-07-30T09:00:00")  # Casablanca +1
    assert video["localizations"]["ar"]["title"] == "القلب الأزرق"
    names = sorted((t["snippet"]["language"], t["snippet"]["name"])
                   for t in tracks(sandbox, video["id"]))
    assert names == [("ar", "العربية"), ("fr", "Français")]
    youtube = sandbox.youtube()
    playlists = youtube.playlists().list(part="snippet", mine=True).execute()["items"]
    assert [p["snippet"]["title"] for p in playlists] == ["Campagne 2027"]
    items = youtube.playlistItems().list(part="snippet",
                                         playlistId=playlists[0]["id"]).execute()["items"]
    assert [i["snippet"]["resourceId"]["videoId"] for i in items] == [video["id"]]
    # Tracked for the reports: the campaign is the playlist's title (no [capsule] campaign).
    conn = sqlite3.connect(isolated / "data" / "journal.sqlite")
    assert conn.execute("SELECT campaign, capsule, variant, language FROM tracked_videos "
                        "WHERE video_id = ?", (video["id"],)).fetchall() == [
        ("Campagne 2027", "Test capsule", "main", "fr")]
    conn.close()
    assert video.get("_thumbnail") or youtube.videos().list(
        part="snippet", id=video["id"]).execute()["items"][0]["snippet"]["thumbnails"]

    page = urllib.request.urlopen(f"{sandbox.url}watch?v={video['id']}").read().decode()
    assert '<h1 id="title" lang="fr" dir="ltr">Cœur bleu</h1>' in page
    assert '<bdi>ar: العربية</bdi> <span dir="ltr">(serving)</span>' in page
    assert '<bdi>fr: Français</bdi> <span dir="ltr">(serving)</span>' in page
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(f"{sandbox.url}watch?v=nonexistent0")

    calls = len(sandbox.traffic)
    again = publish(str(capsule))
    assert again.exit_code == ExitCode.NOTHING_TO_DO
    assert again.stdout.startswith(f"{video['id']}\t")
    assert "every step is already done" in again.stderr
    assert len(sandbox.traffic) == calls  # not a single request
    assert len(server_videos(sandbox)) == 1


def test_dry_run_prints_plan_and_spends_nothing(env, sandbox, capsule):
    result = publish(str(capsule), "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    # + the channel check: at most 1 + 10 pages × 2, 2 before the last chunk, 2 after (25)
    assert plan["cost"] == {"uploads": 1, "default": 2 * 450 + 50 + 102 + 25}
    assert all(s["state"] == "pending" for s in plan["steps"])
    assert server_videos(sandbox) == []
    assert not (capsule.parent / "build").exists()
    assert not [t for t in sandbox.traffic if t[1].startswith(("/upload", "/youtube"))]


def test_metadata_change_updates_in_place(env, sandbox, capsule):
    assert publish(str(capsule)).exit_code == 0
    (video,) = server_videos(sandbox)
    text = capsule.read_text(encoding="utf-8").replace('title = "Cœur bleu"',
                                                       'title = "Cœur bleu 2027"')
    capsule.write_text(text.replace('tags = ["traite", "sensibilisation"]',
                                    'tags = ["traite", "30 juillet"]'), encoding="utf-8")
    result = publish(str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    states = {s["step"]: s["state"] for s in json.loads(result.stdout)["steps"]}
    assert states["metadata"] == "done"
    (after,) = server_videos(sandbox)
    assert after["id"] == video["id"]
    assert after["snippet"]["title"] == "Cœur bleu 2027"
    assert after["snippet"]["tags"] == ["traite", "30 juillet"]
    assert after["snippet"]["description"] == "Ensemble contre la traite des personnes."
    assert after["localizations"]["ar"]["title"] == "القلب الأزرق"  # whole parts re-sent
    assert after["status"]["privacyStatus"] == "private"


def test_changed_caption_track_is_updated_never_duplicated(env, sandbox, capsule):
    capsule.write_text(capsule.read_text(encoding="utf-8").replace(
        'languages = ["ar", "fr"]', 'languages = ["ar"]'), encoding="utf-8")
    assert publish(str(capsule)).exit_code == 0
    (video,) = server_videos(sandbox)
    capsule.parent.joinpath("fr.srt").write_text(SRT_FR.replace("Ensemble", "Tous ensemble"),
                                                 encoding="utf-8")
    plan = json.loads(publish(str(capsule), "--dry-run", "--json").stdout)
    assert {s["step"]: s["state"] for s in plan["steps"]}["caption:fr"] == "update"
    assert plan["cost"] == {"default": 500}
    result = publish(str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    assert [v["id"] for v in server_videos(sandbox)] == [video["id"]]
    found = tracks(sandbox, video["id"])
    assert sorted(t["snippet"]["language"] for t in found) == ["ar", "fr"]
    assert ("PUT", "/upload/youtube/v3/captions", 200) in list(sandbox.traffic)


def test_changed_burned_subtitle_needs_new_version(env, sandbox, capsule):
    assert publish(str(capsule)).exit_code == 0
    (first,) = server_videos(sandbox)
    capsule.parent.joinpath("ar.srt").write_text(SRT_AR.replace("شبهة", "شبهة!"),
                                                 encoding="utf-8")
    refused = publish(str(capsule))
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert refused.stderr.splitlines()[-1:] == [
        f"capsule: error: {capsule}: the picture changed since video {first['id']} was "
        "published (changed: subtitles.ar); YouTube cannot replace a video's file: run again "
        "with --new-version to upload a new video (the journal links both)"]
    assert len(server_videos(sandbox)) == 1
    result = publish(str(capsule), "--new-version", "--json")
    assert result.exit_code == 0, result.stderr
    videos = server_videos(sandbox)
    assert len(videos) == 2
    status = CliRunner().invoke(main, ["status", "--json"])
    rows = json.loads(status.stdout)
    assert [(r["version"], r["state"]) for r in rows] == [(1, "superseded"), (2, "active")]
    assert rows[0]["video_id"] == first["id"] and rows[1]["video_id"] != first["id"]


def test_subtitle_error_caught_by_preflight_nothing_spent(env, sandbox, capsule):
    bad = SRT_FR.replace("00:00:01,500 --> 00:00:02,800", "00:00:01werwer,500 --> 00:00:02,800")
    capsule.parent.joinpath("fr.srt").write_text(bad, encoding="utf-8")
    result = publish(str(capsule))
    assert result.exit_code == ExitCode.INVALID_INPUT
    lines = result.stderr.splitlines()
    assert lines[-1] == (f"capsule: error: {capsule.resolve()}: preflight found 1 problem; "
                         "nothing was spent")
    assert lines[0].startswith(f"{capsule.parent / 'fr.srt'}:6: cue 2: error: unparsable "
                               "timing line '00:00:01werwer,500 --> 00:00:02,800'")
    assert list(sandbox.traffic) == []
    assert not (capsule.parent / "build").exists()


def test_manifest_error_names_line_and_key(env, sandbox, capsule):
    text = capsule.read_text(encoding="utf-8").replace('title = "Cœur bleu"', 'title = "<b>"')
    capsule.write_text(text.replace("made_for_kids = false\n", ""), encoding="utf-8")
    result = publish(str(capsule))
    assert result.exit_code == ExitCode.INVALID_INPUT
    problems = result.stderr.splitlines()[:-1]
    assert f"{capsule.resolve()}:22: metadata.title: must not contain '<' or '>'" in problems
    assert any(p.startswith(f"{capsule.resolve()}:21: metadata.made_for_kids: must be stated")
               for p in problems)
    assert list(sandbox.traffic) == []


def test_quota_too_low_refused_up_front(env, sandbox, capsule):
    result = CliRunner().invoke(main, ["--set", "quota_units=500", "publish", str(capsule)])
    assert result.exit_code == ExitCode.QUOTA
    assert "cannot finish this publication (default needs 1077, 500 left of 500)" \
        in result.stderr
    assert server_videos(sandbox) == []
    assert not (capsule.parent / "build").exists()


def test_init_writes_a_manifest_that_publishes(env, sandbox, capsule, tmp_path):
    folder = capsule.parent
    out = folder / "new.toml"
    result = CliRunner().invoke(main, ["init", str(folder / "clip.mp4"), str(folder / "fr.srt"),
                                       str(folder / "ar.srt"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "[subtitles.fr]" in text and "[subtitles.ar]" in text
    assert 'languages = ["ar", "fr"]' in text
    dry = publish(str(out), "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    again = CliRunner().invoke(main, ["init", str(folder / "clip.mp4"), "-o", str(out)])
    assert again.exit_code == ExitCode.INVALID_INPUT


# ------------------------------------------------------------------- SIGKILL during each step
def start(env: dict, capsule: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "publish", "publish", str(capsule)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the step")


@pytest.mark.parametrize("step", ["burn", "upload", "caption", "thumbnail", "playlist"])
def test_sigkill_during_each_step_then_rerun(env, sandbox, capsule, step):
    stalls = {"upload": "stall:6,method=PUT,path=/upload/youtube/v3/videos",
              "caption": "stall:6,method=POST,path=/upload/youtube/v3/captions",
              "thumbnail": "stall:6,path=/upload/youtube/v3/thumbnails/set",
              "playlist": "stall:6,method=POST,path=/youtube/v3/playlistItems"}
    if step in stalls:
        sandbox.faults.add(stalls[step])
    proc = start(env, capsule)
    try:
        if step == "burn":
            build = capsule.parent / "build"
            wait_for(lambda: build.exists() and any(build.iterdir()))
        else:
            wait_for(lambda: not sandbox.faults.pending())  # the request is being held
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    sandbox.faults.clear()
    result = subprocess.run([sys.executable, "-m", "publish", "publish", str(capsule),
                             "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert all(s["state"] == "done" for s in report["steps"])
    videos = server_videos(sandbox)
    assert len(videos) == 1
    burned = capsule.parent / "build" / "burned.mp4"
    assert sha256(sandbox.video_file(videos[0]["id"])) == sha256(burned)
    assert len(tracks(sandbox, videos[0]["id"])) == 2
    assert not [p for p in burned.parent.iterdir() if ".part" in p.name]



def test_readme_quick_start_on_the_embedded_sandbox(isolated, monkeypatch):
    """The README's first command, minus the install: publish the example, collect once."""
    import shutil

    examples = Path(__file__).resolve().parents[2] / "examples"
    folder = isolated / "examples"
    shutil.copytree(examples, folder, ignore=shutil.ignore_patterns("build"))
    monkeypatch.setenv("CAPSULE_PRESET", "ultrafast")
    result = CliRunner().invoke(main, ["--sandbox", "publish", str(folder / "capsule.toml"),
                                       "--collect"])
    assert result.exit_code == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert [name for _, _, name in lines] == ["main", "short", "ar"]  # the Short, the version
    for video_id, url, _ in lines:
        assert url.endswith(f"/watch?v={video_id}")
    assert "statistics collected for 3 video(s)" in result.stderr
    shown = CliRunner().invoke(main, ["--sandbox", "stats", "show", "--json"])
    assert shown.exit_code == 0, shown.stderr
    assert all(video_id in shown.stdout for video_id, _, _ in lines)


def test_after_the_scheduled_time_a_tag_change_only_touches_the_snippet(env, sandbox, capsule):
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = capsule.read_text(encoding="utf-8").replace(
        "publish_at = 2030-07-30T10:00:00", f"publish_at = {soon}")
    capsule.write_text(text, encoding="utf-8")
    assert publish(str(capsule)).exit_code == 0
    time.sleep(2.5)  # the schedule is now in the past: YouTube made (or will make) it public
    capsule.write_text(text.replace('tags = ["traite", "sensibilisation"]',
                                    'tags = ["traite", "bilan"]'), encoding="utf-8")
    result = publish(str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    meta = {s["step"]: s for s in json.loads(result.stdout)["steps"]}["metadata"]
    assert meta["result"] == {"updated": "snippet"}
    (video,) = server_videos(sandbox)
    assert video["snippet"]["tags"] == ["traite", "bilan"]
    assert video["status"]["publishAt"].startswith(soon[:16])  # status left as YouTube holds it
