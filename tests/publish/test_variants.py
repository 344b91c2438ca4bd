"""Shorts and language versions (issue 13): one manifest, several journaled publications."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from captions.layout import geometry, shorts_clear_area
from captions.video import probe
from publish.cli import main
from publish.cli.exitcodes import ExitCode
from tests.media import decode_frames, make_clip

SRT_FR = """1
00:00:01,000 --> 00:00:03,000
Ensemble contre la traite

2
00:00:05,000 --> 00:00:07,500
Signalez tout soupçon

3
00:00:10,000 --> 00:00:12,000
Vous n'êtes pas seule
"""
SRT_AR = """1
00:00:01,000 --> 00:00:03,000
معًا ضد الاتجار بالبشر

2
00:00:05,000 --> 00:00:07,500
أبلغوا عن أي شبهة

3
00:00:10,000 --> 00:00:12,000
لستِ وحدك
"""

MANIFEST = """\
[capsule]
name = "Cœur bleu"

[video]
source = "clip.mp4"

[subtitles.fr]
file = "fr.srt"

[subtitles.ar]
file = "ar.srt"

[burn]
languages = ["ar", "fr"]
output = "build/capsule.mp4"

[captions]
languages = ["fr", "ar"]

[metadata]
title = "Cœur bleu"
description = "Ensemble contre la traite des personnes."
tags = ["traite"]
category = 29
privacy = "private"
made_for_kids = false
synthetic_media = false
default_language = "fr"

[metadata.localizations.ar]
title = "القلب الأزرق"
description = "معًا ضد الاتجار بالبشر."

[variants.short]
start = "00:04"
end = "00:24"
aspect = "9:16"
fit = "blur"
burn = ["fr"]

[variants.short.metadata]
title = "Cœur bleu #Shorts"
captions = ["fr"]

[variants.ar]
burn = ["ar"]

[variants.ar.metadata]
default_language = "ar"
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """30 s of flat grey at 5 fps: every pixel that is not grey is subtitle ink."""
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=30.0,
                     size=(320, 180), fps="5", pattern="color=c=gray")


def write_capsule(folder: Path, clip: Path, manifest: str = MANIFEST) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "clip.mp4").write_bytes(clip.read_bytes())
    (folder / "fr.srt").write_text(SRT_FR, encoding="utf-8")
    (folder / "ar.srt").write_text(SRT_AR, encoding="utf-8")
    path = folder / "capsule.toml"
    path.write_text(manifest, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def server_videos(sandbox) -> dict[str, dict]:
    with sandbox.store.lock:
        return {v["id"]: v for v in sandbox.store["videos"].values() if not v.get("_deleted")}


def ink_rows_cols(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns holding subtitle ink (white text, black outline) on the grey."""
    level = frame.astype(int).mean(axis=2)
    ink = (level > 200) | (level < 40)
    return np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]


def test_short_and_language_version_publish_as_three_videos(env, sandbox, clip, tmp_path,
                                                             isolated):
    capsule = write_capsule(tmp_path / "capsule", clip)
    result = run("publish", str(capsule), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [v["variant"] for v in [report, *report["variants"]]] == ["main", "short", "ar"]
    videos = server_videos(sandbox)
    assert len(videos) == 3
    main_id, short_id, ar_id = (r["video_id"] for r in [report, *report["variants"]])

    # The Short: 1080x1920, 20 s, its tracks cut to the segment.
    short_file = capsule.parent / "build" / "capsule.short.mp4"
    info = probe(short_file)
    assert (info.width, info.height) == (1080, 1920)
    assert info.duration_ms == pytest.approx(20_000, abs=200)
    assert info.frames == 100  # 20 s at 5 fps, frame-accurate
    assert sandbox.video_file(short_id).read_bytes() == short_file.read_bytes()
    frames = decode_frames(short_file)
    # Cue 2 (5.0–7.5 s of the source) starts at 1.0 s of the Short: frame 5, not frame 4.
    assert len(ink_rows_cols(frames[4])[0]) == 0
    rows, cols = ink_rows_cols(frames[5])
    assert len(rows) > 0
    x0, y0, x1, y1 = shorts_clear_area(1080, 1920)
    safe = geometry(1080, 1920, True).safe
    assert rows.max() < min(y1, safe[3]) and rows.min() >= max(y0, safe[1])
    assert cols.min() >= x0 and cols.max() < x1  # clear of the right-hand buttons
    assert rows.max() > 1920 * 0.6  # still a subtitle: in the lower part of the frame
    # Cue 1 (1–3 s) keeps 0–(−1) s: cut entirely before the segment; cue 3 shifted to 6 s.
    assert len(ink_rows_cols(frames[30])[0]) > 0 and len(ink_rows_cols(frames[29])[0]) == 0
    tracks = sandbox.youtube().captions().list(part="snippet", videoId=short_id).execute()
    assert [t["snippet"]["language"] for t in tracks["items"]] == ["fr"]

    # The Arabic version: only Arabic burned in (one track's height of ink), Arabic first.
    main_file = capsule.parent / "build" / "capsule.mp4"
    ar_file = capsule.parent / "build" / "capsule.ar.mp4"
    both = ink_rows_cols(decode_frames(main_file)[30])[0]  # 6 s: cue 2 of both tracks
    arabic = ink_rows_cols(decode_frames(ar_file)[30])[0]
    assert arabic.max() == pytest.approx(both.max(), abs=2)  # at the bottom, like the main's
    assert arabic.min() > both.min() + 10  # no French line above it
    ar = videos[ar_id]
    assert ar["snippet"]["defaultLanguage"] == "ar"
    assert ar["snippet"]["title"] == "القلب الأزرق"
    assert ar["snippet"]["description"] == "معًا ضد الاتجار بالبشر."
    assert ar["localizations"]["fr"]["title"] == "Cœur bleu"
    assert videos[short_id]["snippet"]["title"] == "Cœur bleu #Shorts"
    assert videos[main_id]["snippet"]["title"] == "Cœur bleu"

    conn = sqlite3.connect(isolated / "data" / "journal.sqlite")
    rows = conn.execute("SELECT video_id, capsule, variant, language FROM tracked_videos "
                        "ORDER BY variant").fetchall()
    conn.close()
    assert sorted(rows) == sorted([(main_id, "Cœur bleu", "main", "fr"),
                                   (short_id, "Cœur bleu", "short", "fr"),
                                   (ar_id, "Cœur bleu", "ar", "ar")])

    # Status lists every video with its URL.
    status = json.loads(run("status", str(capsule), "--json").stdout)
    assert [(s["variant"], s["video_id"]) for s in [status, *status["variants"]]] == [
        ("main", main_id), ("short", short_id), ("ar", ar_id)]
    assert all(s["url"].endswith(s["video_id"]) for s in [status, *status["variants"]])

    # A re-run does nothing at all.
    calls = len(sandbox.traffic)
    again = run("publish", str(capsule))
    assert again.exit_code == ExitCode.NOTHING_TO_DO, again.stderr
    assert len(sandbox.traffic) == calls

    # A new title for the Short updates that video only, in place.
    capsule.write_text(MANIFEST.replace('title = "Cœur bleu #Shorts"',
                                        'title = "Le cœur bleu #Shorts"'), encoding="utf-8")
    changed = run("publish", str(capsule), "--json")
    assert changed.exit_code == 0, changed.stderr
    updates = [t for t in list(sandbox.traffic)[calls:] if t[0] == "PUT"
               and t[1].startswith("/youtube/v3/videos")]
    assert len(updates) == 1
    after = server_videos(sandbox)
    assert set(after) == set(videos)
    assert after[short_id]["snippet"]["title"] == "Le cœur bleu #Shorts"
    assert after[main_id]["snippet"]["title"] == "Cœur bleu"
    assert after[ar_id]["snippet"]["title"] == "القلب الأزرق"


def test_plan_shows_each_variant_cost_and_the_total(env, sandbox, clip, tmp_path):
    capsule = write_capsule(tmp_path / "capsule", clip)
    result = run("publish", str(capsule), "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    plans = [plan, *plan["variants"]]
    assert [p["variant"] for p in plans] == ["main", "short", "ar"]
    total = {pool: sum(p["cost"].get(pool, 0) for p in plans) for pool in plan["total_cost"]}
    assert plan["total_cost"] == total and total["uploads"] == 3
    short = plans[1]
    assert [s["step"] for s in short["steps"]] == [
        "burn", "upload", "metadata", "caption:fr", "statistics"]
    assert "0:04–0:24, 9:16 blur" in short["steps"][0]["detail"]
    text = run("publish", str(capsule), "--dry-run")
    assert f"plan for {capsule} [short] (nothing was spent):" in text.stdout
    assert "a Short (9:16, 0:20 of at most 3:00)" in text.stderr + text.stdout
    assert server_videos(sandbox) == {}


def test_only_publishes_one_variant(env, sandbox, clip, tmp_path):
    capsule = write_capsule(tmp_path / "capsule", clip)
    result = run("publish", str(capsule), "--only", "ar", "--json")
    assert result.exit_code == 0, result.stderr
    (video,) = server_videos(sandbox).values()
    assert video["snippet"]["defaultLanguage"] == "ar"
    missing = run("publish", str(capsule), "--only", "teaser")
    assert missing.exit_code == ExitCode.INVALID_INPUT
    assert "no variant 'teaser' in this manifest (it has: main, short, ar)" in missing.stderr


def test_a_long_vertical_variant_is_refused_naming_its_line(env, sandbox, tmp_path):
    long_clip = make_clip(tmp_path / "long.mp4", seconds=241.0, size=(64, 36), fps="1",
                          audio=None)
    manifest = MANIFEST.replace('start = "00:04"\nend = "00:24"\n', "")
    capsule = write_capsule(tmp_path / "capsule", long_clip, manifest)
    result = run("publish", str(capsule), "--dry-run")
    assert result.exit_code == ExitCode.INVALID_INPUT
    line = manifest.splitlines().index('aspect = "9:16"') + 1
    assert (f"{capsule}:{line}: variants.short.aspect: a 9:16 video of 4:01 is not a Short "
            "(YouTube takes vertical and square videos of at most 3:00): cut it with start "
            'and end, or use aspect = "16:9"') in result.stderr.splitlines()
    assert server_videos(sandbox) == {}


def test_preview_of_the_short_is_its_burned_frame(env, clip, tmp_path):
    capsule = write_capsule(tmp_path / "capsule", clip)
    out = tmp_path / "short.png"
    result = run("preview", str(capsule), "--variant", "short", "--at", "1.5", "-o", str(out),
                 "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["width"], data["height"], data["cues_shown"]) == (1080, 1920, 1)
    from PIL import Image

    shown = np.asarray(Image.open(out).convert("RGB"))
    assert run("publish", str(capsule), "--only", "short").exit_code == 0
    burned = decode_frames(capsule.parent / "build" / "capsule.short.mp4")[7]  # 1.4–1.6 s
    rows_p, cols_p = ink_rows_cols(shown)
    rows_b, cols_b = ink_rows_cols(burned)
    assert abs(int(rows_p.min()) - int(rows_b.min())) <= 2
    assert abs(int(rows_p.max()) - int(rows_b.max())) <= 2
    assert abs(int(cols_p.min()) - int(cols_b.min())) <= 2


def test_init_writes_a_short_and_versions(env, clip, tmp_path):
    folder = tmp_path / "new"
    write_capsule(folder, clip)
    manifest = folder / "made.toml"
    result = run("init", str(folder / "clip.mp4"), str(folder / "fr.srt"),
                 str(folder / "ar.srt"), "-o", str(manifest), "--short", "00:12-00:52",
                 "--versions", "ar,fr")
    assert result.exit_code == ExitCode.INVALID_INPUT  # the clip is 30 s long
    assert "--short '00:12-00:52': the segment must end after it starts and within the " \
           "video (0:30)" in result.stderr
    result = run("init", str(folder / "clip.mp4"), str(folder / "fr.srt"),
                 str(folder / "ar.srt"), "-o", str(manifest), "--short", "00:02-00:22",
                 "--versions", "ar,fr")
    assert result.exit_code == 0, result.stderr
    from config.manifest import load_manifest

    capsule = load_manifest(manifest)
    assert list(capsule.variants) == ["short", "ar", "fr"]
    short = capsule.variants["short"]
    assert (short.shape.start, short.shape.end, short.shape.aspect, short.shape.fit) == (
        "00:02", "00:22", "9:16", "blur")
    assert capsule.variants["ar"].burn == ["ar"]
    assert capsule.variants["ar"].metadata["default_language"] == "ar"
    assert capsule.variants["fr"].captions == ["fr", "ar"]


def test_a_second_machine_finds_every_video_on_the_channel(env, sandbox, clip, tmp_path):
    capsule = write_capsule(tmp_path / "capsule", clip)
    assert run("publish", str(capsule)).exit_code == 0
    published = set(server_videos(sandbox))
    assert len(published) == 3
    # Machine B: the same folder (burned files included), no journal.
    other = ["--journal", str(tmp_path / "machine-b.sqlite")]
    first = run("publish", str(capsule), *other)
    assert first.exit_code == ExitCode.NOTHING_TO_DO, first.stderr
    assert "3 of its videos" in first.stderr and "already on the channel" in first.stderr
    second = run("publish", str(capsule), *other, "--json")
    assert second.exit_code in (0, ExitCode.NOTHING_TO_DO), second.stderr
    assert set(server_videos(sandbox)) == published  # not one video uploaded twice
    status = json.loads(run("status", str(capsule), *other, "--json").stdout)
    assert {s["video_id"] for s in [status, *status["variants"]]} == published


def test_the_proof_shows_no_thumbnail_for_the_short(env, clip, tmp_path):
    """One proof, a section per video; the Short's thumbnail is left out as the plan says."""
    manifest = MANIFEST.replace("[variants.short]", '[thumbnail]\nat = "00:02"\n\n'
                                "[variants.short]")
    capsule = write_capsule(tmp_path / "c", clip, manifest)
    out = tmp_path / "proof"
    result = run("review", str(capsule), "-o", str(out))
    assert result.exit_code == 0, result.output
    thumbs = sorted(p.relative_to(out).as_posix() for p in out.rglob("thumbnail-*.jpg"))
    assert thumbs and all(not t.startswith("short/") for t in thumbs)
    assert {t.split("/")[0] for t in thumbs} == {"main", "ar"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("Left out: the Shorts feed shows a frame of the video") == 1
