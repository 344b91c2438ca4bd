"""YouTube video ids out of whatever an officer pastes: a bare id or a watch, youtu.be, shorts,
embed or live URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from config.i18n import _
from publish.errors import InvalidInput

_ID = re.compile(r"[A-Za-z0-9_-]{11}")  # 11 characters of base64url

_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
          "youtube-nocookie.com", "www.youtube-nocookie.com"}
_PATH_PREFIXES = ("shorts", "embed", "live", "v", "e")


def video_id(text: str) -> str:
    """The 11-character id in `text`, or InvalidInput naming what was given and what is expected."""
    raw = text.strip()
    candidate = _candidate(raw)
    if candidate is None or not _ID.fullmatch(candidate):
        raise InvalidInput(
            _("{raw!r} is not a YouTube video: give an 11-character id (e.g. "
              "dQw4w9WgXcQ) or a youtube.com/watch?v=…, youtu.be/… or "
              "youtube.com/shorts/… URL").format(raw=raw))
    return candidate


def _candidate(raw: str) -> str | None:
    if "/" not in raw and "." not in raw:
        return raw
    url = raw if "://" in raw else "https://" + raw
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host in {"youtu.be", "www.youtu.be"}:
        return segments[0] if segments else None
    if host not in _HOSTS:
        return None
    if segments[:1] == ["watch"]:
        values = parse_qs(parts.query).get("v")
        return values[0] if values else None
    if len(segments) >= 2 and segments[0] in _PATH_PREFIXES:
        return segments[1]
    return None
