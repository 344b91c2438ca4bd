"""Options shared by the commands that read a video and its subtitle files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from config.i18n import _


def subtitle_inputs(command: Callable[..., Any] | None = None, *,
                    subs_required: bool = True) -> Any:
    """VIDEO, --subs FILE (repeatable), --lang L (in order) and --encoding E."""
    if command is None:
        return lambda command: subtitle_inputs(command, subs_required=subs_required)
    for decorator in reversed((
        click.argument("video", type=click.Path(path_type=Path, dir_okay=False)),
        click.option("--subs", "subs", multiple=True, required=subs_required, metavar="FILE",
                     type=click.Path(path_type=Path, dir_okay=False),
                     help="Subtitle file (SRT, WebVTT, ASS); repeat to stack languages."),
        click.option("--lang", "langs", multiple=True, metavar="L",
                     help="Language of each --subs file, in order (fr, ar, zgh, en…)."),
        click.option("--encoding", metavar="E",
                     help="Text encoding of the subtitle files (cp1256…)."),
    )):
        command = decorator(command)
    return command


def _rate(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from config.rates import parse_rate

    if value is None:
        return None
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


limit_rate_option = click.option(
    "--limit-rate", metavar="RATE", callback=_rate,
    help="Cap the upload at RATE bytes per second on average (500K, 2M; K and M are 1,000 and "
         "1,000,000), also across a resume, for captions and the thumbnail too "
         "(default: the `upload_rate` setting).")


def load_variant(app: Any, manifest: Path, name: str) -> Any:
    """The checked picture (publish.pipeline.Checked) of a manifest's variant NAME (or main):
    its source, burned tracks on its clock, style, cut and frame, as `capsule publish` would
    check them; each problem printed on a line of its own."""
    from config.manifest import load_manifest
    from publish import pipeline

    capsule = load_manifest(manifest, default_timezone=app.settings.timezone)
    (video,) = capsule.videos(name)
    try:
        return pipeline.preflight(video, default_style=app.settings.subtitle_style,
                                  picture_only=True)
    except pipeline.PreflightFailed as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise


def check_picture_source(variant: str | None, subs: tuple, langs: tuple, encoding: str | None,
                         style_spec: str | None) -> None:
    """`--variant NAME` (all from the manifest) or `--subs FILE…`, not both, not neither."""
    if variant is not None and (subs or langs or encoding or style_spec):
        raise click.UsageError(_("--variant takes the subtitles and style from the "
                                 "manifest: leave out --subs, --lang, --encoding and "
                                 "--style"))
    if variant is None and not subs:
        raise click.UsageError(_("give the subtitles with --subs FILE (or a manifest "
                                 "with --variant NAME)"))
