"""Fixtures of the publish tests."""

from __future__ import annotations

import os

import pytest

from publish.youtube.auth import save_token


@pytest.fixture
def env(sandbox, isolated, monkeypatch):
    """CLI environment talking to the sandbox with a saved login; no user settings."""
    data = isolated / "data"
    values = {"CAPSULE_ENDPOINT": sandbox.url, "CAPSULE_CHUNK_SIZE": "262144",
              "CAPSULE_PRESET": "ultrafast", "CAPSULE_TIMEOUT": "5"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    save_token(sandbox.credentials(), data / "tokens" / "default.json")
    return {**os.environ, **values}
