"""Fixtures shared by every test package.

`sandbox` — a running local YouTube (`publish.sandbox.SandboxServer`) on an ephemeral
127.0.0.1 port with its own empty state folder, stopped after the test:

    def test_upload(sandbox):
        youtube = sandbox.youtube()                    # Data API client, capsule's scopes
        youtube = sandbox.youtube("youtube.readonly")  # … or exactly these scopes
        keyed = sandbox.youtube(key=DEFAULT_API_KEY)   # public reads with the API key
        analytics = sandbox.analytics()
        creds = sandbox.credentials(["youtube.upload"])  # google-auth Credentials (refreshable)
        sandbox.url                                    # "http://127.0.0.1:PORT/" (CAPSULE_ENDPOINT)
        sandbox.mint_token([...])                      # raw {access_token, refresh_token, …}
        sandbox.faults.add("503,method=PUT")           # fault plan (publish/sandbox/faults.py)
        sandbox.clock.advance(3600)                    # the sandbox clock
        sandbox.limits.daily_units = 100               # quota and other limits
        sandbox.upload_log()                           # server byte log per upload session
        sandbox.video_file(video_id)                   # stored bytes of an uploaded video

Clients are the unmodified Google client built from `publish.discovery` (bundled documents,
root URL rewritten); capsule's own factory is `publish.youtube.client`.
Here a request body that stalls is cut after 5 s (20 s by default) to keep tests fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest puts tests/ on sys.path to import this file; tests/publish, tests/captions and
# tests/config would then shadow the real packages as namespace packages. With the project
# root on sys.path too, the real (regular) packages win.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from publish.sandbox import Limits, SandboxServer  # noqa: E402


@pytest.fixture
def sandbox(tmp_path_factory):
    """A fresh sandbox (empty state, seed 0, default limits but a 5 s body timeout)."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"),
                           limits=Limits(body_timeout_seconds=5.0))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No user settings or CAPSULE_* variables leak in; settings and data in `tmp_path`."""
    import os

    for name in list(os.environ):
        if name.startswith("CAPSULE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAPSULE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CAPSULE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (selenium + Debian's chromedriver) for the whole session."""
    from tests import browser as chromium

    if not chromium.available():
        if chromium.in_ci():
            pytest.fail("chromium and chromedriver are required in CI (apt-get install "
                        "chromium chromium-driver; .ci/run does it)")
        pytest.skip("chromium/chromedriver not installed here (apt-get install chromium "
                    "chromium-driver; CI installs them)")
    with chromium.chromium() as driver:
        yield driver
