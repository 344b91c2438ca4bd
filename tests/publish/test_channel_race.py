"""Two machines at once (issue 12): the same manifest published from two data dirs against one
channel ends with one video. Real subprocesses over real sockets, and a deterministic twin that
appears while our upload runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.cli.exitcodes import ExitCode
from publish.youtube.auth import save_token
from publish.youtube.channel_check import CheckSettings, DuplicateOnChannel
from tests.media import make_clip

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upload_helpers import Harness, copy_clip, metadata

MANIFEST = """\
[capsule]
name = "Race"

[video]
source = "clip.mp4"

[subtitles.fr]
file = "fr.srt"

[captions]
languages = ["fr"]

[metadata]
title = "Cœur bleu"
privacy = "private"
made_for_kids = false
synthetic_media = false
"""
SRT = "1\n00:00:00,200 --> 00:00:01,400\nEnsemble\n"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("race") / "clip.mp4", seconds=3.0,
                     size=(640, 360))


def machine(sandbox, root: Path, clip: Path) -> tuple[dict, Path]:
    """A laptop: its own copy of the capsule folder, its own data dir and login."""
    folder = root / "capsule"
    folder.mkdir(parents=True)
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    (folder / "fr.srt").write_text(SRT, encoding="utf-8")
    (folder / "capsule.toml").write_text(MANIFEST, encoding="utf-8")
    data = root / "data"
    config = root / "config.toml"
    config.write_text(f'data_dir = "{data}"\nendpoint = "{sandbox.url}"\n'
                      "chunk_size = 262144\ntimeout = 10\n", encoding="utf-8")
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPSULE_")}
    env["CAPSULE_CONFIG"] = str(config)
    return env, folder / "capsule.toml"


def live_videos(sandbox) -> list[dict]:
    with sandbox.store.lock:
        return [v for v in sandbox.store["videos"].values() if not v.get("_deleted")]


def test_two_data_dirs_publish_the_same_manifest_one_video(sandbox, tmp_path, clip):
    runs = []
    for name in ("laptop-a", "laptop-b"):
        env, manifest = machine(sandbox, tmp_path / name, clip)
        runs.append(subprocess.Popen([sys.executable, "-m", "publish", "publish",
                                      str(manifest)], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True))
        time.sleep(1.0)  # started a second apart
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, ExitCode.NOTHING_TO_DO], results
    (video,) = live_videos(sandbox)
    winner = next(out for code, out, _ in results if code == 0)
    assert winner.startswith(f"{video['id']}\t")
    loser = next(err for code, _, err in results if code == ExitCode.NOTHING_TO_DO)
    assert f"video {video['id']}" in loser.splitlines()[-1]
    assert ("already on the channel" in loser or "at the same time" in loser)


def test_a_twin_finished_meanwhile_stops_us_before_the_last_chunk(sandbox, tmp_path, clip):
    """Another machine's upload completes while ours is between chunks: ours looks again
    before its last chunk and stops there, so YouTube never makes a second video."""
    source = copy_clip(clip, tmp_path / "src")
    assert source.stat().st_size > 262144  # several chunks: the twin lands in between
    harness = Harness(sandbox, tmp_path)
    twins: list[str] = []

    def progress(sent, total, **_):
        if not twins:
            twins.append(sandbox.add_video(source, title="Le cœur bleu",
                                           file_name=source.name))

    with pytest.raises(DuplicateOnChannel) as caught:
        harness.run(source, metadata(), context={
            "channel_check": CheckSettings(settle_seconds=1.0), "on_progress": progress})
    (twin,) = twins
    assert caught.value.video_id == twin
    assert "the last chunk was not sent, so no second video was made" in str(caught.value)
    assert [v["id"] for v in live_videos(sandbox)] == [twin]
    (log,) = sandbox.upload_log().values()
    assert log["sha256"] is None  # our session never completed
    row = harness.row()
    assert (row.video_id, row.state, row.final_sent) == (twin, "done", False)
    assert methods(harness) == ["channels.list", "playlistItems.list", "videos.insert",
                                "playlistItems.list", "videos.list"]


def test_a_twin_published_before_ours_wins_and_ours_is_deleted(sandbox, tmp_path, clip):
    """A twin that YouTube lists only after our last chunk but dates earlier (the same second,
    or a slow listing): after the upload ours is found second, deleted, theirs recorded."""
    source = copy_clip(clip, tmp_path / "src")
    harness = Harness(sandbox, tmp_path)
    twins: list[str] = []

    def settle(seconds: float) -> None:
        sandbox.clock.advance(-5)  # published five seconds before ours
        twins.append(sandbox.add_video(source, title="Le cœur bleu"))
        sandbox.clock.advance(5)

    with pytest.raises(DuplicateOnChannel) as caught:
        harness.run(source, metadata(), context={
            "channel_check": CheckSettings(settle_seconds=1.0, sleep=settle)})
    (twin,) = twins
    assert caught.value.video_id == twin
    assert [v["id"] for v in live_videos(sandbox)] == [twin]
    row = harness.row()
    assert (row.video_id, row.state) == (twin, "done")
    assert "our copy" in row.error and "was deleted" in str(caught.value)
    # the look before the last chunk found an empty channel (no videos.list needed)
    assert methods(harness) == ["channels.list", "playlistItems.list", "videos.insert",
                                "playlistItems.list", "playlistItems.list", "videos.list",
                                "videos.delete"]


def methods(harness) -> list[str]:
    return [r[0] for r in harness.journal.conn.execute(
        "SELECT method FROM api_calls ORDER BY id").fetchall()]


def test_a_later_twin_does_not_delete_ours(sandbox, tmp_path, clip):
    """A twin published after ours (it appears during our settle wait) is the other run's
    problem: ours is the earliest and is kept."""
    source = copy_clip(clip, tmp_path / "src")
    harness = Harness(sandbox, tmp_path)
    twins: list[str] = []

    def settle(seconds: float) -> None:
        time.sleep(seconds)
        twins.append(sandbox.add_video(source, title="Le cœur bleu"))

    outcome = harness.run(source, metadata(), context={
        "channel_check": CheckSettings(settle_seconds=1.0, sleep=settle)})
    assert sorted(v["id"] for v in live_videos(sandbox)) == sorted([outcome.video_id, *twins])
    row = harness.row()
    assert (row.video_id, row.state, row.error) == (outcome.video_id, "done", None)
