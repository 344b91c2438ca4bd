"""Auth library: scope sets, the token store (0600, symlinks, token URI), login flows."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import pytest

from publish.errors import AuthRequired, InvalidInput
from publish.youtube import auth, logins
from publish.youtube.client import Endpoints

SANDBOXISH = Endpoints("http://127.0.0.1:8765/")


def _account(tmp_path: Path, endpoints: Endpoints = SANDBOXISH, **kwargs) -> auth.Account:
    return auth.Account(channel="main", endpoints=endpoints,
                        token_file=tmp_path / "tokens" / "main.json", timeout=10, **kwargs)


def _payload(token_uri: str = SANDBOXISH.token_uri) -> dict:
    return {"token": "ya29.ACCESS", "refresh_token": "1//REFRESH", "token_uri": token_uri,
            "client_id": "cid", "client_secret": "SECRET",
            "scopes": list(auth.SCOPE_SETS["all"]), "expiry": "2030-01-01T00:00:00Z"}


# Scopes ----------------------------------------------------------------------------------------

def test_scope_sets_are_the_minimum_per_use():
    assert [auth.short_scope(s) for s in auth.SCOPE_SETS["publish"]] == [
        "youtube.upload", "youtube.force-ssl"]
    assert [auth.short_scope(s) for s in auth.SCOPE_SETS["stats"]] == [
        "youtube.readonly", "yt-analytics.readonly"]


def test_missing_scopes_per_purpose():
    assert auth.missing_scopes(auth.SCOPE_SETS["publish"], "publish") == []
    assert auth.missing_scopes(auth.SCOPE_SETS["stats"], "publish") == [auth.FORCE_SSL]
    assert auth.missing_scopes(auth.SCOPE_SETS["publish"], "stats") == [auth.ANALYTICS]
    assert auth.missing_scopes([auth.UPLOAD], "stats") == [auth.ANALYTICS, auth.READONLY]
    assert auth.missing_scopes([], "public") == []
    with pytest.raises(ValueError, match="unknown purpose"):
        auth.missing_scopes([], "everything")


# Token files -----------------------------------------------------------------------------------

def test_token_file_is_0600_under_umask_0(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "fresh" / "tokens" / "main.json"
        auth.write_token_file(path, _payload())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    assert json.loads(path.read_text())["refresh_token"] == "1//REFRESH"
    assert [p.name for p in path.parent.iterdir()] == ["main.json"]  # no temp file left


def test_rewriting_keeps_0600(tmp_path):
    path = tmp_path / "main.json"
    path.write_text("{}")
    path.chmod(0o644)
    auth.write_token_file(path, _payload())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_refuses_to_write_through_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("untouched")
    link = tmp_path / "main.json"
    link.symlink_to(target)
    with pytest.raises(InvalidInput, match="is a symbolic link"):
        auth.write_token_file(link, _payload())
    assert target.read_text() == "untouched"
    assert link.is_symlink()


def test_refuses_to_read_through_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps(_payload()))
    link = tmp_path / "main.json"
    link.symlink_to(target)
    with pytest.raises(InvalidInput, match="is a symbolic link"):
        auth.read_token_file(link)


def test_loose_permissions_are_tightened(tmp_path):
    path = tmp_path / "main.json"
    path.write_text(json.dumps(_payload()))
    path.chmod(0o644)
    assert auth.read_token_file(path)["client_id"] == "cid"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_broken_token_file_asks_for_a_login(tmp_path):
    path = tmp_path / "main.json"
    path.write_text('{"token": "x"}')
    with pytest.raises(AuthRequired, match="not a usable token file"):
        auth.read_token_file(path)


def test_credentials_use_the_endpoint_token_uri(tmp_path):
    data = _payload(token_uri="https://ignored.example/token")
    creds = auth.credentials_from_payload(data, SANDBOXISH)
    assert creds.token_uri == "http://127.0.0.1:8765/token"
    assert creds.refresh_token == "1//REFRESH"
    assert creds.granted_scopes == list(auth.SCOPE_SETS["all"])
    assert creds.expiry.year == 2030


@pytest.mark.parametrize("expiry", ["2030-01-01T01:00:00Z", "2030-01-01T01:00:00+00:00",
                                    "2030-01-01T03:00:00.5+02:00", "2030-01-01T01:00:00"])
def test_expiry_with_or_without_an_offset_is_naive_utc(expiry):
    """An imported token may carry an offset; google-auth compares with naive UTC."""
    creds = auth.credentials_from_payload({**_payload(), "expiry": expiry}, SANDBOXISH)
    assert creds.expiry.replace(microsecond=0) == dt.datetime(2030, 1, 1, 1)
    assert creds.valid


def test_no_expiry_means_expired():
    data = _payload()
    del data["expiry"]
    assert not auth.credentials_from_payload(data, SANDBOXISH).valid


def test_token_from_another_server_is_not_sent_there(tmp_path):
    account = _account(tmp_path)
    auth.write_token_file(account.token_file, _payload("https://oauth2.googleapis.com/token"))
    with pytest.raises(AuthRequired) as caught:
        auth.load_credentials(account)
    assert "issued by https://oauth2.googleapis.com/token" in str(caught.value)
    assert "run `capsule auth login --channel main`" in str(caught.value)


def test_no_token_names_the_login_command(tmp_path):
    with pytest.raises(AuthRequired) as caught:
        auth.account_credentials(_account(tmp_path), "publish")
    assert str(caught.value) == (
        f"channel main: a login is needed and none is saved at {tmp_path}/tokens/main.json; "
        "run `capsule auth login --channel main`")


def test_public_statistics_fall_back_to_the_api_key(tmp_path):
    account = _account(tmp_path, api_key="AIza-KEY")
    assert auth.account_credentials(account, "public") == "AIza-KEY"


def test_a_login_without_the_needed_scope_is_refused(tmp_path):
    account = _account(tmp_path)
    data = _payload()
    data["scopes"] = list(auth.SCOPE_SETS["publish"])
    auth.write_token_file(account.token_file, data)
    with pytest.raises(AuthRequired) as caught:
        auth.account_credentials(account, "stats")
    assert "lacks yt-analytics.readonly needed to read statistics" in str(caught.value)
    assert "run `capsule auth login --channel main --scopes all`" in str(caught.value)


def test_export_import_round_trip(tmp_path):
    laptop = _account(tmp_path / "laptop")
    server = _account(tmp_path / "server")
    auth.write_token_file(laptop.token_file, _payload())
    text = logins.export_token(laptop)
    result = logins.import_token(server, text, "main-token.json")
    assert result.token_file == str(server.token_file)
    assert json.loads(server.token_file.read_text()) == json.loads(text)
    assert stat.S_IMODE(server.token_file.stat().st_mode) == 0o600


def test_import_refuses_a_token_for_another_server(tmp_path):
    text = json.dumps(_payload("https://oauth2.googleapis.com/token"))
    with pytest.raises(InvalidInput, match=re.escape("issued by https://oauth2.googleapis.com/token")):
        logins.import_token(_account(tmp_path), text, "t.json")


def test_import_refuses_garbage(tmp_path):
    with pytest.raises(InvalidInput, match=re.escape("t.json: not a usable token (lacks")):
        logins.import_token(_account(tmp_path), '{"client_id": "x", "client_secret": "y"}',
                          "t.json")


# Client secrets --------------------------------------------------------------------------------

def test_client_secrets_of_a_desktop_app(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"installed": {"client_id": "id", "client_secret": "s",
                                              "auth_uri": "https://a", "token_uri": "https://t"}}))
    client = auth.read_client_secrets(path)
    config = client.config(SANDBOXISH)["installed"]
    assert config["token_uri"] == "http://127.0.0.1:8765/token"
    assert config["auth_uri"] == "http://127.0.0.1:8765/o/oauth2/auth"


def test_web_client_secrets_are_refused(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"web": {"client_id": "id", "client_secret": "s"}}))
    with pytest.raises(InvalidInput, match="expected an OAuth client of type Desktop app"):
        auth.read_client_secrets(path)


def test_missing_client_secrets_setting(tmp_path):
    with pytest.raises(InvalidInput, match=re.escape("channels.main.client_secrets")):
        _account(tmp_path).oauth_client()


# Pasted redirect (headless login) --------------------------------------------------------------

def test_parse_pasted_redirect_url():
    url = "http://localhost:53683/?state=S1&code=4/abc&scope=x"
    assert auth.parse_pasted(url, "S1") == "4/abc"
    assert auth.parse_pasted("  4/abc \n", "S1") == "4/abc"


def test_parse_pasted_checks_state_and_errors():
    with pytest.raises(AuthRequired, match="another login attempt"):
        auth.parse_pasted("http://localhost:53683/?state=OTHER&code=4/abc", "S1")
    with pytest.raises(AuthRequired, match=re.escape("authorization refused (access_denied")):
        auth.parse_pasted("http://localhost:53683/?error=access_denied&state=S1", "S1")
    with pytest.raises(AuthRequired, match="has no code"):
        auth.parse_pasted("http://localhost:53683/?state=S1", "S1")


# Against the sandbox, over sockets -------------------------------------------------------------



def follow(url: str) -> None:
    """Play the browser: GET the authorization URL in a thread, following the 302 to the
    loopback server that `login` is waiting on (the sandbox approves by itself)."""
    import threading
    import urllib.request

    def run() -> None:
        with urllib.request.urlopen(url, timeout=15) as reply:
            reply.read()

    threading.Thread(target=run, daemon=True).start()


def _sandbox_account(sandbox, tmp_path: Path) -> auth.Account:
    return auth.Account(channel="main", endpoints=Endpoints(sandbox.url),
                        token_file=tmp_path / "tokens" / "main.json", timeout=10,
                        client_secrets=sandbox.state_dir / "client_secrets.json")


def test_full_login_flow_with_pkce(sandbox, tmp_path):
    account = _sandbox_account(sandbox, tmp_path)
    seen: list[str] = []
    result = auth.login(account, auth.SCOPE_SETS["all"], open_browser=False,
                        on_url=lambda url: (seen.append(url), follow(url)),
                        timeout_seconds=20)
    query = dict(p.split("=", 1) for p in seen[0].split("?", 1)[1].split("&"))
    assert seen[0].startswith(sandbox.url + "o/oauth2/auth?")
    assert query["code_challenge_method"] == "S256" and query["access_type"] == "offline"
    assert result.scopes == list(auth.SCOPE_SETS["all"]) and result.missing == []
    saved = json.loads(account.token_file.read_text())
    assert saved["refresh_token"].startswith("1//sandbox-")
    assert saved["token_uri"] == sandbox.url + "token"
    assert stat.S_IMODE(account.token_file.stat().st_mode) == 0o600
    assert sandbox.saw("POST", "/token", 200)

    creds = auth.account_credentials(account, "publish")
    from publish.youtube.client import youtube_service

    reply = youtube_service(creds, endpoint=account.endpoints).channels().list(
        part="snippet", mine=True).execute()
    assert reply["items"][0]["snippet"]["title"] == "Capsule sandbox channel"


def test_pasted_login_flow(sandbox, tmp_path):
    import httplib2

    account = _sandbox_account(sandbox, tmp_path)

    def paste(url: str) -> str:  # the user's browser, then copy-paste of the address bar
        http = httplib2.Http(timeout=10)
        http.follow_redirects = False
        response, _ = http.request(url)
        assert response["location"].startswith(auth.PASTE_REDIRECT_URI + "?")
        return response["location"]

    result = auth.login_pasted(account, auth.SCOPE_SETS["stats"], ask=paste)
    assert result.scopes == list(auth.SCOPE_SETS["stats"])
    assert json.loads(account.token_file.read_text())["scopes"] == result.scopes
    with pytest.raises(AuthRequired, match=re.escape("lacks youtube.force-ssl needed to publish")):
        auth.account_credentials(account, "publish")


def test_wrong_pkce_or_code_is_refused(sandbox, tmp_path):
    account = _sandbox_account(sandbox, tmp_path)
    with pytest.raises(AuthRequired, match=r"login refused by http://127\.0\.0\.1:\d+/ "
                                           r"\(invalid_grant"):
        auth.login_pasted(account, auth.SCOPE_SETS["all"], ask=lambda url: "4/forged-code")
    assert not account.token_file.exists()


def _saved(sandbox, account: auth.Account, scopes=auth.SCOPE_SETS["all"], **token) -> dict:
    minted = sandbox.mint_token(list(scopes))
    payload = {"token": minted["access_token"], "refresh_token": minted["refresh_token"],
               "token_uri": account.endpoints.token_uri, "client_id": sandbox.client_id,
               "client_secret": sandbox.client_secret, "scopes": list(scopes),
               "expiry": "2099-01-01T00:00:00Z", **token}
    auth.write_token_file(account.token_file, payload)
    return payload


def test_expired_token_is_refreshed_and_saved(sandbox, tmp_path):
    account = _sandbox_account(sandbox, tmp_path)
    before = _saved(sandbox, account, expiry="2000-01-01T00:00:00Z")
    creds = auth.account_credentials(account, "publish")
    after = json.loads(account.token_file.read_text())
    assert creds.valid and creds.token == after["token"] != before["token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert after["expiry"] > "2026"
    assert stat.S_IMODE(account.token_file.stat().st_mode) == 0o600


def test_token_refreshed_after_a_401_is_saved(sandbox, tmp_path):
    from publish.youtube.client import youtube_service

    account = _sandbox_account(sandbox, tmp_path)
    before = _saved(sandbox, account, token="ya29.unknown-to-the-server")
    creds = auth.account_credentials(account, "publish")
    youtube_service(creds, endpoint=account.endpoints).channels().list(
        part="id", mine=True).execute()
    after = json.loads(account.token_file.read_text())
    assert after["token"] not in (before["token"], None)
    assert sandbox.saw("GET", "/youtube/v3/channels", 401)


def test_revoked_login_is_auth_required(sandbox, tmp_path):
    from publish.youtube.client import api_error, youtube_service

    account = _sandbox_account(sandbox, tmp_path)
    saved = _saved(sandbox, account, expiry="2000-01-01T00:00:00Z")
    sandbox.revoke(saved["refresh_token"])
    with pytest.raises(AuthRequired) as caught:
        auth.account_credentials(account, "publish")
    assert "was refused (revoked or expired); run `capsule auth login --channel main`" in str(
        caught.value)

    # The same, discovered in the middle of an API call (401, then refresh refused).
    saved = _saved(sandbox, account, token="ya29.stale")
    sandbox.revoke(saved["refresh_token"])
    creds = auth.account_credentials(account, "publish")
    with pytest.raises(Exception) as during:
        youtube_service(creds, endpoint=account.endpoints).channels().list(
            part="id", mine=True).execute()
    error = api_error(during.value, doing="listing videos", channel="main")
    assert isinstance(error, AuthRequired)
    assert str(error).endswith("run `capsule auth login --channel main`")


def test_logout_revokes_and_deletes(sandbox, tmp_path):
    account = _sandbox_account(sandbox, tmp_path)
    saved = _saved(sandbox, account)
    assert logins.logout(account) is True
    assert not account.token_file.exists()
    assert sandbox.saw("POST", "/revoke", 200)
    with pytest.raises(Exception, match="invalid_grant"):
        sandbox.oauth.token({"client_id": sandbox.client_id,
                             "client_secret": sandbox.client_secret,
                             "grant_type": "refresh_token",
                             "refresh_token": saved["refresh_token"]})
    assert logins.logout(account) is False


def test_status_reports_the_channel(sandbox, tmp_path):
    account = _sandbox_account(sandbox, tmp_path)
    _saved(sandbox, account)
    report = logins.auth_status(account)
    assert report.problem is None
    assert report.logged_in and report.refresh_ok and report.can_publish
    assert report.youtube_channel_title == "Capsule sandbox channel"
    assert report.youtube_channel_id == sandbox.api.channel["id"]
    assert report.scopes == ["youtube.upload", "youtube.force-ssl", "youtube.readonly",
                             "yt-analytics.readonly"]
