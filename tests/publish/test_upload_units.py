"""Pieces of the upload engine that need no server: backoff, retry classes, fingerprints, inputs."""

from __future__ import annotations

import json
import os
import struct
import zlib

import httplib2
import pytest
from googleapiclient.errors import HttpError

from publish.cli.errors import exit_code_for
from publish.errors import InvalidInput
from publish.youtube.metadata import VideoMetadata
from publish.youtube.resumable import (
    RetryPolicy,
    SourceChanged,
    chunk_bytes_media,
    fingerprint,
    is_retryable,
)
from publish.youtube.thumbnail import check_thumbnail
from publish.youtube.upload import UploadJob, check_inputs, plan_calls


def http_error(status: int, reason: str | None = None, headers: dict | None = None) -> HttpError:
    resp = httplib2.Response({"status": status, **(headers or {})})
    body = {"error": {"code": status, "message": "m",
                      "errors": [{"reason": reason, "domain": "youtube"}] if reason else []}}
    return HttpError(resp, json.dumps(body).encode())


@pytest.mark.parametrize(("exc", "retry"), [
    (http_error(500), True), (http_error(503), True), (http_error(502, "backendError"), True),
    (http_error(429), True),
    (http_error(403, "rateLimitExceeded"), True), (http_error(403, "userRateLimitExceeded"), True),
    (http_error(403, "quotaExceeded"), False), (http_error(403, "forbidden"), False),
    (http_error(400, "uploadLimitExceeded"), False), (http_error(400, "invalidTitle"), False),
    (http_error(429, "uploadRateLimitExceeded"), False), (http_error(404), False),
    (http_error(401, "authError"), False),
    (TimeoutError("timed out"), True), (ConnectionResetError(), True),
    (BrokenPipeError(), True), (httplib2.ServerNotFoundError("dns"), True),
    (FileNotFoundError(2, "No such file", "/x.mp4"), False), (ValueError("bug"), False),
])
def test_only_retryable_failures_are_retried(exc, retry):
    assert is_retryable(exc) is retry


def test_backoff_is_jittered_exponential_and_capped():
    policy = RetryPolicy(base=1.0, cap=32.0, rand=lambda: 0.5)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, 32]
    low, high = RetryPolicy(rand=lambda: 0.0), RetryPolicy(rand=lambda: 0.999999)
    assert low.delay(3) == pytest.approx(3.0) and high.delay(3) == pytest.approx(5.0, rel=1e-3)
    assert RetryPolicy(rand=lambda: 0.5).delay(1, retry_after=10) == 10
    assert RetryPolicy(rand=lambda: 0.5, cap=5).delay(1, retry_after=60) == 5


def test_chunk_size_must_be_a_positive_multiple_of_256_kib(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x" * 10)
    for bad in (-1, 0, 100_000, 262144 + 1):
        with pytest.raises(InvalidInput, match="multiple of 262144"):
            chunk_bytes_media(video, "video/mp4", bad)
    media = chunk_bytes_media(video, "video/mp4", 262144 * 2)
    assert media.chunksize() == 524288 and media.resumable() and not media.has_stream()


def test_chunk_body_rewinds_for_a_refresh_but_refuses_a_blind_resend(tmp_path):
    from publish.youtube.resumable import ChunkBody, ResendRefused

    data = os.urandom(3 * 1024 * 1024 + 5)
    video = tmp_path / "v.mp4"
    video.write_bytes(data)
    fd = os.open(video, os.O_RDONLY)
    try:
        body = ChunkBody(fd, 1000, 2 * 1024 * 1024 + 7)
        assert len(body) == 2 * 1024 * 1024 + 7

        def drain() -> bytes:
            out = b""
            while piece := body.read(8192):
                assert len(piece) <= ChunkBody.PIECE
                out += piece
            return out
        assert drain() == data[1000:1000 + len(body)]
        with pytest.raises(ResendRefused):  # httplib2's resend without a rewind
            body.read(8192)
        assert isinstance(ResendRefused(), TimeoutError)  # httplib2 closes the connection
        assert body.tell() == len(body)
        body.seek(0)  # google-auth-httplib2 rewinds before its resend after a 401
        assert drain() == data[1000:1000 + len(body)]
    finally:
        os.close(fd)


def test_fingerprint_is_size_mtime_and_sha256(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"abc")
    fp = fingerprint(video)
    assert fp.size == 3 and fp.mtime_ns == os.stat(video).st_mtime_ns
    assert fp.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert fp.same_stat(video)
    video.write_bytes(b"abcd")
    assert not fp.same_stat(video)


def png(path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00" * width * 3 for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b""))


def test_thumbnail_checked_by_magic_bytes_size_and_aspect(tmp_path):
    from PIL import Image

    good = tmp_path / "thumb.bin"  # the name says nothing: the bytes decide
    png(good, 1280, 720)
    info = check_thumbnail(good)
    assert (info.mimetype, info.width, info.height) == ("image/png", 1280, 720)
    jpeg = tmp_path / "t.jpg"
    Image.new("RGB", (960, 540), "navy").save(jpeg, "JPEG")
    assert check_thumbnail(jpeg).mimetype == "image/jpeg"
    assert (check_thumbnail(jpeg).width, check_thumbnail(jpeg).height) == (960, 540)
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(InvalidInput) as err:
        check_thumbnail(fake)
    assert str(err.value) == (f"--thumbnail {fake}: not a JPEG or PNG image (checked by its "
                              "first bytes, not its name); export it as .jpg or .png")
    small, square = tmp_path / "small.png", tmp_path / "square.png"
    png(small, 320, 180)
    png(square, 800, 800)
    with pytest.raises(InvalidInput, match=r"320x180 is too small; YouTube wants at least 640"):
        check_thumbnail(small)
    with pytest.raises(InvalidInput, match=r"800x800 is not 16:9; crop it to 1280x720"):
        check_thumbnail(square)


def test_damaged_thumbnail_headers_are_one_line_input_errors(tmp_path):
    from PIL import Image

    jpeg = tmp_path / "whole.jpg"
    Image.new("RGB", (1280, 720), "navy").save(jpeg, "JPEG")
    cut_jpeg = jpeg.read_bytes()[:jpeg.read_bytes().index(b"\xff\xc0") + 6]
    flat = tmp_path / "flat.png"
    png(flat, 1280, 0)
    cases = {"short.png": b"\x89PNG\r\n\x1a\n\x00\x00", "cut.jpg": cut_jpeg,
             "marker.jpg": b"\xff\xd8\xff\xe0\x00", "flat.png": flat.read_bytes()}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InvalidInput) as err:
            check_thumbnail(path)
        assert str(err.value) == (f"--thumbnail {path}: the image header is damaged (no size "
                                  "found); export it again")


def meta() -> VideoMetadata:
    return VideoMetadata.from_mapping({"title": "t", "made_for_kids": False,
                                       "synthetic_media": False})


def test_inputs_are_checked_before_anything_is_spent(tmp_path):
    video = tmp_path / "v.mp4"
    with pytest.raises(InvalidInput, match=r"v\.mp4: no such video file"):
        check_inputs(UploadJob(video, meta()))
    video.write_bytes(b"")
    with pytest.raises(InvalidInput, match=r"v\.mp4: the file is empty"):
        check_inputs(UploadJob(video, meta()))
    video.write_bytes(b"data")
    srt = tmp_path / "fr.srt"
    with pytest.raises(InvalidInput, match=r"--caption fr=.*fr\.srt: no such file"):
        check_inputs(UploadJob(video, meta(), captions=[("fr", srt)]))
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nBonjour\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"'xx' is not a YouTube language code"):
        check_inputs(UploadJob(video, meta(), captions=[("xx", srt)]))
    with pytest.raises(InvalidInput, match="--thumbnail-title needs --thumbnail-at"):
        check_inputs(UploadJob(video, meta(), thumbnail_title="Titre"))
    with pytest.raises(InvalidInput, match="--create-playlist needs --playlist"):
        check_inputs(UploadJob(video, meta(), create_playlist=True))
    assert check_inputs(UploadJob(video, meta(), captions=[("fr", srt)])) == []


def test_plan_states_every_call_and_skips_done_steps(tmp_path):
    job = UploadJob(tmp_path / "v.mp4", meta(), captions=[("fr", tmp_path / "f"),
                                                          ("ar", tmp_path / "a")],
                    thumbnail=tmp_path / "t.png", playlist="P", create_playlist=True)
    calls = plan_calls(job, upload_needed=True, done_steps=set())
    assert calls == ["videos.insert", "captions.list", "captions.insert", "captions.list",
                     "captions.insert", "thumbnails.set", "playlists.list",
                     "playlistItems.list", "playlistItems.insert", "playlists.insert"]
    again = plan_calls(job, upload_needed=False, done_steps={"caption:fr", "thumbnail"})
    assert again == ["captions.list", "captions.insert", "playlists.list",
                     "playlistItems.list", "playlistItems.insert", "playlists.insert"]


def test_source_changed_is_invalid_input():
    assert exit_code_for(SourceChanged("x")) == 3
