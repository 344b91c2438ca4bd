"""Burning what officers really bring: thousands of cues, phone (variable-rate) video, several
audio streams, a killed burn, a failing ffmpeg (issue 11)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from captions.burn import burn_overlays
from captions.reframe import Frame
from captions.video import probe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import media
from test_burn import Box, is_color

COLORS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def cue(i: int, start_ms: int, end_ms: int) -> Box:
    """Cue i: a box of colour i % 4 at column i % 8 (so neighbours differ in place and hue)."""
    return Box(Image.new("RGBA", (24, 16), (*COLORS[i % 4], 255)), 8 + 36 * (i % 8), 150,
               start_ms, end_ms)


def test_a_thousand_cues_of_two_frames_each(tmp_path):
    """1,000 cues, each on exactly 2 frames (50 fps): far past the ~110 of the old expression."""
    src = media.make_clip(tmp_path / "long.mp4", seconds=40, fps="50", audio=None,
                          pattern="color=c=black")
    cues = [cue(i, 40 * i, 40 * i + 40) for i in range(1000)]
    result = burn_overlays(src, iter(cues), tmp_path / "out.mp4", preset="ultrafast")
    assert result.cues_burned == 1000 and result.frames == 2000
    frames = media.decode_frames(tmp_path / "out.mp4")
    assert len(frames) == 2000
    for n in [0, 1, 2, 3, 777, 778, 1001, 1500, 1998, 1999]:
        i = n // 2
        x = 8 + 36 * (i % 8) + 12
        assert is_color(frames[n, 158, x], COLORS[i % 4]), (n, i)
        other = 8 + 36 * ((i + 4) % 8) + 12  # where cue i+4 would be: empty now
        assert is_color(frames[n, 158, other], (0, 0, 0)), n
    assert not list(tmp_path.glob(".out.*"))  # no work folder, no part file left


def _frame_times(path: Path) -> list[float]:
    """Presentation time (s) of every video frame, in order, from ffmpeg's framecrc."""
    done = subprocess.run([media.ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                           "-c", "copy", "-f", "framecrc", "-"], capture_output=True, check=True)
    text = done.stdout.decode()
    num, den = map(int, re.search(r"#tb 0: (\d+)/(\d+)", text).groups())
    pts = [int(line.split(",")[2]) for line in text.splitlines() if line.startswith("0,")]
    return sorted(p * num / den for p in pts)


def test_variable_frame_rate_is_timed_by_each_frames_timestamp(tmp_path):
    """A phone-like clip: 1 s at 25 fps then 1 s at 12 fps. Each cue is on exactly the frames
    whose own presentation time is in [start, end), and the output keeps those times."""
    fast = media.make_clip(tmp_path / "a.mp4", seconds=1, fps="25", audio=None,
                           pattern="color=c=black")
    slow = media.make_clip(tmp_path / "b.mp4", seconds=1, fps="12", audio=None,
                           pattern="color=c=black")
    listing = tmp_path / "parts.txt"
    listing.write_text(f"file '{fast}'\nfile '{slow}'\n")
    vfr = tmp_path / "vfr.mp4"
    media._run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(vfr)])
    source_times = _frame_times(vfr)
    assert len(source_times) == 25 + 12
    cues = [cue(0, 300, 700), cue(1, 990, 1170), cue(2, 1250, 1800)]
    out = tmp_path / "out.mp4"
    burn_overlays(vfr, cues, out, preset="ultrafast")
    times = _frame_times(out)
    assert times == pytest.approx(source_times, abs=1e-3)  # the source's own timing
    frames = media.decode_frames(out)
    for n, t in enumerate(times):
        for i, c in enumerate(cues):
            x = c.x + 12
            expected = c.start_ms / 1000 <= t + 1e-9 < c.end_ms / 1000
            assert is_color(frames[n, 158, x], COLORS[i]) == expected, (n, t, i)


def test_every_audio_stream_is_kept_bit_exact_with_its_tags(tmp_path):
    src = tmp_path / "two.mp4"
    media._run(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                "-f", "lavfi", "-i", "sine=frequency=880:duration=1",
                "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac", "-metadata:s:a:0", "language=fra", "-metadata:s:a:0",
                "title=Français", "-metadata:s:a:1", "language=ara", "-metadata:s:a:1",
                "title=العربية", str(src)])
    out = tmp_path / "out.mp4"
    result = burn_overlays(src, [cue(0, 0, 500)], out, preset="ultrafast")
    assert result.audio == "copy"
    assert len(probe(out).audio_streams) == 2
    for k in (0, 1):
        md5 = [media._run(["-i", str(p), "-map", f"0:a:{k}", "-c", "copy", "-f", "md5", "-"])
               .stdout for p in (src, out)]
        assert md5[0] == md5[1]
    dump = subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                          capture_output=True).stderr.decode()
    assert re.search(r"Stream #0:1\[?\S*\(fra\)", dump) and re.search(r"#0:2\S*\(ara\)", dump)
    assert [(a.language, a.title) for a in probe(out).audio_streams] == [
        ("fra", "Français"), ("ara", "العربية")]


def test_a_data_and_a_subtitle_stream_do_not_stop_the_burn(tmp_path):
    src = tmp_path / "extra.mov"
    media._run(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1",
                "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-preset",
                "ultrafast", "-c:a", "aac", "-timecode", "01:00:00:00", str(src)])
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,500\nhello\n")
    both = tmp_path / "both.mov"
    media._run(["-i", str(src), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy",
                "-c:s", "mov_text", str(both)])
    out = tmp_path / "out.mp4"
    burn_overlays(both, [cue(0, 0, 500)], out, preset="ultrafast")
    assert probe(out).frames == 25


def _ffmpeg_writing(target_dir: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in cmdline and str(target_dir) in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_sigkill_of_a_real_burn_leaves_no_ffmpeg_and_the_next_run_no_litter(tmp_path):
    src = media.make_clip(tmp_path / "src.mp4", seconds=60, size=(640, 360), audio=None)
    subs = tmp_path / "talk.fr.srt"
    subs.write_text("".join(f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n"
                            f"Réplique numéro {i + 1}\n\n" for i in range(50)), encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "CAPSULE_CONFIG": str(tmp_path / "none.toml"),
           "CAPSULE_DATA_DIR": str(tmp_path / "data")}
    base = [sys.executable, "-c", "from publish.cli import main; main()"]
    cmd = [*base, "--set", "preset=veryslow", "burn", str(src), "--subs", str(subs),
           "-o", str(out_dir / "film.mp4")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _ffmpeg_writing(out_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ffmpeg_writing(out_dir), proc.stderr.read().decode() if proc.poll() else "no ffmpeg"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while _ffmpeg_writing(out_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ffmpeg_writing(out_dir) == []
    left = sorted(p.name for p in out_dir.iterdir())
    assert left and all(name.startswith(".film.") for name in left)  # the killed run's work
    short = tmp_path / "short.mp4"
    media.make_clip(short, seconds=1, audio=None)
    one = tmp_path / "one.fr.srt"
    one.write_text("1\n00:00:00,000 --> 00:00:00,900\nRéplique unique\n", encoding="utf-8")
    again = subprocess.run([*base, "--set", "preset=ultrafast", "burn", str(short),
                            "--subs", str(one), "-o", str(out_dir / "film.mp4")], env=env,
                           capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    assert sorted(p.name for p in out_dir.iterdir()) == ["film.mp4"]


def test_an_ffmpeg_failure_is_one_line_and_exit_code_1(tmp_path):
    """ffmpeg that fails while encoding (here a stand-in that says what x264 says when it
    cannot open) gives one line naming the output and ffmpeg's reason, exit code 1."""
    real = media.ffmpeg_exe()
    fake = tmp_path / "ffmpeg"
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        case "$*" in *"-c:v libx264"*)
            echo "[libx264 @ 0x55d0c0ffee00] Error while opening encoder" >&2
            echo "Conversion failed!" >&2
            exit 1;;
        esac
        exec "{real}" "$@"
        """))
    fake.chmod(0o755)
    src = media.make_clip(tmp_path / "src.mp4", seconds=1, audio=None)
    subs = tmp_path / "s.fr.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:00,950\nBonjour\n", encoding="utf-8")
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(fake),
           "CAPSULE_CONFIG": str(tmp_path / "none.toml"),
           "CAPSULE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", "from publish.cli import main; main()",
                           "--set", "preset=ultrafast", "burn", str(src), "--subs", str(subs),
                           "-o", str(tmp_path / "out.mp4")], env=env, capture_output=True)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"capsule: error: {tmp_path / 'out.mp4'}: ffmpeg failed writing it: "
        "libx264: Error while opening encoder"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_ten_bit_hlg_keeps_its_depth_tags_and_draws_subtitles_at_reference_white(tmp_path):
    src = tmp_path / "hlg.mp4"
    media._run(["-f", "lavfi", "-i", "color=c=black:size=320x180:rate=25:duration=1",
                "-vf", "format=yuv420p10le,setparams=range=tv:colorspace=bt2020nc:"
                "color_primaries=bt2020:color_trc=arib-std-b67", "-c:v", "libx264",
                "-preset", "ultrafast", "-profile:v", "high10", str(src)])
    white = Box(Image.new("RGBA", (40, 20), (255, 255, 255, 255)), 100, 100, 0, 1000)
    out = tmp_path / "out.mp4"
    burn_overlays(src, [white], out, preset="ultrafast")
    info = probe(out)
    assert info.pix_fmt.startswith("yuv420p10")
    assert (info.color_space, info.color_primaries, info.color_trc) == (
        "bt2020nc", "bt2020", "arib-std-b67")
    luma = media._run(["-i", str(out), "-frames:v", "1", "-vf", "crop=40:20:100:100",
                       "-f", "rawvideo", "-pix_fmt", "gray16le", "-"]).stdout
    level = np.frombuffer(luma, dtype="<u2").mean() / 65535
    # 75 % HLG signal (BT.2408 graphics white) in limited range: about 0.70 of full scale.
    assert 0.62 < level < 0.78, level


@pytest.mark.parametrize("frame", [None, Frame("9:16", "pad")])
@pytest.mark.parametrize("color", [None, "bt709"])
def test_the_films_colours_are_kept_and_cues_drawn_by_the_players_matrix(color, frame,
                                                                          tmp_path):
    """Untagged or tagged, reframed or not, the film's colours come out as they went in, and
    a green cue is green by the matrix a player uses for HD (BT.709). The lane pictures once
    carried tags other than the source's: ffmpeg converted either them (cues by BT.601) or,
    in a reframed burn, every frame of the film (through RGB, slow and off-colour)."""
    src = media.make_clip(tmp_path / "red.mp4", seconds=0.4, size=(1280, 720), audio=None,
                          pattern="color=c=red", color=color)
    green = Box(Image.new("RGBA", (40, 20), (0, 255, 0, 255)), 500, 650, 0, 1000)
    out = tmp_path / "out.mp4"
    burn_overlays(src, [green], out, preset="ultrafast", frame=frame)

    def luma(path: Path) -> np.ndarray:  # the Y plane as stored: no conversion on reading
        info = probe(path)
        raw = media._run(["-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-"]).stdout
        size = info.width * info.height
        return np.frombuffer(raw[:size], dtype=np.uint8).reshape(info.height, info.width)

    film = luma(src)[300:400, 100:300].mean()
    assert abs(luma(out)[680:710, 100:300].mean() - film) < 1  # red in both frame shapes
    assert abs(luma(out)[654:666, 505:535].mean() - (16 + 219 * 0.7152)) < 1.5  # 709 green


def test_the_lookahead_stays_in_the_encoding_thread_from_1080p(tmp_path):
    """Memory where frames are big (28 MB at 1080p), speed below (16 MB at 720p)."""
    from captions.burn import _lookahead

    for size, expected in (((1920, 1080), ["-x264-params", "sync-lookahead=0"]),
                           ((1080, 1920), ["-x264-params", "sync-lookahead=0"]),
                           ((1280, 720), [])):
        clip = media.make_clip(tmp_path / f"{size[0]}.mp4", seconds=0.2, size=size,
                               audio=None)
        assert _lookahead(probe(clip)) == expected
