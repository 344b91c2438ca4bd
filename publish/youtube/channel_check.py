"""The channel is the second ledger: recognise a source among the channel's own uploads.

The journal is one file on one machine. Before a first upload (no journal row for the source on
this channel) capsule reads the channel's uploads playlist, newest first and bounded by a window,
and the owner's view of those videos (`fileDetails`, `contentDetails`, `snippet`, `status`), to
find the same source uploaded from another machine or before the journal was lost.

What YouTube reports (README "What never twice means"): `fileDetails` is the owner's only,
filled in once processing is over; `fileSize` is the uploaded byte count; `fileName` is the name
the upload sent in its `Slug` header (an API upload without one shows "unknown": capsule sends
it); `durationMs` is the original file's length. A match therefore is:

- file details available: the same size AND (the same file name OR a duration within one frame
  OR the same title); or, whatever the size, the same title AND a duration within one frame
  (the same capsule burned again elsewhere into other bytes);
- file details not yet available (the video is still processing: a race with another machine,
  or a re-run right after a lost journal): the same title AND a duration that is unknown yet or
  within one second (`contentDetails.duration` has whole seconds).

Two machines racing: YouTube has no "create if absent", and a video exists only once its last
byte is in. An upload of several chunks reads the newest uploads again before its last chunk
and stops there if a twin appeared (no second video is ever made). After its own upload
completes a run waits `settle` seconds (at least the one second resolution of `publishedAt`),
reads the newest uploads again and keeps the video only if it is the earliest match (published
time, then id); otherwise it deletes its own copy.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from captions.errors import CaptionsError
from captions.video import probe
from config.i18n import _
from publish.errors import NothingToDo
from publish.journal import Journal
from publish.youtube import quota

log = logging.getLogger("capsule.channel")

PAGE = 50  # playlistItems.list and videos.list answer at most 50 at a time
# What the check compares, plus what a journal rebuild compares with a manifest (one unit per
# videos.list call whatever the parts).
VIDEO_PARTS = "snippet,contentDetails,fileDetails,status,localizations,recordingDetails"
UNKNOWN_FRAME_MS = 100.0


class DuplicateOnChannel(NothingToDo):
    """The source is already on the channel: nothing was uploaded (or our copy was removed)."""

    def __init__(self, message: str, video_id: str, *, upload_id: int | None = None,
                 resource: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.video_id = video_id
        self.upload_id = upload_id  # the journal row that now holds the video
        self.resource = resource or {"id": video_id}  # the owner's view of it


@dataclass(frozen=True)
class Window:
    """How far back the check looks: the newest `uploads` videos, none older than `days`."""

    uploads: int = 500
    days: int = 90

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.uploads / PAGE))


@dataclass
class CheckSettings:
    """The channel check of one run (settings duplicate_*); `enabled=False` trusts the journal."""

    enabled: bool = True
    window: Window = field(default_factory=Window)
    settle_seconds: float = 1.5
    sleep: Callable[[float], None] = time.sleep


def check_calls(window: Window) -> list[str]:
    """The most the check costs (stated in plans): channels.list, then per page of the window a
    playlistItems.list and a videos.list; then the newest page once more before the last chunk
    (uploads of several chunks) and once more after the upload."""
    return (["channels.list"] + ["playlistItems.list", "videos.list"] * window.pages
            + ["playlistItems.list", "videos.list"] * 2)


@dataclass(frozen=True)
class SourceFacts:
    """What can be compared with YouTube's view of a video: bytes, name, length, title."""

    size: int | None  # None: the file is not on this machine (journal rebuild, burn missing)
    file_name: str
    duration_ms: int | None
    frame_ms: float
    title: str
    # Videos the journal holds as the uploads of other files (a capsule's Short, its Arabic
    # version): never this source, even with the same title and length.
    others: frozenset[str] = frozenset()

    @classmethod
    def of(cls, path: Path, title: str, others: frozenset[str] = frozenset()) -> SourceFacts:

        try:
            info = probe(path)
            duration: int | None = info.duration_ms
            frame = 1000.0 / float(info.fps) if info.fps else UNKNOWN_FRAME_MS
        except CaptionsError:
            duration, frame = None, UNKNOWN_FRAME_MS
        return cls(path.stat().st_size, path.name, duration, frame, title, others)

    @classmethod
    def missing(cls, name: str, same_length_as: Path, title: str) -> SourceFacts:
        """A source that is not on this machine (a burned file not made here yet): its length
        is the original video's, its size unknown."""
        known = cls.of(same_length_as, title)
        return cls(None, name, known.duration_ms, known.frame_ms, title)


@dataclass
class RemoteVideo:
    """One upload of the channel as its owner sees it."""

    id: str
    title: str
    published_at: str
    upload_status: str
    file_size: int | None
    file_name: str | None
    duration_ms: int | None  # fileDetails.durationMs
    rough_duration_s: int | None  # contentDetails.duration (whole seconds; None = not yet)
    resource: dict[str, Any]

    @classmethod
    def parse(cls, item: dict[str, Any]) -> RemoteVideo:
        details = item.get("fileDetails") or {}
        snippet = item.get("snippet") or {}
        return cls(id=item["id"], title=snippet.get("title", ""),
                   published_at=snippet.get("publishedAt", ""),
                   upload_status=(item.get("status") or {}).get("uploadStatus", ""),
                   file_size=_int(details.get("fileSize")),
                   file_name=details.get("fileName") or None,
                   duration_ms=_int(details.get("durationMs")),
                   rough_duration_s=_iso_seconds((item.get("contentDetails") or {})
                                                 .get("duration")),
                   resource=item)

    @property
    def order(self) -> tuple[str, str]:
        """Who came first: YouTube's publishedAt (RFC 3339 UTC sorts as text), then the id."""
        return (self.published_at, self.id)

    @property
    def uploaded(self) -> str:
        """`2026-12-04 00:41 UTC` for messages."""
        when = _parse_time(self.published_at)
        return when.strftime("%Y-%m-%d %H:%M UTC") if when else (self.published_at or "?")


@dataclass
class Match:
    video: RemoteVideo
    reasons: list[str]

    def describe(self) -> str:
        return " and ".join(self.reasons)


def _same_title_and_length(source: SourceFacts, video: RemoteVideo) -> Match | None:
    """Other bytes, same capsule: a burn made again on another machine (another x264 build or
    thread count) differs in size but keeps the title and the length to the frame."""
    if video.title != source.title or video.duration_ms is None or source.duration_ms is None:
        return None
    if abs(video.duration_ms - source.duration_ms) > max(source.frame_ms, 1.0):
        return None
    return Match(video, [_("same title ({title!r})").format(title=source.title),
                         _("same duration ({seconds:.2f} s)").format(
                             seconds=video.duration_ms / 1000),
                         _("another size ({size} bytes)").format(size=video.file_size)])


def match(source: SourceFacts, video: RemoteVideo) -> Match | None:
    """Whether `video` is `source` uploaded before (rules in the module docstring)."""
    if video.id in source.others:
        return None
    if video.file_size is not None and source.size is not None:
        if video.file_size != source.size:
            return _same_title_and_length(source, video)
        reasons = [_("same size ({size} bytes)").format(size=source.size)]
        if video.file_name and video.file_name == source.file_name:
            reasons.append(_("same file name ({file_name})").format(file_name=source.file_name))
        elif (video.duration_ms is not None and source.duration_ms is not None
              and abs(video.duration_ms - source.duration_ms) <= max(source.frame_ms, 1.0)):
            reasons.append(_("same duration ({seconds:.2f} s)").format(
                               seconds=video.duration_ms / 1000))
        elif video.title == source.title:
            reasons.append(_("same title ({title!r})").format(title=source.title))
        else:
            return None
        return Match(video, reasons)
    if video.title != source.title:
        return None
    if source.duration_ms is not None and video.duration_ms is not None:
        if abs(video.duration_ms - source.duration_ms) > max(source.frame_ms, 1.0):
            return None
        return Match(video, [_("same title ({title!r})").format(title=source.title),
                             _("same duration ({seconds:.2f} s)").format(
                             seconds=video.duration_ms / 1000)])
    if video.rough_duration_s and source.duration_ms is not None \
            and abs(video.rough_duration_s - source.duration_ms / 1000) > 1.0:
        return None
    if video.file_size is not None:  # our file is missing: title and length are all we have
        return Match(video, [_("same title ({title!r})").format(title=source.title)])
    return Match(video, [_("same title ({title!r})").format(title=source.title),
                         _("still processing (file details not yet available)")])


@dataclass
class ChannelUploads:
    """Reads the channel's uploads playlist and the owner's view of its videos, charging every
    call to the ledger; `calls` counts them per method (for the measured cost)."""

    service: Any
    journal: Journal
    channel: str = ""
    upload_id: int | None = None
    calls: dict[str, int] = field(default_factory=dict)
    _playlist: str | None = None

    def _execute(self, method: str, request: Any, doing: str) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        return quota.execute(self.journal, method, request, doing=doing, channel=self.channel,
                             upload_id=self.upload_id)

    def playlist(self) -> str:
        """The id of the channel's uploads playlist (`relatedPlaylists.uploads`)."""
        if self._playlist is None:
            reply = self._execute("channels.list", self.service.channels().list(
                part="contentDetails", mine=True), _("reading the channel's uploads playlist"))
            items = reply.get("items") or [{}]
            self._playlist = (items[0].get("contentDetails", {}).get("relatedPlaylists", {})
                              .get("uploads", ""))
        return self._playlist

    def pages(self, window: Window) -> Iterator[list[str]]:
        """Video ids of the uploads playlist, newest first, one page (≤ 50) at a time, until the
        window is full, a video is older than it, or the playlist ends."""
        playlist = self.playlist()
        if not playlist:
            return
        cutoff = datetime.now(UTC) - timedelta(days=window.days)
        seen, token = 0, None
        while seen < window.uploads:
            request = self.service.playlistItems().list(
                part="contentDetails", playlistId=playlist,
                maxResults=min(PAGE, window.uploads - seen), pageToken=token)
            reply = self._execute("playlistItems.list", request,
                                  _("listing the channel's uploads"))
            ids, older = [], False
            for item in reply.get("items") or []:
                details = item.get("contentDetails") or {}
                when = _parse_time(details.get("videoPublishedAt"))
                if when is not None and when < cutoff:
                    older = True
                    break
                ids.append(details.get("videoId"))
            ids = [i for i in ids if i]
            seen += len(ids)
            if ids:
                yield ids
            token = reply.get("nextPageToken")
            if older or not token:
                return

    def videos(self, ids: list[str], parts: str = VIDEO_PARTS) -> list[RemoteVideo]:
        """The owner's view of these videos (50 ids per videos.list call)."""
        out = []
        for start in range(0, len(ids), PAGE):
            chunk = ids[start:start + PAGE]
            reply = self._execute("videos.list", self.service.videos().list(
                part=parts, id=",".join(chunk), maxResults=len(chunk)),
                _("reading the channel's uploads"))
            out += [RemoteVideo.parse(item) for item in reply.get("items") or []]
        return out

    def recent(self, window: Window, parts: str = VIDEO_PARTS) -> Iterator[RemoteVideo]:
        for ids in self.pages(window):
            yield from self.videos(ids, parts)

    @property
    def units(self) -> dict[str, int]:
        return quota.estimate([m for m, n in self.calls.items() for _ in range(n)])


def find_duplicate(uploads: ChannelUploads, source: SourceFacts, window: Window
                   ) -> Match | None:
    """The newest upload of the channel (within the window) that is this source, if any."""
    for video in uploads.recent(window):
        found = match(source, video)
        if found is not None:
            return found
    return None


def reconcile(uploads: ChannelUploads, source: SourceFacts, own: dict[str, Any],
              settings: CheckSettings) -> Match | None:
    """After our upload: the earlier twin another run uploaded meanwhile, or None if ours is the
    one to keep. Waits `settle_seconds` first so that any twin published in the same second as
    ours is already listed (publishedAt has one-second resolution)."""
    settings.sleep(settings.settle_seconds)
    mine = RemoteVideo.parse({**own, "snippet": own.get("snippet") or {}})
    first: Match | None = None
    for video in uploads.recent(Window(uploads=PAGE, days=settings.window.days)):
        if video.id == own.get("id"):
            mine = video
            continue
        found = match(source, video)
        if found is not None and (first is None or video.order < first.video.order):
            first = found
    if first is not None and first.video.order < mine.order:
        return first
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _iso_seconds(text: str | None) -> int | None:
    """`PT1M3S` → 63; None for P0D or nothing (YouTube has not measured it yet)."""
    import re

    if not text:
        return None
    found = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text)
    if not found:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total or None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def settings_from(settings: Any, *, enabled: bool | None = None) -> CheckSettings:
    """The check as the user settings say (duplicate_check, duplicate_window_*, …)."""
    return CheckSettings(
        enabled=bool(settings.duplicate_check) if enabled is None else enabled,
        window=Window(uploads=int(settings.duplicate_window_uploads),
                      days=int(settings.duplicate_window_days)),
        settle_seconds=float(settings.duplicate_settle_seconds))
