"""`capsule preview`: one frame, or a contact sheet of every cue, drawn by the burn's renderer."""

from __future__ import annotations

from pathlib import Path

import click

from config.i18n import _
from publish.cli.app import App
from publish.cli.commands.captions import STYLE_HELP, resolve_style
from publish.cli.commands.options import check_picture_source, load_variant, subtitle_inputs

# Libraries are imported inside the commands: `capsule --help` loads this module and must not
# pay for numpy, Pillow, the Google client or matplotlib (tests/publish/test_cli.py checks).


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    from captions.errors import CaptionsError
    from captions.preview import parse_time

    try:
        return parse_time(value)
    except CaptionsError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.command()
@subtitle_inputs(subs_required=False)
@click.option("--at", "at_ms", metavar="TIME", callback=_time,
              help="Moment to show: 12.5, 00:00:12.5 or 00:00:12,500.")
@click.option("--cue", type=click.IntRange(min=1), metavar="N",
              help="Show the midpoint of cue N of the first --subs file.")
@click.option("--sheet", is_flag=True, help="Contact sheet: every cue at its midpoint, in a grid.")
@click.option("--columns", type=click.IntRange(1, 12), help="Tiles per row of the sheet.")
@click.option("--style", "style_spec", metavar="STYLE", help=STYLE_HELP)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="PNG file to write.")
@click.option("--variant", metavar="NAME",
              help="VIDEO is a capsule.toml: show its variant NAME (a Short: cut, reframed, "
                   "subtitles clear of the Shorts player), or main.")
@click.option("--json", "json_mode", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def preview(app: App, video: Path, subs: tuple[Path, ...], langs: tuple[str, ...],
            encoding: str | None, at_ms: int | None, cue: int | None, sheet: bool,
            columns: int | None, style_spec: str | None, variant: str | None, output: Path,
            json_mode: bool) -> None:
    """Render a frame of VIDEO with its subtitles, as the burn will draw them, to a PNG.

    Choose the moment with --at or --cue, or review every cue at once with --sheet.
    Each --subs file is stacked above the previous one. With --variant, VIDEO is a capsule
    manifest and the picture is that variant's, its burned tracks and times on its clock.

    \b
    Example:
      capsule preview capsule.mp4 --subs fr.srt --subs ar.srt --cue 3 -o cue3.png
      capsule preview capsule.mp4 --subs ar.srt --sheet -o sheet.png
      capsule preview capsule.toml --variant short --at 4 -o short.png
    """
    from captions.preview import contact_sheet, preview_frame, save_png
    from captions.reading import read_track
    from publish.cli.output import emit_json, info, warn

    if (at_ms is not None) + (cue is not None) + sheet != 1:
        raise click.UsageError(_("give exactly one of --at TIME, --cue N or --sheet"))
    if len(langs) > len(subs):
        raise click.UsageError(_("{n_langs} --lang for {n_subs} --subs: give one per file").format(
                                   n_langs=len(langs), n_subs=len(subs)))
    check_picture_source(variant, subs, langs, encoding, style_spec)
    shape: dict = {}
    if variant is not None:
        checked = load_variant(app, video, variant)
        video, style = checked.capsule.video, checked.style
        tracks = [checked.tracks[lang] for lang in checked.capsule.burn]
        shape = {"cut": checked.cut, "frame": checked.frame}
    else:
        style = resolve_style(app, style_spec)
        tracks = [read_track(path, encoding=encoding,
                             language=langs[i] if i < len(langs) else None,
                             default_language=app.settings.subtitle_language)
                  for i, path in enumerate(subs)]
    for finding in (f for track in tracks for f in track.findings if f.is_error):
        if not app.quiet:  # a cue the reader had to leave out is missing from the picture
            warn(_("{where}{message} (see capsule captions check)").format(
                     where=finding.where, message=finding.message))
    if sheet:
        with app.progress(_("rendering tiles"), json_mode=json_mode, unit=_("tiles")) as bar:
            image, tiles, cues = contact_sheet(video, tracks, style, columns=columns,
                                               progress=bar, **shape)
        save_png(image, output)
        data = {"output": str(output), "width": image.width, "height": image.height,
                "tiles": tiles, "cues": cues}
        message = _("wrote a contact sheet of {cues} cues in {tiles} tiles to {output}").format(
                      cues=cues, tiles=tiles, output=output)
    else:
        shot = preview_frame(video, tracks, style, at_ms=at_ms, cue=cue, **shape)
        save_png(shot.image, output)
        data = {"output": str(output), "width": shot.image.width, "height": shot.image.height,
                "t_ms": shot.t_ms, "cues_shown": shot.overlays}
        message = _("wrote the frame at {seconds:.3f} s with {overlays} cue(s) to "
                    "{output}").format(seconds=shot.t_ms / 1000, overlays=shot.overlays,
                                       output=output)
    if json_mode:
        emit_json(data)
    else:
        info(message, quiet=app.quiet)

