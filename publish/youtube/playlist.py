"""Adding a video to a playlist given by id or title, creating it on request."""

from __future__ import annotations

from typing import Any

from config.i18n import _
from publish.errors import InvalidInput
from publish.journal import Journal
from publish.youtube import quota


def find_playlist(service: Any, journal: Journal, wanted: str, *, channel: str = "",
                  upload_id: int | None = None) -> dict[str, Any] | None:
    """The channel's playlist whose id or exact title is `wanted` (id wins)."""
    by_title = None
    page_token = None
    while True:
        request = service.playlists().list(part="snippet,status", mine=True, maxResults=50,
                                           pageToken=page_token)
        reply = quota.execute(journal, "playlists.list", request,
                              doing=_("listing the channel's playlists"), channel=channel,
                              upload_id=upload_id)
        for item in reply.get("items", []):
            if item.get("id") == wanted:
                return item
            if by_title is None and item.get("snippet", {}).get("title") == wanted:
                by_title = item
        page_token = reply.get("nextPageToken")
        if not page_token:
            return by_title


def create_playlist(service: Any, journal: Journal, title: str, privacy: str, *,
                    channel: str = "", upload_id: int | None = None) -> dict[str, Any]:
    body = {"snippet": {"title": title}, "status": {"privacyStatus": privacy}}
    request = service.playlists().insert(part="snippet,status", body=body)
    return quota.execute(journal, "playlists.insert", request,
                         doing=_("creating the playlist {title!r}").format(
                                   title=title), channel=channel,
                         upload_id=upload_id, retries=0)


def resolve_playlist(service: Any, journal: Journal, wanted: str, *, create: bool,
                     channel: str = "", upload_id: int | None = None) -> dict[str, Any] | None:
    """The playlist to use; None when it will be created. Refuses an unknown one without
    --create-playlist (called before the upload, so a typo costs one list call, not a video)."""
    playlist = find_playlist(service, journal, wanted, channel=channel, upload_id=upload_id)
    if playlist is None and not create:
        raise InvalidInput(_("--playlist {wanted!r}: no playlist of the channel has this "
                             "id or title; add --create-playlist to create it").format(
                               wanted=wanted))
    return playlist


def add_to_playlist(service: Any, journal: Journal, *, video_id: str, wanted: str,
                    create: bool, privacy: str, channel: str = "",
                    upload_id: int | None = None, resolved: bool = False,
                    playlist: dict[str, Any] | None = None) -> dict[str, Any]:
    """Put the video in the playlist (once: an existing item is reported, not added again).

    `resolved=True` passes the result of an earlier `resolve_playlist` (None: create it)."""
    if not resolved:
        playlist = resolve_playlist(service, journal, wanted, create=create, channel=channel,
                                    upload_id=upload_id)
    if playlist is None:
        playlist = create_playlist(service, journal, wanted, privacy, channel=channel,
                                   upload_id=upload_id)
    playlist_id = playlist["id"]
    request = service.playlistItems().list(part="snippet", playlistId=playlist_id,
                                           videoId=video_id, maxResults=50)
    reply = quota.execute(journal, "playlistItems.list", request,
                          doing=_("listing playlist {playlist_id}").format(
                                    playlist_id=playlist_id), channel=channel,
                          upload_id=upload_id)
    for item in reply.get("items", []):
        if item.get("snippet", {}).get("resourceId", {}).get("videoId") == video_id:
            return {"playlistId": playlist_id, "itemId": item.get("id"), "added": False}
    body = {"snippet": {"playlistId": playlist_id,
                        "resourceId": {"kind": "youtube#video", "videoId": video_id}}}
    request = service.playlistItems().insert(part="snippet", body=body)
    item = quota.execute(journal, "playlistItems.insert", request,
                         doing=_("adding video {video_id} to playlist {playlist_id}").format(
                                   video_id=video_id, playlist_id=playlist_id),
                         channel=channel, upload_id=upload_id, retries=0)
    return {"playlistId": playlist_id, "itemId": item.get("id"), "added": True}
