"""The `capsule` command: global options, the command tree and the one error boundary.

Commands are thin: they parse options, call one library function and let `CapsuleGroup.invoke`
turn exceptions into a one-line message and an exit code (publish/exitcodes.py).
Heavy libraries (moviepy, numpy, Pillow, googleapiclient, matplotlib) are imported inside the
commands that need them, so `capsule --help` starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from publish import __version__
from publish.exitcodes import ExitCode

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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

    @property
    def endpoint(self) -> str | None:
        """--endpoint > CAPSULE_ENDPOINT > settings file > the channel's endpoint > Google."""
        settings = self.settings
        if settings.values["endpoint"].origin != "default":
            return settings.endpoint
        return self.channel.endpoint

    def journal(self, path: Path | None = None):
        """The journal: --journal PATH > the `journal` setting > DATA_DIR/journal.sqlite.

        With --sandbox and no explicit journal, DATA_DIR/sandbox/journal.sqlite: a rehearsal
        must neither spend the real day's quota in the ledger nor make a real upload look done.
        """
        from publish.journal import open_journal

        settings = self.settings
        if path is None and self.sandbox and settings.values["journal"].value is None:
            path = settings.data_path / "sandbox" / "journal.sqlite"
        return open_journal(path or settings.journal_path, None)

    @property
    def quota_limits(self) -> dict[str, int]:
        """The API project's daily quota (settings `quota_units`, `quota_uploads`)."""
        return {"default": int(self.settings.quota_units),
                "uploads": int(self.settings.quota_uploads)}

    def youtube(self, purpose: str = "publish"):
        """A Data API service for this command's channel and endpoint (--sandbox honoured)."""
        from publish.auth import account_credentials, account_for
        from publish.client import youtube_service

        account = account_for(self)
        auth = account_credentials(account, purpose)
        return youtube_service(auth, endpoint=account.endpoints, timeout=account.timeout)

    def watch_url(self, video_id: str) -> str:
        """Where an officer sees the video: YouTube, or the sandbox's own watch page."""
        from publish.auth import account_for

        base = account_for(self).endpoints.base
        if base is None:
            return f"https://www.youtube.com/watch?v={video_id}"
        return f"{base.rstrip('/')}/watch?v={video_id}"

    def progress(self, label: str, *, json_mode: bool = False, unit: str = ""):
        from publish.output import Progress, progress_allowed

        return Progress(label, progress_allowed(quiet=self.quiet, json_mode=json_mode), unit)


def _parse_set(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    parsed = []
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", ctx, param)
        parsed.append((key.strip(), raw, f"flag:--set {key.strip()}"))
    return parsed


class CapsuleGroup(click.Group):
    """The error boundary: library exceptions become one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            if _wants_traceback(ctx):
                raise
            click.echo("capsule: interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as exc:
            if _wants_traceback(ctx):
                raise
            from publish.errors import describe, exit_code_for

            code = exit_code_for(exc)
            label = "error"
            if code == ExitCode.NOTHING_TO_DO:
                label = "nothing to do"
            elif code == ExitCode.FAILURE and not _is_expected(exc):
                label = f"unexpected error ({type(exc).__name__}; run with --traceback)"
            click.echo(f"capsule: {label}: {describe(exc)}", err=True)
            ctx.exit(code)


def _is_expected(exc: BaseException) -> bool:
    from captions.errors import CaptionsError
    from config.errors import ConfigError
    from publish.errors import CapsuleError

    return isinstance(exc, CapsuleError | CaptionsError | ConfigError | OSError)


def _wants_traceback(ctx: click.Context) -> bool:
    app = ctx.find_object(App)
    return bool(app and app.traceback)


@click.group(cls=CapsuleGroup, context_settings=CONTEXT_SETTINGS,
             epilog="Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 authorization "
                    "required, 5 quota, 6 temporary, 7 busy, 8 nothing to do, 130 interrupted.")
@click.version_option(__version__, "--version", prog_name="capsule")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv debug, -vvv HTTP).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress.")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an error.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              envvar="CAPSULE_CONFIG", help="Settings file (default: see `capsule config path`).")
@click.option("--channel", metavar="NAME", help="Channel from the settings' [channels.NAME].")
@click.option("--endpoint", metavar="URL", help="YouTube-compatible server instead of Google.")
@click.option("--sandbox", is_flag=True,
              help="Use the local YouTube sandbox (started on demand; no credentials).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="KEY=VALUE",
              callback=_parse_set, help="Override a setting for this run (e.g. crf=20).")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, traceback: bool,
         config_path: Path | None, channel: str | None, endpoint: str | None, sandbox: bool,
         overrides: list[tuple[str, Any, str]]) -> None:
    """Burn subtitles into video capsules, publish them on YouTube, follow their reach.

    \b
    Example:
      capsule --sandbox publish examples/capsule.toml
    """
    from publish.output import setup_logging

    setup_logging(verbose, quiet)
    ctx.obj = App(verbosity=verbose, quiet=quiet, traceback=traceback, config_path=config_path,
                  channel_name=channel, endpoint_flag=endpoint, sandbox=sandbox,
                  overrides=overrides)


# commands — one import and one add_command per command module.
from publish.commands import config as _config  # noqa: E402

main.add_command(_config.config)
from publish.commands import publish as _publish  # noqa: E402

main.add_command(_publish.init)
main.add_command(_publish.publish)
main.add_command(_publish.status)
from publish.commands import upload as _upload  # noqa: E402

main.add_command(_upload.upload)
main.add_command(_upload.quota)
from publish.commands import auth as _auth  # noqa: E402

main.add_command(_auth.auth)
from publish.commands import sandbox as _sandbox  # noqa: E402

main.add_command(_sandbox.sandbox)
from publish.commands import stats as _stats  # noqa: E402

main.add_command(_stats.stats)
from publish.commands import burn as _burn  # noqa: E402

main.add_command(_burn.burn)
from publish.commands import captions as _captions  # noqa: E402

main.add_command(_captions.captions)
from publish.commands import preview as _preview  # noqa: E402

main.add_command(_preview.preview)
