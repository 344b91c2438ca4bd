"""The client factory: endpoint rewriting, the HTTP object (timeout, 308, user agent), errors."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httplib2
import pytest

from publish import __version__
from publish.cli.errors import exit_code_for
from publish.cli.exitcodes import ExitCode
from publish.errors import AuthRequired, InvalidInput, QuotaExhausted, TemporaryFailure
from publish.youtube.client import (
    CapsuleHttp,
    Endpoints,
    analytics_service,
    api_error,
    discovery_document,
    error_reason,
    normalize_endpoint,
    youtube_service,
)

BASE = "http://127.0.0.1:8765/"


# Endpoints -------------------------------------------------------------------------------------

def test_google_endpoints():
    ends = Endpoints(None)
    assert ends.is_google
    assert ends.data_root == "https://youtube.googleapis.com/"
    assert ends.analytics_root == "https://youtubeanalytics.googleapis.com/"
    assert ends.token_uri == "https://oauth2.googleapis.com/token"
    assert ends.auth_uri == "https://accounts.google.com/o/oauth2/auth"
    assert ends.revoke_uri == "https://oauth2.googleapis.com/revoke"


def test_every_uri_follows_an_endpoint():
    ends = Endpoints(normalize_endpoint("http://127.0.0.1:8765"))
    assert not ends.is_google
    assert ends.data_root == BASE
    assert ends.analytics_root == BASE
    assert ends.token_uri == BASE + "token"
    assert ends.auth_uri == BASE + "o/oauth2/auth"
    assert ends.revoke_uri == BASE + "revoke"


def test_endpoint_must_be_http():
    with pytest.raises(InvalidInput, match="expected an http:// or https:// URL"):
        normalize_endpoint("127.0.0.1:8765")


def test_discovery_document_is_rewritten():
    doc = discovery_document("youtube.v3.json", BASE)
    assert doc["rootUrl"] == BASE and doc["baseUrl"] == BASE
    assert "mtlsRootUrl" not in doc
    assert discovery_document("youtube.v3.json")["rootUrl"] == "https://youtube.googleapis.com/"


def test_service_urls_follow_the_endpoint_including_uploads(tmp_path):
    from googleapiclient.http import MediaFileUpload

    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 1024)
    yt = youtube_service("key-not-sent-anywhere", endpoint=BASE)
    assert yt.videos().list(part="id", id="abc").uri.startswith(BASE + "youtube/v3/videos?")
    insert = yt.videos().insert(
        part="snippet", body={"snippet": {"title": "t"}},
        media_body=MediaFileUpload(str(video), mimetype="video/mp4", resumable=True,
                                   chunksize=262144))
    assert insert.uri.startswith(BASE + "upload/youtube/v3/videos?")
    assert "uploadType=resumable" in insert.uri
    thumb = yt.thumbnails().set(videoId="abc", media_body=MediaFileUpload(
        str(video), mimetype="image/png"))
    assert thumb.uri.startswith(BASE + "upload/youtube/v3/thumbnails/set?")
    analytics = analytics_service("key", endpoint=BASE)
    report = analytics.reports().query(ids="channel==MINE", startDate="2026-01-01",
                                       endDate="2026-01-31", metrics="views")
    assert report.uri.startswith(BASE + "v2/reports?")


def test_google_service_urls_are_untouched():
    yt = youtube_service("key")
    assert yt.videos().list(part="id", id="abc").uri.startswith(
        "https://youtube.googleapis.com/youtube/v3/videos?")


# The HTTP object -------------------------------------------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    """A bare HTTP peer: answers 308 without Location (as resumable uploads do)."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_PUT(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.seen.append(dict(self.headers))
        self.send_response(308, "Resume Incomplete")
        self.send_header("Range", "bytes=0-9")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def peer():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/upload"
    server.shutdown()
    server.server_close()


def test_308_is_not_a_redirect(peer):
    with pytest.raises(httplib2.RedirectMissingLocation):
        httplib2.Http(timeout=5).request(peer, "PUT", body=b"0123456789")
    response, _ = CapsuleHttp(5).request(peer, "PUT", body=b"0123456789")
    assert response.status == 308
    assert response["range"] == "bytes=0-9"


def test_user_agent_names_capsule_and_its_version(peer):
    _Recorder.seen.clear()
    CapsuleHttp(5).request(peer, "PUT", body=b"x", headers={"user-agent": "(gzip)"})
    agent = {k.lower(): v for k, v in _Recorder.seen[-1].items()}["user-agent"]
    assert agent == f"capsule/{__version__} (gzip)"


def test_timeout_is_explicit():
    assert CapsuleHttp(7).timeout == 7
    assert CapsuleHttp(None).timeout == 60  # never "block forever"


def test_timeout_is_a_temporary_failure():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(OSError) as caught:
            CapsuleHttp(0.3).request(url)
        error = api_error(caught.value, doing="listing videos")
        assert isinstance(error, TemporaryFailure)
        assert exit_code_for(error) == ExitCode.TEMPORARY
        assert str(error).startswith("listing videos: network error (")
    finally:
        listener.close()


# Error translation -----------------------------------------------------------------------------

def _http_error(status: int, reason: str, message: str = "msg"):
    from googleapiclient.errors import HttpError

    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": "youtube", "reason": reason}]}}
    return HttpError(httplib2.Response({"status": status}), json.dumps(body).encode(),
                     uri="http://x/youtube/v3/videos")


@pytest.mark.parametrize(("status", "reason", "kind", "code"), [
    (403, "quotaExceeded", QuotaExhausted, ExitCode.QUOTA),
    (400, "uploadLimitExceeded", QuotaExhausted, ExitCode.QUOTA),
    (403, "rateLimitExceeded", QuotaExhausted, ExitCode.QUOTA),
    (429, "uploadRateLimitExceeded", QuotaExhausted, ExitCode.QUOTA),
    (401, "authError", AuthRequired, ExitCode.AUTH_REQUIRED),
    (403, "insufficientPermissions", AuthRequired, ExitCode.AUTH_REQUIRED),
    (503, "backendError", TemporaryFailure, ExitCode.TEMPORARY),
    (400, "invalidTitle", InvalidInput, ExitCode.INVALID_INPUT),
    (404, "videoNotFound", InvalidInput, ExitCode.INVALID_INPUT),
])
def test_api_errors_become_typed(status, reason, kind, code):
    error = api_error(_http_error(status, reason, "The request failed."),
                      doing="uploading a.mp4", channel="main")
    assert type(error) is kind
    assert exit_code_for(error) == code
    assert str(error).startswith(f"uploading a.mp4: {reason} ({status}): The request failed.")
    assert "\n" not in str(error)


def test_quota_message_says_when_to_retry():
    error = api_error(_http_error(403, "quotaExceeded"), doing="uploading a.mp4")
    assert str(error).endswith("retry after midnight Pacific time")


def test_auth_error_names_the_command_that_fixes_it():
    error = api_error(_http_error(401, "authError"), doing="listing videos", channel="main")
    assert str(error).endswith("run `capsule auth login --channel main`")
    scope = api_error(_http_error(403, "insufficientPermissions"), doing="x", channel="main")
    assert str(scope).endswith("run `capsule auth login --channel main --scopes all`")


def test_error_reason_reads_the_first_error():
    assert error_reason(_http_error(400, "invalidTags")) == "invalidTags"


def test_revoked_refresh_is_auth_required():
    from google.auth.exceptions import RefreshError

    exc = RefreshError("invalid_grant: Token has been expired or revoked.",
                       {"error": "invalid_grant"}, retryable=False)
    error = api_error(exc, doing="listing videos", channel="main")
    assert isinstance(error, AuthRequired)
    assert "run `capsule auth login --channel main`" in str(error)


def test_other_exceptions_pass_through():
    bug = KeyError("x")
    assert api_error(bug, doing="x") is bug


# Against the sandbox, over sockets -------------------------------------------------------------



def test_endpoint_override_moves_every_call(sandbox, tmp_path, monkeypatch):
    """CAPSULE_ENDPOINT alone sends Data API, upload, Analytics and token calls to it."""
    from googleapiclient.http import MediaFileUpload

    from publish.cli.app import App
    from publish.youtube.auth import account_credentials, account_for, write_token_file

    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAPSULE_ENDPOINT", sandbox.url)
    account = account_for(App())
    assert account.endpoints.base == sandbox.url
    minted = sandbox.mint_token(["youtube.upload", "youtube.force-ssl", "youtube.readonly",
                                 "yt-analytics.readonly"])
    write_token_file(account.token_file, {
        "token": minted["access_token"], "refresh_token": minted["refresh_token"],
        "token_uri": sandbox.url + "token", "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret, "scopes": minted["scope"].split()})
    creds = account_credentials(account, "stats")  # no expiry saved: refreshed at once
    yt = youtube_service(creds, endpoint=account.endpoints, timeout=10)
    yt.channels().list(part="id", mine=True).execute()
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 2048)
    request = yt.videos().insert(
        part="snippet,status",
        body={"snippet": {"title": "t", "categoryId": "27"},
              "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False}},
        media_body=MediaFileUpload(str(video), mimetype="video/mp4", resumable=True,
                                   chunksize=262144))
    _, video_resource = request.next_chunk(num_retries=0)
    assert video_resource["kind"] == "youtube#video"
    analytics_service(creds, endpoint=account.endpoints, timeout=10).reports().query(
        ids="channel==MINE", startDate="2026-01-01", endDate="2026-01-02",
        metrics="views").execute()
    for verb, path in [("POST", "/token"), ("GET", "/youtube/v3/channels"),
                       ("POST", "/upload/youtube/v3/videos"), ("PUT", "/upload/youtube/v3/videos"),
                       ("GET", "/v2/reports")]:
        assert sandbox.saw(verb, path), (verb, path)


def test_308_from_the_sandbox_resumes(sandbox, tmp_path):
    """A partial chunk answers 308 with Range: capsule's HTTP goes on, a plain Http raises."""
    import google_auth_httplib2
    from googleapiclient.discovery import build_from_document
    from googleapiclient.http import MediaFileUpload

    video = tmp_path / "v.bin"
    video.write_bytes(b"\1" * (262144 * 2 + 10))
    body = {"snippet": {"title": "t", "categoryId": "27"},
            "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False}}

    def first_chunk(yt):
        return yt.videos().insert(part="snippet,status", body=body, media_body=MediaFileUpload(
            str(video), mimetype="video/mp4", resumable=True, chunksize=262144)
        ).next_chunk(num_retries=0)

    status, done = first_chunk(youtube_service(sandbox.credentials(), endpoint=sandbox.url))
    assert done is None and status.resumable_progress == 262144
    assert sandbox.saw("PUT", "/upload/youtube/v3/videos", 308)

    plain = google_auth_httplib2.AuthorizedHttp(sandbox.credentials(),
                                                http=httplib2.Http(timeout=10))
    yt = build_from_document(discovery_document("youtube.v3.json", sandbox.url), http=plain)
    with pytest.raises(httplib2.RedirectMissingLocation):
        first_chunk(yt)


def test_api_key_reads_public_data(sandbox):
    yt = youtube_service(sandbox.api_key, endpoint=sandbox.url, timeout=10)
    reply = yt.channels().list(part="snippet", id=sandbox.api.channel["id"]).execute()
    assert reply["items"][0]["id"] == sandbox.api.channel["id"]
    assert sandbox.saw("GET", "/youtube/v3/channels", 200)


def test_api_key_never_reaches_debug_logs(sandbox, capsys):
    import logging

    from publish.cli.output import setup_logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    setup_logging(3, quiet=False)  # -vvv: every library's debug lines
    try:
        yt = youtube_service(sandbox.api_key, endpoint=sandbox.url, timeout=10)
        yt.channels().list(part="id", id=sandbox.api.channel["id"]).execute()
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "/youtube/v3/channels" in err and "key=***" in err
    assert sandbox.api_key not in err


def test_endpoint_precedence_flag_env_channel_google(tmp_path, monkeypatch):
    from publish.cli.app import App
    from publish.youtube.auth import account_for

    monkeypatch.delenv("CAPSULE_ENDPOINT", raising=False)
    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "config.toml").write_text(
        "[channels.main]\nendpoint = 'http://127.0.0.1:1'\n[channels.other]\n")

    def base(**app) -> str | None:
        return account_for(App(channel_name="main", **app)).endpoints.base

    assert base() == "http://127.0.0.1:1/"
    monkeypatch.setenv("CAPSULE_ENDPOINT", "http://127.0.0.1:2")
    assert base() == "http://127.0.0.1:2/"
    assert base(endpoint_flag="http://127.0.0.1:3/") == "http://127.0.0.1:3/"
    monkeypatch.delenv("CAPSULE_ENDPOINT")
    assert account_for(App(channel_name="other")).endpoints.is_google
