"""The sandbox's thumbnails.set: magic bytes, size, the verified-channel rule.

A part of `YouTubeApi` (publish/sandbox/api.py), which mixes the resources over one store.
"""

from __future__ import annotations

import os
from typing import Any

from publish.sandbox.calls import (
    _JPEG,
    _PNG,
    Call,
    etag,
)
from publish.sandbox.errors import ApiError, bad_request


class Thumbnails:
    """Handlers of one resource; `YouTubeApi` mixes them over one store."""

    def prepare_thumbnail(self, call: Call) -> None:
        self._video(call.params["videoId"])
        if not self.limits.channel_verified:
            raise ApiError(403, "forbidden", "The thumbnail can't be set for the specified "
                           "video. The request might not be properly authorized.",
                           domain="youtube.thumbnail")
        now = self.clock.timestamp()
        with self.store.lock:
            recent = [t for t in self.store["events"].get("thumbnails", [])
                      if t > now - 86400]
        if len(recent) >= self.limits.thumbnail_sets_per_day:
            raise ApiError(429, "uploadRateLimitExceeded", "The user has uploaded too many "
                           "thumbnails recently. Please try the request again later.",
                           domain="youtube.thumbnail")

    def commit_thumbnail(self, call: Call) -> dict[str, Any]:
        assert call.media is not None
        video_id = call.params["videoId"]
        size = call.media.stat().st_size
        with open(call.media, "rb") as fh:
            head = fh.read(8)
        try:
            if size == 0:
                raise self.missing_media("youtube.thumbnails.set")
            if size > self.limits.thumbnail_max_bytes:
                raise ApiError(413, "uploadTooLarge", "The thumbnail image file is too large "
                               f"(limit {self.limits.thumbnail_max_bytes} bytes).",
                               domain="youtube.thumbnail")
            if not (head.startswith(_JPEG) or head.startswith(_PNG)):
                raise bad_request("invalidImage", "The provided image content is invalid.",
                                  domain="youtube.thumbnail")
        except ApiError:
            call.media.unlink(missing_ok=True)
            raise
        os.replace(call.media, self.store.path("thumbnails", video_id))
        with self.store.change() as data:
            data["thumbnails"][video_id] = {"size": size, "type": "image/jpeg" if head.startswith(
                _JPEG) else "image/png", "set": self.clock.timestamp()}
            data["events"].setdefault("thumbnails", []).append(self.clock.timestamp())
        items = [self._thumbnails(video_id)]
        return {"kind": "youtube#thumbnailSetResponse", "etag": etag(items), "items": items}
