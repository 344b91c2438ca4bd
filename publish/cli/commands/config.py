"""`capsule config show|init|path`: what the settings are, where they come from."""

from __future__ import annotations

from pathlib import Path

import click

from config.i18n import _
from publish.cli.app import App

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


def _mask(value: object) -> str:
    if value in (None, ""):
        return _("(not set)")
    return _("******** (set)")


def _show(value: object) -> str:
    if value is None:
        return _("(not set)")
    if isinstance(value, Path):
        return str(value)
    return str(value)


@click.group()
def config() -> None:
    """Show, create and locate the settings file.

    \b
    Example:
      capsule config show
    """


@config.command()
@click.option("--json", "json_mode", is_flag=True, help="Print the settings as JSON.")
@click.pass_obj
def show(app: App, json_mode: bool) -> None:
    """Print the effective settings and where each value came from (secrets masked).

    \b
    Example:
      CAPSULE_CRF=20 capsule config show
    """
    settings = app.settings
    rows = [(key, _mask(v) if secret else _show(v), origin)
            for key, v, origin, secret in settings.rows()]
    if json_mode:
        from publish.cli.output import emit_json

        emit_json({"config_file": str(settings.path),
                   "settings": [{"key": k, "value": v, "origin": o} for k, v, o in rows]})
        return
    header = (_("# settings file: {path}") if settings.path.exists()
              else _("# settings file: {path} (absent: defaults apply)"))
    click.echo(header.format(path=settings.path))
    rows = [(k, v, _("default") if o == "default" else o) for k, v, o in rows]
    width = max(len(k) for k, _, _ in rows)
    vwidth = min(max(len(v) for _, v, _ in rows), 48)
    for key, value, origin in rows:
        click.echo(f"{key:<{width}}  {value:<{vwidth}}  {origin}")


@config.command()
@click.pass_obj
def init(app: App) -> None:
    """Write a commented settings template (never overwrites an existing file).

    \b
    Example:
      capsule config init && $EDITOR "$(capsule config path --config-file)"
    """
    from config.atomic import write_text
    from config.settings import TEMPLATE, default_config_path
    from publish.errors import InvalidInput

    path = app.config_path or default_config_path()
    if path.exists():
        raise InvalidInput(_("{path}: already exists; edit it, or move it away to start "
                             "afresh").format(path=path))
    write_text(path, TEMPLATE, mode=0o600)
    click.echo(str(path))


@config.command()
@click.option("--config-file", "only_config", is_flag=True, help="Print only the settings file.")
@click.option("--json", "json_mode", is_flag=True, help="Print the paths as JSON.")
@click.pass_obj
def path(app: App, only_config: bool, json_mode: bool) -> None:
    """Print where capsule keeps its settings, journal, tokens and sandbox state.

    \b
    Example:
      capsule config path
    """
    settings = app.settings
    paths = {
        "config_file": str(settings.path),
        "data_dir": str(settings.data_path),
        "journal": str(settings.journal_path),
        "tokens": str(settings.data_path / "tokens"),
        "sandbox_state": str(settings.data_path / "sandbox"),
    }
    if only_config:
        click.echo(paths["config_file"])
    elif json_mode:
        from publish.cli.output import emit_json

        emit_json(paths)
    else:
        for key, value in paths.items():
            click.echo(f"{key:<14} {value}")
