"""The sandbox's viewer pages: a rehearsal of what YouTube will show.

- `GET /watch?v=ID[&hl=LANG]`: the uploaded video in an HTML5 player (bytes served with HTTP
  Range so the player can seek), every caption track selectable (WebVTT made from the stored
  track), the title and description in the viewer's language (`hl`, from the localizations),
  laid out right-to-left for Arabic, the state as YouTube shows it (private, unlisted,
  scheduled for a time, public) and a Short (vertical or square, at most 3 minutes) in a
  vertical frame.
- `GET /channel`: the channel's uploads, newest first, each with its state.
- `GET /videoplayback?v=ID`: the stored bytes (206 for a `Range`, at most 4 MiB per reply).
- `GET /api/timedtext?id=CAPTION_ID`: a stored caption track as WebVTT.

Stands alone like the rest of the sandbox: nothing of capsule is imported here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PARTS = ["snippet", "status", "statistics", "localizations", "recordingDetails"]
MOROCCO = ZoneInfo("Africa/Casablanca")
RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"})
SHORT_MAX_SECONDS = 180  # YouTube: vertical or square videos up to 3 minutes are Shorts
MAX_PIECE = 4 * 1024 * 1024  # bytes per Range reply (players ask again for the rest)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TIMING = re.compile(
    r"^(\s*\d+:\d{2}:\d{2})[,.](\d{3})\s*-->\s*(\d+:\d{2}:\d{2})[,.](\d{3})(.*)$")


def direction(lang: str | None) -> str:
    return "rtl" if (lang or "").split("-")[0].lower() in RTL else "ltr"


# ----------------------------------------------------------------------------- /watch
def watch_page(api: Any, video_id: str, hl: str | None = None) -> tuple[int, str]:
    """(status, HTML) for the video; 404 page when it is unknown or deleted."""
    video = api.store["videos"].get(video_id)
    if video is None or video.get("_deleted"):
        return 404, _page("Video unavailable", "<p>This video does not exist in the sandbox "
                          "(or it was deleted).</p>")
    res = api.render_video(video, PARTS, owner=True)
    snippet, status, stats = res["snippet"], res["status"], res.get("statistics", {})
    esc = html.escape
    localizations = res.get("localizations", {})
    default_lang = snippet.get("defaultLanguage") or ""
    lang = hl if hl in localizations else default_lang
    shown = localizations.get(hl, {}) if hl in localizations else snippet
    title, description = shown.get("title", ""), shown.get("description", "")
    dirn = direction(lang)
    probe = api._probe(video)
    short = is_short(probe)
    tracks = [t for t in api.store["captions"].values() if t.get("videoId") == video_id]
    track_tags = "".join(
        f'<track kind="subtitles" srclang="{esc(t["language"])}" '
        f'label="{esc(t.get("name") or t["language"])}" '
        f'src="/api/timedtext?id={esc(t["id"])}"{" default" if n == 0 else ""}>'
        for n, t in enumerate(t for t in tracks if t.get("status") == "serving"))
    serving = [t for t in tracks if t.get("status") == "serving"]
    buttons = "".join(
        f'<button type="button" class="cc" data-track="{n}" lang="{esc(t["language"])}" '
        f'dir="{direction(t["language"])}">{esc(t.get("name") or t["language"])}</button>'
        for n, t in enumerate(serving))
    frame = "player short" if short else "player"
    player = (f'<div class="{frame}"><video id="player" controls preload="auto" '
              f'src="/videoplayback?v={esc(video_id)}">{track_tags}</video></div>'
              f'<p class="captions">Subtitles/CC: {buttons}<button type="button" class="cc" '
              f'data-track="-1">Off</button></p><script>{_CC_SCRIPT}</script>')
    state = state_html(status, api.clock.now())
    rows = [("upload", status.get("uploadStatus")),
            ("made for kids", status.get("selfDeclaredMadeForKids")),
            ("synthetic media", status.get("containsSyntheticMedia")),
            ("category", snippet.get("categoryId")),
            ("tags", ", ".join(snippet.get("tags", [])) or "-"),
            ("default language", default_lang or "-"),
            ("size", f"{probe.get('width', 0)}×{probe.get('height', 0)}, "
                     f"{probe.get('seconds', 0.0):.1f} s" + (" (Short)" if short else "")),
            ("views", stats.get("viewCount")), ("likes", stats.get("likeCount")),
            ("comments", stats.get("commentCount"))]
    facts = "".join(f"<tr><th>{esc(k)}</th><td dir=\"auto\">{esc(str(v))}</td></tr>"
                    for k, v in rows)
    caption_list = "".join(
        f'<li lang="{esc(t["language"])}" dir="{direction(t["language"])}">'
        f'<bdi>{esc(t["language"])}: {esc(t.get("name", ""))}</bdi> '
        f'<span dir="ltr">({esc(t.get("status", ""))})</span></li>'
        for t in tracks) or "<li>none</li>"
    languages = [default_lang or "default", *sorted(localizations)]
    switcher = " · ".join(
        f'<a href="/watch?v={esc(video_id)}' + (f"&amp;hl={esc(code)}" if code in localizations
                                               else "") + f'" lang="{esc(code)}">{esc(code)}</a>'
        for code in dict.fromkeys(languages))
    body = (f'{player}<div class="about" lang="{esc(lang)}" dir="{dirn}">'
            f'<h1 id="title" lang="{esc(lang)}" dir="{dirn}">{esc(title)}</h1>{state}'
            f'<p id="description" lang="{esc(lang)}" dir="{dirn}" '
            f'style="white-space:pre-wrap">{esc(description)}</p></div>'
            f'<p class="languages">Title and description in: {switcher}</p>'
            f"<h2>Caption tracks</h2><ul>{caption_list}</ul>"
            f"<table>{facts}</table>"
            f'<p><a href="/channel">All uploads of {esc(api.channel["title"])}</a></p>')
    return 200, _page(title or video_id, body, lang=lang)


def is_short(probe: dict[str, Any]) -> bool:
    """YouTube treats a vertical or square video of at most 3 minutes as a Short."""
    width, height = probe.get("width", 0), probe.get("height", 0)
    return bool(probe.get("ok")) and 0 < width <= height \
        and probe.get("seconds", 0) <= SHORT_MAX_SECONDS


def state_html(status: dict[str, Any], now: datetime) -> str:
    """The badge YouTube shows the owner: Private, Unlisted, Scheduled for …, or Public."""
    privacy = status.get("privacyStatus")
    when = status.get("publishAt")
    if privacy == "private" and when:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        if moment > now.astimezone(UTC):
            local = moment.astimezone(MOROCCO)
            return (f'<p class="state scheduled" dir="ltr" data-state="scheduled">Scheduled for '
                    f'<time datetime="{html.escape(when)}">{local:%d %b %Y, %H:%M}</time> '
                    "(Africa/Casablanca) · private until then</p>")
    label = {"private": "Private: only you can watch it", "unlisted":
             "Unlisted: anyone with the link can watch it", "public": "Public"}.get(
                 privacy or "", privacy or "")
    return (f'<p class="state {html.escape(privacy or "")}" dir="ltr" '
            f'data-state="{html.escape(privacy or "")}">{html.escape(label)}</p>')


# ----------------------------------------------------------------------------- /channel
def channel_page(api: Any) -> tuple[int, str]:
    esc = html.escape
    now = api.clock.now()
    videos = sorted((v for v in api.store["videos"].values() if not v.get("_deleted")),
                    key=lambda v: v["_uploaded"], reverse=True)
    items = []
    for video in videos:
        res = api.render_video(video, ["snippet", "status"], owner=True)
        snippet = res["snippet"]
        lang = snippet.get("defaultLanguage") or ""
        thumb = ""
        if video["id"] in api.store["thumbnails"]:
            thumb = (f'<img src="/vi/{esc(video["id"])}/mqdefault.jpg" width="168" '
                     'height="94" alt="">')
        short = " short" if is_short(api._probe(video)) else ""
        items.append(f'<li class="upload{short}" data-video="{esc(video["id"])}">{thumb}'
                     f'<a href="/watch?v={esc(video["id"])}" lang="{esc(lang)}" '
                     f'dir="{direction(lang)}">{esc(snippet.get("title", ""))}</a>'
                     f"{state_html(res['status'], now)}</li>")
    body = (f"<h1>{esc(api.channel['title'])}</h1><p>{len(items)} upload(s)</p>"
            f'<ul class="uploads">{"".join(items) or "<li>No uploads yet.</li>"}</ul>')
    return 200, _page(api.channel["title"], body)


# ----------------------------------------------------------------------------- media
@dataclass(frozen=True)
class Piece:
    """What to send of a stored file: status 200/206/416 and the byte span."""

    status: int
    path: Path
    start: int
    length: int
    total: int
    content_type: str

    def headers(self) -> dict[str, str]:
        out = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
        if self.status == 206:
            out["Content-Range"] = f"bytes {self.start}-{self.start + self.length - 1}/{self.total}"
        elif self.status == 416:
            out["Content-Range"] = f"bytes */{self.total}"
        return out


def media_piece(api: Any, video_id: str, range_header: str | None) -> Piece | None:
    """The span of the stored video a request asks for; None when there is no such video."""
    video = api.store["videos"].get(video_id)
    if video is None or video.get("_deleted"):
        return None
    path = api.store.path("media", video_id)
    total = path.stat().st_size
    kind = video.get("_type") or ""
    content_type = kind if kind.startswith("video/") else "video/mp4"
    if not range_header:
        return Piece(200, path, 0, total, total, content_type)
    match = _RANGE.match(range_header.strip())
    if match is None:  # several ranges, or not bytes: the whole file, as servers may
        return Piece(200, path, 0, total, total, content_type)
    first, last = match.groups()
    if first == "":  # the last N bytes
        start = max(0, total - int(last or 0))
        end = total - 1
    else:
        start = int(first)
        end = min(int(last), total - 1) if last else total - 1
    if start >= total or end < start:
        return Piece(416, path, 0, 0, total, content_type)
    end = min(end, start + MAX_PIECE - 1)
    return Piece(206, path, start, end - start + 1, total, content_type)


def timedtext(api: Any, caption_id: str) -> bytes | None:
    """A stored caption track as WebVTT; None when it is unknown."""
    track = api.store["captions"].get(caption_id)
    if track is None:
        return None
    raw = api.store.path("captions", caption_id).read_bytes()
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    return to_webvtt(text).encode("utf-8")


def to_webvtt(text: str) -> str:
    """SRT (or WebVTT) text as WebVTT: dotted times, `{\\an8}` as a top cue, no `<font>`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("WEBVTT"):
        return text
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if at is None:
            continue
        match = _TIMING.match(lines[at])
        if match is None:
            continue
        start, start_ms, end, end_ms, _ = match.groups()
        timing = f"{_pad(start)}.{start_ms} --> {_pad(end)}.{end_ms}"
        body = "\n".join(lines[at + 1:])
        if "{\\an8}" in body:
            body, timing = body.replace("{\\an8}", ""), timing + " line:0"
        body = re.sub(r"\{\\[^}]*\}", "", re.sub(r"</?font[^>]*>", "", body))
        if body.strip():
            blocks.append(f"{timing}\n{body}")
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def _pad(clock: str) -> str:
    hours, rest = clock.strip().split(":", 1)
    return f"{int(hours):02d}:{rest}"


# One track shown at a time, as YouTube's CC menu does.
_CC_SCRIPT = """
document.querySelectorAll('button.cc').forEach(function (button) {
  button.addEventListener('click', function () {
    var tracks = document.getElementById('player').textTracks;
    var chosen = parseInt(button.dataset.track, 10);
    for (var i = 0; i < tracks.length; i++) {
      tracks[i].mode = i === chosen ? 'showing' : 'disabled';
    }
    document.querySelectorAll('button.cc').forEach(function (b) {
      b.classList.toggle('on', b === button); });
  });
});
"""


# ----------------------------------------------------------------------------- page
def _page(title: str, body: str, *, lang: str = "") -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} - capsule sandbox</title><style>"
            "body{font-family:Roboto,Arial,sans-serif;max-width:64rem;margin:1rem auto;"
            "padding:0 1rem;color:#0f0f0f}"
            ".player{background:#000;aspect-ratio:16/9;max-width:64rem}"
            ".player.short{aspect-ratio:auto;height:80vh;width:calc(80vh * 9 / 16);margin:0 auto}"
            ".player video{width:100%;height:100%}"
            ".state{display:inline-block;background:#f2f2f2;border-radius:.5rem;"
            "padding:.2rem .6rem;font-size:.9rem}.state.scheduled{background:#e8f0fe}"
            ".uploads{list-style:none;padding:0}.uploads li{display:flex;gap:1rem;"
            "align-items:center;margin:.5rem 0}"
            ".cc{margin:0 .2rem;border-radius:1rem;border:1px solid #ccc;background:#f2f2f2}"
            ".cc.on{background:#0f0f0f;color:#fff}"
            "th{text-align:start;padding-inline-end:1rem}</style></head><body>"
            "<p><small>capsule sandbox: a rehearsal, not YouTube</small></p>"
            f"{body}</body></html>")
