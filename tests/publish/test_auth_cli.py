"""`capsule auth …` end to end: the real client libraries against the sandbox over sockets."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.exitcodes import ExitCode
from publish.youtube import auth
from publish.youtube.client import Endpoints


@pytest.fixture
def env(tmp_path, monkeypatch):
    """No user settings, data in a temp folder."""
    for name in list(os.environ):
        if name.startswith(("CAPSULE_", "OAUTHLIB_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def run(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def _token(token_uri: str) -> dict:
    return {"token": "ya29.ACCESS", "refresh_token": "1//REFRESH", "token_uri": token_uri,
            "client_id": "cid", "client_secret": "SECRET",
            "scopes": list(auth.SCOPE_SETS["all"]), "expiry": "2030-01-01T00:00:00Z"}


# Without a server ------------------------------------------------------------------------------

def test_status_without_login_exits_4_and_names_the_fix(env):
    result = run("auth", "status", "--channel", "default", "--json")
    assert result.exit_code == ExitCode.AUTH_REQUIRED
    report = json.loads(result.stdout)
    assert report["logged_in"] is False
    token_file = env / "data" / "tokens" / "default.json"
    assert report["token_file"] == str(token_file)
    assert result.stderr == (f"capsule: error: channel default: no login saved at {token_file}; "
                             "run `capsule auth login --channel default`\n")


def test_login_without_client_secrets_is_one_line(env):
    result = run("auth", "login")
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (
        "capsule: error: channel 'default' has no client_secrets: set "
        "channels.default.client_secrets to the OAuth client file (type Desktop app) "
        "downloaded from the Google Cloud console\n")


def test_logout_without_login_is_nothing_to_do(env):
    result = run("auth", "logout")
    assert result.exit_code == ExitCode.NOTHING_TO_DO


def test_export_import_round_trip_cli(env):
    google = Endpoints(None)
    source = env / "data" / "tokens" / "default.json"
    auth.write_token_file(source, _token(google.token_uri))
    out = env / "carry" / "token.json"
    exported = run("auth", "export", "-o", str(out))
    assert exported.exit_code == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "1//REFRESH" not in exported.stdout + exported.stderr

    (env / "config.toml").write_text(
        f"[channels.default]\n[channels.server]\ntoken_file = '{env}/server/token.json'\n",
        encoding="utf-8")
    imported = run("auth", "import", "--channel", "server", str(out))
    assert imported.exit_code == 0, imported.stderr
    target = env / "server" / "token.json"
    assert json.loads(target.read_text()) == json.loads(source.read_text())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    piped = run("auth", "export")  # not a terminal: the JSON goes to stdout, for a pipe
    assert json.loads(piped.stdout)["refresh_token"] == "1//REFRESH"
    again = run("auth", "import", "--channel", "server", "-", input=piped.stdout)
    assert again.exit_code == 0, again.stderr


def test_binary_token_files_are_one_line_errors(env):
    carried = env / "t.bin"
    carried.write_bytes(b"\xff\xfe\x00binary")
    result = run("auth", "import", str(carried))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {carried}: not a token exported by `capsule "
                             "auth export` (not UTF-8 text)\n")
    saved = env / "data" / "tokens" / "default.json"
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"\xff\xfe\x00binary")
    result = run("auth", "status")
    assert result.exit_code == ExitCode.AUTH_REQUIRED
    assert result.stderr == (f"capsule: error: {saved}: not a usable token file (needs "
                             "refresh_token, client_id, client_secret)\n")


def test_import_refuses_symlinked_token_file(env):
    real = env / "real.json"
    real.write_text("keep")
    link = env / "data" / "tokens" / "default.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    carried = env / "t.json"
    carried.write_text(json.dumps(_token(Endpoints(None).token_uri)))
    result = run("auth", "import", str(carried))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"capsule: error: {link}: is a symbolic link; capsule refuses to "
                             "write a token through it (remove the link or point token_file at "
                             "a real file)\n")
    assert real.read_text() == "keep"


# Against the sandbox, over sockets -------------------------------------------------------------



@pytest.fixture
def configured(env, sandbox):
    """Settings whose default channel uses the sandbox's OAuth client file."""
    (env / "config.toml").write_text(
        f"[channels.default]\nclient_secrets = '{sandbox.state_dir / 'client_secrets.json'}'\n",
        encoding="utf-8")
    return env


class FakeBrowser:
    """Stands in for the user's browser (the edge we do not own): follows the authorization
    URL by hand, remembering the code, then delivers the redirect to capsule's loopback."""

    def __init__(self) -> None:
        self.codes: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        import threading
        import urllib.parse

        import httplib2

        def run() -> None:
            http = httplib2.Http(timeout=10)
            http.follow_redirects = False
            response, _ = http.request(url)
            location = response["location"]
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
            self.codes.append(query["code"][0])
            httplib2.Http(timeout=10).request(location)

        threading.Thread(target=run, daemon=True).start()
        return True


@pytest.fixture
def browser(monkeypatch):
    fake = FakeBrowser()
    monkeypatch.setattr("webbrowser.get", lambda using=None: fake)
    return fake


def test_login_status_logout_through_the_cli(configured, sandbox, browser):
    token_file = configured / "data" / "tokens" / "default.json"
    login = run("--endpoint", sandbox.url, "auth", "login", "--scopes", "publish")
    assert login.exit_code == 0, login.stderr
    assert login.stdout == (f"logged in: channel default on {sandbox.url}\n"
                            f"token: {token_file}\nscopes: youtube.upload, youtube.force-ssl\n")
    assert sandbox.url + "o/oauth2/auth?" in login.stderr  # shown in case no browser opens
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700

    status = run("--endpoint", sandbox.url, "auth", "status")
    assert status.exit_code == 0, status.stderr
    lines = dict(line.split("  ", 1) for line in status.stdout.splitlines())
    assert lines["youtube channel"].strip() == (
        f"Capsule sandbox channel ({sandbox.api.channel['id']})")
    assert lines["scopes"].strip() == "youtube.upload, youtube.force-ssl"
    assert lines["refresh works"].strip() == "yes"
    assert lines["can read stats"].strip() == "no"

    logout = run("--endpoint", sandbox.url, "auth", "logout")
    assert logout.exit_code == 0, logout.stderr
    assert not token_file.exists()
    assert sandbox.saw("POST", "/revoke", 200)


def test_status_json(configured, sandbox, browser):
    assert run("--endpoint", sandbox.url, "auth", "login").exit_code == 0
    result = run("--endpoint", sandbox.url, "auth", "status", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["youtube_channel_title"] == "Capsule sandbox channel"
    assert report["refresh_ok"] is True and report["can_publish"] and report["can_read_stats"]
    assert report["expiry"].endswith("Z")
    assert report["endpoint"] == sandbox.url


def test_revoked_login_exits_4_naming_the_fix(configured, sandbox, browser):
    assert run("--endpoint", sandbox.url, "auth", "login").exit_code == 0
    token_file = configured / "data" / "tokens" / "default.json"
    sandbox.revoke(json.loads(token_file.read_text())["refresh_token"])
    result = run("--endpoint", sandbox.url, "auth", "status")
    assert result.exit_code == ExitCode.AUTH_REQUIRED
    assert result.stderr == (f"capsule: error: channel default: the saved login at {token_file} "
                             "was refused (revoked or expired); run "
                             "`capsule auth login --channel default`\n")
    assert "refresh works    no" in result.stdout


def test_no_browser_login_in_a_real_process(configured, sandbox):
    """Headless: the URL is printed, the user pastes the address the browser ended on."""
    import subprocess
    import sys

    import httplib2

    exe = os.path.join(os.path.dirname(sys.executable), "capsule")
    proc = subprocess.Popen(
        [exe, "--endpoint", sandbox.url, "auth", "login", "--no-browser", "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = ""
        while not url:
            line = proc.stderr.readline()
            assert line, "capsule ended before printing the authorization URL"
            if line.strip().startswith(sandbox.url + "o/oauth2/auth?"):
                url = line.strip()
        http = httplib2.Http(timeout=10)
        http.follow_redirects = False
        response, _ = http.request(url)
        out, err = proc.communicate(response["location"] + "\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["scopes"] == list(auth.SCOPE_SETS["all"])
    assert json.loads(Path(result["token_file"]).read_text())["refresh_token"]


def test_secrets_never_reach_output_at_vvv(configured, sandbox, browser):
    token_file = configured / "data" / "tokens" / "default.json"
    login = run("-vvv", "--endpoint", sandbox.url, "auth", "login")
    assert login.exit_code == 0, login.stderr
    saved = json.loads(token_file.read_text())
    first_access = saved["token"]
    saved["expiry"] = "2000-01-01T00:00:00Z"  # make status refresh: more token traffic
    auth.write_token_file(token_file, saved)
    status = run("-vvv", "--endpoint", sandbox.url, "auth", "status", "--json")
    assert status.exit_code == 0, status.stderr
    refreshed = json.loads(token_file.read_text())["token"]
    output = login.stdout + login.stderr + status.stdout + status.stderr
    assert "DEBUG" in output  # the debug logs did run
    secrets = [first_access, refreshed, saved["refresh_token"], sandbox.client_secret,
               *browser.codes]
    assert len(browser.codes) == 1
    leaked = [s for s in secrets if s in output]
    assert leaked == []


def test_sandbox_flag_needs_no_credentials_at_all(env):
    """No settings, no client file, no token: an embedded sandbox and an automatic login."""
    result = run("--sandbox", "auth", "status", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["youtube_channel_title"] == "Capsule sandbox channel"
    assert report["can_publish"] and report["can_read_stats"]
    token_file = env / "data" / "sandbox" / "tokens" / "default.json"
    assert report["token_file"] == str(token_file)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(report["endpoint"])
    with pytest.raises(OSError), socket.create_connection((parts.hostname, parts.port), 1):
        pass  # the embedded sandbox stopped with the command
    again = run("--sandbox", "auth", "status", "--json")  # state and token were kept
    assert again.exit_code == 0, again.stderr


def test_sandbox_flag_uses_the_running_sandbox(env, sandbox):
    state = env / "data" / "sandbox"
    state.mkdir(parents=True)
    (state / "server.json").write_text(json.dumps({"url": sandbox.url, "pid": os.getpid()}))
    (state / "client_secrets.json").write_text(json.dumps(sandbox.client_secrets()))
    result = run("--sandbox", "auth", "login")
    assert result.exit_code == 0, result.stderr
    assert f"on {sandbox.url}" in result.stdout
    assert sandbox.saw("GET", "/o/oauth2/auth", 302)
    assert sandbox.saw("POST", "/token", 200)
