"""`GET /watch?v=ID`: the sandbox's page of a video, what an officer checks after a rehearsal.

It shows what YouTube would hold: title and description (with localizations), privacy and
schedule, processing state, simulated statistics, caption tracks and the thumbnail.
"""

from __future__ import annotations

import html
from typing import Any

PARTS = ["snippet", "status", "statistics", "localizations", "recordingDetails"]


def watch_page(api: Any, video_id: str) -> tuple[int, str]:
    """(status, HTML) for the video; 404 page when it is unknown or deleted."""
    video = api.store["videos"].get(video_id)
    if video is None or video.get("_deleted"):
        return 404, _page("Video unavailable", "<p>This video does not exist in the sandbox "
                          "(or it was deleted).</p>")
    res = api.render_video(video, PARTS, owner=True)
    snippet, status, stats = res["snippet"], res["status"], res.get("statistics", {})
    esc = html.escape
    tracks = [api.render_caption(t)["snippet"] for t in api.store["captions"].values()
              if t.get("videoId") == video_id]
    rows = [("privacy", status.get("privacyStatus")),
            ("scheduled", status.get("publishAt") or "-"),
            ("upload", status.get("uploadStatus")),
            ("made for kids", status.get("selfDeclaredMadeForKids")),
            ("synthetic media", status.get("containsSyntheticMedia")),
            ("category", snippet.get("categoryId")),
            ("tags", ", ".join(snippet.get("tags", [])) or "-"),
            ("default language", snippet.get("defaultLanguage") or "-"),
            ("views", stats.get("viewCount")), ("likes", stats.get("likeCount")),
            ("comments", stats.get("commentCount"))]
    facts = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows)
    caption_list = "".join(
        f"<li lang=\"{esc(t['language'])}\">{esc(t['language'])}: {esc(t['name'])} "
        f"({esc(t.get('status', ''))})</li>" for t in tracks) or "<li>none</li>"
    localized = "".join(
        f"<section lang=\"{esc(lang)}\" dir=\"auto\"><h3>{esc(lang)}: {esc(loc.get('title', ''))}"
        f"</h3><p>{esc(loc.get('description', ''))}</p></section>"
        for lang, loc in sorted(res.get("localizations", {}).items()))
    thumb = ""
    if video_id in api.store["thumbnails"]:
        thumb = f'<img alt="thumbnail" src="/vi/{esc(video_id)}/maxresdefault.jpg" width="320">'
    body = (f"<h1 dir=\"auto\">{esc(snippet.get('title', ''))}</h1>{thumb}"
            f"<p dir=\"auto\" style=\"white-space:pre-wrap\">{esc(snippet.get('description', ''))}"
            f"</p><table>{facts}</table><h2>Caption tracks</h2><ul>{caption_list}</ul>"
            f"<h2>Localizations</h2>{localized or '<p>none</p>'}")
    return 200, _page(snippet.get("title", video_id), body)


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} - capsule sandbox</title><style>"
            "body{font-family:sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}"
            "th{text-align:left;padding-right:1rem}</style></head><body>"
            "<p><small>capsule sandbox: a rehearsal, not YouTube</small></p>"
            f"{body}</body></html>")
