"""Caption tracks on YouTube: one named track per language, updated in place, never duplicated.

A track is identified by (video, language, name): YouTube answers 409 `captionExists` to a
second insert of the same triple, so an existing track is looked up first and UPDATED. The
deprecated `sync` parameter is never sent (it is gone since 2024-04-12): files carry timing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.i18n import _
from publish.errors import CapsuleError, InvalidInput
from publish.journal import Journal
from publish.youtube import quota
from publish.youtube.client import error_reason
from publish.youtube.metadata import LANGUAGES
from publish.youtube.throttle import UNLIMITED, Throttle

CAPTION_MAX_BYTES = 100 * 1024 * 1024
NAME_MAX = 150

# The track name shown to viewers, per language (in that language).
TRACK_NAMES: dict[str, str] = {
    "fr": "Français", "ar": "العربية", "zgh": "ⵜⴰⵎⴰⵣⵉⵖⵜ", "ber": "ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "tzm": "ⵜⴰⵎⴰⵣⵉⵖⵜ", "en": "English", "es": "Español",
}


def track_name(language: str) -> str:
    return TRACK_NAMES.get(language, TRACK_NAMES.get(language.split("-")[0], language))


def check_caption_file(language: str, path: Path) -> None:
    """Local checks before anything is spent: readable, non-empty, ≤ 100 MB, a language code."""

    if not path.is_file():
        raise InvalidInput(_("--caption {language}={path}: no such file").format(
                               language=language, path=path))
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(_("--caption {language}={path}: the file is empty").format(
                               language=language, path=path))
    if size > CAPTION_MAX_BYTES:
        raise InvalidInput(_("--caption {language}={path}: {size} bytes, YouTube accepts "
                             "at most {CAPTION_MAX_BYTES}").format(
                               language=language, path=path, size=size,
                               CAPTION_MAX_BYTES=CAPTION_MAX_BYTES))
    if language not in LANGUAGES:
        raise InvalidInput(_("--caption {language}={path}: {language!r} is not a YouTube "
                             "language code (e.g. fr, ar, zgh, en)").format(
                               language=language, path=path))


def put_track(service: Any, journal: Journal, *, video_id: str, language: str, srt: Path,
              name: str | None = None, channel: str = "", upload_id: int | None = None,
              throttle: Throttle = UNLIMITED) -> dict[str, Any]:
    """Insert the track, or update the existing one of the same language and name.

    Returns the caption resource. A 409 on insert (a track created by another run since the
    list) is resolved by one list + update, never by a retry loop.
    """
    from googleapiclient.http import MediaFileUpload


    name = name or track_name(language)
    if len(name) > NAME_MAX:
        raise InvalidInput(_("caption name {name!r}: at most {NAME_MAX} characters").format(
                               name=name, NAME_MAX=NAME_MAX))
    doing = _("sending the {language} caption track of video {video_id}").format(
                language=language, video_id=video_id)
    existing = find_track(service, journal, video_id=video_id, language=language, name=name,
                          channel=channel, upload_id=upload_id)

    def media() -> Any:
        throttle.take(srt.stat().st_size)  # one request: it waits its share of the limit
        return MediaFileUpload(str(srt), mimetype="application/octet-stream", resumable=False)

    snippet = {"videoId": video_id, "language": language, "name": name, "isDraft": False}
    if existing is None:
        request = service.captions().insert(part="snippet", body={"snippet": snippet},
                                            media_body=media())
        try:
            return quota.execute(journal, "captions.insert", request, doing=doing,
                                 channel=channel, upload_id=upload_id)
        except CapsuleError as exc:
            if error_reason(exc.__cause__) != "captionExists":  # the API's reason, not our text
                raise
            existing = find_track(service, journal, video_id=video_id, language=language,
                                  name=name, channel=channel, upload_id=upload_id)
            if existing is None:
                raise
    request = service.captions().update(part="snippet",
                                        body={"id": existing["id"], "snippet": snippet},
                                        media_body=media())
    return quota.execute(journal, "captions.update", request, doing=doing, channel=channel,
                         upload_id=upload_id)


def find_track(service: Any, journal: Journal, *, video_id: str, language: str, name: str,
               channel: str = "", upload_id: int | None = None) -> dict[str, Any] | None:
    """The video's track with this language and name, if any."""
    request = service.captions().list(part="snippet", videoId=video_id)
    reply = quota.execute(journal, "captions.list", request,
                          doing=_("listing the caption tracks of video {video_id}").format(
                                    video_id=video_id),
                          channel=channel, upload_id=upload_id)
    for item in reply.get("items", []):
        snippet = item.get("snippet", {})
        if snippet.get("language") == language and snippet.get("name") == name:
            return item
    return None
