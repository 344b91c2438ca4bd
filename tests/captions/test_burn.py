"""The burn engine on tiny clips: frame-exact cues, untouched audio, kept format, safe writes.

The compositing engine is tested with solid RGBA rectangles at known places and times (the
pixels are then unambiguous); the last tests feed it the real renderer through `burn`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from captions.burn import BurnResult, burn_overlays, frame_span
from captions.errors import CaptionsError, VideoError
from captions.video import probe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media

RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


@dataclass
class Box:
    """A synthetic overlay: the same fields as captions.render.Overlay."""

    image: Image.Image
    x: int
    y: int
    start_ms: int
    end_ms: int


def box(color, x, y, start_ms, end_ms, size=(40, 20)) -> Box:
    return Box(Image.new("RGBA", size, color), x, y, start_ms, end_ms)


def is_color(pixel, rgb, tol=40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(rgb)) < tol))


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    d = tmp_path_factory.mktemp("burn-src")
    return {
        "aac": media.make_clip(d / "aac.mp4", seconds=2),
        "pcm": media.make_clip(d / "pcm.mov", seconds=1, fps="30000/1001", audio="pcm_s16le"),
        "silent": media.make_clip(d / "silent.mp4", seconds=1, audio=None),
        "rot": media.make_clip(d / "rot.mp4", seconds=1, rotation=90),
        "torn": media.truncate(media.make_clip(d / "fast.mp4", seconds=2, faststart=True),
                               d / "torn.mp4", 0.6),
    }


@pytest.fixture(scope="module")
def burned(src, tmp_path_factory):
    out = tmp_path_factory.mktemp("burned") / "out.mp4"
    seen = []
    # red: 200 ms → 600 ms = frames 5..14 at 25 fps; blue: 1500 ms → 5 s, past the 2 s end.
    overlays = [box(RED, 10, 10, 200, 600), box(BLUE, 100, 100, 1500, 5000)]
    result = burn_overlays(src["aac"], overlays, out, preset="veryfast",
                           progress=lambda done, total, **kw: seen.append((done, total, kw)))
    return out, result, seen


def test_frame_span_is_half_open_on_exact_fractions():
    assert frame_span(200, 600, Fraction(25)) == (5, 15)
    assert frame_span(199, 601, Fraction(25)) == (5, 16)
    # NTSC: frame 30 starts at 1001 ms exactly; frame 29 at 967.63 ms
    assert frame_span(1001, 1002, Fraction(30000, 1001)) == (30, 31)
    assert frame_span(968, 1001, Fraction(30000, 1001)) == (30, 30)  # shows on no frame


def test_cue_pixels_on_exactly_its_frames(burned):
    out, _, _ = burned
    frames = media.decode_frames(out)
    red_on = [n for n in range(len(frames)) if is_color(frames[n, 20, 30], (255, 0, 0))]
    assert red_on == list(range(5, 15))  # first 5, last 14; 4 and 15 are clean
    blue_on = [n for n in range(len(frames)) if is_color(frames[n, 110, 120], (0, 0, 255))]
    assert blue_on == list(range(38, 50))  # ceil(1.5 * 25) = 38 → last frame, clipped


def test_format_duration_and_audio_preserved(src, burned):
    out, result, _ = burned
    before, after = probe(src["aac"]), probe(out)
    assert (after.width, after.height, after.fps, after.frames) == (320, 180, Fraction(25), 50)
    assert abs(after.duration_ms - before.duration_ms) <= 40
    assert (after.codec, after.pix_fmt) == ("h264", "yuv420p")
    assert (after.color_range, after.color_space, after.color_primaries, after.color_trc) == (
        "tv", "bt709", "bt709", "bt709")
    assert media.audio_md5(out) == media.audio_md5(src["aac"])
    assert isinstance(result, BurnResult)
    assert (result.frames, result.cues_burned, result.cues_clipped, result.audio) == (
        50, 2, 1, "copy")
    assert result.output_bytes == out.stat().st_size


def test_output_is_high_profile_faststart(burned):
    out, _, _ = burned
    dump = subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                          capture_output=True, text=True).stderr
    assert "h264 (High)" in dump
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_progress_reports_frames_speed_and_eta(burned):
    _, _, seen = burned
    assert seen, "no progress reported"
    done, total, extra = seen[-1]
    assert (done, total) == (50, 50)
    assert extra["speed"] > 0 and extra["eta"] == 0


def test_non_mp4_audio_becomes_aac_48k_at_same_ntsc_rate(src, tmp_path):
    out = tmp_path / "pcm.mp4"
    # 500 ms → frame 15 (14.985 rounded up); 1.5 s would be frame 44, clipped at the end (30)
    result = burn_overlays(src["pcm"], [box(RED, 0, 0, 500, 1500)], out, preset="ultrafast")
    info = probe(out)
    assert info.fps == Fraction(30000, 1001) and info.frames == 30
    assert (info.audio.codec, info.audio.sample_rate) == ("aac", 48000)
    assert result.audio == "aac"
    assert result.cues_burned == 1 and result.cues_clipped == 1


def test_ntsc_first_and_last_frame(src, tmp_path):
    out = tmp_path / "ntsc.mp4"
    burn_overlays(src["pcm"], [box(RED, 0, 0, 334, 501)], out, preset="ultrafast")
    frames = media.decode_frames(out)
    on = [n for n in range(len(frames)) if is_color(frames[n, 10, 10], (255, 0, 0))]
    # 334 ms * 30000/1001 = 10.01 → 11; 501 ms → 15.0149 → 16 exclusive
    assert on == list(range(11, 16))


def test_video_without_audio(src, tmp_path):
    out = tmp_path / "silent.mp4"
    result = burn_overlays(src["silent"], [box(RED, 0, 0, 0, 200)], out, preset="ultrafast")
    assert probe(out).audio is None and result.audio == "none"
    assert probe(out).frames == 25


def test_rotated_video_stays_portrait_with_upright_cue(src, tmp_path):
    out = tmp_path / "portrait.mp4"
    # a wide bar near the top of the portrait frame: upright only if composited after rotation
    burn_overlays(src["rot"], [box(RED, 10, 20, 0, 1000, size=(160, 20))], out,
                  preset="ultrafast")
    info = probe(out)
    assert (info.width, info.height, info.rotation) == (180, 320, 0)
    frame = media.decode_frames(out)[3]
    assert is_color(frame[30, 100], (255, 0, 0))
    assert is_color(frame[30, 165], (255, 0, 0))
    assert not is_color(frame[100, 30], (255, 0, 0))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part-" in p.name)


def test_refuses_to_overwrite_its_input(src, tmp_path):
    copy = tmp_path / "in.mp4"
    copy.write_bytes(src["silent"].read_bytes())
    before = copy.read_bytes()
    with pytest.raises(CaptionsError, match="is the input video"):
        burn_overlays(copy, [], copy, force=True)
    link = tmp_path / "link.mp4"
    os.link(copy, link)  # same inode under another name
    with pytest.raises(CaptionsError, match="is the input video"):
        burn_overlays(copy, [], link, force=True)
    assert copy.read_bytes() == before and _leftovers(tmp_path) == []


def test_existing_output_needs_force(src, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(CaptionsError, match="already exists: use --force"):
        burn_overlays(src["silent"], [], out, preset="ultrafast")
    assert out.read_bytes() == b"keep me"
    burn_overlays(src["silent"], [], out, preset="ultrafast", force=True)
    assert probe(out).frames == 25 and oct(out.stat().st_mode & 0o777) == "0o644"
    assert _leftovers(tmp_path) == []


def test_unwritable_or_missing_folder_fails_before_encoding(src, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere a mode allows; sysfs refuses even root
        locked = Path("/sys")
    try:
        with pytest.raises(CaptionsError, match="cannot write in folder"):
            burn_overlays(src["silent"], [], locked / "out.mp4")
    finally:
        (tmp_path / "locked").chmod(0o700)
    with pytest.raises(CaptionsError, match="does not exist"):
        burn_overlays(src["silent"], [], tmp_path / "nope" / "out.mp4")
    with pytest.raises(CaptionsError, match=r"must be an \.mp4"):
        burn_overlays(src["silent"], [], tmp_path / "out.mkv")


def test_torn_input_fails_and_leaves_nothing(src, tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(VideoError, match="truncated or corrupt"):
        burn_overlays(src["torn"], [], out, preset="ultrafast")
    assert list(tmp_path.iterdir()) == []


def test_corrupt_frames_fail_the_burn_even_though_ffmpeg_carries_on(src, tmp_path):
    """Garbage inside the media data: the file opens and probes fine (packets intact), the
    decoder complains and ffmpeg would still exit 0: its error output fails the burn."""
    data = bytearray(src["aac"].read_bytes())
    at = len(data) * 3 // 10
    data[at:at + 3000] = bytes([0x00, 0xFF]) * 1500
    corrupt = tmp_path / "in" / "corrupt.mp4"
    corrupt.parent.mkdir()
    corrupt.write_bytes(bytes(data))
    assert probe(corrupt).frames == 50
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(VideoError, match=r"corrupt\.mp4: truncated or corrupt video \(Invalid NAL"):
        burn_overlays(corrupt, [], out_dir / "out.mp4", preset="ultrafast")
    assert list(out_dir.iterdir()) == []


def _ffmpeg_writing(folder: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if str(folder).encode() in cmdline and b".part-" in cmdline:
                pids.append(int(proc.name))
    return pids


def test_interrupt_kills_ffmpeg_and_leaves_no_file(src, tmp_path):
    out = tmp_path / "out.mp4"

    def ctrl_c(done, total, **_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        burn_overlays(src["aac"], [box(RED, 0, 0, 0, 1000)], out, preset="ultrafast",
                      progress=ctrl_c)
    assert list(tmp_path.iterdir()) == []
    assert _ffmpeg_writing(tmp_path) == []


def test_file_size_limit_leaves_no_partial_file(src, tmp_path):
    """A full disk seen through RLIMIT_FSIZE: ffmpeg's write fails with EFBIG mid-file."""
    out = tmp_path / "out.mp4"
    script = textwrap.dedent(f"""
        import errno, resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited by ffmpeg: EFBIG, not death
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))
        from captions.burn import burn_overlays
        try:
            burn_overlays({str(src['aac'])!r}, [], {str(out)!r}, preset="ultrafast", crf=1)
        except OSError as exc:
            sys.exit(10 if exc.errno in (errno.EFBIG, errno.ENOSPC) else 11)
        sys.exit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 10, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_burned_frame_equals_the_preview_of_that_frame(src, tmp_path):
    """The real renderer through `burn`, two stacked languages: every burned frame is the one
    captions.render.composite gives for that time (the preview), cue edges included."""
    from captions.burn import burn
    from captions.reading import read_track
    from captions.render import composite, render_overlays
    from captions.style import Style
    from captions.video import extract_frame

    fr, ar = tmp_path / "capsule.fr.srt", tmp_path / "capsule.ar.srt"
    fr.write_text("1\n00:00:00,400 --> 00:00:01,200\nEnsemble contre la traite\n",
                  encoding="utf-8")
    ar.write_text("1\n00:00:00,600 --> 00:00:01,500\nمعًا ضد الاتجار بالبشر\n", encoding="utf-8")
    tracks = [read_track(fr), read_track(ar)]
    style = Style.from_name("box")
    out = tmp_path / "real.mp4"
    result = burn(src["aac"], tracks, out, style=style, crf=8, preset="ultrafast")
    assert result.cues_burned == 2
    overlays = render_overlays(tracks, 320, 180, style)
    top = min(o.y for o in overlays)
    bottom = max(o.y + o.image.height for o in overlays)
    left = min(o.x for o in overlays)
    right = max(o.x + o.image.width for o in overlays)
    region = np.s_[top:bottom, left:right]

    def diff(a, b) -> float:
        return float(np.abs(np.asarray(a, dtype=int)[region] - np.asarray(b, dtype=int)[region])
                     .mean())

    # 25 fps: frame n is shown from n*40 ms; the preview is composited at the frame's time.
    for t, shown in ((399, False), (400, True), (599, True), (600, True), (1199, True),
                     (1200, True), (1499, True), (1500, True), (1520, False)):
        source = extract_frame(src["aac"], t)
        preview = composite(source, overlays, t // 40 * 40)
        burned = extract_frame(out, t)
        assert diff(burned, preview) < 6, t
        if shown:
            assert diff(burned, source) > 10, t


def test_odd_position_is_kept_to_the_pixel(tmp_path):
    """4:2:0 overlay rounds x/y to even: the engine must still put the cue where it says."""
    black = media.make_clip(tmp_path / "black.mp4", seconds=0.4, audio=None,
                            pattern="color=c=black")
    out = tmp_path / "out.mp4"
    burn_overlays(black, [box((255, 255, 255, 255), 11, 13, 0, 1000, size=(20, 10))], out,
                  preset="ultrafast", crf=1)
    frame = media.decode_frames(out)[0].mean(axis=2)
    ys, xs = np.nonzero(frame > 128)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (13, 22, 11, 30)


def test_overlapping_and_back_to_back_cues_share_one_lane_exactly(src, tmp_path):
    """A and C are back to back, B overlaps both: one lane whose picture changes at every
    cue boundary (at 400, 600 and 800 ms: between frames 9|10, 14|15, 19|20). Each cue shows
    on exactly its frames."""
    from captions.burn import _store_cues, plan_lanes

    green = (0, 255, 0, 255)
    cues = [box(RED, 10, 100, 200, 600), box(green, 60, 100, 400, 800),
            box(BLUE, 110, 100, 600, 1000)]
    black = media.make_clip(tmp_path / "black.mp4", seconds=1.2, audio=None,
                            pattern="color=c=black")
    info = probe(black)
    (lane,) = plan_lanes(_store_cues(cues, info, tmp_path), info)
    assert [(s.start_ms, s.end_ms, s.members) for s in lane.segments] == [
        (200, 400, (0,)), (400, 600, (0, 1)), (600, 800, (1, 2)), (800, 1000, (2,))]
    # transparent before, one picture per segment, transparent after
    assert [(at, seg is None) for at, seg in lane.pictures()] == [
        (0, True), (200, False), (400, False), (600, False), (800, False), (1000, True)]
    out = tmp_path / "lanes.mp4"
    burn_overlays(black, cues, out, preset="ultrafast")
    frames = media.decode_frames(out)

    def shown(x, rgb):
        return [n for n in range(len(frames)) if is_color(frames[n, 110, x], rgb)]

    assert shown(20, (255, 0, 0)) == list(range(5, 15))
    assert shown(70, (0, 255, 0)) == list(range(10, 20))
    assert shown(120, (0, 0, 255)) == list(range(15, 25))


def test_colons_in_relative_input_and_output_names(src, tmp_path, monkeypatch):
    """`v2:in.mp4` and `take:2/out.mp4` are files, not ffmpeg protocols `v2:` and `take:`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v2:in.mp4").write_bytes(src["silent"].read_bytes())
    (tmp_path / "take:2").mkdir()
    burn_overlays("v2:in.mp4", [box(RED, 0, 0, 0, 200)], "take:2/out.mp4", preset="ultrafast")
    assert probe(tmp_path / "take:2" / "out.mp4").frames == 25
