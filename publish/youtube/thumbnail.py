"""Custom thumbnails: a JPEG/PNG checked locally, or a frame of the video with a title overlay.

YouTube takes JPEG or PNG (told apart by magic bytes, not by the file name), at most 50 MB
(the Help Center still says 2 MB), ideally 1280×720 and at least 640 wide, 16:9.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from captions.video import extract_frame
from config.atomic import atomic_write
from config.i18n import _
from publish.errors import InvalidInput
from publish.journal import Journal
from publish.youtube import quota
from publish.youtube.throttle import UNLIMITED, Throttle

log = logging.getLogger("capsule.thumbnail")

MAX_BYTES = 50 * 1024 * 1024
HELP_CENTER_BYTES = 2 * 1024 * 1024
MIN_WIDTH = 640
ASPECT = 16 / 9
ASPECT_TOLERANCE = 0.02
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ThumbnailInfo:
    path: Path
    mimetype: str
    width: int
    height: int
    size: int
    warnings: tuple[str, ...] = ()


def check_thumbnail(path: Path) -> ThumbnailInfo:
    """Type by magic bytes, size and aspect ratio; InvalidInput naming the file otherwise."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise InvalidInput(_("--thumbnail {path}: no such file").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(_("--thumbnail {path}: cannot read it ({strerror})").format(
                               path=path, strerror=exc.strerror)) from exc
    if head.startswith(JPEG_MAGIC):
        mimetype = "image/jpeg"
    elif head.startswith(PNG_MAGIC):
        mimetype = "image/png"
    else:
        raise InvalidInput(_("--thumbnail {path}: not a JPEG or PNG image (checked by "
                             "its first bytes, not its name); export it as .jpg or .png").format(
                               path=path))
    if size > MAX_BYTES:
        raise InvalidInput(_("--thumbnail {path}: {size} bytes, YouTube accepts at most "
                             "{MAX_BYTES} (50 MB)").format(
                               path=path, size=size, MAX_BYTES=MAX_BYTES))
    width, height = image_size(path, mimetype)
    if width < MIN_WIDTH:
        raise InvalidInput(_("--thumbnail {path}: {width}x{height} is too small; YouTube "
                             "wants at least {MIN_WIDTH} pixels wide (1280x720 is best)").format(
                               path=path, width=width, height=height, MIN_WIDTH=MIN_WIDTH))
    if abs(width / height - ASPECT) > ASPECT * ASPECT_TOLERANCE:
        raise InvalidInput(_("--thumbnail {path}: {width}x{height} is not 16:9; crop it "
                             "to 1280x720").format(path=path, width=width, height=height))
    warnings = ()
    if size > HELP_CENTER_BYTES:
        warnings = (_("{path}: {size} bytes; the YouTube Help Center still documents a 2 MB "
                      "limit for thumbnails").format(path=path, size=size),)
    return ThumbnailInfo(path, mimetype, width, height, size, warnings)


def image_size(path: Path, mimetype: str) -> tuple[int, int]:
    """Width and height from the image header (PNG IHDR or JPEG SOFn).

    A truncated header or a zero side is "damaged", never a struct error or a division by zero.
    """
    with open(path, "rb") as fh:
        try:
            width, height = _png_size(fh) if mimetype == "image/png" else _jpeg_size(fh)
        except struct.error:
            width = height = 0
    if width and height:
        return width, height
    raise InvalidInput(_("--thumbnail {path}: the image header is damaged (no size "
                         "found); export it again").format(path=path))


def _png_size(fh: Any) -> tuple[int, int]:
    width, height = struct.unpack(">II", fh.read(24)[16:24])
    return width, height


def _jpeg_size(fh: Any) -> tuple[int, int]:
    fh.read(2)
    while True:
        marker = fh.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return 0, 0
        code = marker[1]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue
        length = struct.unpack(">H", fh.read(2))[0]
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", fh.read(5)[1:5])
            return width, height
        fh.seek(length - 2, 1)


def frame_thumbnail(video: Path, t_ms: int, out: Path, title: str | None = None,
                    language: str = "fr") -> Path:
    """Save the frame at `t_ms`, scaled to 1280x720, as a JPEG; the title is drawn on top by
    the captions renderer (same fonts, shaping and bidi as the burned subtitles)."""

    image = extract_frame(video, t_ms).convert("RGB").resize((1280, 720))
    if title:
        from captions.model import Cue, Span
        from captions.render import render_cue
        from captions.style import Style

        cue = Cue(index=1, start=0, end=1, lines=[[Span(title, bold=True)]], top=True)
        rendered = render_cue(cue, title_language(title, language), 1280, 720,
                              Style(kind="box", bold=True))
        if rendered is not None:
            overlay = rendered.image
            image.paste(overlay, (rendered.x, rendered.y), overlay)
    with atomic_write(out, binary=True) as fh:
        image.save(fh, format="JPEG", quality=90)
    return out


def title_language(title: str, default: str) -> str:
    """The language whose fonts draw the title: its script decides (Arabic, Tifinagh)."""
    if any("\u0600" <= ch <= "\u06ff" for ch in title):
        return "ar"
    if any("\u2d30" <= ch <= "\u2d7f" for ch in title):
        return "zgh"
    return default


def set_thumbnail(service: Any, journal: Journal, *, video_id: str, info: ThumbnailInfo,
                  channel: str = "", upload_id: int | None = None,
                  throttle: Throttle = UNLIMITED) -> dict[str, Any]:
    """thumbnails.set, never retried on 429 (uploadRateLimitExceeded lasts a day)."""
    from googleapiclient.http import MediaFileUpload

    throttle.take(info.path.stat().st_size)  # one request: it waits its share of the limit
    media = MediaFileUpload(str(info.path), mimetype=info.mimetype, resumable=False)
    request = service.thumbnails().set(videoId=video_id, media_body=media)
    return quota.execute(journal, "thumbnails.set", request,
                         doing=_("setting the thumbnail of video {video_id}").format(
                                   video_id=video_id), channel=channel,
                         upload_id=upload_id, retries=0)
