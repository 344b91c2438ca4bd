"""What the sandbox learns from an uploaded video file: is it a video, how long, how tall.

One `ffmpeg -i` run reads only the container header (no decoding), so it stays fast for any
size. Bytes ffmpeg cannot read make the video fail processing, as YouTube does
(`uploadStatus: failed`, `failureReason: invalidFile`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #.*Video: .*?, (\d{2,5})x(\d{2,5})")


def probe_video(path: Path) -> dict[str, Any]:
    """{"ok", "seconds", "width", "height"}; ok is False when ffmpeg sees no video stream."""
    import imageio_ffmpeg

    try:
        run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                             capture_output=True, text=True, errors="replace", timeout=30,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {"ok": False, "seconds": 0.0, "width": 0, "height": 0}
    duration = _DURATION.search(run.stderr)
    size = _VIDEO_SIZE.search(run.stderr)
    seconds = 0.0
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return {"ok": bool(duration and size), "seconds": seconds,
            "width": int(size.group(1)) if size else 0,
            "height": int(size.group(2)) if size else 0}
