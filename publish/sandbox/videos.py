"""The sandbox's videos: upload halves, list, update, delete, batchGetStats, processing.

A part of `YouTubeApi` (publish/sandbox/api.py), which mixes the resources over one store.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from publish.sandbox import rules, simulate
from publish.sandbox.calls import (
    LONG_UPLOAD,
    THUMBNAIL_SIZES,
    Call,
    etag,
    iso_duration,
)
from publish.sandbox.clock import parse_rfc3339, rfc3339
from publish.sandbox.errors import ApiError, not_found, upload_limit_exceeded
from publish.sandbox.media import probe_video
from publish.sandbox.store import sha256_file


class Videos:
    """Handlers of one resource; `YouTubeApi` mixes them over one store."""

    def _video(self, video_id: str, *, owner: bool = True) -> dict[str, Any]:
        video = self._visible(video_id, owner=owner)
        if video is None:
            raise not_found("videoNotFound", "The video identified by the <code>id</code> "
                            "parameter could not be found.", location="id")
        return video

    def _visible(self, video_id: str, *, owner: bool) -> dict[str, Any] | None:
        """The video unless deleted, or private to a caller who is not its owner (lists skip
        such ids silently, as YouTube does)."""
        video = self.store["videos"].get(video_id)
        if video is None or video.get("_deleted") or (
                not owner and self._privacy(video) == "private"):
            return None
        return video

    def _privacy(self, video: dict[str, Any]) -> str:
        status = video.get("status", {})
        publish_at = status.get("publishAt")
        if status.get("privacyStatus") == "private" and publish_at:
            when = parse_rfc3339(publish_at)
            if when is not None and when <= self.clock.now():
                return "public"
        return status.get("privacyStatus", "public")

    def _public_since(self, video: dict[str, Any]) -> float | None:
        since = video.get("_public_since")
        if self._privacy(video) != "private" and since is None:
            publish_at = parse_rfc3339(video.get("status", {}).get("publishAt") or "")
            since = publish_at.timestamp() if publish_at else None
        if since is None:
            return None
        return max(since, self._processed_at(video))

    def _processed_at(self, video: dict[str, Any]) -> float:
        return video["_uploaded"] + self.limits.processing_seconds

    def prepare_video(self, call: Call) -> None:
        body = call.body or {}
        parts = call.params["part"]
        rules.check_video(body, parts, updating=False)
        now = self.clock.timestamp()
        with self.store.lock:
            recent = [t for t in self.store["events"].get("videos", []) if t > now - 86400]
        if len(recent) >= self.limits.channel_uploads_per_day:
            raise upload_limit_exceeded()

    def commit_video(self, call: Call) -> dict[str, Any]:
        assert call.media is not None
        body = call.body or {}
        parts = call.params["part"]
        video_id = self.store.new_id(11)
        target = self.store.path("media", video_id)
        os.replace(call.media, target)
        now = self.clock.now()
        snippet = dict(body.get("snippet") or {}) if "snippet" in parts else {}
        snippet.setdefault("title", "unknown")
        snippet.setdefault("categoryId", "22")
        status = dict(body.get("status") or {}) if "status" in parts else {}
        status.setdefault("privacyStatus", "public")
        status.setdefault("license", "youtube")
        status.setdefault("embeddable", True)
        status.setdefault("publicStatsViewable", True)
        video = {
            "id": video_id, "snippet": snippet, "status": status,
            "localizations": body.get("localizations") or {} if "localizations" in parts else {},
            "recordingDetails": (body.get("recordingDetails") or {}
                                 if "recordingDetails" in parts else {}),
            "_uploaded": now.timestamp(), "_size": target.stat().st_size,
            "_sha256": sha256_file(target), "_type": call.media_type,
            "_file_name": call.extra.get("slug"),
        }
        self._note_privacy(video)
        with self.store.change() as data:
            data["videos"][video_id] = video
            data["events"].setdefault("videos", []).append(now.timestamp())
        return self.render_video(video, [*parts, "id"], owner=True, fresh=True)

    def _probe(self, video: dict[str, Any]) -> dict[str, Any]:
        """What ffmpeg says of the stored file; asked once, when first needed."""
        if "_probe" not in video:
            probe = probe_video(self.store.path("media", video["id"]))
            with self.store.change():
                video["_probe"] = probe
        return video["_probe"]

    def _note_privacy(self, video: dict[str, Any]) -> None:
        if video["status"].get("privacyStatus") in ("public", "unlisted"):
            video["_ever_public"] = True
            video.setdefault("_public_since", self.clock.timestamp())

    def render_video(self, video: dict[str, Any], parts: list[str], *, owner: bool,
                     fresh: bool = False) -> dict[str, Any]:
        """A Video resource with the requested parts (owner-only parts for the owner)."""
        now = self.clock.timestamp()
        out: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": video["id"]}
        processed = not fresh and now >= self._processed_at(video)
        failed = processed and not self._probe(video)["ok"]
        too_long = (processed and not failed and self._probe(video)["seconds"] > LONG_UPLOAD
                    and self.limits.long_uploads_status != "allowed")
        privacy = self._privacy(video)
        for part in parts:
            if part == "snippet":
                out["snippet"] = self._video_snippet(video)
            elif part == "status":
                status = {k: v for k, v in video["status"].items()}
                status["privacyStatus"] = privacy
                if privacy != "private":
                    status.pop("publishAt", None)
                status["uploadStatus"] = ("failed" if failed else "rejected" if too_long
                                          else "processed" if processed else "uploaded")
                if failed:
                    status["failureReason"] = "invalidFile"
                if too_long:
                    status["rejectionReason"] = "length"
                status["madeForKids"] = bool(status.get("selfDeclaredMadeForKids", False))
                if not owner:
                    status.pop("selfDeclaredMadeForKids", None)
                out["status"] = status
            elif part == "statistics":
                counts = simulate.counts_at(self.store.seed, video["id"],
                                            self._public_since(video), now)
                out["statistics"] = {"viewCount": str(counts["viewCount"]),
                                     "likeCount": str(counts["likeCount"]),
                                     "favoriteCount": "0",
                                     "commentCount": str(counts["commentCount"])}
            elif part == "processingDetails" and owner:
                out["processingDetails"] = self._processing(video, now, fresh, failed)
            elif part == "contentDetails":
                probe = self._probe(video)
                out["contentDetails"] = {
                    "duration": iso_duration(probe.get("seconds", 0.0)), "dimension": "2d",
                    "definition": "hd" if probe.get("height", 0) >= 720 else "sd",
                    "caption": "true" if any(c["videoId"] == video["id"] for c in
                                             self.store["captions"].values()) else "false",
                    "licensedContent": False, "contentRating": {},
                    "projection": "rectangular"}
            elif part == "fileDetails" and owner and processed:
                out["fileDetails"] = self._file_details(video, failed)
            elif part == "localizations" and video.get("localizations"):
                out["localizations"] = video["localizations"]
            elif part == "recordingDetails":
                out["recordingDetails"] = video.get("recordingDetails") or {}
            elif part == "player":
                out["player"] = {"embedHtml": f'<iframe width="480" height="270" src="//www.'
                                 f'youtube.com/embed/{video["id"]}" frameborder="0"></iframe>'}
        out["etag"] = etag(out)
        return out

    def _file_details(self, video: dict[str, Any], failed: bool) -> dict[str, Any]:
        """`fileDetails` as the owner reads it once processing is over (absent before, as
        `processingDetails.fileDetailsAvailability` says). `fileName` is the name the upload
        sent in its `Slug` header; without one YouTube knows none (the Studio shows
        "unknown"), so the field is left out."""
        probe = self._probe(video)
        details: dict[str, Any] = {"fileSize": str(video["_size"]),
                                   "fileType": "other" if failed else "video"}
        if video.get("_file_name"):
            details["fileName"] = video["_file_name"]
        if failed:
            return details
        details["container"] = probe.get("container") or "unknown"
        details["durationMs"] = str(round(probe.get("seconds", 0.0) * 1000))
        if probe.get("bitrate"):
            details["bitrateBps"] = str(probe["bitrate"])
        stream: dict[str, Any] = {"widthPixels": probe.get("width", 0),
                                  "heightPixels": probe.get("height", 0)}
        if probe.get("fps"):
            stream["frameRateFps"] = probe["fps"]
        if probe.get("height"):
            stream["aspectRatio"] = round(probe["width"] / probe["height"], 4)
        if probe.get("video_codec"):
            stream["codec"] = probe["video_codec"]
        stream["rotation"] = {0: "none", 90: "clockwise", 180: "upsideDown",
                              270: "counterClockwise"}.get(probe.get("rotation", 0), "other")
        details["videoStreams"] = [stream]
        details["audioStreams"] = [{"codec": codec, "channelCount": channels}
                                   for codec, channels in probe.get("audio", [])]
        return details

    def _video_snippet(self, video: dict[str, Any]) -> dict[str, Any]:
        stored = video["snippet"]
        snippet: dict[str, Any] = {
            "publishedAt": rfc3339(datetime.fromtimestamp(video["_uploaded"], UTC)),
            "channelId": self.channel["id"], "title": stored.get("title", ""),
            "description": stored.get("description", ""),
            "thumbnails": self._thumbnails(video["id"]),
            "channelTitle": self.channel["title"], "categoryId": stored.get("categoryId"),
            "liveBroadcastContent": "none"}
        for key in ("tags", "defaultLanguage", "defaultAudioLanguage"):
            if stored.get(key):
                snippet[key] = stored[key]
        snippet["localized"] = {"title": snippet["title"], "description": snippet["description"]}
        return snippet

    def _thumbnails(self, video_id: str) -> dict[str, Any]:
        return {name: {"url": f"{self.base_url}/vi/{video_id}/{name}.jpg",
                       "width": w, "height": h} for name, (w, h) in THUMBNAIL_SIZES.items()}

    def _processing(self, video: dict[str, Any], now: float, fresh: bool,
                    failed: bool) -> dict[str, Any]:
        if failed:
            return {"processingStatus": "failed", "processingFailureReason": "transcodeFailed"}
        if fresh or now < self._processed_at(video):
            total = 1000
            done = 0 if fresh else int(total * (now - video["_uploaded"])
                                       / max(self.limits.processing_seconds, 1e-9))
            left = max(0.0, self._processed_at(video) - now)
            return {"processingStatus": "processing",
                    "processingProgress": {"partsTotal": str(total),
                                           "partsProcessed": str(min(done, total)),
                                           "timeLeftMs": str(int(left * 1000))}}
        return {"processingStatus": "succeeded", "fileDetailsAvailability": "available",
                "processingIssuesAvailability": "available",
                "tagSuggestionsAvailability": "available",
                "editorSuggestionsAvailability": "available",
                "thumbnailsAvailability": "available"}

    def videos_list(self, call: Call) -> tuple[int, Any]:
        params = call.params
        parts = params["part"]
        if "id" in params:
            ids = [i.strip() for raw in params["id"] for i in raw.split(",") if i.strip()]
            if len(ids) > 50:
                raise ApiError(400, "invalidParameter", "Too many ids (at most 50).",
                               domain="youtube.parameter", location="id")
            found = [v for v in (self._visible(i, owner=call.owner) for i in ids) if v]
            items = [self.render_video(v, parts, owner=call.owner) for v in found]
            return 200, self._list_reply("youtube#videoListResponse", items, len(items),
                                         len(items))
        if "chart" in params or "myRating" in params:
            videos = ([] if "myRating" in params else
                      [v for v in self.store["videos"].values()
                       if not v.get("_deleted") and self._privacy(v) == "public"])
            return self._paged(call, "youtube#videoListResponse", videos,
                               lambda v: self.render_video(v, parts, owner=call.owner))
        raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one of: "
                       "myRating, id, chart", domain="youtube.parameter", location="parameters.",
                       location_type="other")

    def videos_update(self, call: Call) -> tuple[int, Any]:
        body = call.body or {}
        parts = call.params["part"]
        if not body.get("id"):
            raise ApiError(400, "required", "Required parameter: id", location="body.id",
                           location_type="other")
        video = self._video(body["id"])
        rules.check_video(body, parts, updating=True, ever_public=video.get("_ever_public",
                                                                            False))
        with self.store.change():
            for part in parts:  # whole-part overwrite: omitted fields are cleared
                if part in ("snippet", "status", "localizations", "recordingDetails"):
                    video[part] = dict(body.get(part) or {})
            if "status" in parts:
                video["status"].setdefault("privacyStatus", "public")
                self._note_privacy(video)
        return 200, self.render_video(video, parts, owner=True)

    def videos_delete(self, call: Call) -> tuple[int, Any]:
        self.delete_video(self._video(call.params["id"])["id"])
        return 204, None

    def delete_video(self, video_id: str) -> None:
        with self.store.change() as data:
            video = data["videos"].get(video_id)
            if video is None:
                raise not_found("videoNotFound", f"No video {video_id}.", location="id")
            video["_deleted"] = True

    def videos_batch_stats(self, call: Call) -> tuple[int, Any]:
        ids = [i.strip() for raw in call.params.get("id", []) for i in raw.split(",")
               if i.strip()]
        if not ids or len(ids) > 50:
            raise ApiError(400, "invalidParameter", "Between 1 and 50 ids are required.",
                           domain="youtube.parameter", location="id")
        parts = call.params.get("part") or ["id", "snippet", "statistics", "contentDetails"]
        now = self.clock.timestamp()
        items = []
        for video_id in ids:
            video = self._visible(video_id, owner=call.owner)
            if video is None:
                continue
            item: dict[str, Any] = {"kind": "youtube#videoStats", "id": video_id}
            if "snippet" in parts:
                item["snippet"] = {"publishTime": rfc3339(
                    datetime.fromtimestamp(video["_uploaded"], UTC))}
            if "statistics" in parts:
                counts = simulate.counts_at(self.store.seed, video_id,
                                            self._public_since(video), now)
                item["statistics"] = {"viewCount": str(counts["viewCount"]),
                                      "likeCount": str(counts["likeCount"]),
                                      "commentCount": str(counts["commentCount"])}
            if "contentDetails" in parts:
                item["contentDetails"] = {"duration": iso_duration(
                    self._probe(video)["seconds"])}
            item["etag"] = etag(item)
            items.append(item)
        return 200, {"kind": "youtube#batchGetStatsResponse", "etag": etag(items),
                     "items": items}
