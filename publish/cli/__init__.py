"""The `capsule` command: global options, the command tree and the one error boundary.

Commands are thin: they parse options, call one library function and let `CapsuleGroup.invoke`
turn exceptions into a one-line message and an exit code (publish/cli/exitcodes.py).
Heavy libraries (numpy, Pillow, googleapiclient, matplotlib) are imported inside the
commands that need them, so `capsule --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from config.i18n import _
from publish import __version__
from publish.cli.app import App
from publish.cli.commands import (
    auth,
    burn,
    captions,
    config,
    journal,
    preview,
    review,
    sandbox,
    stats,
    upload,
)
from publish.cli.commands import publish as publishing
from publish.cli.exitcodes import ExitCode

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _parse_set(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    parsed = []
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(_("expected KEY=VALUE, got {item!r}").format(item=item),
                                     ctx, param)
        parsed.append((key.strip(), raw, f"flag:--set {key.strip()}"))
    return parsed


class CapsuleGroup(click.Group):
    """The error boundary: library exceptions become one line on stderr and an exit code.

    It also picks the interface language before anything is parsed or shown (localize.py).
    """

    def main(self, args: Any = None, *pos: Any, **kwargs: Any) -> Any:
        import sys

        from config import i18n
        from publish.cli.localize import activate, interface_language

        args = list(sys.argv[1:] if args is None else args)
        previous = i18n.language()
        activate(interface_language(args), self)
        try:
            return super().main(args, *pos, **kwargs)
        finally:  # a caller in the same process (tests, clidoc) gets its language back
            activate(previous, self)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            if _wants_traceback(ctx):
                raise
            click.echo(_("capsule: interrupted"), err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as exc:
            if _wants_traceback(ctx):
                raise
            from publish.cli.errors import describe, exit_code_for

            code = exit_code_for(exc)
            label = _("error")
            if code == ExitCode.NOTHING_TO_DO:
                label = _("nothing to do")
            elif code == ExitCode.FAILURE and not _is_expected(exc):
                label = _("unexpected error ({kind}; run with --traceback)").format(
                    kind=type(exc).__name__)
            click.echo(_("capsule: {label}: {message}").format(label=label, message=describe(exc)),
                       err=True)
            ctx.exit(code)


def _is_expected(exc: BaseException) -> bool:
    from captions.errors import CaptionsError
    from config.errors import ConfigError
    from publish.errors import CapsuleError

    return isinstance(exc, CapsuleError | CaptionsError | ConfigError | OSError)


def _lang_ui(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Eager, so a wrong value is refused before --help renders; CapsuleGroup.main already
    set the language from the raw arguments (before Click parses or shows anything)."""
    from config import i18n

    known = i18n.available_languages()
    if value is not None and value not in known:
        raise click.BadParameter(_("{value!r} is not one of {known}.").format(
            value=value, known=", ".join(known)), ctx, param)


def _wants_traceback(ctx: click.Context) -> bool:
    app = ctx.find_object(App)
    return bool(app and app.traceback)


@click.group(cls=CapsuleGroup, context_settings=CONTEXT_SETTINGS,
             epilog="Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 authorization "
                    "required, 5 quota, 6 temporary, 7 busy, 8 nothing to do, 130 interrupted.")
@click.version_option(__version__, "--version", prog_name="capsule")
@click.option("--lang-ui", metavar="LANG", is_eager=True, expose_value=False, callback=_lang_ui,
              help="Language of capsule's messages: en or fr (default: the "
                   "`interface_language` setting, else the locale, else English).")
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
    from publish.cli.output import setup_logging

    setup_logging(verbose, quiet)
    ctx.obj = App(verbosity=verbose, quiet=quiet, traceback=traceback, config_path=config_path,
                  channel_name=channel, endpoint_flag=endpoint, sandbox=sandbox,
                  overrides=overrides)


for command in (config.config, captions.captions, preview.preview, burn.burn, publishing.init,
                publishing.publish, publishing.status, review.review, upload.upload, upload.quota,
                auth.auth, sandbox.sandbox, stats.stats, journal.journal):
    main.add_command(command)
