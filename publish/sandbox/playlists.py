"""The sandbox's playlists and playlistItems (the uploads playlist included).

A part of `YouTubeApi` (publish/sandbox/api.py), which mixes the resources over one store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from publish.sandbox.calls import (
    Call,
    _login_required,
    etag,
)
from publish.sandbox.clock import rfc3339
from publish.sandbox.errors import ApiError, bad_request, not_found


class Playlists:
    """Handlers of one resource; `YouTubeApi` mixes them over one store."""

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
