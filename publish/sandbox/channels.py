"""The sandbox's channels.list mine, videoCategories, i18nLanguages.

A part of `YouTubeApi` (publish/sandbox/api.py), which mixes the resources over one store.
"""

from __future__ import annotations

from typing import Any

from publish.sandbox import rules, simulate
from publish.sandbox.calls import (
    YOUTUBE_CHANNEL_ID,
    Call,
    _login_required,
    etag,
)
from publish.sandbox.errors import ApiError


class Channels:
    """Handlers of one resource; `YouTubeApi` mixes them over one store."""

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
