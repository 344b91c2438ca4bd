"""What every resource handler of the sandbox shares: the checked call, etags, page tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publish.sandbox.discovery import Method
from publish.sandbox.errors import ApiError

YOUTUBE_CHANNEL_ID = "UCBR8-60-B28hp2BmDPdntcQ"  # owner of the category list on YouTube
OWNER_PARTS = {"fileDetails", "processingDetails", "suggestions"}
_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"
_TIMING = re.compile(rb"\d+:\d\d:\d\d[.,]\d{3}\s*(-->|,)\s*\d+:\d\d:\d\d[.,]\d{3}")
LONG_UPLOAD = 15 * 60  # seconds; longer videos need longUploadsStatus "allowed"
THUMBNAIL_SIZES = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}


@dataclass
class Call:
    """One checked request, as the handlers see it."""

    method: Method
    params: dict[str, Any]
    body: dict[str, Any] | None = None
    owner: bool = True  # OAuth caller (the channel owner); False for API-key reads
    media: Path | None = None
    media_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def etag(value: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(json.dumps(value, sort_keys=True, default=str)
                                                 .encode()).digest()).decode()[:27]


def _login_required() -> ApiError:
    return ApiError(401, "required", "The request uses the <code>mine</code> parameter but is "
                    "not properly authorized.", domain="youtube.parameter", location="mine",
                    location_type="parameter", charge=False)


def encode_page_token(offset: int) -> str:
    return "CA" + base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = token[2:] + "=" * (-len(token[2:]) % 4)
        kind, _, value = base64.urlsafe_b64decode(raw).decode().partition(":")
        if token.startswith("CA") and kind == "o":
            return max(0, int(value))
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "invalidPageToken", "The request specifies an invalid page token.",
                   domain="youtube.parameter", location="pageToken")


def iso_duration(seconds: float) -> str:
    """YouTube's `contentDetails.duration` (`PT1M3S`; `P0D` when unknown)."""
    total = round(seconds)
    if total <= 0:
        return "P0D"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or not (hours or minutes) else "")
