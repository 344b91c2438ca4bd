"""The sandbox's captions: upload halves, update, list, delete, download.

A part of `YouTubeApi` (publish/sandbox/api.py), which mixes the resources over one store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from publish.sandbox import rules
from publish.sandbox.calls import (
    _TIMING,
    Call,
    etag,
)
from publish.sandbox.clock import rfc3339
from publish.sandbox.errors import ApiError, not_found


class CaptionTracks:
    """Handlers of one resource; `YouTubeApi` mixes them over one store."""

    def prepare_caption(self, call: Call) -> None:
        snippet = (call.body or {}).get("snippet")
        rules.check_caption(snippet, inserting=True)
        assert snippet is not None
        self._caption_video(snippet["videoId"])
        self._check_caption_unique(snippet["videoId"], snippet["language"],
                                   snippet.get("name", ""))

    def _caption_video(self, video_id: str) -> dict[str, Any]:
        video = self.store["videos"].get(video_id)
        if video is None or video.get("_deleted"):
            raise not_found("videoNotFound", "The video identified by the <code>videoId</code> "
                            "parameter could not be found.", location="body.snippet.videoId")
        return video

    def _check_caption_unique(self, video_id: str, language: str, name: str,
                              ignore: str | None = None) -> None:
        for caption_id, track in self.store["captions"].items():
            if caption_id != ignore and (track["videoId"], track["language"],
                                         track.get("name", "")) == (video_id, language, name):
                raise ApiError(409, "captionExists", "The specified video already has a "
                               "caption track with the given snippet.language and snippet.name "
                               "values.", domain="youtube.caption")

    def commit_caption(self, call: Call) -> dict[str, Any]:
        assert call.media is not None
        snippet = (call.body or {})["snippet"]
        self.prepare_caption(call)  # the video or a twin track may have changed meanwhile
        caption_id = self.store.new_id(43, "AUieDa")
        track = {"id": caption_id, "videoId": snippet["videoId"],
                 "language": snippet["language"], "name": snippet.get("name", ""),
                 "isDraft": bool(snippet.get("isDraft", False))}
        self._store_caption_file(track, call.media)
        with self.store.change() as data:
            data["captions"][caption_id] = track
        return self.render_caption(track)

    def _store_caption_file(self, track: dict[str, Any], media: Path) -> None:
        size = media.stat().st_size
        if size == 0:
            media.unlink()
            raise self.missing_media("youtube.captions.insert")
        if size > self.limits.caption_max_bytes:
            media.unlink()
            raise ApiError(413, "uploadTooLarge", "The caption file is too large.")
        head = media.read_bytes()[:1 << 20]
        try:
            head.decode("utf-8")
            readable = bool(_TIMING.search(head)) or head.lstrip(b"\xef\xbb\xbf").startswith(
                b"WEBVTT")
        except UnicodeDecodeError:
            readable = False
        os.replace(media, self.store.path("captions", track["id"]))
        track["status"] = "serving" if readable else "failed"
        if not readable:
            track["failureReason"] = "unknownFormat"
        track["lastUpdated"] = rfc3339(self.clock.now())
        track["_size"] = size

    def render_caption(self, track: dict[str, Any]) -> dict[str, Any]:
        snippet = {"videoId": track["videoId"], "lastUpdated": track["lastUpdated"],
                   "trackKind": "standard", "language": track["language"],
                   "name": track["name"], "audioTrackType": "unknown", "isCC": False,
                   "isLarge": False, "isEasyReader": False, "isDraft": track["isDraft"],
                   "isAutoSynced": False, "status": track["status"]}
        if "failureReason" in track:
            snippet["failureReason"] = track["failureReason"]
        out = {"kind": "youtube#caption", "etag": "", "id": track["id"], "snippet": snippet}
        out["etag"] = etag(out)
        return out

    def _caption(self, caption_id: str | None) -> dict[str, Any]:
        track = self.store["captions"].get(caption_id or "")
        if track is None:
            raise not_found("captionNotFound", "The caption track could not be found.",
                            location="id")
        return track

    def prepare_caption_update(self, call: Call) -> None:
        body = call.body or {}
        track = self._caption(body.get("id"))
        rules.check_caption(body.get("snippet") or {}, inserting=False)
        name = (body.get("snippet") or {}).get("name")
        if name is not None:
            self._check_caption_unique(track["videoId"], track["language"], name,
                                       ignore=track["id"])

    def commit_caption_update(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        track = self._caption(body.get("id"))
        snippet = body.get("snippet") or {}
        with self.store.change():
            # The file first: a refused one (empty, too large) must leave the track as it was.
            if call.media is not None:
                self._store_caption_file(track, call.media)
            else:
                track["lastUpdated"] = rfc3339(self.clock.now())
            if "isDraft" in snippet:
                track["isDraft"] = bool(snippet["isDraft"])
            if snippet.get("name") is not None:
                track["name"] = snippet["name"]
        return self.render_caption(track)

    def captions_list(self, call: Call) -> tuple[int, Any]:
        self._caption_video(call.params["videoId"])
        wanted = {i for raw in call.params.get("id", []) for i in raw.split(",") if i}
        items = [self.render_caption(t) for t in self.store["captions"].values()
                 if t["videoId"] == call.params["videoId"] and (not wanted or t["id"] in wanted)]
        return 200, {"kind": "youtube#captionListResponse", "etag": etag(items), "items": items}

    def captions_delete(self, call: Call) -> tuple[int, Any]:
        track = self._caption(call.params["id"])
        with self.store.change() as data:
            del data["captions"][track["id"]]
        self.store.path("captions", track["id"]).unlink(missing_ok=True)
        return 204, None

    def captions_download(self, call: Call) -> tuple[int, Any]:
        track = self._caption(call.extra.get("path", {}).get("id"))
        return 200, self.store.path("captions", track["id"]).read_bytes()
