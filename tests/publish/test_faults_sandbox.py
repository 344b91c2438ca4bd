"""Sandbox fidelity for the fault matrix: chunks of one upload session are serialized by offset
(two PUTs at once never both append), and `slow` reads a body at a given rate."""

from __future__ import annotations

import http.client
import json
import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from publish.sandbox import FaultSpecError, parse_fault

CHUNK = 256 * 1024
VIDEO = {"snippet": {"title": "Capsule", "categoryId": "27"},
         "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False}}


def connect(sandbox, timeout: float = 10) -> http.client.HTTPConnection:
    parts = urlsplit(sandbox.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def open_session(sandbox, total: int) -> tuple[str, str]:
    """POST a resumable session → (path of its URI, upload id)."""
    token = sandbox.mint_token(["youtube.upload"])["access_token"]
    conn = connect(sandbox)
    try:
        conn.request("POST", "/upload/youtube/v3/videos?part=snippet%2Cstatus"
                     "&uploadType=resumable", body=json.dumps(VIDEO).encode(),
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/json",
                              "X-Upload-Content-Length": str(total),
                              "X-Upload-Content-Type": "video/mp4"})
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 200
        location = reply.getheader("Location")
    finally:
        conn.close()
    path = location[len(sandbox.url) - 1:]
    return path, parse_qs(urlsplit(location).query)["upload_id"][0]


def start_put(sandbox, path: str, first: int, last: int, total: int,
              **kw) -> http.client.HTTPConnection:
    """Send a chunk PUT's headers only: the server is then waiting for its body."""
    conn = connect(sandbox, **kw)
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    conn.putheader("Content-Range", f"bytes {first}-{last}/{total}")
    conn.putheader("Content-Length", str(last - first + 1))
    conn.endheaders()
    return conn


def answer(conn: http.client.HTTPConnection) -> tuple[int, str | None, bytes]:
    try:
        reply = conn.getresponse()
        return reply.status, reply.getheader("Range"), reply.read()
    finally:
        conn.close()


def wait_until(predicate, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_two_puts_at_once_never_both_append(sandbox):
    """A stale PUT still arriving and a fresh one from the same offset: the first holds the
    session; the second waits, finds the offset moved, stores nothing and is told the truth."""
    data = os.urandom(2 * CHUNK + 1000)
    total = len(data)
    path, upload_id = open_session(sandbox, total)
    lock = sandbox.session_lock(upload_id)

    first = start_put(sandbox, path, 0, CHUNK - 1, total)
    wait_until(lock.locked, "the first PUT to hold the session")
    second = connect(sandbox)
    second.request("PUT", path, body=bytes(CHUNK),  # other bytes, so a splice would show
                   headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{total}"})
    time.sleep(0.3)  # without the lock, the second PUT would append now
    assert sandbox.store.file_size("sessions", upload_id) == 0
    first.send(data[:CHUNK])

    assert answer(first) == (308, f"bytes=0-{CHUNK - 1}", b"")
    assert answer(second) == (308, f"bytes=0-{CHUNK - 1}", b"")
    stored = sandbox.store.path("sessions", upload_id).read_bytes()
    assert stored == data[:CHUNK]
    puts = sandbox.upload_log(upload_id)["puts"]
    assert [(p["outcome"], p["stored"]) for p in puts] == [("stored", CHUNK),
                                                           ("offset-mismatch", 0)]

    rest = connect(sandbox)
    rest.request("PUT", path, body=data[CHUNK:],
                 headers={"Content-Range": f"bytes {CHUNK}-{total - 1}/{total}"})
    status, _, body = answer(rest)
    assert status == 200
    video_id = json.loads(body)["id"]
    assert sandbox.video_file(video_id).read_bytes() == data
    assert len(sandbox.store["videos"]) == 1


def test_a_chunk_behind_the_stored_offset_stores_nothing(sandbox):
    """Under the lock, a chunk that starts before (or after) the stored end is refused with
    the true Range, its body drained so the connection stays usable."""
    data = os.urandom(CHUNK + 500)
    path, upload_id = open_session(sandbox, len(data))
    conn = connect(sandbox)
    for first, last in ((0, CHUNK - 1), (0, CHUNK - 1), (CHUNK + 10, len(data) - 1)):
        conn.request("PUT", path, body=data[first:last + 1],
                     headers={"Content-Range": f"bytes {first}-{last}/{len(data)}"})
        reply = conn.getresponse()
        reply.read()
        assert (reply.status, reply.getheader("Range")) == (308, f"bytes=0-{CHUNK - 1}")
    conn.close()
    assert sandbox.store.path("sessions", upload_id).read_bytes() == data[:CHUNK]
    outcomes = [p["outcome"] for p in sandbox.upload_log(upload_id)["puts"]]
    assert outcomes == ["stored", "offset-mismatch", "offset-mismatch"]


def test_lose_reply_stores_the_final_chunk_whole(sandbox):
    """lose-reply on the final chunk: every byte kept and the video created, no answer; the
    status query then returns the resource."""
    data = os.urandom(1000)
    path, upload_id = open_session(sandbox, len(data))
    sandbox.faults.add("lose-reply,method=PUT")
    conn = connect(sandbox)
    conn.request("PUT", path, body=data,
                 headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    conn.close()
    query = connect(sandbox)
    query.request("PUT", path, headers={"Content-Range": f"bytes */{len(data)}"})
    status, _, body = answer(query)
    assert status == 200
    video_id = json.loads(body)["id"]
    assert sandbox.video_file(video_id).read_bytes() == data
    puts = sandbox.upload_log(upload_id)["puts"]
    assert [(p["outcome"], p["stored"]) for p in puts] == [("stored", 1000), ("completed", 0)]


def test_slow_reads_the_body_at_the_given_rate(sandbox):
    data = os.urandom(CHUNK)
    path, upload_id = open_session(sandbox, 2 * CHUNK)
    sandbox.faults.add(f"slow:{CHUNK * 2},method=PUT")  # 0.5 s for the chunk
    conn = connect(sandbox)
    started = time.monotonic()
    conn.request("PUT", path, body=data, headers={"Content-Range": f"bytes 0-{CHUNK - 1}/"
                                                                   f"{2 * CHUNK}"})
    assert answer(conn)[:2] == (308, f"bytes=0-{CHUNK - 1}")
    assert 0.4 <= time.monotonic() - started < 3
    assert sandbox.store.path("sessions", upload_id).read_bytes() == data


def test_slow_fault_spec():
    fault = parse_fault("slow:65536,method=PUT,path=/upload/*")
    assert (fault.kind, fault.bytes, fault.method) == ("slow", 65536, "PUT")
    with pytest.raises(FaultSpecError, match="at least 1 byte per second"):
        parse_fault("slow:0")
