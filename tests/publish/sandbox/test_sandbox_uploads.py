"""Upload protocols of the sandbox: resumable (exact 200/308/Range/404), multipart, media,
and a session that survives a sandbox restart."""

from __future__ import annotations

import hashlib
import json

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload
from sandbox_helpers import CHUNK, VIDEO_BODY, insert_request, media_file, raw, upload

from publish.sandbox import SandboxServer


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_resumable_wire_protocol(sandbox):
    token = sandbox.mint_token(["youtube.upload"])["access_token"]
    data = bytes(range(256)) * 2344  # 600,064 bytes
    total = len(data)
    status, headers, body = raw(
        sandbox, "POST", "/upload/youtube/v3/videos?part=snippet%2Cstatus&alt=json"
        "&uploadType=resumable", token=token, body=VIDEO_BODY,
        headers={"X-Upload-Content-Length": str(total), "X-Upload-Content-Type": "video/mp4"})
    assert (status, body) == (200, None)  # exactly 200, never 201
    location = headers["location"]
    assert location.startswith(sandbox.url + "upload/youtube/v3/videos?")
    assert "uploadType=resumable" in location and "upload_id=" in location
    path = location[len(sandbox.url) - 1:]

    def put(first: int | None, last: int | None = None):
        payload = b"" if first is None else data[first:last + 1]
        content_range = (f"bytes */{total}" if first is None
                         else f"bytes {first}-{last}/{total}")
        return raw(sandbox, "PUT", path, body=payload, headers={"Content-Range": content_range})

    status, headers, _ = put(None)
    assert status == 308 and "range" not in headers  # nothing stored: no Range at all
    status, headers, _ = put(0, CHUNK - 1)
    assert (status, headers["range"]) == (308, f"bytes=0-{CHUNK - 1}")
    status, headers, _ = put(0, CHUNK - 1)  # a stale offset: told the true one, nothing stored
    assert (status, headers["range"]) == (308, f"bytes=0-{CHUNK - 1}")
    status, headers, _ = put(None)
    assert (status, headers["range"]) == (308, f"bytes=0-{CHUNK - 1}")
    status, _, video = put(CHUNK, total - 1)
    assert status == 200
    assert video["kind"] == "youtube#video" and video["status"]["uploadStatus"] == "uploaded"
    status, _, again = put(None)  # a lost final reply is recovered by a status query
    assert (status, again["id"]) == (200, video["id"])
    assert sandbox.video_file(video["id"]).read_bytes() == data
    log = sandbox.upload_log()
    (session,) = log.values()
    assert session["sha256"] == sha(data)
    assert [p["outcome"] for p in session["puts"]] == [
        "query", "stored", "offset-mismatch", "query", "stored", "completed"]
    status, _, _ = raw(sandbox, "PUT", path.replace("upload_id=", "upload_id=x"),
                       headers={"Content-Range": f"bytes */{total}"})
    assert status == 404


def test_client_resumable_upload_stores_exact_bytes(sandbox, tmp_path):
    source = media_file(tmp_path, 3 * CHUNK + 1234)
    video = upload(sandbox.youtube("youtube.upload"), source)
    assert sha(sandbox.video_file(video["id"]).read_bytes()) == sha(source.read_bytes())
    (session,) = sandbox.upload_log().values()
    assert [p["range"] for p in session["puts"]] == [
        f"bytes {n * CHUNK}-{min((n + 1) * CHUNK, 3 * CHUNK + 1234) - 1}/{3 * CHUNK + 1234}"
        for n in range(4)]
    assert sandbox.quota.usage()["uploads"]["used"] == 1


def test_multipart_and_media_uploads(sandbox, tmp_path):
    youtube = sandbox.youtube("youtube.upload")
    source = media_file(tmp_path, 5000)
    multipart = youtube.videos().insert(
        part="snippet,status", body=VIDEO_BODY,
        media_body=MediaFileUpload(str(source), mimetype="video/mp4", resumable=False)).execute()
    assert multipart["snippet"]["title"] == "Capsule"
    simple = youtube.videos().insert(
        part="snippet", media_body=MediaFileUpload(str(source), mimetype="video/mp4",
                                                   resumable=False)).execute()
    for video in (multipart, simple):
        assert sandbox.video_file(video["id"]).read_bytes() == source.read_bytes()
    # CRLF line endings are accepted too (the client itself sends LF)
    token = sandbox.mint_token(["youtube.upload"])["access_token"]
    body = (b"--XX\r\nContent-Type: application/json\r\n\r\n" + json.dumps(VIDEO_BODY).encode()
            + b"\r\n--XX\r\nContent-Type: video/mp4\r\n\r\nABC\r\n--XX--\r\n")
    status, _, video = raw(sandbox, "POST", "/upload/youtube/v3/videos?part=snippet"
                           "&uploadType=multipart", token=token, body=body,
                           headers={"Content-Type": 'multipart/related; boundary="XX"'})
    assert status == 200
    assert sandbox.video_file(video["id"]).read_bytes() == b"ABC"
    with pytest.raises(HttpError) as caught:
        youtube.videos().insert(part="snippet", body=VIDEO_BODY).execute()
    assert json.loads(caught.value.content)["error"]["errors"][0]["reason"] == \
        "mediaBodyRequired"


def test_resume_after_a_sandbox_restart(sandbox, tmp_path):
    source = media_file(tmp_path, 2 * CHUNK + 77)
    request = insert_request(sandbox.youtube("youtube.upload"), source)
    status, response = request.next_chunk(num_retries=0)
    assert response is None and status.resumable_progress == CHUNK
    saved_uri = request.resumable_uri  # what capsule journals before the first byte
    sandbox.stop()

    restarted = SandboxServer(sandbox.state_dir, port=sandbox.port).start()
    try:
        fresh = insert_request(restarted.youtube("youtube.upload"), source)
        fresh.resumable_uri = saved_uri
        fresh._in_error_state = True  # ask the server where it stands first (bytes */N)
        response = None
        while response is None:
            _, response = fresh.next_chunk(num_retries=0)
        assert sha(restarted.video_file(response["id"]).read_bytes()) == \
            sha(source.read_bytes())
        assert len(restarted.store["videos"]) == 1
        (session,) = restarted.upload_log().values()
        assert [p["outcome"] for p in session["puts"]] == ["stored", "query", "stored",
                                                           "stored"]
    finally:
        restarted.stop()


def test_sessions_expire_after_their_lifetime(sandbox, tmp_path):
    request = insert_request(sandbox.youtube("youtube.upload"), media_file(tmp_path,
                                                                            2 * CHUNK))
    request.next_chunk(num_retries=0)
    sandbox.clock.advance(sandbox.limits.session_lifetime_seconds + 1)
    with pytest.raises(HttpError) as caught:
        request.next_chunk(num_retries=0)
    assert caught.value.resp.status == 404
