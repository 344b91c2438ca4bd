"""The sandbox's OAuth server, driven by google-auth-oauthlib and google-auth over sockets."""

from __future__ import annotations

import base64
import hashlib
import queue
import threading
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google_auth_oauthlib.flow import InstalledAppFlow
from sandbox_helpers import raw

from publish.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

SCOPES = ["https://www.googleapis.com/auth/youtube.force-ssl",
          "https://www.googleapis.com/auth/yt-analytics.readonly"]


@pytest.fixture
def oauthlib_env(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")


def test_installed_app_flow_with_pkce(sandbox, oauthlib_env):
    flow = InstalledAppFlow.from_client_config(sandbox.client_secrets(), SCOPES)
    urls: queue.Queue[str] = queue.Queue()
    original = flow.authorization_url

    def capture(**kwargs):
        url, state = original(**kwargs)
        urls.put(url)
        return url, state

    flow.authorization_url = capture
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(creds=flow.run_local_server(
        open_browser=False, port=0, timeout_seconds=10, authorization_prompt_message=None)))
    worker.start()
    url = urls.get(timeout=10)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    with urllib.request.urlopen(url, timeout=10) as page:  # 302 → the flow's loopback server
        assert page.status == 200
    worker.join(timeout=10)
    creds = result["creds"]
    assert creds.refresh_token and creds.token.startswith("ya29.")
    assert sorted(creds.granted_scopes) == sorted(SCOPES)
    youtube = sandbox.youtube()  # the token works against the API
    youtube._http.credentials = creds
    reply = youtube.channels().list(part="id", mine=True).execute()
    assert reply["items"][0]["id"].startswith("UC")


def _code(sandbox, challenge: str, redirect: str = "http://127.0.0.1:9/") -> str:
    query = urlencode({"client_id": DEFAULT_CLIENT_ID, "redirect_uri": redirect,
                       "response_type": "code", "scope": " ".join(SCOPES), "state": "xyz",
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    status, headers, _ = raw(sandbox, "GET", f"/o/oauth2/auth?{query}")
    assert status == 302
    location = parse_qs(urlsplit(headers["location"]).query)
    assert location["state"] == ["xyz"] and location["scope"] == [" ".join(SCOPES)]
    return location["code"][0]


def _exchange(sandbox, code: str, verifier: str, secret: str = DEFAULT_CLIENT_SECRET,
              redirect: str = "http://127.0.0.1:9/"):
    form = urlencode({"grant_type": "authorization_code", "code": code,
                      "client_id": DEFAULT_CLIENT_ID, "client_secret": secret,
                      "redirect_uri": redirect, "code_verifier": verifier}).encode()
    return raw(sandbox, "POST", "/token", body=form,
               headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_token_exchange_checks_verifier_secret_and_single_use(sandbox):
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    challenge = challenge.rstrip("=")
    status, _, body = _exchange(sandbox, _code(sandbox, challenge), "w" * 64)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _, body = _exchange(sandbox, _code(sandbox, challenge), verifier, secret="wrong")
    assert (status, body["error"]) == (401, "invalid_client")
    code = _code(sandbox, challenge)
    status, _, body = _exchange(sandbox, code, verifier)
    assert status == 200
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")
    assert body["refresh_token"] and body["scope"] == " ".join(SCOPES)
    status, _, body = _exchange(sandbox, code, verifier)  # a code works once
    assert (status, body["error"]) == (400, "invalid_grant")


def test_authorization_refuses_foreign_redirects_and_clients(sandbox):
    base = {"client_id": DEFAULT_CLIENT_ID, "response_type": "code", "scope": SCOPES[0]}
    status, _, body = raw(sandbox, "GET", "/o/oauth2/auth?" + urlencode(
        {**base, "redirect_uri": "https://evil.example/"}))
    assert (status, body["error"]) == (400, "redirect_uri_mismatch")
    status, _, body = raw(sandbox, "GET", "/o/oauth2/auth?" + urlencode(
        {**base, "client_id": "other", "redirect_uri": "http://localhost:1/"}))
    assert (status, body["error"]) == (401, "invalid_client")


def test_expired_access_token_is_refreshed_by_the_client(sandbox):
    youtube = sandbox.youtube()
    creds = youtube._http.credentials
    first = creds.token
    youtube.videoCategories().list(part="snippet", regionCode="US").execute()
    sandbox.clock.advance(3600)  # the server now answers 401 authError to that token
    youtube.videoCategories().list(part="snippet", regionCode="US").execute()
    assert creds.token != first
    assert ("POST", "/token", 200) in sandbox.traffic


def test_revocation_ends_refresh_and_access(sandbox):
    creds = sandbox.credentials()
    status, _, _ = raw(sandbox, "POST", "/revoke?" + urlencode({"token": creds.refresh_token}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())
    code, _, body = raw(sandbox, "GET", "/youtube/v3/channels?part=id&mine=true",
                        token=creds.token)
    assert (code, body["error"]["errors"][0]["reason"]) == (401, "authError")
    status, _, body = raw(sandbox, "POST", "/revoke?" + urlencode({"token": "unknown"}))
    assert (status, body["error"]) == (400, "invalid_token")


def test_state_survives_a_restart(sandbox):
    from publish.sandbox import SandboxServer

    creds = sandbox.credentials()
    youtube = sandbox.youtube()
    youtube._http.credentials = creds
    playlist = youtube.playlists().insert(part="snippet", body={
        "snippet": {"title": "Kept"}}).execute()
    used = sandbox.quota.usage()["default"]["used"]
    sandbox.stop()
    again = SandboxServer(sandbox.state_dir, port=sandbox.port).start()
    try:
        listed = youtube.playlists().list(part="snippet", mine=True).execute()
        assert [p["id"] for p in listed["items"]] == [playlist["id"]]  # same token still valid
        creds.refresh(Request())  # refresh token kept too
        assert again.quota.usage()["default"]["used"] == used + 1
    finally:
        again.stop()
