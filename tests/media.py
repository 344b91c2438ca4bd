"""Tiny media fixtures generated with the bundled ffmpeg, shared by every test that needs video.

Stable API (other test files import it):
    ffmpeg_exe()                         path of the imageio-ffmpeg binary
    make_clip(path, ...)                 a test-pattern clip (optional audio, rotation, colour tags)
    make_audio_only(path)                an .m4a with no video stream
    truncate(src, dst, fraction)         the first part of a file (a torn copy)
    audio_md5(path)                      md5 of the first audio stream's packets (bit-exact check)
    decode_frames(path)                  every displayed frame as an (n, h, w, 3) uint8 array
    file_md5(path)                       md5 of the whole file (to prove it was not touched)

Frames are "testsrc2" (moving colour pattern) so that an encode that drops, duplicates or
shifts frames is visible; audio is a sine so packets are never empty.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import numpy as np


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str]) -> subprocess.CompletedProcess:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace")
        raise RuntimeError(f"ffmpeg failed: {' '.join(cmd)}\n{err}")
    return done


def make_clip(path: Path | str, *, seconds: float = 2.0, size: tuple[int, int] = (320, 180),
              fps: str = "25", audio: str | None = "aac", rotation: int = 0,
              color: str | None = "bt709", pattern: str = "testsrc2",
              faststart: bool = False) -> Path:
    """Write a clip: H.264 video of `size` (as stored) at `fps`, `seconds` long.

    audio: None (no audio stream) or an ffmpeg encoder name (aac, libmp3lame, libopus,
    pcm_s16le, ...); pick a container that can hold it (pcm_s16le → .mov or .mkv).
    rotation: clockwise display rotation in degrees (a phone held upright records 90).
    color: colour tags written on the stream (space, primaries and transfer), or None.
    pattern: an ffmpeg lavfi video source name ("testsrc2", "color=c=gray", ...).
    """
    path = Path(path)
    w, h = size
    source = f"{pattern}=size={w}x{h}:rate={fps}:duration={seconds}"
    if pattern.startswith("color"):
        source = f"{pattern}:size={w}x{h}:rate={fps}:duration={seconds}"
    args = ["-f", "lavfi", "-i", source]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    vf = "format=yuv420p"
    if color:
        vf += f",setparams=range=tv:colorspace={color}:color_primaries={color}:color_trc={color}"
    args += ["-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-g", "12"]
    if audio:
        args += ["-c:a", audio]
    if faststart:
        args += ["-movflags", "+faststart"]
    if not rotation:
        _run([*args, str(path)])
        return path
    plain = path.with_name(f".{path.stem}.unrotated{path.suffix}")
    _run([*args, str(plain)])
    # ffmpeg's -display_rotation is counter-clockwise; phones' "rotate" tag is clockwise.
    _run(["-display_rotation", str(-rotation), "-i", str(plain), "-c", "copy", str(path)])
    plain.unlink()
    return path


def make_audio_only(path: Path | str, seconds: float = 1.0) -> Path:
    path = Path(path)
    _run(["-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:a", "aac", str(path)])
    return path


def truncate(src: Path | str, dst: Path | str, fraction: float = 0.6) -> Path:
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


def audio_md5(path: Path | str) -> str:
    """md5 of the first audio stream's packets, as `ffmpeg -c copy -f md5` computes it."""
    done = _run(["-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "md5", "-"])
    return done.stdout.decode().strip().removeprefix("MD5=")


def decode_frames(path: Path | str) -> np.ndarray:
    """Every frame as displayed (rotation applied), RGB, shape (n, h, w, 3).

    Timestamps are passed through so that the array index is the frame number.
    """
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, check=False).stderr.decode(errors="replace")
    w = h = 0
    for line in probe.splitlines():
        m = re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", line)
        if m:
            w, h = int(m.group(1)), int(m.group(2))
            if re.search(r"rotation of -?(90|270)\.", probe):
                w, h = h, w
            break
    raw = _run(["-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]).stdout
    frames = np.frombuffer(raw, dtype=np.uint8)
    return frames.reshape(-1, h, w, 3)


def file_md5(path: Path | str) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()
