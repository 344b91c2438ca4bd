"""A variant's picture: a segment of the source (`Cut`) in another frame shape (`Frame`).

Both become part of the burn's one ffmpeg pass: the cut is an input seek and an output
duration, the reframe a filter chain in front of the subtitle overlays, so a Short is cut,
reframed and subtitled without an intermediate file. Cues move with the cut: shifted to the
segment's clock, clipped to it, and left out when too little of them remains to be read.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config.i18n import _

from .errors import CaptionsError
from .layout import visible_length
from .model import Cue, Track

if TYPE_CHECKING:
    from .video import VideoInfo

ASPECTS: dict[str, tuple[int, int]] = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1),
                                       "4:5": (4, 5)}
FITS = ("crop", "blur", "pad")
NARROW_WIDTH = 1080  # vertical and square variants: what the Shorts player shows best
SHORTS_MAX_MS = 180_000  # YouTube: a vertical or square video up to 3 minutes is a Short
MIN_READ_MS = 833  # a cut cue shorter than this is a flash, not a subtitle (checking.Limits)
BLUR_SCALE = 4  # the blurred background is made at a quarter of the size: same look, 16x less


class ReframeError(CaptionsError):
    """A cut or a frame that does not fit the video (a segment past its end, an aspect
    capsule does not know). `field` names the manifest key at fault (start, end, aspect, fit,
    x): the message is in the interface language, so callers must not parse it."""

    def __init__(self, message: str, *, field: str | None = None, **where: Any) -> None:
        super().__init__(message, **where)
        self.field = field


@dataclass(frozen=True)
class Cut:
    """The segment [start_ms, end_ms) of the source; `end_ms` None: to the end."""

    start_ms: int = 0
    end_ms: int | None = None

    def end(self, info: VideoInfo) -> int:
        return info.duration_ms if self.end_ms is None else min(self.end_ms, info.duration_ms)

    def check(self, info: VideoInfo) -> None:
        if self.start_ms < 0:
            raise ReframeError(_("start {seconds:g} s is before the video's start").format(
                                   seconds=self.start_ms / 1000), field="start")
        if self.start_ms >= info.duration_ms:
            raise ReframeError(_("start {start_ms} is past the end of the video "
                                 "({duration_ms})").format(
                                   start_ms=clock(self.start_ms),
                                   duration_ms=clock(info.duration_ms)), field="start")
        if self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ReframeError(_("end {end_ms} is not after start {start_ms}").format(
                                   end_ms=clock(self.end_ms), start_ms=clock(self.start_ms)),
                               field="end")
        if self.end_ms is not None and self.end_ms > info.duration_ms + 1:
            raise ReframeError(_("end {end_ms} is past the end of the video "
                                 "({duration_ms})").format(
                                   end_ms=clock(self.end_ms),
                                   duration_ms=clock(info.duration_ms)), field="end")


@dataclass(frozen=True)
class Frame:
    """The output's shape: `aspect` (16:9, 9:16, 1:1, 4:5) and how the source fills it —
    `crop` (cover, cut at the horizontal focus `x`), `blur` (the whole picture over a blurred,
    enlarged copy of itself) or `pad` (the whole picture between black bars)."""

    aspect: str = "16:9"
    fit: str = "crop"
    x: float = 0.5

    def __post_init__(self) -> None:
        if self.aspect not in ASPECTS:
            raise ReframeError(_("aspect {aspect!r} is unknown: use {known}").format(
                aspect=self.aspect, known=", ".join(f'"{a}"' for a in ASPECTS)), field="aspect")
        if self.fit not in FITS:
            raise ReframeError(_("fit {fit!r} is unknown: use crop, blur or pad").format(
                                   fit=self.fit), field="fit")
        if not 0 <= self.x <= 1:
            raise ReframeError(_("x = {x:g} must be from 0.0 (left) to 1.0 (right)").format(
                                   x=self.x), field="x")

    @property
    def narrow(self) -> bool:
        """Vertical or square: what YouTube takes for a Short when it is short enough."""
        w, h = ASPECTS[self.aspect]
        return w <= h

    def size(self, info: VideoInfo) -> tuple[int, int]:
        """The output size: 1080 wide when narrow, else the source's height at 16:9."""
        w, h = ASPECTS[self.aspect]
        if self.narrow:
            return NARROW_WIDTH, _even(NARROW_WIDTH * h / w)
        return _even(info.height * w / h), _even(info.height)


def clock(ms: int) -> str:
    """`0:12`, `1:02.5`: minutes and seconds, for messages and plans."""
    minutes, rest = divmod(ms, 60_000)
    seconds = f"{rest / 1000:06.3f}".rstrip("0").rstrip(".")
    return f"{minutes}:{seconds}"


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def is_short(frame: Frame | None, duration_ms: int) -> bool:
    return frame is not None and frame.narrow and duration_ms <= SHORTS_MAX_MS


def output_info(info: VideoInfo, cut: Cut | None, frame: Frame | None) -> VideoInfo:
    """What the variant's file will be: the frame's size, the segment's length and frames."""
    changes: dict = {}
    if frame is not None:
        width, height = frame.size(info)
        changes.update(width=width, height=height, coded_width=width, coded_height=height,
                       rotation=0)
    if cut is not None:
        end = cut.end(info)
        changes["duration_ms"] = end - cut.start_ms
        if info.frames is not None:
            first, stop = (info.first_frame_from(cut.start_ms), info.first_frame_from(end))
            changes["frames"] = max(0, min(stop, info.frames) - first)
    return dataclasses.replace(info, **changes) if changes else info


def reframe_chain(info: VideoInfo, frame: Frame, src: str, out: str) -> list[str]:
    """Filter-graph chains taking the source picture `[src]` to the frame's size as `[out]`
    (sizes computed here, from the probe, so every pixel position is exact)."""
    width, height = frame.size(info)
    sw, sh = info.width, info.height
    cover = max(width / sw, height / sh)
    if frame.fit == "crop":
        cw, ch = max(width, _even(sw * cover)), max(height, _even(sh * cover))
        x, y = round((cw - width) * frame.x), (ch - height) // 2
        return [f"[{src}]scale={cw}:{ch},crop={width}:{height}:{x}:{y},setsar=1[{out}]"]
    fit = min(width / sw, height / sh)
    fw, fh = min(width, _even(sw * fit)), min(height, _even(sh * fit))
    fx, fy = (width - fw) // 2, (height - fh) // 2
    if frame.fit == "pad":
        return [f"[{src}]scale={fw}:{fh},setsar=1,pad={width}:{height}:{fx}:{fy}:black[{out}]"]
    bw, bh = _even(width / BLUR_SCALE), _even(height / BLUR_SCALE)
    cbw, cbh = max(bw, _even(sw * cover / BLUR_SCALE)), max(bh, _even(sh * cover / BLUR_SCALE))
    radius = max(2, min(bw, bh) // 12)
    return [f"[{src}]split=2[{out}_b][{out}_f]",
            f"[{out}_b]scale={cbw}:{cbh},crop={bw}:{bh},boxblur={radius}:2,"
            f"scale={width}:{height},setsar=1[{out}_bg]",
            f"[{out}_f]scale={fw}:{fh},setsar=1[{out}_fg]",
            f"[{out}_bg][{out}_fg]overlay={fx}:{fy}[{out}]"]


def cut_track(track: Track, cut: Cut, info: VideoInfo | None = None,
              max_cps: float = 17.0) -> tuple[Track, list[int]]:
    """The track on the segment's clock: (track, numbers of the cues left out).

    A cue is clipped to [start, end) and shifted by `start`; one that the cut leaves
    partly outside is kept only if what remains lasts at least MIN_READ_MS and long enough
    to read its text at `max_cps` characters a second (the language's highest reading
    speed, captions.checking.Limits.max_cps).
    """
    start = cut.start_ms
    end = cut.end(info) if info is not None else (cut.end_ms if cut.end_ms is not None
                                                  else math.inf)
    kept: list[Cue] = []
    dropped: list[int] = []
    for cue in track.cues:
        a, b = max(cue.start, start), min(cue.end, end)
        if b <= a:
            continue  # wholly outside the segment
        if (a, b) != (cue.start, cue.end):
            need = max(MIN_READ_MS, math.ceil(1000 * visible_length(cue.text.replace("\n", " "))
                                              / max_cps))
            if b - a < need:
                dropped.append(cue.index)
                continue
        kept.append(dataclasses.replace(cue, start=int(a - start), end=int(b - start)))
    return dataclasses.replace(track, cues=kept), dropped


def seek_args(cut: Cut | None, info: VideoInfo) -> tuple[list[str], list[str]]:
    """ffmpeg arguments (before the input, after it) that keep just the segment. The input
    seek decodes from the keyframe before `start` and drops the frames before it, so the
    first frame out is the first at or after `start` (frame-accurate); `-t` ends it."""
    if cut is None:
        return [], []
    before = ["-ss", f"{cut.start_ms / 1000:.3f}"] if cut.start_ms else []
    return before, ["-t", f"{(cut.end(info) - cut.start_ms) / 1000:.3f}"]
