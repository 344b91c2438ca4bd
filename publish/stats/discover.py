"""Every upload of the channel joins the tracked set, whichever machine published it.

The channel's uploads playlist (`channels.list mine` → `relatedPlaylists.uploads`) is read 50
items a page, newest first; each video not known to the tracked set is added with source
"uploads". Idempotent: a known video is left as it is, and a video the officer untracked stays
untracked (discovery never resurrects it). Cost: 1 unit for the channel, 1 per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from config.i18n import _
from publish.journal import Journal
from publish.stats.store import utc_stamp
from publish.youtube import quota

PAGE = 50


@dataclass
class Discovered:
    added: list[str] = field(default_factory=list)
    seen: int = 0
    pages: int = 0
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "seen": self.seen, "pages": self.pages,
                "calls": self.calls}


def track_uploads(journal: Journal, service: Any, *, channel: str = "") -> Discovered:
    """Track every video of the channel's uploads playlist that the tracked set lacks."""
    found = Discovered()
    reply = quota.execute(journal, "channels.list",
                          service.channels().list(part="contentDetails", mine=True),
                          doing=_("reading the channel's uploads playlist"), channel=channel)
    found.calls += 1
    items = reply.get("items") or [{}]
    playlist = items[0].get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads")
    if not playlist:
        return found
    token = None
    while True:
        request = service.playlistItems().list(part="snippet,contentDetails",
                                               playlistId=playlist, maxResults=PAGE,
                                               pageToken=token)
        reply = quota.execute(journal, "playlistItems.list", request,
                              doing=_("listing the channel's uploads"), channel=channel)
        found.calls += 1
        found.pages += 1
        rows = []
        for item in reply.get("items") or []:
            vid = (item.get("contentDetails") or {}).get("videoId")
            if vid:
                snippet = item.get("snippet") or {}
                rows.append((vid, snippet.get("title"),
                             (item.get("contentDetails") or {}).get("videoPublishedAt")))
        found.seen += len(rows)
        found.added += _add(journal, rows)
        token = reply.get("nextPageToken")
        if not token:
            return found


def _add(journal: Journal, rows: list[tuple[str, str | None, str | None]]) -> list[str]:
    """Insert the unknown ones in one transaction; returns their ids."""
    added = []
    stamp = utc_stamp()
    with journal.write() as c:
        for vid, title, published in rows:
            cur = c.execute("INSERT OR IGNORE INTO tracked_videos (video_id, source, title, "
                            "published_at, added_at) VALUES (?, 'uploads', ?, ?, ?)",
                            (vid, title, published, stamp))
            if cur.rowcount:
                added.append(vid)
    return added
