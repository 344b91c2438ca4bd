"""Each fault switch of the sandbox, observed from the client side (reliability.md matrix)."""

from __future__ import annotations

import hashlib
import http.client
import socket
import time

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from googleapiclient.errors import HttpError
from sandbox_helpers import CHUNK, insert_request, media_file, reason

from publish.sandbox import Fault, FaultSpecError, parse_fault

NETWORK = (OSError, http.client.HTTPException, httplib2.HttpLib2Error)


def drive(request, attempts: int = 8):
    """capsule's loop: next_chunk(num_retries=0), and on an error simply call again (the
    library then asks the server where it stands with `bytes */N`)."""
    failures = []
    for _ in range(attempts):
        try:
            _, response = request.next_chunk(num_retries=0)
        except HttpError as exc:
            failures.append(exc.resp.status)
            continue
        except NETWORK as exc:
            failures.append(type(exc).__name__)
            continue
        if response is not None:
            return response, failures
    raise AssertionError(f"upload did not finish: {failures}")


def same_bytes(sandbox, video, source) -> bool:
    stored = sandbox.video_file(video["id"]).read_bytes()
    return hashlib.sha256(stored).digest() == hashlib.sha256(source.read_bytes()).digest()


def puts(sandbox):
    (session,) = sandbox.upload_log().values()
    return session["puts"]


@pytest.fixture
def source(tmp_path):
    return media_file(tmp_path, 2 * CHUNK + 1000)


def test_5xx_on_session_start_then_success(sandbox, source):
    sandbox.faults.add("503,method=POST,path=/upload/*")
    request = insert_request(sandbox.youtube("youtube.upload"), source)
    with pytest.raises(HttpError) as caught:
        request.next_chunk(num_retries=0)
    assert (caught.value.resp.status, reason(caught.value)) == (503, "backendError")
    assert not sandbox.upload_log()  # no session was opened
    video, failures = drive(request)
    assert failures == [] and same_bytes(sandbox, video, source)


def test_503_after_storing_the_whole_chunk_resumes_from_the_server_offset(sandbox, source):
    sandbox.faults.add(Fault("status", status=503, bytes=-1, method="PUT"))
    video, failures = drive(insert_request(sandbox.youtube("youtube.upload"), source))
    assert failures == [503]
    assert same_bytes(sandbox, video, source)
    log = puts(sandbox)
    assert (log[0]["outcome"], log[0]["stored"]) == (503, CHUNK)
    assert log[1]["outcome"] == "query" and log[2]["range"].startswith(f"bytes {CHUNK}-")


@pytest.mark.parametrize("spec", ["429", "rate-limit"])
def test_429_and_rate_limit_are_retried_by_the_client(sandbox, spec):
    sandbox.faults.add(f"{spec},method=GET,count=2")
    request = sandbox.youtube().i18nLanguages().list(part="snippet")
    request._sleep = lambda _seconds: None
    assert request.execute(num_retries=2)["items"]
    assert [f["request"] for f in sandbox.faults.fired] == ["GET /youtube/v3/i18nLanguages"] * 2


def test_drop_mid_chunk_keeps_the_partial_bytes(sandbox, source):
    # httplib2 re-sends a dropped request once, with the consumed stream: Content-Length says
    # 262144 and 0 bytes come (youtube-api.md §4). The sandbox waits body_timeout, keeps
    # nothing of it, and closes; a short timeout keeps this test fast.
    sandbox.limits.body_timeout_seconds = 0.5
    sandbox.faults.add("drop:100000,method=PUT")
    video, _ = drive(insert_request(sandbox.youtube("youtube.upload"), source))
    assert same_bytes(sandbox, video, source)
    log = puts(sandbox)
    assert (log[0]["outcome"], log[0]["stored"], log[0]["offset"]) == ("dropped", 100000,
                                                                      100000)
    assert any(p["range"] and p["range"].startswith("bytes 100000-") for p in log)
    assert sum(p["stored"] for p in log) == source.stat().st_size  # no byte stored twice


def test_short_range_makes_the_client_resend_from_the_servers_offset(sandbox, source):
    sandbox.faults.add("short-range:100000")
    video, failures = drive(insert_request(sandbox.youtube("youtube.upload"), source))
    assert failures == [] and same_bytes(sandbox, video, source)
    assert puts(sandbox)[1]["range"].startswith("bytes 100000-")


def test_308_without_range_restarts_at_zero_in_the_same_session(sandbox, source):
    sandbox.faults.add("short-range:0")
    video, failures = drive(insert_request(sandbox.youtube("youtube.upload"), source))
    assert failures == [] and same_bytes(sandbox, video, source)
    log = puts(sandbox)
    assert [p["range"].split("-")[0] for p in log[:2]] == ["bytes 0", "bytes 0"]
    assert len(sandbox.upload_log()) == 1


def test_lost_final_reply_is_recovered_without_a_second_video(sandbox, tmp_path):
    source = media_file(tmp_path, 1000)  # one chunk: the first PUT is the final one
    sandbox.limits.body_timeout_seconds = 0.5  # the empty re-send (see the drop test)
    sandbox.faults.add("lose-reply,method=PUT")
    request = insert_request(sandbox.youtube("youtube.upload"), source)
    video, _ = drive(request)
    assert len(sandbox.store["videos"]) == 1
    assert video["id"] in sandbox.store["videos"]
    assert sandbox.faults.fired[0]["kind"] == "lose-reply"


def test_stall_is_cut_by_the_client_timeout(sandbox):
    sandbox.faults.add("stall:3,method=GET")
    request = sandbox.youtube(timeout=0.5).i18nLanguages().list(part="snippet")
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        request.execute(num_retries=0)
    assert time.monotonic() - started < 2


def test_expired_session_answers_404_from_then_on(sandbox, source):
    request = insert_request(sandbox.youtube("youtube.upload"), source)
    request.next_chunk(num_retries=0)
    sandbox.faults.add("expire-session,method=PUT")
    for _ in range(2):
        with pytest.raises(HttpError) as caught:
            request.next_chunk(num_retries=0)
        assert caught.value.resp.status == 404


def test_401_once_is_refreshed_transparently(sandbox):
    youtube = sandbox.youtube()
    first = youtube._http.credentials.token
    sandbox.faults.add("401,method=GET,path=/youtube/*")
    assert youtube.channels().list(part="id", mine=True).execute()["items"]
    assert youtube._http.credentials.token != first


def test_invalid_grant_and_invalid_client_on_refresh(sandbox):
    creds = sandbox.credentials()
    sandbox.faults.add("invalid-grant")
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())
    creds.refresh(Request())  # the fault fired once; the grant itself is fine
    sandbox.faults.add("invalid-client")
    with pytest.raises(RefreshError, match="invalid_client"):
        creds.refresh(Request())


def test_drop_without_reply_on_a_plain_call(sandbox):
    sandbox.faults.add("drop:0,method=GET,count=2")  # httplib2 itself re-sends once
    with pytest.raises(NETWORK):
        sandbox.youtube().i18nLanguages().list(part="snippet").execute(num_retries=0)


def test_fault_specs_parse_and_reject_nonsense():
    assert parse_fault("503,method=put,path=/upload/*,count=2") == Fault(
        "status", status=503, method="PUT", path="/upload/*", count=2)
    assert parse_fault("drop:100").bytes == 100
    assert parse_fault("stall:1.5").seconds == 1.5
    assert parse_fault("invalid-grant").path == "/token"
    for bad in ("teapot", "200", "drop:x", "503,colour=red", "lose-reply:3", "503,count=0"):
        with pytest.raises(FaultSpecError):
            parse_fault(bad)
