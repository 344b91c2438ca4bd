"""The Data API and Analytics endpoints of the sandbox, through the real client library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload
from sandbox_helpers import JPEG, PNG, SRT, VIDEO_BODY, error_of, raw, reason

from publish.sandbox import DEFAULT_API_KEY, SandboxServer


def insert(youtube, body=None, data=b"\x00" * 1000, part="snippet,status"):
    """A small multipart videos.insert (metadata + media in one request)."""
    media = MediaInMemoryUpload(data, mimetype="video/mp4", resumable=False)
    return youtube.videos().insert(part=part, body=body or VIDEO_BODY,
                                   media_body=media).execute(num_retries=0)


def public_body(title="Public capsule"):
    return {"snippet": {"title": title, "categoryId": "27"},
            "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False}}


# videos ----------------------------------------------------------------------------------------

def test_videos_list_returns_requested_parts_with_string_statistics(sandbox):
    youtube = sandbox.youtube()
    first, second = insert(youtube)["id"], insert(youtube)["id"]
    reply = youtube.videos().list(part="snippet,statistics", id=f"{first},{second}").execute()
    assert reply["kind"] == "youtube#videoListResponse"
    assert reply["pageInfo"] == {"totalResults": 2, "resultsPerPage": 2}
    assert [item["id"] for item in reply["items"]] == [first, second]
    item = reply["items"][0]
    assert set(item) == {"kind", "etag", "id", "snippet", "statistics"}
    assert item["snippet"]["title"] == "Capsule"
    assert item["snippet"]["channelId"].startswith("UC")
    assert all(isinstance(v, str) for v in item["statistics"].values())
    repeated = youtube.videos().list(part=["id"], id=[first, second, "unknownId00"]).execute()
    assert [item["id"] for item in repeated["items"]] == [first, second]


def test_upload_is_processing_then_processed_on_the_sandbox_clock(sandbox, tmp_path):
    from media import make_clip

    clip = make_clip(tmp_path / "clip.mp4", seconds=2, audio=None)
    youtube = sandbox.youtube()
    video = insert(youtube, data=clip.read_bytes(), part="snippet,status")
    assert video["status"]["uploadStatus"] == "uploaded"
    parts = "status,processingDetails,contentDetails,fileDetails"
    before = youtube.videos().list(part=parts, id=video["id"]).execute()["items"][0]
    assert before["processingDetails"]["processingStatus"] == "processing"
    sandbox.clock.advance(sandbox.limits.processing_seconds)
    after = youtube.videos().list(part=parts, id=video["id"]).execute()["items"][0]
    assert after["status"]["uploadStatus"] == "processed"
    assert after["processingDetails"]["processingStatus"] == "succeeded"
    assert after["contentDetails"]["duration"] == "PT2S"
    assert after["fileDetails"]["fileSize"] == str(clip.stat().st_size)


def test_bytes_that_are_not_a_video_fail_processing(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube, data=b"not a video at all")["id"]
    sandbox.clock.advance(sandbox.limits.processing_seconds)
    item = youtube.videos().list(part="status,processingDetails", id=video_id).execute()
    status = item["items"][0]["status"]
    assert (status["uploadStatus"], status["failureReason"]) == ("failed", "invalidFile")
    assert item["items"][0]["processingDetails"]["processingStatus"] == "failed"


def test_long_video_is_rejected_unless_the_channel_allows_long_uploads(sandbox, tmp_path):
    from media import make_clip

    clip = make_clip(tmp_path / "long.mp4", seconds=901, size=(16, 16), fps="1", audio=None,
                     pattern="color=c=black")
    sandbox.limits.long_uploads_status = "eligible"
    youtube = sandbox.youtube()
    video_id = insert(youtube, data=clip.read_bytes())["id"]
    sandbox.clock.advance(sandbox.limits.processing_seconds)
    item = youtube.videos().list(part="status,contentDetails", id=video_id).execute()["items"][0]
    assert item["contentDetails"]["duration"] == "PT15M1S"
    assert (item["status"]["uploadStatus"], item["status"]["rejectionReason"]) == (
        "rejected", "length")
    sandbox.limits.long_uploads_status = "allowed"
    item = youtube.videos().list(part="status", id=video_id).execute()["items"][0]
    assert item["status"]["uploadStatus"] == "processed"


def test_views_grow_with_the_clock_and_depend_only_on_the_seed(sandbox, tmp_path_factory):
    youtube = sandbox.youtube()
    public = insert(youtube, public_body())["id"]
    private = insert(youtube)["id"]

    def views():
        reply = youtube.videos().list(part="statistics", id=[public, private]).execute()
        return [int(item["statistics"]["viewCount"]) for item in reply["items"]]

    assert views() == [0, 0]
    sandbox.clock.advance(3 * 3600)
    three_hours = views()
    sandbox.clock.advance(24 * 3600)
    a_day_later = views()
    assert 0 < three_hours[0] < a_day_later[0]
    assert three_hours[1] == a_day_later[1] == 0  # never public: no audience

    twin = SandboxServer(tmp_path_factory.mktemp("twin"), clock=sandbox.clock).start()
    try:
        twin_youtube = twin.youtube()
        sandbox.clock.advance(-27 * 3600)
        assert insert(twin_youtube, public_body())["id"] == public  # same seed, same ids
        insert(twin_youtube)
        sandbox.clock.advance(27 * 3600)
        reply = twin_youtube.videos().list(part="statistics", id=public).execute()
        assert int(reply["items"][0]["statistics"]["viewCount"]) == a_day_later[0]
    finally:
        twin.stop()


def test_videos_update_overwrites_whole_parts(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube, {"snippet": {"title": "Old", "description": "kept?",
                                            "tags": ["a"], "categoryId": "27"},
                                "status": {"privacyStatus": "private"}})["id"]
    updated = youtube.videos().update(part="snippet", body={
        "id": video_id, "snippet": {"title": "New", "categoryId": "22"}}).execute()
    assert updated["snippet"]["title"] == "New"
    assert updated["snippet"]["description"] == ""  # omitted fields are cleared
    assert "tags" not in updated["snippet"]
    with pytest.raises(HttpError) as missing_category:
        youtube.videos().update(part="snippet", body={"id": video_id,
                                                      "snippet": {"title": "x"}}).execute()
    assert reason(missing_category.value) == "invalidCategoryId"
    with pytest.raises(HttpError) as unknown:
        youtube.videos().update(part="status", body={"id": "nope", "status": {}}).execute()
    assert unknown.value.resp.status == 404
    assert reason(unknown.value) == "videoNotFound"


@pytest.mark.parametrize(("change", "expected"), [
    ({"snippet": {"title": " ", "categoryId": "27"}}, "invalidTitle"),
    ({"snippet": {"title": "a <b>", "categoryId": "27"}}, "invalidTitle"),
    ({"snippet": {"title": "x" * 101, "categoryId": "27"}}, "invalidTitle"),
    ({"snippet": {"title": "t", "description": "é" * 2501, "categoryId": "27"}},
     "invalidDescription"),
    ({"snippet": {"title": "t", "tags": ["a b" * 50] * 5, "categoryId": "27"}}, "invalidTags"),
    ({"snippet": {"title": "t", "categoryId": "18"}}, "invalidCategoryId"),
    ({"status": {"privacyStatus": "public", "publishAt": "2030-01-01T00:00:00Z"}},
     "invalidPublishAt"),
    ({"status": {"privacyStatus": "private", "publishAt": "tomorrow"}}, "invalidPublishAt"),
    ({"localizations": {"ar": {"title": "عنوان", "description": ""}}},
     "defaultLanguageNotSet"),
    ({"recordingDetails": {"recordingDate": "29/11/2026"}}, "invalidRecordingDetails"),
])
def test_metadata_rules_give_youtube_reasons(sandbox, change, expected):
    body = {"snippet": {"title": "ok", "categoryId": "27"}, "status": {}, **change}
    media = MediaInMemoryUpload(b"\x00" * 10, mimetype="video/mp4", resumable=False)
    with pytest.raises(HttpError) as caught:
        sandbox.youtube().videos().insert(
            part="snippet,status,localizations,recordingDetails", body=body,
            media_body=media).execute()
    assert caught.value.resp.status == 400
    error = error_of(caught.value)
    assert error["errors"][0]["reason"] == expected
    assert error["errors"][0]["domain"] == "youtube.video"
    assert not sandbox.store["videos"]


def test_localizations_round_trip(sandbox):
    youtube = sandbox.youtube()
    localizations = {"ar": {"title": "كبسولة", "description": "وصف"},
                     "zgh": {"title": "ⵜⴰⴽⴰⴱⵙⵓⵍⵜ", "description": ""}}
    video_id = insert(youtube, {"snippet": {"title": "Capsule", "categoryId": "27",
                                            "defaultLanguage": "fr"},
                                "localizations": localizations},
                      part="snippet,localizations")["id"]
    reply = youtube.videos().list(part="snippet,localizations", id=video_id).execute()
    assert reply["items"][0]["localizations"] == localizations
    assert reply["items"][0]["snippet"]["defaultLanguage"] == "fr"


def test_tags_limit_counts_quotes_of_tags_with_spaces(sandbox):
    youtube = sandbox.youtube()
    fits = ["ab cd"] * 55 + ["x" * 54]  # 55 * (5 + 2) + 54 + 55 commas = 494 (+ nothing)
    assert sum(len(t) + 2 * (" " in t) for t in fits) + len(fits) - 1 <= 500
    insert(youtube, {"snippet": {"title": "t", "tags": fits, "categoryId": "27"}})
    too_long = [*fits[:-1], "x" * 61]
    with pytest.raises(HttpError) as caught:
        insert(youtube, {"snippet": {"title": "t", "tags": too_long, "categoryId": "27"}})
    assert reason(caught.value) == "invalidTags"


def test_deleted_videos_and_private_ones_for_api_keys_vanish(sandbox):
    youtube = sandbox.youtube()
    public = insert(youtube, public_body())["id"]
    private = insert(youtube)["id"]
    keyed = sandbox.youtube(key=DEFAULT_API_KEY)
    seen = keyed.videos().list(part="status", id=[public, private]).execute()
    assert [item["id"] for item in seen["items"]] == [public]
    assert "selfDeclaredMadeForKids" not in seen["items"][0]["status"]  # owner-only
    sandbox.delete_video(public)
    assert youtube.videos().list(part="id", id=public).execute()["items"] == []
    stats = keyed.videos().batchGetStats(id=[public], part="statistics").execute()
    assert stats["items"] == []


def test_batch_get_stats_uses_its_own_bucket(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube, public_body())["id"]
    sandbox.clock.advance(2 * 3600)
    before = sandbox.quota.usage()
    reply = sandbox.youtube(key=DEFAULT_API_KEY).videos().batchGetStats(
        id=[video_id], part=["statistics", "contentDetails"]).execute()
    item = reply["items"][0]
    assert item["kind"] == "youtube#videoStats"
    assert int(item["statistics"]["viewCount"]) > 0
    after = sandbox.quota.usage()
    assert after["batchGetStats"]["used"] == before["batchGetStats"]["used"] + 1
    assert after["default"]["used"] == before["default"]["used"]
    with pytest.raises(HttpError) as caught:
        youtube.videos().batchGetStats(id=[video_id] * 51, part="statistics").execute()
    assert reason(caught.value) == "invalidParameter"


def test_fields_trims_the_reply(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    reply = youtube.videos().list(part="snippet,statistics", id=video_id,
                                  fields="items(id,statistics/viewCount)").execute()
    assert reply == {"items": [{"id": video_id, "statistics": {"viewCount": "0"}}]}


# discovery-based validation (raw HTTP: the client refuses to send these) ----------------------

@pytest.mark.parametrize(("query", "status", "expected", "location"), [
    ("part=snippet&id=x&colour=red", 400, "invalid", "colour"),
    ("id=x", 400, "required", "part"),
    ("part=snippet,colour&id=x", 400, "unknownPart", "part"),
    ("part=snippet&chart=mostPopular&maxResults=51", 400, "invalidParameter", "maxResults"),
    ("part=snippet&myRating=love", 400, "invalidParameter", "myRating"),
    ("part=snippet", 400, "missingRequiredParameter", None),
])
def test_parameters_are_checked_against_the_discovery_document(sandbox, query, status,
                                                              expected, location):
    token = sandbox.mint_token(["youtube.readonly"])["access_token"]
    code, _, body = raw(sandbox, "GET", f"/youtube/v3/videos?{query}", token=token)
    assert code == status
    assert body["error"]["code"] == status
    assert body["error"]["errors"][0]["reason"] == expected
    if location:
        assert body["error"]["errors"][0]["location"] == location


def test_invalid_requests_cost_one_unit(sandbox):
    token = sandbox.mint_token(["youtube.readonly"])["access_token"]
    raw(sandbox, "GET", "/youtube/v3/videos?part=colour&id=x", token=token)
    assert sandbox.quota.usage()["default"]["used"] == 1


def test_long_get_as_post_with_method_override(sandbox):
    video_id = insert(sandbox.youtube())["id"]
    token = sandbox.mint_token(["youtube.readonly"])["access_token"]
    code, _, body = raw(sandbox, "POST", "/youtube/v3/videos", token=token,
                        body=f"part=id&id={video_id}".encode(),
                        headers={"X-HTTP-Method-Override": "GET",
                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert code == 200
    assert [item["id"] for item in body["items"]] == [video_id]


# captions --------------------------------------------------------------------------------------

def caption(youtube, video_id, name="Français", language="fr", data=SRT, resumable=False):
    media = MediaInMemoryUpload(data, mimetype="application/octet-stream", resumable=resumable)
    request = youtube.captions().insert(part="snippet", body={"snippet": {
        "videoId": video_id, "language": language, "name": name}}, media_body=media)
    if not resumable:
        return request.execute()
    response = None
    while response is None:
        _, response = request.next_chunk(num_retries=0)
    return response


def test_caption_tracks_insert_list_update_delete(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    track = caption(youtube, video_id)
    snippet = track["snippet"]
    assert track["kind"] == "youtube#caption"
    assert (snippet["trackKind"], snippet["audioTrackType"], snippet["status"]) == (
        "standard", "unknown", "serving")
    assert snippet["isCC"] is snippet["isAutoSynced"] is snippet["isDraft"] is False
    arabic = caption(youtube, video_id, name="العربية", language="ar", resumable=True)
    listed = youtube.captions().list(part="snippet", videoId=video_id).execute()
    assert listed["kind"] == "youtube#captionListResponse"
    assert {t["id"] for t in listed["items"]} == {track["id"], arabic["id"]}
    assert sandbox.store.path("captions", arabic["id"]).read_bytes() == SRT

    new_srt = SRT.replace(b"Bonjour", b"Salut")
    updated = youtube.captions().update(
        part="snippet", body={"id": track["id"], "snippet": {"isDraft": True}},
        media_body=MediaInMemoryUpload(new_srt, mimetype="application/octet-stream")).execute()
    assert updated["snippet"]["isDraft"] is True
    assert sandbox.store.path("captions", track["id"]).read_bytes() == new_srt
    youtube.captions().delete(id=track["id"]).execute()
    listed = youtube.captions().list(part="snippet", videoId=video_id).execute()
    assert [t["id"] for t in listed["items"]] == [arabic["id"]]
    with pytest.raises(HttpError) as caught:
        youtube.captions().delete(id=track["id"]).execute()
    assert (caught.value.resp.status, reason(caught.value)) == (404, "captionNotFound")


def test_caption_errors(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    caption(youtube, video_id)
    cases = [({"video_id": video_id}, 409, "captionExists"),
             ({"video_id": video_id, "name": "n" * 151}, 400, "nameTooLong"),
             ({"video_id": "unknownVid1"}, 404, "videoNotFound"),
             ({"video_id": video_id, "name": "empty", "data": b""}, 400, "contentRequired")]
    for kwargs, status, expected in cases:
        with pytest.raises(HttpError) as caught:
            caption(youtube, kwargs.pop("video_id"), **kwargs)
        assert (caught.value.resp.status, reason(caught.value)) == (status, expected), kwargs
    with pytest.raises(HttpError) as caught:
        caption(sandbox.youtube("youtube.upload"), video_id, name="other")
    assert (caught.value.resp.status, reason(caught.value)) == (403, "insufficientPermissions")


def test_refused_caption_update_changes_nothing(sandbox):
    youtube = sandbox.youtube()
    track = caption(youtube, insert(youtube)["id"])
    sandbox.limits.update({"caption_max_bytes": len(SRT)})
    with pytest.raises(HttpError) as caught:
        youtube.captions().update(
            part="snippet", body={"id": track["id"], "snippet": {"isDraft": True}},
            media_body=MediaInMemoryUpload(SRT + b"\n", mimetype="application/octet-stream"),
        ).execute()
    assert (caught.value.resp.status, reason(caught.value)) == (413, "uploadTooLarge")
    listed = youtube.captions().list(part="snippet", videoId=track["snippet"]["videoId"],
                                     id=track["id"]).execute()
    assert listed["items"][0]["snippet"]["isDraft"] is False
    assert sandbox.store.path("captions", track["id"]).read_bytes() == SRT


def test_caption_without_timing_is_stored_as_failed(sandbox):
    youtube = sandbox.youtube()
    track = caption(youtube, insert(youtube)["id"], data=b"just words, no timing")
    assert track["snippet"]["status"] == "failed"
    assert track["snippet"]["failureReason"] == "unknownFormat"


# thumbnails ------------------------------------------------------------------------------------

def set_thumbnail(youtube, video_id, data, mimetype="image/jpeg"):
    return youtube.thumbnails().set(
        videoId=video_id, media_body=MediaInMemoryUpload(data, mimetype=mimetype)).execute()


def test_thumbnail_set_answers_default_medium_high(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    reply = set_thumbnail(youtube, video_id, JPEG)
    assert reply["kind"] == "youtube#thumbnailSetResponse"
    sizes = {name: (t["width"], t["height"]) for name, t in reply["items"][0].items()}
    assert sizes == {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
    set_thumbnail(youtube, video_id, PNG, "image/png")
    code, headers, body = raw(sandbox, "GET", f"/vi/{video_id}/high.jpg")
    assert (code, headers["content-type"], body) == (200, "image/png", PNG)


def test_thumbnail_errors(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    with pytest.raises(HttpError) as caught:
        set_thumbnail(youtube, video_id, b"GIF89a" + bytes(100), "image/gif")
    assert (caught.value.resp.status, reason(caught.value)) == (400, "invalidImage")
    with pytest.raises(HttpError) as caught:
        set_thumbnail(youtube, "unknownVid1", JPEG)
    assert (caught.value.resp.status, reason(caught.value)) == (404, "videoNotFound")
    token = sandbox.mint_token(["youtube.upload"])["access_token"]
    code, _, body = raw(sandbox, "POST", f"/upload/youtube/v3/thumbnails/set?videoId={video_id}"
                        "&uploadType=media", token=token, body=b"",
                        headers={"Content-Type": "image/jpeg"})
    assert (code, body["error"]["errors"][0]["reason"]) == (400, "mediaBodyRequired")
    sandbox.limits.thumbnail_max_bytes = 100
    with pytest.raises(HttpError) as caught:
        set_thumbnail(youtube, video_id, JPEG)
    assert caught.value.resp.status == 413
    sandbox.limits.thumbnail_max_bytes = 1 << 20
    sandbox.limits.channel_verified = False
    with pytest.raises(HttpError) as caught:
        set_thumbnail(youtube, video_id, JPEG)
    assert (caught.value.resp.status, reason(caught.value)) == (403, "forbidden")
    sandbox.limits.channel_verified = True
    sandbox.limits.thumbnail_sets_per_day = 1
    set_thumbnail(youtube, video_id, JPEG)
    with pytest.raises(HttpError) as caught:
        youtube.thumbnails().set(videoId=video_id, media_body=MediaInMemoryUpload(
            JPEG, mimetype="image/jpeg")).execute(num_retries=0)
    assert (caught.value.resp.status, reason(caught.value)) == (429, "uploadRateLimitExceeded")


# playlists, channel, reference lists -----------------------------------------------------------

def test_playlists_paged_and_playlist_items(sandbox):
    youtube = sandbox.youtube()
    made = [youtube.playlists().insert(part="snippet,status", body={
        "snippet": {"title": f"List {n}"}, "status": {"privacyStatus": "unlisted"}}).execute()
        for n in range(3)]
    assert made[0]["id"].startswith("PL") and made[0]["status"]["privacyStatus"] == "unlisted"
    first = youtube.playlists().list(part="snippet,contentDetails", mine=True,
                                     maxResults=2).execute()
    assert first["pageInfo"] == {"totalResults": 3, "resultsPerPage": 2}
    second = youtube.playlists().list(part="snippet", mine=True, maxResults=2,
                                      pageToken=first["nextPageToken"]).execute()
    assert "nextPageToken" not in second
    titles = [p["snippet"]["title"] for p in first["items"] + second["items"]]
    assert sorted(titles) == ["List 0", "List 1", "List 2"]

    playlist_id = made[0]["id"]
    videos = [insert(youtube)["id"] for _ in range(2)]
    for video_id in videos:
        item = youtube.playlistItems().insert(part="snippet", body={"snippet": {
            "playlistId": playlist_id,
            "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute()
        assert item["snippet"]["resourceId"]["videoId"] == video_id
    youtube.playlistItems().insert(part="snippet", body={"snippet": {
        "playlistId": playlist_id, "position": 0,
        "resourceId": {"kind": "youtube#video", "videoId": videos[1]}}}).execute()
    listed = youtube.playlistItems().list(part="snippet,contentDetails",
                                          playlistId=playlist_id).execute()
    assert [i["contentDetails"]["videoId"] for i in listed["items"]] == [videos[1], *videos]
    assert [i["snippet"]["position"] for i in listed["items"]] == [0, 1, 2]
    count = youtube.playlists().list(part="contentDetails", id=playlist_id).execute()
    assert count["items"][0]["contentDetails"]["itemCount"] == 3


def test_playlist_errors(sandbox):
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    uploads = youtube.channels().list(part="contentDetails", mine=True).execute()[
        "items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
    playlist_id = youtube.playlists().insert(part="snippet", body={
        "snippet": {"title": "P"}}).execute()["id"]

    def add(playlist, video):
        return youtube.playlistItems().insert(part="snippet", body={"snippet": {
            "playlistId": playlist,
            "resourceId": {"kind": "youtube#video", "videoId": video}}}).execute()

    for playlist, video, status, expected in [
            ("PLnope", video_id, 404, "playlistNotFound"),
            (playlist_id, "unknownVid1", 404, "videoNotFound"),
            (uploads, video_id, 400, "playlistOperationUnsupported")]:
        with pytest.raises(HttpError) as caught:
            add(playlist, video)
        assert (caught.value.resp.status, reason(caught.value)) == (status, expected)
    with pytest.raises(HttpError) as caught:
        youtube.playlists().insert(part="snippet", body={"snippet": {}}).execute()
    assert reason(caught.value) == "playlistTitleRequired"
    listed = youtube.playlistItems().list(part="contentDetails", playlistId=uploads).execute()
    assert [i["contentDetails"]["videoId"] for i in listed["items"]] == [video_id]


def test_channel_mine(sandbox):
    reply = sandbox.youtube().channels().list(part="snippet,contentDetails,status",
                                              mine=True).execute()
    (channel,) = reply["items"]
    assert channel["contentDetails"]["relatedPlaylists"]["uploads"] == "UU" + channel["id"][2:]
    assert channel["status"]["longUploadsStatus"] == "allowed"
    with pytest.raises(HttpError) as caught:
        sandbox.youtube(key=DEFAULT_API_KEY).channels().list(part="id", mine=True).execute()
    assert caught.value.resp.status == 401


def test_video_categories_and_languages(sandbox):
    youtube = sandbox.youtube("youtube.readonly")
    categories = youtube.videoCategories().list(part="snippet", regionCode="US").execute()
    assignable = {c["id"]: c["snippet"]["assignable"] for c in categories["items"]}
    assert assignable["27"] is True and assignable["18"] is False
    languages = youtube.i18nLanguages().list(part="snippet").execute()
    codes = {item["id"] for item in languages["items"]}
    assert {"fr", "ar", "en", "no", "zgh"} <= codes and "nb" not in codes


# auth on API calls -----------------------------------------------------------------------------

def test_credentials_errors_have_googles_bodies(sandbox):
    code, headers, body = raw(sandbox, "GET", "/youtube/v3/videos?part=id&id=x",
                              token="ya29.unknown")
    assert code == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["errors"][0]["reason"] == "authError"
    assert body["error"]["message"].startswith("Request had invalid authentication credentials.")
    assert headers["www-authenticate"].startswith("Bearer")
    code, _, body = raw(sandbox, "GET", "/youtube/v3/videos?part=id&id=x")
    assert (code, body["error"]["errors"][0]["reason"]) == (403, "forbidden")
    code, _, body = raw(sandbox, "GET", "/youtube/v3/videos?part=id&id=x&key=wrong")
    assert (code, body["error"]["errors"][0]["reason"]) == (400, "badRequest")
    code, _, body = raw(sandbox, "GET", "/v2/reports?ids=channel==MINE&metrics=views"
                        f"&startDate=2026-01-01&endDate=2026-01-02&key={DEFAULT_API_KEY}")
    assert code == 401
    analytics_token = sandbox.mint_token(["youtube.force-ssl"])["access_token"]
    code, _, body = raw(sandbox, "GET", "/v2/reports?ids=channel==MINE&metrics=views"
                        "&startDate=2026-01-01&endDate=2026-01-02", token=analytics_token)
    assert (code, body["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")


# quota -----------------------------------------------------------------------------------------

def test_quota_exhaustion_and_reset_at_pacific_midnight(sandbox):
    # 07:59 UTC on 29 November is 23:59 on the 28th in Los Angeles (PST, UTC-8).
    sandbox.clock.set(datetime(2026, 11, 29, 7, 59, tzinfo=UTC))
    sandbox.limits.daily_units = 120
    youtube = sandbox.youtube()
    video_id = insert(youtube)["id"]
    for _ in range(2):
        youtube.captions().list(part="snippet", videoId=video_id).execute()  # 50 units each
    assert sandbox.quota.usage()["default"]["used"] == 100
    with pytest.raises(HttpError) as caught:
        youtube.captions().list(part="snippet", videoId=video_id).execute(num_retries=3)
    error = error_of(caught.value)
    assert (caught.value.resp.status, error["errors"][0]["reason"],
            error["errors"][0]["domain"]) == (403, "quotaExceeded", "youtube.quota")
    youtube.videos().list(part="id", id=video_id).execute()  # 1 unit still fits
    sandbox.clock.advance(60)  # 00:00 Pacific: a new quota day
    assert sandbox.quota.usage()["default"]["used"] == 0
    youtube.captions().list(part="snippet", videoId=video_id).execute()


def test_upload_calls_have_their_own_bucket_and_channel_limit(sandbox):
    sandbox.limits.daily_upload_calls = 2
    youtube = sandbox.youtube()
    insert(youtube)
    sandbox.limits.channel_uploads_per_day = 1
    with pytest.raises(HttpError) as caught:
        insert(youtube)
    error = error_of(caught.value)
    assert (caught.value.resp.status, error["errors"][0]["reason"],
            error["errors"][0]["domain"]) == (400, "uploadLimitExceeded", "youtube.video")
    sandbox.limits.channel_uploads_per_day = 50
    insert(youtube)
    with pytest.raises(HttpError) as caught:
        insert(youtube)
    assert (caught.value.resp.status, reason(caught.value)) == (403, "quotaExceeded")
    assert sandbox.quota.usage()["uploads"]["used"] == 2
    assert sandbox.quota.usage()["default"]["used"] == 0


# analytics -------------------------------------------------------------------------------------

def test_analytics_reports_by_day_country_and_video(sandbox):
    sandbox.clock.set(datetime(2026, 11, 1, 12, tzinfo=UTC))
    youtube = sandbox.youtube()
    video_id = insert(youtube, public_body())["id"]
    sandbox.clock.advance(6 * 86400)  # 7 Nov, 04:00 Pacific
    analytics = sandbox.analytics()
    by_day = analytics.reports().query(
        ids="channel==MINE", startDate="2026-11-01", endDate="2026-11-07",
        metrics="views,estimatedMinutesWatched,averageViewDuration,likes",
        dimensions="day", sort="day").execute()
    headers = [(h["name"], h["columnType"]) for h in by_day["columnHeaders"]]
    assert headers == [("day", "DIMENSION"), ("views", "METRIC"),
                       ("estimatedMinutesWatched", "METRIC"), ("averageViewDuration", "METRIC"),
                       ("likes", "METRIC")]
    days = [row[0] for row in by_day["rows"]]
    assert days[0] == "2026-11-01" and days[-1] == "2026-11-05"  # latest 2 days missing
    total = sum(row[1] for row in by_day["rows"])
    views_now = int(youtube.videos().list(part="statistics", id=video_id).execute()[
        "items"][0]["statistics"]["viewCount"])
    assert 0 < total < views_now
    by_country = analytics.reports().query(
        ids="channel==MINE", startDate="2026-11-01", endDate="2026-11-07", metrics="views",
        dimensions="country", filters=f"video=={video_id}", sort="-views").execute()
    assert sum(row[1] for row in by_country["rows"]) == total
    assert by_country["rows"][0][0] == "MA"
    per_video = analytics.reports().query(
        ids="channel==MINE", startDate="2026-11-01", endDate="2026-11-07", metrics="views",
        dimensions="video", sort="-views", maxResults=10).execute()
    assert per_video["rows"] == [[video_id, total]]
    empty = analytics.reports().query(ids="channel==MINE", startDate="2026-10-01",
                                      endDate="2026-10-31", metrics="views").execute()
    assert "rows" not in empty and empty["columnHeaders"][0]["name"] == "views"
    with pytest.raises(HttpError) as caught:
        analytics.reports().query(ids="channel==MINE", startDate="2026-11-01",
                                  endDate="2026-11-07", metrics="dislikesPerSecond").execute()
    assert caught.value.resp.status == 400
    # One-based paging: the second day alone, and no index 0 (which once gave the last row).
    second = analytics.reports().query(
        ids="channel==MINE", startDate="2026-11-01", endDate="2026-11-07", metrics="views",
        dimensions="day", startIndex=2, maxResults=1).execute()
    assert [row[0] for row in second["rows"]] == [days[1]]
    for paging in ({"startIndex": 0}, {"maxResults": 0}):
        with pytest.raises(HttpError) as caught:
            analytics.reports().query(ids="channel==MINE", startDate="2026-11-01",
                                      endDate="2026-11-07", metrics="views", dimensions="day",
                                      **paging).execute()
        assert caught.value.resp.status == 400, paging
    assert sandbox.quota.usage()["default"]["used"] <= 2  # Analytics is not Data API quota


def test_scheduled_video_goes_public_at_publish_at(sandbox):
    sandbox.clock.set(datetime(2026, 11, 29, 8, tzinfo=UTC))
    when = datetime(2026, 11, 30, 8, tzinfo=UTC)
    youtube = sandbox.youtube()
    video_id = insert(youtube, {"snippet": {"title": "Later", "categoryId": "27"},
                                "status": {"privacyStatus": "private",
                                           "publishAt": when.isoformat()}})["id"]
    status = youtube.videos().list(part="status", id=video_id).execute()["items"][0]["status"]
    assert (status["privacyStatus"], status["publishAt"]) == ("private", when.isoformat())
    sandbox.clock.advance(timedelta(days=1, seconds=1).total_seconds())
    status = youtube.videos().list(part="status", id=video_id).execute()["items"][0]["status"]
    assert status["privacyStatus"] == "public" and "publishAt" not in status


# control API -----------------------------------------------------------------------------------

def test_control_api(sandbox, tmp_path):
    status, _, minted = raw(sandbox, "POST", "/_sandbox/tokens",
                            body={"scopes": ["youtube.upload", "youtube.readonly"]})
    assert status == 200 and minted["scope"].split() == [
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly"]
    video_id = insert(sandbox.youtube())["id"]
    status, _, _ = raw(sandbox, "POST", f"/_sandbox/videos/{video_id}/delete")
    assert status == 200
    code, _, listed = raw(sandbox, "GET", f"/youtube/v3/videos?part=id&id={video_id}",
                          token=minted["access_token"])
    assert (code, listed["items"]) == (200, [])
    status, _, body = raw(sandbox, "POST", "/_sandbox/revoke",
                          body={"token": minted["refresh_token"]})
    assert status == 200
    code, _, _ = raw(sandbox, "GET", "/youtube/v3/videos?part=id&id=x",
                     token=minted["access_token"])
    assert code == 401
    status, _, body = raw(sandbox, "POST", "/_sandbox/faults", body={"spec": "429,count=3"})
    assert body["added"][0]["count"] == 3
    status, _, body = raw(sandbox, "DELETE", "/_sandbox/faults")
    assert body == {"faults": []}
    status, _, body = raw(sandbox, "POST", "/_sandbox/clock",
                          body={"now": "2026-12-31T23:00:00Z"})
    assert body == {"now": "2026-12-31T23:00:00Z", "frozen": True, "pacific_day": "2026-12-31"}
    status, _, body = raw(sandbox, "POST", "/_sandbox/limits", body={"colour": 1})
    assert status == 400 and "unknown limit 'colour'" in body["error"]
    status, _, body = raw(sandbox, "POST", "/_sandbox/limits",
                          body={"channel_verified": "false", "daily_units": "300"})
    assert (body["channel_verified"], body["daily_units"]) == (False, 300)
    assert sandbox.limits.channel_verified is False
    status, _, body = raw(sandbox, "POST", "/_sandbox/sessions/expire")
    assert (status, body) == (200, {"expired": []})
    status, _, body = raw(sandbox, "GET", "/_sandbox/uploads")
    assert status == 200 and body == {}
    status, _, body = raw(sandbox, "GET", "/_sandbox/nothing")
    assert status == 404
