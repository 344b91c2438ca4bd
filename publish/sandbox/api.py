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
from collections.abc import Callable
from typing import Any

from publish.sandbox.analytics import report
from publish.sandbox.calls import (
    Call,
    decode_page_token,
    encode_page_token,
    etag,
)
from publish.sandbox.caption_tracks import CaptionTracks
from publish.sandbox.channels import Channels
from publish.sandbox.clock import SandboxClock, rfc3339
from publish.sandbox.errors import ApiError, bad_request
from publish.sandbox.playlists import Playlists
from publish.sandbox.quota import Limits
from publish.sandbox.store import Store
from publish.sandbox.thumbnails import Thumbnails
from publish.sandbox.videos import Videos


class YouTubeApi(Videos, CaptionTracks, Thumbnails, Playlists, Channels):
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

        return 200, report(self, call.params)


