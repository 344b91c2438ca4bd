"""The sandbox's watch page as a rehearsal: a real player in a real Chromium (issue 15)."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from googleapiclient.http import MediaInMemoryUpload

from publish.sandbox.watch import MAX_PIECE, to_webvtt
from tests.browser import ACTIVE_CUES, seek, wait
from tests.media import make_clip

SRT_FR = ("1\r\n00:00:00,200 --> 00:00:01,400\r\nEnsemble contre la traite\r\n\r\n"
          "2\r\n00:00:01,500 --> 00:00:02,800\r\n{\\an8}<font color=\"#ffff00\">Signalez</font> "
          "tout soupçon\r\n")
SRT_AR = ("1\n00:00:00,200 --> 00:00:01,400\nمعًا ضد الاتجار بالبشر\n\n"
          "2\n00:00:01,500 --> 00:00:02,800\nأبلغوا عن أي شبهة 24/7\n")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("watch")
    return {"wide": make_clip(folder / "wide.mp4", seconds=3.0),
            "tall": make_clip(folder / "tall.mp4", seconds=2.0, size=(180, 320))}


def upload(youtube, data: bytes, body: dict) -> str:
    media = MediaInMemoryUpload(data, mimetype="video/mp4", resumable=False)
    return youtube.videos().insert(part=",".join(body), body=body,
                                   media_body=media).execute()["id"]


def add_track(youtube, video_id: str, language: str, name: str, srt: str) -> None:
    media = MediaInMemoryUpload(srt.encode("utf-8"), mimetype="application/octet-stream")
    youtube.captions().insert(part="snippet", body={"snippet": {
        "videoId": video_id, "language": language, "name": name}},
        media_body=media).execute()


@pytest.fixture
def published(sandbox, clips):
    """A scheduled capsule with an Arabic localization and two tracks, and a public Short."""
    youtube = sandbox.youtube()
    when = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    wide = upload(youtube, clips["wide"].read_bytes(), {
        "snippet": {"title": "Cœur bleu", "description": "Ensemble contre la traite.",
                    "categoryId": "29", "defaultLanguage": "fr"},
        "status": {"privacyStatus": "private", "publishAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "selfDeclaredMadeForKids": False},
        "localizations": {"ar": {"title": "القلب الأزرق", "description": "معًا ضد الاتجار"}}})
    add_track(youtube, wide, "fr", "Français", SRT_FR)
    add_track(youtube, wide, "ar", "العربية", SRT_AR)
    tall = upload(youtube, clips["tall"].read_bytes(), {
        "snippet": {"title": "Cœur bleu #Shorts", "categoryId": "29"},
        "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False}})
    return {"wide": wide, "tall": tall, "when": when}


def get(url: str, headers: dict[str, str] | None = None):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}))


def test_video_bytes_are_served_with_ranges(sandbox, published, clips):
    data = clips["wide"].read_bytes()
    url = f"{sandbox.url}videoplayback?v={published['wide']}"
    reply = get(url, {"Range": "bytes=100-199"})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert reply.read() == data[100:200]
    tail = get(url, {"Range": "bytes=-10"})
    assert tail.status == 206 and tail.read() == data[-10:]
    whole = get(url, {"Range": "bytes=0-"})
    assert whole.status == 206 and whole.read() == data[:MAX_PIECE]
    plain = get(url)
    assert plain.status == 200 and plain.headers["Accept-Ranges"] == "bytes"
    assert plain.read() == data
    with pytest.raises(urllib.error.HTTPError, match="416"):
        get(url, {"Range": f"bytes={len(data)}-"})
    with pytest.raises(urllib.error.HTTPError, match="404"):
        get(f"{sandbox.url}videoplayback?v=nonexistent0")


def test_caption_tracks_are_served_as_webvtt(sandbox, published):
    youtube = sandbox.youtube()
    items = youtube.captions().list(part="snippet", videoId=published["wide"]).execute()["items"]
    fr = next(i["id"] for i in items if i["snippet"]["language"] == "fr")
    vtt = get(f"{sandbox.url}api/timedtext?id={fr}").read().decode("utf-8")
    assert vtt == ("WEBVTT\n\n00:00:00.200 --> 00:00:01.400\nEnsemble contre la traite\n\n"
                   "00:00:01.500 --> 00:00:02.800 line:0\nSignalez tout soupçon\n")
    assert to_webvtt("WEBVTT\n\nkept\n") == "WEBVTT\n\nkept\n"


def test_watch_page_plays_with_selectable_tracks(sandbox, published, browser):
    video = published["wide"]
    browser.get(f"{sandbox.url}watch?v={video}")
    duration = wait(lambda: browser.execute_script(
        "const v = document.querySelector('#player'); return v.readyState >= 1 && v.duration;"),
        what="the H.264 video to load")
    assert duration == pytest.approx(3.0, abs=0.1)
    assert browser.execute_script("return document.querySelector('#player').error") is None
    wait(lambda: browser.execute_script(
        "return Array.from(document.querySelector('#player').textTracks)"
        ".every(t => (t.mode = 'hidden') && t.cues && t.cues.length === 2)"),
        what="both caption tracks")
    seek(browser, "#player", 1.6)  # a seek: the player asks the server for a byte range
    active = dict(browser.execute_script(ACTIVE_CUES, "#player"))
    assert active == {"fr": ["Signalez tout soupçon"], "ar": ["أبلغوا عن أي شبهة 24/7"]}
    assert browser.execute_script("return document.querySelector('#player').currentTime") \
        == pytest.approx(1.6, abs=0.01)
    # Selecting a track shows it and only it (what the player's CC menu does).
    browser.find_element("css selector", "button.cc[lang='ar']").click()
    modes = browser.execute_script(
        "return Array.from(document.querySelector('#player').textTracks)"
        ".map(x => [x.language, x.mode]);")
    assert modes == [["fr", "disabled"], ["ar", "showing"]]
    assert browser.find_element("css selector", "button.cc.on").text == "العربية"
    state = browser.find_element("css selector", ".state")
    local = published["when"].astimezone(__import__("zoneinfo").ZoneInfo("Africa/Casablanca"))
    assert state.get_attribute("data-state") == "scheduled"
    assert state.text == (f"Scheduled for {local:%d %b %Y, %H:%M} (Africa/Casablanca) · "
                          "private until then")
    title = browser.find_element("css selector", "#title")
    assert (title.text, title.get_attribute("dir")) == ("Cœur bleu", "ltr")


def test_arabic_viewer_sees_a_right_to_left_page(sandbox, published, browser):
    browser.get(f"{sandbox.url}watch?v={published['wide']}&hl=ar")
    for selector in ("#title", "#description", ".about"):
        element = browser.find_element("css selector", selector)
        assert (element.get_attribute("lang"), element.get_attribute("dir")) == ("ar", "rtl")
    assert browser.find_element("css selector", "#title").text == "القلب الأزرق"
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('#title')).direction") == "rtl"
    arabic_track = browser.find_element("css selector", "li[lang='ar']")
    assert arabic_track.get_attribute("dir") == "rtl"


def test_short_plays_in_a_vertical_frame_and_channel_lists_uploads(sandbox, published,
                                                                    browser):
    sandbox.clock.advance(3600)  # processed
    browser.get(f"{sandbox.url}watch?v={published['tall']}")
    frame = browser.find_element("css selector", ".player")
    assert "short" in frame.get_attribute("class").split()
    assert frame.size["height"] > 1.7 * frame.size["width"]
    assert browser.find_element("css selector", ".state").get_attribute("data-state") == "public"
    size = wait(lambda: browser.execute_script(
        "const v = document.querySelector('#player'); return v.videoWidth && "
        "[v.videoWidth, v.videoHeight];"), what="the Short to load")
    assert size == [180, 320]
    browser.get(f"{sandbox.url}watch?v={published['wide']}")
    frame = browser.find_element("css selector", ".player")
    assert "short" not in frame.get_attribute("class").split()
    assert frame.size["width"] > frame.size["height"]

    browser.get(f"{sandbox.url}channel")
    uploads = browser.find_elements("css selector", "li.upload")
    assert [u.get_attribute("data-video") for u in uploads] == [published["tall"],
                                                               published["wide"]]
    assert [u.find_element("css selector", ".state").get_attribute("data-state")
            for u in uploads] == ["public", "scheduled"]
    link = uploads[1].find_element("css selector", "a")
    assert link.get_attribute("href").endswith(f"/watch?v={published['wide']}")
