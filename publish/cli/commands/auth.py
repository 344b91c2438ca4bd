"""`capsule auth login|status|logout|export|import`: the channel's YouTube login."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from config.i18n import _
from publish.cli.app import App

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).

channel_option = click.option(
    "--channel", "channel", metavar="NAME",
    help="Channel from the settings' [channels.NAME] (default: the global --channel).")


def _account(app: App, channel: str | None):
    from publish.youtube.auth import account_for

    return account_for(app, channel)


@click.group()
def auth() -> None:
    """Log in to YouTube, check the login, move it to a server, log out.

    \b
    Example:
      capsule auth login --channel main
    """


@auth.command()
@channel_option
@click.option("--no-browser", is_flag=True,
              help="Headless machine: print the URL, then paste the address the browser "
                   "ended on (or the code).")
@click.option("--scopes", "scope_set", type=click.Choice(["publish", "stats", "all"]),
              default="all", show_default=True,
              help="What the login may do: publish videos, read statistics, or both.")
@click.option("--json", "json_mode", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def login(app: App, channel: str | None, no_browser: bool, scope_set: str,
          json_mode: bool) -> None:
    """Sign in for a channel (browser, PKCE) and save its token.

    \b
    Example:
      capsule auth login --channel main
      capsule auth login --channel main --no-browser --scopes stats
    """
    from publish.youtube import auth as lib

    account = _account(app, channel)
    scopes = lib.scopes_named(scope_set)
    account.oauth_client()  # a missing client file is reported before any prompt
    if account.is_sandbox:
        lib.sandbox_login(account, scopes)
        result = lib.LoginResult(account.channel, str(account.token_file),
                                 account.endpoints.describe(), list(scopes))
    elif no_browser:
        result = lib.login_pasted(account, scopes, ask=_ask_pasted)
    else:
        open_browser = _browser_available()
        result = lib.login(account, scopes, open_browser=open_browser,
                           on_url=lambda url: _show_url(url, open_browser))
    _print_login(result, json_mode, lib.short_scope)


def _browser_available() -> bool:
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        click.echo(_("capsule: no web browser found here; open the URL below on this "
                     "machine, or run the login again with --no-browser"), err=True)
        return False
    return True


def _show_url(url: str, opened: bool) -> None:
    intro = (_("Your browser should open; if not, open this URL:") if opened
             else _("Open this URL in a browser on this machine:"))
    click.echo(_("{intro}\n\n  {url}\n\nWaiting for the authorization…").format(
                   intro=intro, url=url), err=True)


def _ask_pasted(url: str) -> str:
    click.echo(_("Open this URL in a browser (on any machine), sign in and allow "
                 "access:\n\n  {url}\n\nThe browser then fails to load a "
                 "http://localhost page: that is expected. Copy that page's full address "
                 "from the address bar.").format(url=url), err=True)
    return click.prompt(_("Paste the address (or the code)"), err=True)


def _print_login(result, json_mode: bool, short) -> None:
    if json_mode:
        from publish.cli.output import emit_json

        emit_json(result.as_dict())
        return
    click.echo(_("logged in: channel {channel} on {endpoint}").format(
                   channel=result.channel, endpoint=result.endpoint))
    click.echo(_("token: {token_file}").format(token_file=result.token_file))
    click.echo(_("scopes: {scopes}").format(
                   scopes=', '.join(short(s) for s in result.scopes)))
    if result.missing:
        click.echo(_("capsule: warning: not granted: {scopes} (tick "
                     "every box on the consent page to allow them)").format(
                       scopes=", ".join(short(s) for s in result.missing)), err=True)


@auth.command()
@channel_option
@click.option("--json", "json_mode", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status(app: App, channel: str | None, json_mode: bool) -> None:
    """Show the login: YouTube channel, scopes, expiry, refresh.

    Exits with code 4 (authorization required) when the login is missing or refused.

    \b
    Example:
      capsule auth status --json
    """
    from publish.youtube.logins import auth_status

    report = auth_status(_account(app, channel))
    if json_mode:
        from publish.cli.output import emit_json

        emit_json(report.as_dict())
    else:
        _print_status(report)
    if report.error is not None:
        raise report.error


def _print_status(report) -> None:
    def yes(flag: bool | None) -> str:
        return {True: _("yes"), False: _("no"), None: _("unknown")}[flag]

    who = _("unknown")
    if report.youtube_channel_id:
        who = f"{report.youtube_channel_title} ({report.youtube_channel_id})"
    rows = [
        (_("channel"), report.channel),
        (_("server"), report.endpoint),
        (_("token file"), report.token_file),
        (_("logged in"), yes(report.logged_in)),
    ]
    if report.logged_in:
        rows += [
            (_("youtube channel"), who),
            (_("scopes"), ", ".join(report.scopes) or _("none")),
            (_("token expires"), report.expiry or _("unknown")),
            (_("refresh works"), yes(report.refresh_ok)),
            (_("can publish"), yes(report.can_publish)),
            (_("can read stats"), yes(report.can_read_stats)),
        ]
    rows.append((_("api key"), _("set") if report.api_key else _("not set")))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name:<{width}}  {value}")


@auth.command()
@channel_option
@click.option("--no-revoke", is_flag=True,
              help="Only delete the token file; do not tell the server.")
@click.pass_obj
def logout(app: App, channel: str | None, no_revoke: bool) -> None:
    """Revoke the login at the server and delete its token file.

    \b
    Example:
      capsule auth logout --channel main
    """
    from publish.errors import NothingToDo
    from publish.youtube.logins import logout as do_logout

    account = _account(app, channel)
    if not do_logout(account, revoke=not no_revoke):
        raise NothingToDo(_("channel {channel}: no login saved at {token_file}").format(
                              channel=account.channel, token_file=account.token_file))
    done = (_("logged out: channel {channel} ({token_file} deleted)") if no_revoke
            else _("logged out: channel {channel} ({token_file} deleted, access revoked)"))
    click.echo(done.format(channel=account.channel, token_file=account.token_file), err=True)


@auth.command(name="export")
@channel_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the token to this file (mode 0600) instead of stdout.")
@click.pass_obj
def export_cmd(app: App, channel: str | None, output: Path | None) -> None:
    """Write the login out, to carry it to another machine.

    The file is a secret: whoever holds it can publish on the channel.

    \b
    Example:
      capsule auth export -o main-token.json
      capsule auth export | ssh server capsule auth import -
    """
    from publish.errors import InvalidInput
    from publish.youtube.auth import write_token_file
    from publish.youtube.logins import export_token

    account = _account(app, channel)
    text = export_token(account)
    if output is None:
        if sys.stdout.isatty():
            raise InvalidInput(_("refusing to print a token on a terminal; use -o FILE "
                                 "or pipe the output into `capsule auth import -`"))
        click.echo(text, nl=False)
        return
    import json

    write_token_file(output, json.loads(text))
    click.echo(_("exported: channel {channel} to {output} (mode 0600; keep it secret, "
                 "delete it once imported)").format(
                   channel=account.channel, output=output), err=True)


@auth.command(name="import")
@channel_option
@click.argument("source", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False,
                                                          allow_dash=True))
@click.pass_obj
def import_cmd(app: App, channel: str | None, source: Path) -> None:
    """Save a login exported elsewhere as the channel's token.

    \b
    Example:
      capsule auth import --channel main main-token.json
    """
    from publish.errors import InvalidInput
    from publish.youtube.logins import import_token

    account = _account(app, channel)
    name = "stdin" if str(source) == "-" else str(source)
    try:
        text = sys.stdin.read() if name == "stdin" else source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("{name}: not a token exported by `capsule auth export` (not "
                             "UTF-8 text)").format(name=name)) from None
    except OSError as exc:
        raise InvalidInput(_("{name}: cannot read ({strerror})").format(
                               name=name, strerror=exc.strerror)) from None
    result = import_token(account, text, name)
    click.echo(_("imported: channel {channel} → {token_file} (mode 0600)").format(
                   channel=result.channel, token_file=result.token_file),
               err=True)
