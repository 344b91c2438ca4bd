"""probe / verify_decodes / extract_frame on tiny clips generated with the real ffmpeg."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from captions.errors import VideoError
from captions.video import extract_frame, probe, verify_decodes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("video")
    fast = media.make_clip(d / "fast.mp4", seconds=2, faststart=True)
    return {
        "aac": media.make_clip(d / "aac.mp4", seconds=2),
        "ntsc_pcm": media.make_clip(d / "ntsc.mov", seconds=1, fps="30000/1001",
                                    audio="pcm_s16le", color=None),
        "rot": media.make_clip(d / "rot.mp4", seconds=1, rotation=90),
        "silent": media.make_clip(d / "silent.mp4", seconds=1, audio=None),
        "audio_only": media.make_audio_only(d / "voice.m4a"),
        "torn_fast": media.truncate(fast, d / "torn-fast.mp4", 0.6),
        "torn": media.truncate(media.make_clip(d / "slow.mp4", seconds=2), d / "torn.mp4", 0.6),
        "text": _write(d / "notes.mp4", b"this is not a video\n"),
        "dir": d,
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_probe_reads_streams_and_colour(clips):
    info = probe(clips["aac"])
    assert (info.width, info.height) == (320, 180)
    assert info.fps == Fraction(25)
    assert info.frames == 50
    assert info.duration_ms == 2000
    assert info.rotation == 0
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.color_range, info.color_space, info.color_primaries, info.color_trc) == (
        "tv", "bt709", "bt709", "bt709")
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 44100, 1)


def test_probe_ntsc_rate_is_exact_and_pcm_audio_named(clips):
    info = probe(clips["ntsc_pcm"])
    assert info.fps == Fraction(30000, 1001)
    assert info.frames == 30
    assert info.audio.codec == "pcm_s16le"
    assert info.color_space is None


def test_probe_reports_displayed_size_of_rotated_video(clips):
    info = probe(clips["rot"])
    assert info.rotation == 90
    assert (info.coded_width, info.coded_height) == (320, 180)
    assert (info.width, info.height) == (180, 320)


def test_probe_without_audio(clips):
    assert probe(clips["silent"]).audio is None


@pytest.mark.parametrize(("name", "message"), [
    ("missing", "file not found"),
    ("dir", "is a folder"),
    ("text", "not a video file"),
    ("audio_only", "no video stream"),
    ("torn", "truncated or corrupt video (moov atom not found)"),
    ("torn_fast", "truncated or corrupt video"),
])
def test_probe_rejects_bad_files_in_one_line(clips, name, message):
    path = clips["dir"] / "absent.mp4" if name == "missing" else clips[name]
    with pytest.raises(VideoError) as caught:
        probe(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_verify_decodes_accepts_good_and_rejects_torn_faststart(clips):
    verify_decodes(clips["aac"])
    with pytest.raises(VideoError, match="truncated or corrupt"):
        verify_decodes(clips["torn_fast"])


def _nearest(frames: np.ndarray, image) -> int:
    pixels = np.asarray(image, dtype=np.int32)
    return int(np.argmin([np.abs(f.astype(np.int32) - pixels).mean() for f in frames]))


@pytest.mark.parametrize(("t_ms", "frame"), [
    (0, 0), (39, 0), (40, 1), (999, 24), (1000, 25), (1001, 25), (1959, 48), (1960, 49),
    (1999, 49),
])
def test_extract_frame_is_the_frame_shown_at_t(clips, t_ms, frame):
    frames = media.decode_frames(clips["aac"])
    image = extract_frame(clips["aac"], t_ms)
    assert image.mode == "RGB" and image.size == (320, 180)
    assert _nearest(frames, image) == frame


def test_extract_frame_ntsc_boundary(clips):
    frames = media.decode_frames(clips["ntsc_pcm"])
    # frame 15 starts at 15 * 1001/30000 s = 500.5 ms
    assert _nearest(frames, extract_frame(clips["ntsc_pcm"], 500)) == 14
    assert _nearest(frames, extract_frame(clips["ntsc_pcm"], 501)) == 15


def test_extract_frame_is_upright_for_rotated_video(clips):
    image = extract_frame(clips["rot"], 500)
    assert image.size == (180, 320)
    frames = media.decode_frames(clips["rot"])
    assert _nearest(frames, image) == 12


def test_extract_frame_past_end(clips):
    with pytest.raises(VideoError, match="past the last frame"):
        extract_frame(clips["aac"], 2000)


def test_a_video_stream_without_a_frame_size_is_one_line():
    """A codec ffmpeg does not know prints no WxH: a VideoError naming the file, no traceback."""
    from captions.video import _parse_dump

    dump = ("Input #0, matroska,webm, from 'odd.mkv':\n  Duration: 00:00:01.00, start: 0.000000\n"
            "  Stream #0:0: Video: none\n")
    with pytest.raises(VideoError, match=r"^odd\.mkv: ffmpeg cannot tell the video's frame size "
                                         r"\(none\): export it again"):
        _parse_dump(Path("odd.mkv"), dump)


def test_a_colon_in_a_relative_file_name_is_not_a_protocol(clips, tmp_path, monkeypatch):
    """ffmpeg reads `v2:final.mp4` as protocol `v2`: the file must still be found."""
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copy(clips["silent"], tmp_path / "v2:final.mp4")
    info = probe("v2:final.mp4")
    assert (info.width, info.height, info.frames) == (320, 180, 25)
    verify_decodes("v2:final.mp4")
    assert extract_frame("v2:final.mp4", 500).size == (320, 180)
