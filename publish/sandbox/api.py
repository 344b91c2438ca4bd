"""The Data API v3 and Analytics v2 methods the sandbox implements (youtube-api.md §7, §8, E2–E5).

`YouTubeApi.call(call)` runs one checked request and returns `(status, body)`. Upload methods
come in two halves: `prepare_*` validates metadata before any byte is accepted (it runs at the
start of a resumable session, and before a simple or multipart upload is stored) and `commit_*`
turns the received media file into the resource. Errors are `ApiError`s; nothing prints.

Choices where YouTube is silent or unknowable (youtube-api.md "Uncertain"):
- captions `sync` (deprecated 2024-03-13, gone 2024-04-12) is accepted, since the discovery
  document still lists it, and ignored: the file must carry its own timing; a file without
  recognisable SRT/SBV/WebVTT timing is stored with `status: failed`, `unknownFormat`.
- `videos.list` with unknown ids answers 200 with the known ones only.
- A video that was never public or unlisted has no views; bytes ffmpeg cannot read fail
  processing (`uploadStatus: failed`, `invalidFile`) once the processing delay has passed.
- uploadLimitExceeded and quotaExceeded refusals cost nothing; other invalid requests cost 1.
- Thumbnails over `thumbnail_max_bytes` get 413 `uploadTooLarge`; with `channel_verified`
  off, thumbnails.set answers 403 `forbidden`.
- A video over 15 minutes on a channel whose `long_uploads_status` is not "allowed" is
  `rejected` (`rejectionReason: length`) once processed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from publish.sandbox import rules, simulate
from publish.sandbox.clock import SandboxClock, parse_rfc3339, rfc3339
from publish.sandbox.discovery import Method
from publish.sandbox.errors import ApiError, bad_request, not_found, upload_limit_exceeded
from publish.sandbox.media import probe_video
from publish.sandbox.quota import Limits
from publish.sandbox.store import Store, sha256_file

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


class YouTubeApi:
    """Handlers over the store; one per sandbox."""

    def __init__(self, store: Store, clock: SandboxClock, limits: Limits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.base_url = ""  # set by the server once it listens (thumbnail URLs point at it)
        with store.change() as data:
            if "channel" not in data:
                digest = hashlib.sha256(f"channel:{store.seed}".encode()).digest()
                suffix = base64.urlsafe_b64encode(digest).decode()[:22]
                data["channel"] = {"id": "UC" + suffix, "uploads": "UU" + suffix,
                                   "title": "Capsule sandbox channel",
                                   "created": rfc3339(clock.now())}
        self.handlers: dict[str, Callable[[Call], tuple[int, Any]]] = {
            "youtube.videos.list": self.videos_list,
            "youtube.videos.update": self.videos_update,
            "youtube.videos.delete": self.videos_delete,
            "youtube.videos.batchGetStats": self.videos_batch_stats,
            "youtube.captions.list": self.captions_list,
            "youtube.captions.delete": self.captions_delete,
            "youtube.captions.download": self.captions_download,
            "youtube.playlists.list": self.playlists_list,
            "youtube.playlists.insert": self.playlists_insert,
            "youtube.playlistItems.list": self.playlist_items_list,
            "youtube.playlistItems.insert": self.playlist_items_insert,
            "youtube.channels.list": self.channels_list,
            "youtube.videoCategories.list": self.categories_list,
            "youtube.i18nLanguages.list": self.languages_list,
            "youtubeAnalytics.reports.query": self.reports_query,
        }
        # media methods: (prepare, commit)
        self.uploads: dict[str, tuple[Callable[[Call], None], Callable[[Call], Any]]] = {
            "youtube.videos.insert": (self.prepare_video, self.commit_video),
            "youtube.captions.insert": (self.prepare_caption, self.commit_caption),
            "youtube.captions.update": (self.prepare_caption_update, self.commit_caption_update),
            "youtube.thumbnails.set": (self.prepare_thumbnail, self.commit_thumbnail),
        }

    @property
    def channel(self) -> dict[str, str]:
        return self.store["channel"]

    def implemented(self, method_id: str) -> bool:
        return method_id in self.handlers or method_id in self.uploads

    def call(self, call: Call) -> tuple[int, Any]:
        """Run a non-upload request, or a simple/multipart upload (media already stored)."""
        if call.method.id in self.uploads:
            prepare, commit = self.uploads[call.method.id]
            prepare(call)
            if call.media is None and call.method.id != "youtube.captions.update":
                raise self.missing_media(call.method.id)  # a track update may be metadata only
            return 200, commit(call)
        return self.handlers[call.method.id](call)

    @staticmethod
    def missing_media(method_id: str) -> ApiError:
        if method_id.startswith("youtube.captions"):
            return bad_request("contentRequired", "The caption track does not have any "
                               "content.", domain="youtube.caption")
        what = "video content" if method_id == "youtube.videos.insert" else "image content"
        return bad_request("mediaBodyRequired", f"The request does not include the {what}.",
                           domain="youtube.video" if "videos" in method_id
                           else "youtube.thumbnail")

    # Videos ---------------------------------------------------------------------------------

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

    # Captions -------------------------------------------------------------------------------

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

    # Thumbnails -----------------------------------------------------------------------------

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

    # Playlists ------------------------------------------------------------------------------

    def playlists_insert(self, call: Call) -> tuple[int, Any]:
        body = call.body or {}
        snippet = body.get("snippet") or {}
        title = snippet.get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("playlistTitleRequired", "The request must specify a playlist "
                              "title.", domain="youtube.playlist")
        if len(title) > 150 or len(str(snippet.get("description", ""))) > 5000:
            raise bad_request("invalidPlaylistSnippet", "The request provides an invalid "
                              "playlist snippet.", domain="youtube.playlist")
        privacy = (body.get("status") or {}).get("privacyStatus", "public")
        if privacy not in ("public", "unlisted", "private"):
            raise bad_request("invalidPlaylistSnippet", f"Unknown privacyStatus {privacy!r}.",
                              domain="youtube.playlist")
        playlist_id = self.store.new_id(32, "PL")
        playlist = {"id": playlist_id, "snippet": {k: snippet[k] for k in
                                                   ("title", "description", "defaultLanguage",
                                                    "tags") if k in snippet},
                    "status": {"privacyStatus": privacy},
                    "localizations": body.get("localizations") or {},
                    "_created": self.clock.timestamp(), "_items": []}
        with self.store.change() as data:
            data["playlists"][playlist_id] = playlist
        return 200, self.render_playlist(playlist, call.params["part"])

    def render_playlist(self, playlist: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "youtube#playlist", "etag": "", "id": playlist["id"]}
        if "snippet" in parts:
            snippet = {"publishedAt": rfc3339(datetime.fromtimestamp(playlist["_created"], UTC)),
                       "channelId": self.channel["id"], "title": playlist["snippet"]["title"],
                       "description": playlist["snippet"].get("description", ""),
                       "thumbnails": self._thumbnails(playlist["_items"][0]) if playlist[
                           "_items"] else {},
                       "channelTitle": self.channel["title"]}
            for key in ("defaultLanguage", "tags"):
                if key in playlist["snippet"]:
                    snippet[key] = playlist["snippet"][key]
            snippet["localized"] = {"title": snippet["title"],
                                    "description": snippet["description"]}
            out["snippet"] = snippet
        if "status" in parts:
            out["status"] = dict(playlist["status"])
        if "contentDetails" in parts:
            out["contentDetails"] = {"itemCount": len(playlist["_items"])}
        if "localizations" in parts and playlist.get("localizations"):
            out["localizations"] = playlist["localizations"]
        out["etag"] = etag(out)
        return out

    def playlists_list(self, call: Call) -> tuple[int, Any]:
        params = call.params
        if params.get("mine"):
            if not call.owner:
                raise _login_required()
            playlists = list(self.store["playlists"].values())
        elif "id" in params:
            wanted = {i for raw in params["id"] for i in raw.split(",") if i}
            playlists = [p for p in self.store["playlists"].values() if p["id"] in wanted]
        elif "channelId" in params:
            playlists = ([p for p in self.store["playlists"].values()]
                         if params["channelId"] == self.channel["id"] else [])
        else:
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one "
                           "of: channelId, id, mine", domain="youtube.parameter")
        if not call.owner:
            playlists = [p for p in playlists if p["status"]["privacyStatus"] != "private"]
        playlists.sort(key=lambda p: p["_created"], reverse=True)
        return self._paged(call, "youtube#playlistListResponse", playlists,
                           lambda p: self.render_playlist(p, params["part"]))

    def playlist_items_insert(self, call: Call) -> tuple[int, Any]:
        snippet = (call.body or {}).get("snippet") or {}
        playlist_id = snippet.get("playlistId")
        resource = snippet.get("resourceId") or {}
        if playlist_id == self.channel["uploads"]:
            raise bad_request("playlistOperationUnsupported", "The API does not support the "
                              "ability to insert videos into the specified playlist.",
                              domain="youtube.playlistItem")
        playlist = self.store["playlists"].get(playlist_id or "")
        if playlist is None:
            raise not_found("playlistNotFound", "The playlist identified with the request's "
                            "<code>playlistId</code> parameter cannot be found.",
                            location="playlistId")
        if resource.get("kind") != "youtube#video" or not resource.get("videoId"):
            raise bad_request("invalidResourceId", "The resource ID specified for the new "
                              "playlist item is invalid.", domain="youtube.playlistItem")
        self._video(resource["videoId"])
        position = snippet.get("position", len(playlist["_items"]))
        if not isinstance(position, int) or not 0 <= position <= len(playlist["_items"]):
            raise bad_request("invalidPlaylistItemPosition", "The request attempts to set the "
                              "playlist item's position to an invalid or unsupported value.",
                              domain="youtube.playlistItem")
        item_id = self.store.new_id(40, "UE")
        with self.store.change() as data:
            playlist["_items"].insert(position, item_id)
            data["playlistItems"][item_id] = {"id": item_id, "playlistId": playlist_id,
                                              "videoId": resource["videoId"],
                                              "_created": self.clock.timestamp()}
        return 200, self.render_item(data["playlistItems"][item_id], call.params["part"])

    def render_item(self, item: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        video = self.store["videos"].get(item["videoId"], {})
        playlist_id = item["playlistId"]
        if playlist_id == self.channel["uploads"]:
            position = item["position"]
        else:
            position = self.store["playlists"][playlist_id]["_items"].index(item["id"])
        out: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": "", "id": item["id"]}
        published = rfc3339(datetime.fromtimestamp(item["_created"], UTC))
        video_published = rfc3339(datetime.fromtimestamp(video.get("_uploaded", 0), UTC))
        if "snippet" in parts:
            out["snippet"] = {
                "publishedAt": published, "channelId": self.channel["id"],
                "title": video.get("snippet", {}).get("title", "Deleted video"),
                "description": video.get("snippet", {}).get("description", ""),
                "thumbnails": self._thumbnails(item["videoId"]),
                "channelTitle": self.channel["title"], "playlistId": playlist_id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": item["videoId"]},
                "videoOwnerChannelTitle": self.channel["title"],
                "videoOwnerChannelId": self.channel["id"]}
        if "contentDetails" in parts:
            out["contentDetails"] = {"videoId": item["videoId"],
                                     "videoPublishedAt": video_published}
        if "status" in parts and video:
            out["status"] = {"privacyStatus": self._privacy(video)}
        out["etag"] = etag(out)
        return out

    def playlist_items_list(self, call: Call) -> tuple[int, Any]:
        params = call.params
        if "playlistId" in params:
            playlist_id = params["playlistId"]
            if playlist_id == self.channel["uploads"]:
                videos = sorted((v for v in self.store["videos"].values()
                                 if not v.get("_deleted") and (
                                     call.owner or self._privacy(v) != "private")),
                                key=lambda v: v["_uploaded"], reverse=True)
                items = [{"id": "UU" + v["id"], "playlistId": playlist_id, "videoId": v["id"],
                          "_created": v["_uploaded"], "position": n}
                         for n, v in enumerate(videos)]
            else:
                playlist = self.store["playlists"].get(playlist_id)
                if playlist is None or (not call.owner and
                                        playlist["status"]["privacyStatus"] == "private"):
                    raise not_found("playlistNotFound", "The playlist identified with the "
                                    "request's <code>playlistId</code> parameter cannot be "
                                    "found.", location="playlistId")
                items = [self.store["playlistItems"][i] for i in playlist["_items"]]
        elif "id" in params:
            wanted = {i for raw in params["id"] for i in raw.split(",") if i}
            items = [i for i in self.store["playlistItems"].values() if i["id"] in wanted]
        else:
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one "
                           "of: id, playlistId", domain="youtube.parameter")
        if "videoId" in params:
            items = [i for i in items if i["videoId"] == params["videoId"]]
        return self._paged(call, "youtube#playlistItemListResponse", items,
                           lambda i: self.render_item(i, params["part"]))

    # Channel, categories, languages ---------------------------------------------------------

    def channels_list(self, call: Call) -> tuple[int, Any]:
        params = call.params
        if params.get("mine"):
            if not call.owner:
                raise _login_required()
            mine = True
        elif "id" in params:
            mine = self.channel["id"] in {i for raw in params["id"] for i in raw.split(",")}
        elif "forHandle" in params or "forUsername" in params:
            mine = False
        else:
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one "
                           "of: forHandle, forUsername, id, managedByMe, mine",
                           domain="youtube.parameter")
        items = [self.render_channel(params["part"], owner=call.owner)] if mine else []
        return 200, self._list_reply("youtube#channelListResponse", items, len(items), 5)

    def render_channel(self, parts: list[str], *, owner: bool) -> dict[str, Any]:
        channel = self.channel
        out: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": channel["id"]}
        if "snippet" in parts:
            out["snippet"] = {"title": channel["title"], "description": "Local YouTube sandbox.",
                              "customUrl": "@capsule-sandbox", "publishedAt": channel["created"],
                              "thumbnails": {}, "country": "MA",
                              "localized": {"title": channel["title"],
                                            "description": "Local YouTube sandbox."}}
        if "contentDetails" in parts:
            out["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads":
                                                          channel["uploads"]}}
        if "status" in parts:
            out["status"] = {"privacyStatus": "public", "isLinked": True,
                             "longUploadsStatus": self.limits.long_uploads_status,
                             "madeForKids": False}
            if owner:
                out["status"]["selfDeclaredMadeForKids"] = False
        if "statistics" in parts:
            now = self.clock.timestamp()
            videos = [v for v in self.store["videos"].values() if not v.get("_deleted")]
            views = sum(simulate.views_at(self.store.seed, v["id"], self._public_since(v), now)
                        for v in videos)
            out["statistics"] = {"viewCount": str(views), "subscriberCount": str(views // 50),
                                 "hiddenSubscriberCount": False, "videoCount": str(len(videos))}
        out["etag"] = etag(out)
        return out

    def categories_list(self, call: Call) -> tuple[int, Any]:
        params = call.params
        if "id" in params:
            wanted = {i for i in params["id"].split(",") if i}
        elif "regionCode" in params:
            wanted = set(rules.CATEGORIES) if params["regionCode"].upper() in rules.REGIONS \
                else set()
        else:
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one "
                           "of: id, regionCode", domain="youtube.parameter")
        items = []
        for cat_id, (title, assignable) in rules.CATEGORIES.items():
            if cat_id in wanted:
                item = {"kind": "youtube#videoCategory", "etag": "", "id": cat_id,
                        "snippet": {"title": title, "assignable": assignable,
                                    "channelId": YOUTUBE_CHANNEL_ID}}
                item["etag"] = etag(item)
                items.append(item)
        return 200, {"kind": "youtube#videoCategoryListResponse", "etag": etag(items),
                     "items": items}

    def languages_list(self, call: Call) -> tuple[int, Any]:
        items = []
        for code, name in rules.LANGUAGES.items():
            item = {"kind": "youtube#i18nLanguage", "etag": "", "id": code,
                    "snippet": {"hl": code, "name": name}}
            item["etag"] = etag(item)
            items.append(item)
        return 200, {"kind": "youtube#i18nLanguageListResponse", "etag": etag(items),
                     "items": items}

    # Paging ---------------------------------------------------------------------------------

    def _list_reply(self, kind: str, items: list[Any], total: int,
                    per_page: int) -> dict[str, Any]:
        return {"kind": kind, "etag": etag(items), "items": items,
                "pageInfo": {"totalResults": total, "resultsPerPage": per_page}}

    def _paged(self, call: Call, kind: str, rows: list[Any],
               render: Callable[[Any], dict[str, Any]]) -> tuple[int, Any]:
        per_page = call.params.get("maxResults", 5)
        start = decode_page_token(call.params.get("pageToken"))
        page = rows[start:start + per_page]
        reply = self._list_reply(kind, [render(r) for r in page], len(rows), per_page)
        if start + per_page < len(rows):
            reply["nextPageToken"] = encode_page_token(start + per_page)
        if start > 0:
            reply["prevPageToken"] = encode_page_token(max(0, start - per_page))
        return 200, reply

    # Analytics ------------------------------------------------------------------------------

    def reports_query(self, call: Call) -> tuple[int, Any]:
        from publish.sandbox.analytics import report

        return 200, report(self, call.params)


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
