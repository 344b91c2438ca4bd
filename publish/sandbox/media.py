"""What the sandbox learns from an uploaded video file: is it a video, how long, how tall.

One `ffmpeg -i` run reads only the container header (no decoding), so it stays fast for any
size. Bytes ffmpeg cannot read make the video fail processing, as YouTube does
(`uploadStatus: failed`, `failureReason: invalidFile`). The same run gives what the owner sees
in `fileDetails` (container, streams, bitrate) once the video is processed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #.*Video: .*?, (\d{2,5})x(\d{2,5})")
_CONTAINER = re.compile(r"Input #0, ([^,\s]+)")
_BITRATE = re.compile(r"Duration: .*bitrate: (\d+) kb/s")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)")
_FPS = re.compile(r"Stream #\S+.*?: Video: .*?, ([\d.]+) fps")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+).*? Hz, ([^,]+)")
_ROTATE = re.compile(r"rotate\s*:\s*(-?\d+)|rotation of (-?[\d.]+) degrees")

_CHANNELS = {"mono": 1, "stereo": 2, "5.1": 6, "5.1(side)": 6, "7.1": 8}


def probe_video(path: Path) -> dict[str, Any]:
    """{"ok", "seconds", "width", "height", "container", "bitrate", "video_codec", "fps",
    "rotation", "audio": [(codec, channels)]}; ok is False when ffmpeg sees no video stream."""
    import imageio_ffmpeg

    try:
        run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                             capture_output=True, text=True, errors="replace", timeout=30,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {"ok": False, "seconds": 0.0, "width": 0, "height": 0}
    text = run.stderr
    duration = _DURATION.search(text)
    size = _VIDEO_SIZE.search(text)
    seconds = 0.0
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    container = _CONTAINER.search(text)
    bitrate = _BITRATE.search(text)
    codec = _VIDEO.search(text)
    fps = _FPS.search(text)
    rotate = _ROTATE.search(text)
    audio = [(m.group(1), _CHANNELS.get(m.group(2), _leading_int(m.group(2))))
             for m in _AUDIO.finditer(text)]
    return {"ok": bool(duration and size), "seconds": seconds,
            "width": int(size.group(1)) if size else 0,
            "height": int(size.group(2)) if size else 0,
            "container": container.group(1) if container else None,
            "bitrate": int(bitrate.group(1)) * 1000 if bitrate else None,
            "video_codec": codec.group(1) if codec else None,
            "fps": float(fps.group(1)) if fps else None,
            "rotation": abs(int(float(next(g for g in rotate.groups() if g))))
            if rotate else 0,
            "audio": audio}


def _leading_int(text: str) -> int:
    digits = re.match(r"\d+", text)
    return int(digits.group(0)) if digits else 0
