"""Preview frames and contact sheets: real video frames with cues drawn by THE renderer.

`preview_frame` shows one moment of the video as it will look once burned; `contact_sheet`
puts every cue over the frame at its midpoint, labelled with its number and time, in a grid,
so an officer reviews all subtitles at a glance. A variant (a Short) is previewed cut and
reframed, its cues on the segment's clock. Both composite `render.render_overlays`
output, exactly what the burn composites with ffmpeg.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from config.atomic import atomic_write
from config.i18n import _

from .errors import CaptionsError
from .model import Track
from .reframe import output_info
from .render import Overlay, composite, render_overlays
from .style import Style

TILE_WIDTH = 480
LABEL_HEIGHT = 28
GAP = 8

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d{1,3})?)$")


class PreviewError(CaptionsError):
    """A time or cue number that does not designate a frame of the video."""


def parse_time(text: str) -> int:
    """Milliseconds from `12.5`, `00:00:12.5`, `00:00:12,500` or `1:02.5` (minutes:seconds)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
            return round(float(value.replace(",", ".")) * 1000)
        match = _CLOCK.match(value)
        if match:
            hours, minutes, seconds = match.groups()
            if int(minutes) >= 60 or float(seconds.replace(",", ".")) >= 60:
                raise ValueError
            total = (int(hours or 0) * 3600 + int(minutes) * 60
                     + float(seconds.replace(",", ".")))
            return round(total * 1000)
    except ValueError:
        pass
    raise PreviewError(_("time {text!r} is not seconds (12.5) or a clock (00:00:12.5, "
                         "00:00:12,500)").format(text=text))


def clock(ms: int) -> str:
    """`HH:MM:SS.mmm` for labels."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"


@dataclass(frozen=True)
class Preview:
    """A composited frame and the moment it shows."""

    image: object  # PIL.Image.Image, RGB, the video's displayed size
    t_ms: int
    overlays: int  # how many cues are drawn on it


def _frame_time(t_ms: int, info) -> int:
    """The time to fetch: `t_ms`, or the last frame when a cue runs past the video's end."""
    last = math.floor((info.duration_ms - 1) / 1000 * info.fps) if info.duration_ms else 0
    if info.frames:
        last = min(last, info.frames - 1)
    if info.frame_at(t_ms) > last:
        return math.ceil(last * 1000 / info.fps)
    return t_ms


def _shown_from(fetched_ms: int, info) -> Fraction:
    """When the frame fetched for `fetched_ms` starts showing (n/fps, in ms).

    The burn puts a cue on frame n when start <= n/fps < end, so the preview composites at
    that instant: compositing at the asked time would show a cue starting a few ms later
    that the burned frame does not carry (and hide one that it still does).
    """
    return Fraction(info.frame_at(fetched_ms) * 1000) / info.fps


def find_cue(tracks: Sequence[Track], number: int):
    """Cue `number` (1-based, as in the file) of the first track."""
    if not tracks:
        raise PreviewError(_("no subtitles are burned here: give a time with --at"))
    track = tracks[0]
    for cue in track.cues:
        if cue.index == number:
            return cue
    where = f" in {track.path}" if track.path else ""
    raise PreviewError(_("there is no cue {number}{where}: it has cues 1 to {max}").format(
                           number=number, where=where,
                           max=max((c.index for c in track.cues), default=0)))


def preview_frame(video: Path | str, tracks: Sequence[Track], style: Style, *,
                  at_ms: int | None = None, cue: int | None = None, cut=None,
                  frame=None) -> Preview:
    """The frame at `at_ms` (or at the midpoint of cue `cue` of the first track) with the cues
    showing then drawn over it, at the video's displayed size.

    `cut`/`frame` (captions.reframe): a variant's picture — times and tracks on the
    segment's clock, the frame reframed as the burn does it."""
    from .video import probe

    if (at_ms is None) == (cue is None):
        raise PreviewError(_("give either a time or a cue number"))
    source = probe(video)
    info = output_info(source, cut, frame)
    if cue is not None:
        chosen = find_cue(tracks, cue)
        if not chosen.text.strip():
            raise PreviewError(_("cue {cue} is empty: nothing to preview").format(cue=cue))
        at_ms = (chosen.start + chosen.end) // 2
    elif at_ms >= info.duration_ms:
        raise PreviewError(_("time {at:.3f} s is past the end of the video "
                             "({duration:.3f} s): give an earlier --at").format(
                               at=at_ms / 1000, duration=info.duration_ms / 1000),
                           path=info.path)
    overlays = render_overlays(list(tracks), info.width, info.height, style)
    fetched = _frame_time(at_ms, info)
    picture = _picture(video, source, fetched, cut, frame)
    shown = _shown_from(fetched, info)
    showing = sum(1 for o in overlays if o.start_ms <= shown < o.end_ms)
    return Preview(composite(picture, overlays, shown), at_ms, showing)


def _picture(video: Path | str, source, t_ms: int, cut, frame):
    """The source frame shown at `t_ms` of the output's clock, reframed like the burn."""
    from .video import extract_frame

    return extract_frame(video, t_ms + (cut.start_ms if cut is not None else 0), info=source,
                         frame=frame)


def contact_sheet(video: Path | str, tracks: Sequence[Track], style: Style, *,
                  columns: int | None = None, tile_width: int = TILE_WIDTH,
                  progress: Callable[[int, int], None] | None = None, cut=None, frame=None):
    """A grid of the frame at every cue's midpoint with every cue showing then, labelled
    "#N  start – end" (prefixed by the language when there are several tracks).

    Cues of different tracks with the same midpoint (a bilingual capsule's aligned cues) share
    one tile, labelled with all their numbers. Returns (RGB image, tiles, cues).
    """
    from PIL import Image, ImageDraw

    from .fonts import pil_font
    from .video import probe

    source = probe(video)
    info = output_info(source, cut, frame)
    overlays = render_overlays(list(tracks), info.width, info.height, style)
    moments: dict[int, list[Overlay]] = {}
    for overlay in sorted(overlays, key=lambda o: (o.track_index, o.start_ms, o.cue_index)):
        moments.setdefault((overlay.start_ms + overlay.end_ms) // 2, []).append(overlay)
    if not moments:
        raise PreviewError(_("the subtitles have no cue with text: nothing to put on a "
                             "sheet"))
    tiles = sorted(moments.items())
    columns = columns or min(len(tiles), 4 if info.width >= info.height else 6)
    tile_width = min(tile_width, info.width)
    tile_height = round(info.height * tile_width / info.width)
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("RGB", (GAP + columns * (tile_width + GAP),
                              GAP + rows * (tile_height + LABEL_HEIGHT + GAP)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    font = pil_font("latin", LABEL_HEIGHT * 0.6)
    for i, (t_ms, cues) in enumerate(tiles):
        fetched = _frame_time(t_ms, info)
        picture = composite(_picture(video, source, fetched, cut, frame), overlays,
                            _shown_from(fetched, info))
        picture = picture.resize((tile_width, tile_height), Image.Resampling.LANCZOS)
        row, col = divmod(i, columns)
        x = GAP + col * (tile_width + GAP)
        y = GAP + row * (tile_height + LABEL_HEIGHT + GAP)
        sheet.paste(picture, (x, y))
        numbers = ", ".join(
            (f"{tracks[o.track_index].language} " if len(tracks) > 1 else "") + f"#{o.cue_index}"
            for o in cues)
        label = f"{numbers}  {clock(cues[0].start_ms)} – {clock(cues[0].end_ms)}"
        draw.text((x, y + tile_height + LABEL_HEIGHT // 2), label, font=font, anchor="lm",
                  fill=(235, 235, 235))
        if progress:
            progress(i + 1, len(tiles))
    return sheet, len(tiles), len(overlays)


def save_png(image, path: Path | str) -> Path:
    """Write `image` as PNG atomically (config.atomic): the old file or the new, never torn."""
    path = Path(path)
    if not path.parent.is_dir():
        raise PreviewError(_("cannot write there: no such folder {parent}").format(
                               parent=path.parent), path=path)
    try:
        with atomic_write(path, binary=True) as handle:
            image.save(handle, "PNG")
    except OSError as exc:
        raise PreviewError(_("cannot write there: {reason}").format(
                               reason=exc.strerror or exc), path=path) from exc
    return path
