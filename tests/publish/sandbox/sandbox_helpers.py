"""Small helpers for the sandbox tests: raw HTTP (for what the client library refuses to send),
error reasons, media bytes and a resumable upload driven the way capsule drives it."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
SRT = b"1\n00:00:00,000 --> 00:00:01,500\nBonjour\n"
CHUNK = 256 * 1024
VIDEO_BODY = {"snippet": {"title": "Capsule", "description": "Test", "categoryId": "27"},
              "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False}}


def raw(sandbox: Any, verb: str, path: str, *, token: str | None = None,
        body: bytes | dict | None = None, headers: dict[str, str] | None = None,
        timeout: float = 10) -> tuple[int, dict[str, str], Any]:
    """One HTTP request over a fresh socket → (status, headers, JSON or bytes)."""
    parts = urlsplit(sandbox.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        conn.request(verb, path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        info = {k.lower(): v for k, v in reply.getheaders()}
    finally:
        conn.close()
    try:
        return reply.status, info, json.loads(data) if data else None
    except ValueError:
        return reply.status, info, data


def reason(exc: HttpError) -> str:
    return json.loads(exc.content)["error"]["errors"][0]["reason"]


def error_of(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def media_file(folder: Path, size: int, name: str = "video.bin") -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def insert_request(youtube: Any, path: Path, *, body: dict | None = None,
                   chunksize: int = CHUNK):
    return youtube.videos().insert(
        part="snippet,status", body=body or VIDEO_BODY,
        media_body=MediaFileUpload(str(path), mimetype="video/mp4", chunksize=chunksize,
                                   resumable=True))


def upload(youtube: Any, path: Path, **kwargs: Any) -> dict[str, Any]:
    """A whole resumable upload with no retries: returns the Video resource."""
    request = insert_request(youtube, path, **kwargs)
    response = None
    while response is None:
        _, response = request.next_chunk(num_retries=0)
    return response


def session_id(sandbox: Any) -> str:
    """The one upload session the test opened."""
    (only,) = sandbox.upload_log()
    return only
