"""What every command gets from the global options: settings, journal, API access, output."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

log = logging.getLogger("capsule.http")


@dataclass
class App:
    """What every command gets from the global options (click's ctx.obj)."""

    verbosity: int = 0
    quiet: bool = False
    traceback: bool = False
    config_path: Path | None = None
    channel_name: str | None = None
    endpoint_flag: str | None = None
    sandbox: bool = False
    overrides: list[tuple[str, Any, str]] = field(default_factory=list)
    _settings: Any = None

    @property
    def settings(self):
        """The effective settings, loaded on first use (so --help never parses files)."""
        if self._settings is None:
            from config.settings import load_settings

            overrides = list(self.overrides)
            if self.endpoint_flag:
                overrides.append(("endpoint", self.endpoint_flag, "flag:--endpoint"))
            if self.channel_name:
                overrides.append(("default_channel", self.channel_name, "flag:--channel"))
            self._settings = load_settings(self.config_path, overrides=overrides)
        return self._settings

    @property
    def channel(self):
        return self.settings.channel(self.channel_name)

    def journal(self, path: Path | None = None):
        """The journal: --journal PATH > the `journal` setting > DATA_DIR/journal.sqlite.

        With --sandbox and no explicit journal, DATA_DIR/sandbox/journal.sqlite: a rehearsal
        must neither spend the real day's quota in the ledger nor make a real upload look done.
        """
        from publish.journal import open_journal

        return open_journal(self.journal_path(path), None)

    def journal_path(self, path: Path | None = None) -> Path:
        """Where the journal is (see `journal`), without opening it: `journal check` reads a
        file that may not open."""
        settings = self.settings
        if path is None and self.sandbox and settings.values["journal"].value is None:
            path = settings.data_path / "sandbox" / "journal.sqlite"
        return Path(path or settings.journal_path)

    @property
    def quota_limits(self) -> dict[str, int]:
        """The API project's daily quota (settings `quota_units`, `quota_uploads`)."""
        return {"default": int(self.settings.quota_units),
                "uploads": int(self.settings.quota_uploads)}

    def youtube(self, purpose: str = "publish"):
        """A Data API service for this command's channel and endpoint (--sandbox honoured)."""
        from publish.youtube.auth import account_credentials, account_for
        from publish.youtube.client import youtube_service

        account = account_for(self)
        auth = account_credentials(account, purpose)
        service = youtube_service(auth, endpoint=account.endpoints, timeout=account.timeout)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:  # close its connections when the command ends
            ctx.find_root().call_on_close(service.close)
        return service

    def watch_url(self, video_id: str) -> str:
        """Where an officer sees the video: YouTube, or the sandbox's own watch page."""
        from publish.youtube.auth import account_for

        base = account_for(self).endpoints.base
        if base is None:
            return f"https://www.youtube.com/watch?v={video_id}"
        return f"{base.rstrip('/')}/watch?v={video_id}"

    def target(self, channel: str | None = None):
        """Where this command's YouTube calls go (`publish.youtube.client.Target`).

        Without --sandbox: `--endpoint` > `CAPSULE_ENDPOINT` > settings file > the channel's
        `endpoint` > Google. With --sandbox: the sandbox `capsule sandbox serve` keeps running
        for this data dir, else one started here for the duration of the command (stopped when
        the command's context closes). The client factory never knows a sandbox exists.
        """
        from publish.youtube.client import (
            Endpoints,
            Target,
            configured_endpoint,
            normalize_endpoint,
        )

        if not self.sandbox:
            endpoint = configured_endpoint(self.settings, channel or self.channel_name)
            return Target(Endpoints(normalize_endpoint(endpoint) if endpoint else None))
        root = click.get_current_context().find_root()
        if _SANDBOX_KEY not in root.meta:
            root.meta[_SANDBOX_KEY] = _sandbox_target(self.settings.data_path / "sandbox", root)
        return root.meta[_SANDBOX_KEY]

    def progress(self, label: str, *, json_mode: bool = False, unit: str = ""):
        from publish.cli.output import Progress, progress_allowed

        return Progress(label, progress_allowed(quiet=self.quiet, json_mode=json_mode), unit)


_SANDBOX_KEY = "capsule.sandbox"
SANDBOX_PORT = 8765


def _sandbox_target(state: Path, root: click.Context):
    """The running sandbox for `state`, else one started until the command ends."""
    # Imported here: only --sandbox pays for the emulator and the client.
    from publish.sandbox.server import SandboxServer, running
    from publish.youtube.client import Endpoints, Target

    found = running(state)
    if found is not None:
        return Target(Endpoints(found.url), found.client_id, found.client_secret)
    try:  # the sandbox's usual port, so the URLs printed stay valid under `sandbox serve`
        server = SandboxServer(state_dir=state, port=SANDBOX_PORT)
        server.start()
    except OSError:
        server = SandboxServer(state_dir=state, port=0)
        server.start()
    root.call_on_close(server.stop)
    log.info("started a sandbox for this command at %s (state in %s)", server.url, state)
    return Target(Endpoints(server.url), server.client_id, server.client_secret, embedded=True)
